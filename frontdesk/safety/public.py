"""What a visitor of the public web chat may see of an answer or a transcript.

The owner's API and console see everything; a visitor sees citations that point at web pages only
(never a path on the server) and a person's display name, never their console login.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit


def public_url(url: str | None) -> str:
    """``url`` when it is an http(s) address a visitor can open; otherwise empty (a file path, file://...)."""
    if not url:
        return ""
    try:
        scheme = urlsplit(url).scheme.lower()
    except ValueError:
        return ""
    return url if scheme in ("http", "https") else ""


def public_citations(citations: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Citations with their file paths gone: a document's id is its location (a path for a file source)."""
    out = []
    for c in citations:
        shown = {**c, "url": public_url(c.get("url"))}
        if c.get("kind") != "product":
            shown.pop("id", None)
        out.append(shown)
    return out


def visitor_answer(data: dict[str, Any]) -> dict[str, Any]:
    """An answer (``Answer.to_json``) as a web visitor may see it: the customer-facing fields, no file paths."""
    shown = {k: data[k] for k in ("answer", "citations", "products", "grounded", "handoff", "language")}
    shown["citations"] = public_citations(shown["citations"])
    return shown


def visitor_message(data: dict[str, Any]) -> dict[str, Any]:
    """A transcript message (``views.message_json``) as the visitor may see it."""
    out = dict(data)
    if "citations" in out:
        out["citations"] = public_citations(out["citations"] or [])
    if out.get("role") == "human":
        out["by"] = out.get("by_display") or "a team member"
    out.pop("by_display", None)
    return out
