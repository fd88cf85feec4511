"""The library's front: one object that owns the store and the services built on it.

The CLI, and later the HTTP server and the messaging webhooks, are thin clients of this.
"""

from __future__ import annotations

from typing import Any

from .answer import Answer, Responder
from .config import Settings
from .domain import Agent, Hit, Source, SourceKind, SyncSummary
from .embed import EMBEDDERS
from .errors import InvalidInput
from .ingest.pipeline import Ingestor, Progress
from .llm import get_model
from .search.engine import SearchEngine
from .store import SQLiteStore, open_store


class Frontdesk:
    def __init__(self, settings: Settings, store: SQLiteStore | None = None) -> None:
        self.settings = settings
        self.store = store or open_store(settings.resolved_database_url)
        self.search_engine = SearchEngine(self.store)
        self._responders: dict[str, Responder] = {}

    def close(self) -> None:
        self.store.close()

    # agents
    def create_agent(self, name: str, *, persona: str = "", instructions: str = "",
                     embedder: str | None = None) -> Agent:
        embedder = embedder or self.settings.embedder
        if embedder not in EMBEDDERS:
            raise InvalidInput(f"unknown embedder {embedder!r}; choose one of: {', '.join(EMBEDDERS)}")
        return self.store.create_agent(name, persona=persona, instructions=instructions, embedder=embedder)

    def agent(self, name: str) -> Agent:
        return self.store.get_agent(name)

    # sources
    def ingestor(self, progress: Progress | None = None) -> Ingestor:
        return Ingestor(self.store, self.settings, progress)

    def add_source(self, agent_name: str, location: str, *, kind: SourceKind | None = None,
                   options: dict[str, Any] | None = None, sync_interval: int | None = None,
                   progress: Progress | None = None) -> SyncSummary:
        agent = self.agent(agent_name)
        return self.ingestor(progress).add(agent, location, kind=kind, options=options, sync_interval=sync_interval)

    def sync(self, agent_name: str, refs: list[str] | None = None, *, only_due: bool = False,
             progress: Progress | None = None) -> list[SyncSummary]:
        agent = self.agent(agent_name)
        ingestor = self.ingestor(progress)
        if refs:
            return [ingestor.sync(agent, self.store.get_source(agent.id, ref)) for ref in refs]
        return ingestor.sync_all(agent, only_due=only_due)

    def sources(self, agent_name: str) -> list[Source]:
        return self.store.list_sources(self.agent(agent_name).id)

    def remove_source(self, agent_name: str, ref: str) -> int:
        agent = self.agent(agent_name)
        return self.store.remove_source(self.store.get_source(agent.id, ref))

    # search
    def search(self, agent_name: str, query: str, limit: int = 10) -> list[Hit]:
        if not query.strip():
            raise InvalidInput("the query is empty")
        if limit < 1:
            raise InvalidInput("--limit must be at least 1")
        return self.search_engine.search(self.agent(agent_name), query, limit)

    # answers
    def responder(self, model: str | None = None) -> Responder:
        """The responder for ``model`` (the configured one by default), loading the model once."""
        name = model or self.settings.model
        if name not in self._responders:
            self._responders[name] = Responder(self.store, self.search_engine, self.settings,
                                               get_model(self.settings, name))
        return self._responders[name]

    def start_conversation(self, agent_name: str, channel: str = "cli", external_id: str | None = None) -> int:
        return self.store.create_conversation(self.agent(agent_name).id, channel, external_id)

    def ask(self, agent_name: str, question: str, *, conversation_id: int | None = None,
            model: str | None = None) -> Answer:
        return self.responder(model).answer(self.agent(agent_name), question, conversation_id)
