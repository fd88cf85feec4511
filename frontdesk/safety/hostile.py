"""Request bodies no route should see: JSON nested deeper than any API needs, and text that is not
Unicode (lone surrogates such as ``"\\ud800"``, which JSON allows and UTF-8 cannot store).

Checked once on the raw body, before any route parses it, so each gets a 400 naming the problem
instead of an error deep in a route (a RecursionError, a UnicodeEncodeError from the database).
"""

from __future__ import annotations

import json
from typing import Any

#: Deeper than any request the API documents (OpenAI's tool schemas stay far below it).
MAX_JSON_DEPTH = 64


def json_body_problem(body: bytes, max_depth: int = MAX_JSON_DEPTH) -> str | None:
    """Why ``body`` may not reach a route, or None (invalid JSON is left to the route's own error)."""
    depth = _max_depth(body)
    if depth > max_depth:
        return f"the request body is nested {depth} levels deep; at most {max_depth} are accepted"
    try:
        value = json.loads(body)
    except (ValueError, RecursionError):
        return None
    where = _lone_surrogate(value)
    if where is not None:
        return f"{where or 'the body'} holds a lone surrogate (\\ud800-\\udfff), which is not text"
    return None


def _max_depth(body: bytes) -> int:
    """Nesting depth of brackets outside strings, without parsing (so 50,000 levels cost nothing)."""
    depth = deepest = 0
    in_string = escaped = False
    for byte in body:
        if in_string:
            if escaped:
                escaped = False
            elif byte == 0x5C:  # backslash
                escaped = True
            elif byte == 0x22:
                in_string = False
        elif byte == 0x22:
            in_string = True
        elif byte in (0x5B, 0x7B):
            depth += 1
            deepest = max(deepest, depth)
        elif byte in (0x5D, 0x7D):
            depth -= 1
    return deepest


def _lone_surrogate(value: Any) -> str | None:
    """The path (``messages.0.content``) of the first string holding a lone surrogate, or None."""
    stack: list[tuple[str, Any]] = [("", value)]
    while stack:
        path, item = stack.pop()
        if isinstance(item, str):
            if not _is_text(item):
                return path
        elif isinstance(item, dict):
            for key, child in item.items():
                if not _is_text(key):
                    return f"{path}.{key!r}".lstrip(".")
                stack.append((f"{path}.{key}".lstrip("."), child))
        elif isinstance(item, list):
            stack.extend((f"{path}.{i}".lstrip("."), child) for i, child in enumerate(item))
    return None


def _is_text(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True
