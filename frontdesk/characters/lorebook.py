"""Lorebooks (``character_book``): which entries a conversation triggers, in what order, within
what budget. The rules are the V2 and V3 specs'; where a spec leaves the choice to the
application, the choice is written here and in docs/characters.md:

* a key matches when the scanned text contains it (a plain substring; ``use_regex`` keys are
  regular expressions, ``/pattern/flags`` or bare; an invalid pattern never matches);
  case-insensitive unless ``case_sensitive`` is true;
* the scanned text is the last ``scan_depth`` messages (the book's, or ``@@scan_depth``);
  without one, the last :data:`DEFAULT_SCAN_DEPTH`;
* ``selective`` with ``secondary_keys``: one primary AND one secondary key must match
  (``use_regex`` entries ignore secondary keys, V3);
* ``constant`` entries always match (unless ``use_regex``, V3); ``enabled: false`` never does,
  in any case; an empty ``content`` adds nothing;
* ``recursive_scanning: true`` lets matched entries' content trigger further entries (up to
  :data:`MAX_RECURSION` rounds); false or absent: only the messages are scanned;
* ``token_budget``: entries are dropped, lowest ``priority`` first (an entry without one
  counts as priority 0... ties: lowest ``insertion_order`` first), until the rest fits; tokens are
  estimated as characters / 4;
* the kept entries are ordered by ``insertion_order`` (lower first; ties by their place in the
  book) and placed ``before_char`` or ``after_char`` (the default) the character's definition.

V3 decorators understood: ``@@activate``, ``@@dont_activate``, ``@@scan_depth N``,
``@@additional_keys a,b``, ``@@exclude_keys a,b``, ``@@position before_desc|after_desc|personality|scenario``;
others are ignored (and their ``@@@`` fallbacks used, when one is understood). Decorator lines
are removed from the content before it reaches the prompt.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import regex

DEFAULT_SCAN_DEPTH = 4
MAX_RECURSION = 3
REGEX_TIMEOUT = 0.05  # seconds per regex key and scan
KNOWN_DECORATORS = {"activate", "dont_activate", "scan_depth", "additional_keys", "exclude_keys", "position"}


def estimate_tokens(text: str) -> int:
    return (len(text) + 3) // 4


@dataclass
class Decorators:
    values: dict[str, list[str]] = field(default_factory=dict)
    content: str = ""


def parse_decorators(content: str) -> Decorators:
    """Split ``@@name value`` lines off the top of an entry's content (SPEC_V3, Decorators)."""
    lines = content.split("\n")
    found: dict[str, list[str]] = {}
    pending_fallback = False  # the previous decorator was not understood: its @@@ fallback counts
    body_start = 0
    for index, line in enumerate(lines):
        stripped = line.strip()
        if not stripped.startswith("@@"):
            body_start = index
            break
        fallback = stripped.startswith("@@@")
        name, _, value = stripped.lstrip("@").partition(" ")
        body_start = index + 1
        if fallback and not pending_fallback:
            continue  # its decorator was understood: the fallback does not count
        understood = name in KNOWN_DECORATORS
        pending_fallback = not understood
        if not understood:
            continue
        if name in found and name not in ("additional_keys", "exclude_keys"):
            continue  # the first of a name counts
        found.setdefault(name, []).append(value.strip())
    else:
        body_start = len(lines)
    return Decorators(found, "\n".join(lines[body_start:]).strip("\n"))


@dataclass
class Triggered:
    entry: dict[str, Any]
    index: int
    content: str
    position: str  # before_char | after_char | before_desc | after_desc | personality | scenario


def _regex(key: str, case_sensitive: bool) -> Any:
    """A card's regex key, compiled with the ``regex`` package: its searches take a timeout, so a
    pattern that backtracks catastrophically on a visitor's message cannot stall the server."""
    flags = 0 if case_sensitive else regex.I
    match = re.fullmatch(r"/(.*)/([a-z]*)", key, re.S)
    pattern = key
    if match:
        pattern = match.group(1)
        flags |= regex.I if "i" in match.group(2) else 0
        flags |= regex.S if "s" in match.group(2) else 0
        flags |= regex.M if "m" in match.group(2) else 0
    try:
        return regex.compile(pattern, flags | regex.V0)
    except (regex.error, RecursionError, OverflowError, ValueError):
        return None


def _contains(text: str, keys: list[str], case_sensitive: bool, use_regex: bool) -> bool | None:
    """Whether any key is in text; None when a regex key is invalid (then the entry cannot match)."""
    for key in keys:
        if not key:
            continue
        if use_regex:
            pattern = _regex(key, case_sensitive)
            if pattern is None:
                return None
            try:
                if pattern.search(text, timeout=REGEX_TIMEOUT):
                    return True
            except TimeoutError:
                return None  # treated as an invalid pattern: no match
        elif (key in text) if case_sensitive else (key.lower() in text.lower()):
            return True
    return False


def _split(values: list[str]) -> list[str]:
    return [v.strip() for value in values for v in value.split(",") if v.strip()]


def _matches(entry: dict[str, Any], decorators: Decorators, messages: list[str], book_depth: int,
             extra: str) -> bool:
    if entry.get("enabled") is False:
        return False
    if "activate" in decorators.values:
        return True
    if "dont_activate" in decorators.values:
        return False
    use_regex = bool(entry.get("use_regex"))
    if entry.get("constant") and not use_regex:
        return True
    depth = book_depth
    if "scan_depth" in decorators.values:
        try:
            depth = max(0, int(float(decorators.values["scan_depth"][0])))
        except ValueError:
            pass
    text = "\n".join(messages[-depth:] if depth else [])
    if extra:
        text = f"{text}\n{extra}"
    case = bool(entry.get("case_sensitive"))
    primary = _contains(text, list(entry.get("keys") or []), case, use_regex)
    if not primary:
        return False
    secondary = entry.get("secondary_keys") or []
    if entry.get("selective") and secondary and not use_regex and not _contains(text, secondary, case, False):
        return False
    for value in decorators.values.get("additional_keys", []):
        if not _contains(text, _split([value]), case, use_regex):
            return False
    excluded = _split(decorators.values.get("exclude_keys", []))
    return not (excluded and not use_regex and _contains(text, excluded, case, False))


def scan(book: dict[str, Any] | None, messages: list[str]) -> list[Triggered]:
    """The entries ``messages`` (oldest first) trigger, within the budget, in insertion order."""
    if not book:
        return []
    entries = [e for e in book.get("entries") or [] if isinstance(e, dict)]
    depth = book.get("scan_depth")
    depth = DEFAULT_SCAN_DEPTH if depth is None else max(0, int(depth))
    parsed = [parse_decorators(e.get("content") or "") for e in entries]
    chosen: dict[int, Triggered] = {}
    extra = ""
    rounds = 1 + (MAX_RECURSION if book.get("recursive_scanning") is True else 0)
    for _ in range(rounds):
        new = [i for i, entry in enumerate(entries)
               if i not in chosen and _matches(entry, parsed[i], messages, depth, extra)]
        if not new:
            break
        for i in new:
            position = parsed[i].values.get("position", [""])[0] or entries[i].get("position") or "after_char"
            if position not in ("before_char", "after_char", "before_desc", "after_desc", "personality", "scenario"):
                position = entries[i].get("position") or "after_char"
            chosen[i] = Triggered(entries[i], i, parsed[i].content, position)
        extra = "\n".join(t.content for t in chosen.values())  # recursion: matched content is scanned too
    kept = [t for t in chosen.values() if t.content.strip()]
    budget = book.get("token_budget")
    if budget is not None:
        # drop lowest priority first (then lowest insertion_order, then the later entry) until it fits
        ranked = sorted(kept, key=lambda t: (_number(t.entry.get("priority")), _number(t.entry.get("insertion_order")), -t.index))
        total = sum(estimate_tokens(t.content) for t in kept)
        while ranked and total > budget:
            dropped = ranked.pop(0)
            total -= estimate_tokens(dropped.content)
            kept.remove(dropped)
    return sorted(kept, key=lambda t: (_number(t.entry.get("insertion_order")), t.index))


def _number(value: Any) -> float:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else 0.0
