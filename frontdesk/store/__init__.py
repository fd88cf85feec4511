"""Storage: one factory chooses the backend from the database URL."""

from __future__ import annotations

from ..errors import InvalidInput
from .base import KnowledgeStore, PreparedItem, SyncPlan
from .sqlite import SQLiteStore


def open_store(url: str) -> SQLiteStore:
    """Open the store at ``url``: ``sqlite:///path/to/file.db`` (PostgreSQL will follow)."""
    if url.startswith("sqlite:///"):
        return SQLiteStore(url.removeprefix("sqlite:///") or ":memory:")
    if url == "sqlite://":
        return SQLiteStore(":memory:")
    scheme = url.split(":", 1)[0]
    raise InvalidInput(f"database URL scheme {scheme!r} is not supported yet; use sqlite:///PATH")


__all__ = ["KnowledgeStore", "PreparedItem", "SQLiteStore", "SyncPlan", "open_store"]
