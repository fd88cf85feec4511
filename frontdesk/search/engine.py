"""Hybrid search over one agent's knowledge.

Three candidate lists, all from the agent's in-memory index (search/index.py), are fused:
lexical (BM25 over language-aware stems), dense (cosine over the agent's vectors) and, when
the query names catalog options, the products that carry them. Fusion is by normalised score, not by rank alone: a strong exact match
on the product name keeps its lead over a crowd of loosely similar vectors, and a query in
another language, which matches few terms, leaves the ranking to the dense side. Shopper constraints then act on products:
a price bound filters, named options and "in stock" re-rank.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from datetime import datetime
from decimal import Decimal
from pathlib import Path

from ..config import Settings
from ..domain import Agent, Hit, StoredItem, effective_price, utcnow
from ..embed import Embedder, get_embedder
from ..log import get_logger
from ..store import KnowledgeStore
from .index import AgentIndex, IndexCache
from .query import Constraints, parse_constraints
from .text import detect_language, query_terms, snippet

log = get_logger(__name__)

CANDIDATES = 60
LEXICAL_WEIGHT = 0.5
DENSE_WEIGHT = 0.5
OPTION_BONUS = 0.2  # per catalog option the query names and the product has
STOCK_BONUS = 0.1


class SearchEngine:
    def __init__(self, store: KnowledgeStore, embedders: Callable[[str], Embedder] = get_embedder, *,
                 index_dir: Path | None = None, store_identity: str = "") -> None:
        self.store = store
        self.embedders = embedders
        self.indexes = IndexCache(store, index_dir, store_identity)

    @classmethod
    def for_settings(cls, store: KnowledgeStore, settings: Settings,
                     embedders: Callable[[str], Embedder] = get_embedder) -> SearchEngine:
        """The engine of a process with these settings: indexes kept under ``<home>/index``."""
        return cls(store, embedders, index_dir=settings.home / "index", store_identity=settings.resolved_database_url)

    def view(self, agent: Agent) -> AgentIndex:
        """The agent's current index (built or loaded on first use after its knowledge changed)."""
        return self.indexes.get(agent)

    def search(self, agent: Agent, query: str, limit: int = 10) -> list[Hit]:
        started = time.perf_counter()
        index = self.view(agent)
        constraints = parse_constraints(query, index.facets)
        languages = list(dict.fromkeys([detect_language(query, index.languages[0]), *index.languages]))
        text = constraints.text

        lexical = index.lexical.search(query_terms(text, languages), CANDIDATES) if index.lexical else []
        dense_scores: dict[int, float] = {}
        if index.dense is not None:
            vector = self.embedders(agent.embedder).embed([text])[0]
            dense_scores = index.dense.search(vector, CANDIDATES)

        fused = fuse(dict(lexical), dense_scores)
        if constraints.options:
            for item_id in index.options.products_with(constraints.options, CANDIDATES):
                fused.setdefault(item_id, 0.0)

        items = {item.id: item for item in self.store.get_items(list(fused))}
        now = utcnow()
        scored: list[tuple[float, StoredItem]] = []
        relevance: dict[int, float] = {}
        for item_id, score in fused.items():
            item = items.get(item_id)
            if item is None:
                continue
            if item.kind == "product" and constraints.any:
                relevance[item_id] = score
                adjusted = _apply_constraints(item, score, constraints, now)
                if adjusted is None:
                    continue
                score = adjusted
            scored.append((score, item))
        scored.sort(key=lambda pair: (-pair[0], pair[1].id))
        if constraints.in_stock and relevance:
            scored = _in_stock_first(scored, relevance, set(query_terms(text, languages)), YES_NO.match(query) is not None)
        hits = [
            Hit(item, score, snippet(item.text, text, languages) if item.kind == "document" else "")
            for score, item in _once_each(scored, limit)
        ]
        log.debug("search", agent=agent.name, ms=round((time.perf_counter() - started) * 1000, 1), hits=len(hits))
        return hits


#: Products at least this share of the best match's relevance count as what a shopping query
#: asks for ("grinders"): among them, those that meet its stock constraint go first.
RELEVANCE_BAND = 0.5


#: A question that asks yes or no (its verb comes first): "Is the X in stock?", "Habt ihr X auf Lager?".
YES_NO = re.compile(r"^\s*(?:is|are|do|does|have|has|can|could|ist|sind|habt|haben|hast|hat|gibt|führt|führen|"
                     r"kann|können|könnt)\b", re.I)


#: Passages sharing this share of their words are copies of one (a footer whose link list differs by a page).
NEAR_COPY = 0.8


def _once_each(scored: list[tuple[float, StoredItem]], limit: int) -> list[tuple[float, StoredItem]]:
    """Each passage once: a footer, sidebar or banner repeated on every page of a site is one
    passage, at its best-scored page; ten copies of it would fill the results and push out the
    passage that answers (the e-mail address in another footer column, a page's own text)."""
    kept: list[set[str]] = []
    out = []
    for score, item in scored:
        if item.kind == "document":
            words = set(item.text.casefold().split())
            if any(len(words & other) >= NEAR_COPY * len(words | other) for other in kept):
                continue
            kept.append(words)
        out.append((score, item))
        if len(out) == limit:
            break
    return out


def _in_stock_first(scored: list[tuple[float, StoredItem]], relevance: dict[int, float],
                    asked: set[str], yes_no: bool) -> list[tuple[float, StoredItem]]:
    """"Grinders in stock": every grinder about as relevant as the best one, those in stock first.

    A bonus alone let a better-matching product that is out of stock stay on top; a filter
    would hide the very product of "is the X in stock?". So a product the query names keeps its
    place: every word of its title is in the query, or, in a yes/no question, most of them."""
    top = max(relevance.values())
    share = 0.6 if yes_no else 1.0

    def key(pair: tuple[float, StoredItem]) -> tuple[int, float, int]:
        score, item = pair
        title = set(query_terms(item.title, [item.language or "en"]))
        named = bool(title) and len(title & asked) >= share * len(title)
        wanted = named or (relevance.get(item.id, 0.0) >= RELEVANCE_BAND * top
                           and item.fields.get("availability") == "in stock")
        return (0 if wanted else 1, -score, item.id)

    places = [i for i, (_, item) in enumerate(scored) if item.kind == "product"]  # documents keep their places
    products = sorted((scored[i] for i in places), key=key)
    out = list(scored)
    for place, pair in zip(places, products, strict=True):
        out[place] = pair
    return out


def fuse(lexical: dict[int, float], dense: dict[int, float]) -> dict[int, float]:
    """Weighted sum of max-normalised BM25 and range-normalised cosine scores, in [0, 1]."""
    fused: dict[int, float] = {}
    if lexical:
        top = max(lexical.values()) or 1.0
        for item_id, score in lexical.items():
            fused[item_id] = LEXICAL_WEIGHT * max(score, 0.0) / top
    if dense:
        high, low = max(dense.values()), min(dense.values())
        spread = (high - low) or 1.0
        for item_id, score in dense.items():
            fused[item_id] = fused.get(item_id, 0.0) + DENSE_WEIGHT * (score - low) / spread
    return fused


def _apply_constraints(item: StoredItem, score: float, constraints: Constraints, now: datetime) -> float | None:
    """The product's score under the shopper's constraints, or None when a price bound excludes it."""
    fields = item.fields
    price_text = effective_price(fields, now)
    if constraints.min_price is not None or constraints.max_price is not None:
        if price_text is None:
            return None
        price = Decimal(str(price_text))
        if constraints.max_price is not None and price > constraints.max_price:
            return None
        if constraints.min_price is not None and price < constraints.min_price:
            return None
    options = {k: str(v).casefold() for k, v in fields.get("options", {}).items()}
    if fields.get("brand"):
        options["brand"] = str(fields["brand"]).casefold()
    for facet, wanted in constraints.options.items():
        if options.get(facet) in wanted:
            score += OPTION_BONUS
        elif facet in options:
            score -= OPTION_BONUS / 2
    if constraints.in_stock:
        score += STOCK_BONUS if fields.get("availability") == "in stock" else -2 * STOCK_BONUS
    return score
