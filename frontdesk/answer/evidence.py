"""Choosing the evidence for an answer: the few sentences and products that bear on a question.

Passages are cut into sentences and each is scored by how many of the question's words it
(or its page and section heading) contains, in any of the agent's languages, plus its dense
similarity to the question, which carries a German question to English text. Only the best
few sentences reach the model: small prompts keep a 1.5B model quick on 2 cores, and the
answer check has less to hide behind.
"""

from __future__ import annotations

import re
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import date

import numpy as np

from ..domain import StoredItem, effective_price, utcnow
from ..embed import Embedder
from ..safety.injection import evidence_sentences, is_injection  # noqa: F401 - is_injection: kept for callers
from ..search.text import is_stopword, join_abbreviations, stems, tokens
from .dates import find_dates
from .glossary import translations

_SENTENCE = re.compile(r"\n+|(?<=\D[.!?])\s+(?=[A-ZÄÖÜ0-9\"'(])")
AVAILABILITY = {
    "en": {"in stock": "in stock", "out of stock": "out of stock", "preorder": "available for pre-order",
           "backorder": "on backorder"},
    "de": {"in stock": "auf Lager", "out of stock": "nicht auf Lager", "preorder": "vorbestellbar",
           "backorder": "im Rückstand, wird nachgeliefert"},
}


def split_sentences(text: str) -> list[str]:
    """Sentences and lines of ``text``; a full stop after an abbreviation ("Tel. 0341 …") ends none."""
    out: list[str] = []
    for line in re.split(r"\n+", text):
        out += join_abbreviations(s for s in _SENTENCE.split(line) if s and s.strip())
    return out


_QUESTION_NOISE = frozenset("viel viele wieviel much many long lange ihr euch habt hast please bitte".split())


def content_words(text: str) -> list[str]:
    return [t for t in tokens(text) if not is_stopword(t) and t not in _QUESTION_NOISE]


class Matcher:
    """Which of a question's words a text contains, comparing stems in each language."""

    def __init__(self, question: str, languages: list[str]) -> None:
        self.languages = languages
        self.words = list(dict.fromkeys(content_words(question)))
        self._forms = []
        for word in self.words:
            variants = [word, *translations(word)]
            self._forms.append({*variants, *(s for lang in languages for s in stems(variants, lang))})

    def _bag(self, text: str) -> set[str]:
        words = tokens(text)
        bag = set(words)
        for language in self.languages:
            bag.update(stems(words, language))
        return bag

    def coverage(self, text: str, context: str = "") -> float:
        """Share of the question's words in ``text``; a word found only in ``context`` (the page
        and section heading) counts three quarters."""
        if not self.words:
            return 0.0
        own, around = self._bag(text), self._bag(context) if context else set()
        long_own = [t for t in own if len(t) >= 4]
        total = 0.0
        for word, forms in zip(self.words, self._forms, strict=True):
            if forms & own:
                total += 1.0
            elif len(word) >= 8 and any(word.startswith(t) or word.endswith(t) for t in long_own):
                total += 0.75  # a German compound: "Filterkaffee" meets "filter"
            elif forms & around:
                total += 0.75
        return total / len(self.words)


@dataclass
class Evidence:
    """One numbered piece of evidence: some sentences of a passage, or one product."""

    item: StoredItem
    sentences: list[str]
    coverage: float
    similarity: float
    number: int = 0
    fields: dict[str, str] = field(default_factory=dict)

    @property
    def is_product(self) -> bool:
        return self.item.kind == "product"

    @property
    def score(self) -> float:
        return self.coverage + 0.5 * self.similarity

    def label(self) -> str:
        title = self.item.title.split(" – ")
        return " – ".join(dict.fromkeys([title[0], title[-1]])) if len(title) > 1 else self.item.title

    def text(self) -> str:
        return " ".join(self.sentences)


class SentenceVectors:
    """Embeddings of sentences, kept for reuse (the same pages answer many questions)."""

    def __init__(self, embedder: Embedder, capacity: int = 20_000) -> None:
        self.embedder = embedder
        self.capacity = capacity
        self._cache: OrderedDict[str, np.ndarray] = OrderedDict()

    def __call__(self, texts: list[str]) -> np.ndarray:
        missing = [t for t in dict.fromkeys(texts) if t not in self._cache]
        if missing:
            for text, vector in zip(missing, self.embedder.embed(missing), strict=True):
                self._cache[text] = vector
            while len(self._cache) > self.capacity:
                self._cache.popitem(last=False)
        for text in texts:
            self._cache.move_to_end(text)
        return np.stack([self._cache[t] for t in texts]) if texts else np.zeros((0, 1), dtype=np.float32)


def product_facts(item: StoredItem, language: str) -> tuple[str, dict[str, str]]:
    """A product's card as one sentence of evidence, and its price fields as the answer shows them."""
    f = item.fields
    price, regular, currency = effective_price(f, utcnow()), f.get("price"), f.get("currency") or ""
    availability = f.get("availability") or ""
    shown_availability = AVAILABILITY["de" if language == "de" else "en"].get(availability, availability)
    parts = [f"Product: {item.title}."]
    if price is not None:
        on_sale = regular is not None and str(price) != str(regular)
        if language == "de":
            parts.append(f"Preis: {price} {currency}" + (f" (Angebot, sonst {regular} {currency})." if on_sale else "."))
        else:
            parts.append(f"Price: {price} {currency}" + (f" (sale price; regular price {regular} {currency})." if on_sale else "."))
    if shown_availability:
        parts.append(("Verfügbarkeit: " if language == "de" else "Availability: ") + shown_availability + ".")
    options = {k: v for k, v in (f.get("options") or {}).items() if str(v).casefold() not in item.title.casefold()}
    if options:
        parts.append("; ".join(f"{k}: {v}" for k, v in options.items()) + ".")
    return " ".join(parts), {"price": str(price) if price is not None else "", "currency": currency,
                             "availability": shown_availability, "regular": str(regular or "")}


@dataclass
class ScoredPassage:
    """A passage's sentences, each scored against the question: (coverage, similarity, index)."""

    item: StoredItem
    sentences: list[str]
    scored: list[tuple[float, float, int]]

    def evidence(self, indices: list[int]) -> Evidence:
        """These sentences as evidence, in the page's order, scored as the best of them."""
        by_index = {i: (c, sim) for c, sim, i in self.scored}
        best = max(indices, key=lambda i: by_index[i][0] + 0.5 * by_index[i][1])
        return Evidence(self.item, [self.sentences[i] for i in sorted(indices)], *by_index[best])


def score_passage(item: StoredItem, matcher: Matcher, question_vector: np.ndarray, vectors: SentenceVectors,
                  upcoming_after: date | None = None, wants_figure: bool = False) -> ScoredPassage | None:
    """Every sentence of the passage scored for the question, best first; with ``upcoming_after`` (a
    "when" question), sentences that give a date still to come score higher; with ``wants_figure``
    (where, how much, how long), sentences that hold a number (an address, a price, a duration)."""
    lines = split_sentences(item.text)
    if not lines:
        return None
    heading = lines[0] if len(lines) > 1 and len(lines[0]) < 80 and not lines[0].endswith(".") else ""
    sentences = evidence_sentences(item, lines[1:] if heading else lines)  # without injected sentences (issue 18)
    if not sentences:
        return None
    context = f"{item.title} {heading}"
    similarity = vectors(sentences) @ question_vector
    scored = []
    for i, (sentence, sim) in enumerate(zip(sentences, similarity, strict=True)):
        coverage = matcher.coverage(sentence, context)
        if upcoming_after is not None and any(m.day >= upcoming_after for m in find_dates(sentence, upcoming_after, future_bias=False)):
            coverage = min(1.0, coverage + 0.5)
        if wants_figure and re.search(r"\d", sentence):
            sim += 0.3
        scored.append((coverage, float(sim), i))
    scored.sort(key=lambda t: -(t[0] + 0.5 * t[1]))
    return ScoredPassage(item, sentences, scored)


def pooled_evidence(passages: list[ScoredPassage], sentences: int, most_passages: int | None = None,
                    band: float = 0.0) -> list[Evidence]:
    """The ``sentences`` best sentences over all the passages, not the best few of each: a
    question's answer is often one sentence of a passage whose other sentences are about
    something else. Only sentences scoring at least ``band`` times the best one's; grouped
    back into (at most ``most_passages``) passages, best first."""
    pool = sorted(((c + 0.5 * sim, rank, i) for rank, p in enumerate(passages) for c, sim, i in p.scored),
                  key=lambda t: (-t[0], t[1]))
    picked: dict[int, list[int]] = {}
    for score, rank, i in pool:
        if score < band * pool[0][0]:
            break
        if most_passages is not None and len(picked) >= most_passages and rank not in picked:
            continue
        picked.setdefault(rank, []).append(i)
        if sum(map(len, picked.values())) >= sentences:
            break
    return [passages[rank].evidence(indices) for rank, indices in picked.items()]
