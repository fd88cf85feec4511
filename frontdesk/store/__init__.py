"""Storage: one factory chooses the backend from the database URL."""

from __future__ import annotations

from ..errors import InvalidInput
from .base import (
    AccountStore,
    ChannelStore,
    ConversationStore,
    EvaluationStore,
    KnowledgeStore,
    PreparedItem,
    Store,
    SyncPlan,
)
from .sqlite import SQLiteStore


def open_store(url: str) -> Store:
    """Open the store at ``url``: ``sqlite:///path/to/file.db`` (the default) or
    ``postgresql://user@host:5432/database`` (needs the ``psycopg`` package: ``pip install frontdesk[scale]``)."""
    if url.startswith("sqlite:///"):
        return SQLiteStore(url.removeprefix("sqlite:///") or ":memory:")
    if url == "sqlite://":
        return SQLiteStore(":memory:")
    if url.startswith(("postgresql://", "postgres://")):
        try:
            from .postgres import PostgresStore
        except ImportError as exc:  # psycopg missing
            raise InvalidInput(f"a PostgreSQL database needs the psycopg package ({exc}); "
                               "install frontdesk[scale]") from None
        return PostgresStore(url)
    scheme = url.split(":", 1)[0]
    raise InvalidInput(f"database URL scheme {scheme!r} is not supported; use sqlite:///PATH or postgresql://…")


__all__ = ["AccountStore", "ChannelStore", "ConversationStore", "EvaluationStore", "KnowledgeStore",
           "PreparedItem", "SQLiteStore", "Store", "SyncPlan", "open_store"]
