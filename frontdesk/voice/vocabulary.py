"""The business's own words for the recogniser: an initial prompt built from its knowledge.

Whisper writes what it hears in the spelling it knows; a product called "Yirgacheffe" or
"Comandante" comes out as "Yirga Chef" or "commandante" unless the words are in its initial
prompt (the text it takes as what was said before). :func:`initial_prompt` picks those words from
an agent's knowledge, with no list of words made for any business:

- candidates are the words of product titles and brands (of every item's title when there are
  no products), pure numbers and words under three letters left out;
- a word is a *name* when the knowledge never writes it in lower case (Yirgacheffe, Hario) or
  when it mixes letters and digits (V60, PL41TEM); ordinary words ("white", "paper") are written
  in lower case somewhere in the shop's own text;
- names come first, then by rarity in the knowledge (inverse document frequency over all items:
  "Espresso" in half the shop is less distinctive than "Huila" in two products), then in the
  order the catalog gives them;
- the prompt is the titles that hold those words, most distinctive first, each ending with a
  full stop, at most ``max_chars`` characters (Whisper reads at most 223 prompt tokens; 300
  characters stay well under). Whole titles, not a list of words: a comma-separated word list
  made Whisper answer in a word list too ("Huila, Hario, V60, Paper, Filters." for "Do you sell
  Hario V60 paper filters?"), titles read as ordinary text.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from typing import Any, Protocol

#: A word: letters and digits, with inner hyphens or apostrophes ("Rocket", "V60", "Pour-over").
WORD = re.compile(r"[^\W_](?:[\w'’-]*[^\W_])?")
MAX_CHARS = 300
#: A title longer than this is cut at a word boundary before it goes into the prompt.
MAX_PHRASE = 80


class Item(Protocol):
    kind: Any
    title: str
    text: str
    fields: dict[str, Any]


def initial_prompt(items: Sequence[Item], max_chars: int = MAX_CHARS) -> str:
    """The titles of ``items`` holding the words a recogniser most needs to be told ("" if none)."""
    phrases: list[str] = []
    covered: set[str] = set()
    length = 0
    for term, phrase in distinctive_terms(items):
        if term.casefold() in covered:
            continue
        phrase = _clip(phrase)
        if length + len(phrase) + 2 > max_chars:
            continue  # a shorter title further down may still fit
        phrases.append(phrase)
        covered.update(w.casefold() for w in _words(phrase))
        length += len(phrase) + 2
    return " ".join(f"{p}." for p in phrases)


def distinctive_terms(items: Sequence[Item]) -> list[tuple[str, str]]:
    """Candidate words of ``items``, most distinctive first, each once in the catalog's spelling, with
    the first title (or brand) that holds it."""
    products = [i for i in items if str(getattr(i.kind, "value", i.kind)) == "product"]
    sources = products or list(items)
    order: dict[str, int] = {}
    spelling: dict[str, str] = {}
    phrase: dict[str, str] = {}
    for item in sources:
        for text in (item.title, str(item.fields.get("brand") or "")):
            for word in _words(text):
                key = word.casefold()
                if _candidate(word) and key not in order:
                    order[key], spelling[key], phrase[key] = len(order), word, text.strip()
    if not order:
        return []
    document_frequency: Counter[str] = Counter()
    lower: set[str] = set()
    for item in items:
        words = list(_words(f"{item.title}\n{item.text}"))
        document_frequency.update({w.casefold() for w in words})
        lower.update(w for w in words if w.islower())
    total = len(items)

    def rank(key: str) -> tuple[bool, float, int]:
        name = key not in lower or _mixed(spelling[key])
        rarity = math.log((1 + total) / (1 + document_frequency[key]))
        return (not name, -rarity, order[key])

    return [(spelling[key], phrase[key]) for key in sorted(order, key=rank)]


def _clip(text: str) -> str:
    text = " ".join(text.split()).rstrip(".")
    if len(text) <= MAX_PHRASE:
        return text
    return text[:MAX_PHRASE].rsplit(" ", 1)[0].rstrip(",;:-")


def _words(text: str) -> Iterable[str]:
    return (m.group(0) for m in WORD.finditer(text))


def _candidate(word: str) -> bool:
    letters = sum(c.isalpha() for c in word)
    return letters >= 3 or (letters >= 1 and _mixed(word))


def _mixed(word: str) -> bool:
    return any(c.isdigit() for c in word) and any(c.isalpha() for c in word)
