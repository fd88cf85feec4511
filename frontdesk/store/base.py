"""The knowledge-store seam.

A store keeps agents, their sources and the items read from those sources, each
agent's lexical index and its vectors. ``SQLiteStore`` is the implementation today;
a PostgreSQL one must pass the same conformance tests (``tests/test_store.py``).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

import numpy as np

from ..domain import Agent, Record, Source, StoredItem


@dataclass(frozen=True)
class PreparedItem:
    """A record ready to be written: its hashes and the terms the lexical index stores."""

    record: Record
    hash: str
    embed_hash: str
    title_terms: str
    body_terms: str


@dataclass(frozen=True)
class SyncPlan:
    """What one sync of one source changes, applied atomically by :meth:`KnowledgeStore.apply_sync`."""

    source_id: int
    upserts: Sequence[PreparedItem]  # new or changed items
    seen_keys: Sequence[str]  # unchanged items, whose last_seen moves to now
    removed_keys: Sequence[str]
    now: datetime
    status: str
    summary: dict[str, int]
    errors: Sequence[str]


@dataclass(frozen=True)
class Message:
    id: int
    conversation_id: int
    role: str  # "user" or "assistant"
    text: str
    payload: dict[str, Any]
    created_at: datetime


class KnowledgeStore(Protocol):
    # agents
    def create_agent(self, name: str, *, persona: str, instructions: str, embedder: str) -> Agent: ...
    def update_agent(self, name: str, **changes: Any) -> Agent: ...
    def get_agent(self, name: str) -> Agent: ...
    def list_agents(self) -> list[Agent]: ...
    def delete_agent(self, name: str) -> None: ...
    def agent_stats(self, agent_id: int) -> dict[str, int]: ...

    # sources
    def add_source(self, agent_id: int, kind: str, location: str, options: dict[str, Any],
                   sync_interval: int | None) -> Source: ...
    def get_source(self, agent_id: int, ref: str) -> Source: ...
    def list_sources(self, agent_id: int) -> list[Source]: ...
    def remove_source(self, source: Source) -> int: ...
    def item_hashes(self, source_id: int) -> dict[str, str]: ...
    def apply_sync(self, plan: SyncPlan) -> None: ...
    def record_failed_sync(self, source_id: int, now: datetime, errors: Sequence[str]) -> None: ...
    def items_of_agent(self, agent_id: int, kind: str | None = None) -> list[StoredItem]: ...

    # embeddings
    def cached_embeddings(self, embedder: str, hashes: Iterable[str]) -> dict[str, np.ndarray]: ...
    def cache_embeddings(self, embedder: str, vectors: dict[str, np.ndarray]) -> None: ...

    # conversations
    def create_conversation(self, agent_id: int, channel: str = "cli", external_id: str | None = None) -> int: ...
    def add_message(self, conversation_id: int, role: str, text: str, payload: dict[str, Any] | None = None) -> int: ...
    def recent_messages(self, conversation_id: int, limit: int) -> list[Message]: ...

    # search
    def agent_revision(self, agent_id: int) -> int: ...
    def lexical_search(self, agent_id: int, terms: Sequence[str], limit: int) -> list[tuple[int, float]]: ...
    def agent_vectors(self, agent_id: int, embedder: str) -> tuple[np.ndarray, np.ndarray]: ...
    def get_items(self, ids: Sequence[int]) -> list[StoredItem]: ...
    def product_facets(self, agent_id: int) -> dict[str, set[str]]: ...
    def agent_languages(self, agent_id: int) -> list[str]: ...
    def products_with_options(self, agent_id: int, options: dict[str, set[str]], limit: int) -> list[int]: ...

    def close(self) -> None: ...
