"""Adding and syncing sources: read, compare by content hash, embed what changed, apply atomically.

A sync never leaves half a source behind. Vectors are computed before the write and kept
in the store's embedding cache as they are made, so an interrupted ingest resumes without
re-embedding; the items themselves change in one transaction at the end.
"""

from __future__ import annotations

import hashlib
import os
import socket
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Protocol

from ..config import Settings
from ..domain import Agent, ItemError, Record, Source, SourceKind, SyncSummary, utcnow
from ..embed import Embedder, get_embedder
from ..errors import AlreadyExists, InvalidInput, ReadError
from ..log import get_logger
from ..safety.injection import mark_records as mark_injections
from ..safety.network import PrivateAddress, check_public_url
from ..search.text import detect_language, index_terms
from ..store import KnowledgeStore, PreparedItem, SyncPlan
from .sources import detect_kind, is_url, normalise_location, read_file, read_source

log = get_logger(__name__)

EMBED_BATCH = 256
SYNC_LEASE = 3600.0  # seconds: a sync whose process died blocks the source's next sync at most this long
EMBED_TEXT_CHARS = 2000


class Progress(Protocol):
    """Where long work reports how far it got (the CLI draws a bar; the server will stream it)."""

    def stage(self, description: str, total: int | None = None) -> None: ...
    def advance(self, amount: int = 1) -> None: ...


class NoProgress:
    def stage(self, description: str, total: int | None = None) -> None:
        pass

    def advance(self, amount: int = 1) -> None:
        pass


def embed_text(record: Record) -> str:
    text = record.text if record.text.startswith(record.title) else f"{record.title}\n{record.text}"
    return text[:EMBED_TEXT_CHARS]


def embed_hash(embedder_name: str, text: str) -> str:
    return hashlib.sha256(f"{embedder_name}\0{text}".encode()).hexdigest()


class Ingestor:
    def __init__(self, store: KnowledgeStore, settings: Settings, progress: Progress | None = None,
                 embedders: Callable[[str], Embedder] = get_embedder) -> None:
        self.store = store
        self.settings = settings
        self.progress = progress or NoProgress()
        self.embedders = embedders

    # -- adding -----------------------------------------------------------------------------

    def add(self, agent: Agent, location: str, *, kind: SourceKind | None = None,
            options: dict[str, Any] | None = None, sync_interval: int | None = None) -> SyncSummary:
        """Register ``location`` as a source of ``agent`` and read it for the first time.

        A source an interrupted ``add`` left registered but never read is read now (re-running
        the command finishes it); one that was read is AlreadyExists (``sources sync`` it)."""
        try:
            source = self.register(agent, location, kind=kind, options=options, sync_interval=sync_interval)
        except AlreadyExists:
            source = self._never_read(agent, location)
            if source is None:
                raise
            log.info("finishing a source an interrupted add left unread", source=source.location)
        return self.sync(agent, source)

    def _never_read(self, agent: Agent, location: str) -> Source | None:
        location = normalise_location(location)
        return next((s for s in self.store.list_sources(agent.id)
                     if s.location == location and s.last_synced_at is None), None)

    def register(self, agent: Agent, location: str, *, kind: SourceKind | None = None,
                 options: dict[str, Any] | None = None, sync_interval: int | None = None) -> Source:
        """Record ``location`` as a source of ``agent`` without reading it yet."""
        location = normalise_location(location)
        if is_url(location) and not self.settings.allow_private_urls:
            try:
                check_public_url(location)
            except PrivateAddress as exc:
                raise InvalidInput(f"cannot add {location}: {exc.reason}") from None
        options = dict(options or {})
        if kind:
            options["forced_kind"] = kind
        detected = kind or self._kind_of(location)
        return self.store.add_source(agent.id, detected, location, options, sync_interval)

    def _kind_of(self, location: str) -> SourceKind:
        """The kind recorded for a new source (a folder or web site holds documents)."""
        if is_url(location):
            return "docs"
        path = Path(location)
        if path.is_dir():
            return "docs"
        try:
            return detect_kind(read_file(path, self.settings))
        except ReadError:
            return "docs"  # the sync reports the reason with the file's name

    # -- syncing ----------------------------------------------------------------------------

    def sync_all(self, agent: Agent, only_due: bool = False) -> list[SyncSummary]:
        now = utcnow()
        return [self.sync(agent, s) for s in self.store.list_sources(agent.id) if not only_due or s.is_due(now)]

    def sync(self, agent: Agent, source: Source) -> SyncSummary:
        """Read the source again and apply what changed. One process at a time syncs a source
        (several servers or cron jobs on one database): another one's sync in progress skips it."""
        worker = f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident()}"
        if not self.store.claim_sync(source.id, worker, SYNC_LEASE):
            log.info("source is being synced elsewhere; skipped", source=source.location)
            return SyncSummary(source_id=source.id, location=source.location, errors=[
                ItemError(source.location, "another process is syncing this source right now; skipped")])
        try:
            return self._sync(agent, source)
        finally:
            self.store.release_sync(source.id, worker)

    def _sync(self, agent: Agent, source: Source) -> SyncSummary:
        started = time.perf_counter()
        summary = SyncSummary(source_id=source.id, location=source.location)
        records: list[Record] = []
        self.progress.stage(f"reading {source.location}")
        limit = self.settings.max_source_items
        try:
            for item in read_source(source, self.settings):
                if isinstance(item, ItemError):
                    summary.errors.append(item)
                elif len(records) >= limit:
                    summary.errors.append(ItemError(source.location, f"holds more than {limit} items; the rest "
                                                    "were not read (FRONTDESK_MAX_SOURCE_ITEMS)"))
                    break
                else:
                    records.append(item)
                self.progress.advance()
        except (ReadError, Exception) as exc:  # noqa: BLE001 - one source's failure never stops the others
            if not isinstance(exc, ReadError):
                log.warning("source failed", source=source.location, error=repr(exc)[:300])
                exc = ReadError(f"could not be read ({exc.__class__.__name__})")
            error = ItemError(source.location, exc.reason, exc.where)
            summary.errors.append(error)
            summary.failed = 1
            self.store.record_failed_sync(source.id, utcnow(), [str(error)])
            summary.seconds = time.perf_counter() - started
            log.warning("source unreadable", source=source.location, reason=exc.reason)
            return summary
        self._fill_catalog_language(records, source.options.get("language"))
        mark_injections(records)  # sentences that instruct a machine: kept, flagged, never evidence (issue 18)
        embedder = self.embedders(agent.embedder)
        old = self.store.item_hashes(source.id)
        upserts: list[tuple[Record, str]] = []  # with its content hash
        seen: list[str] = []
        keys: set[str] = set()
        for record in records:
            keys.add(record.key)
            content_hash = record.content_hash()
            if old.get(record.key) == content_hash:
                seen.append(record.key)
            else:
                upserts.append((record, content_hash))
                if record.key in old:
                    summary.updated += 1
                else:
                    summary.added += 1
        summary.unchanged = len(seen)
        failed_keys = {e.key for e in summary.errors if e.key}
        removed = [k for k in old if k not in keys and not self._kept_by_failure(k, failed_keys)]
        summary.removed = len(removed)
        summary.failed = len(summary.errors)
        prepared = self._prepare(upserts, embedder)
        status = "ok" if not summary.errors else "partial"
        plan = SyncPlan(source_id=source.id, upserts=prepared, seen_keys=seen, removed_keys=removed, now=utcnow(),
                        status=status, summary=summary.counts(), errors=[str(e) for e in summary.errors[:200]])
        self.progress.stage(f"saving {len(prepared)} changed items")
        self.store.apply_sync(plan)
        summary.seconds = time.perf_counter() - started
        log.info("source synced", source=source.location, **summary.counts(), seconds=round(summary.seconds, 2))
        return summary

    @staticmethod
    def _kept_by_failure(key: str, failed_keys: set[str]) -> bool:
        """An item whose file, page or row failed this time keeps its previous version."""
        return key in failed_keys or key.split("#", 1)[0] in failed_keys

    @staticmethod
    def _fill_catalog_language(records: list[Record], language: str | None) -> None:
        products = [r for r in records if r.kind == "product"]
        if not products:
            return
        if not language:
            sample = " ".join(r.text for r in products[:60])
            language = detect_language(sample)
        for record in products:
            record.language = language

    def _prepare(self, upserts: Sequence[tuple[Record, str]], embedder: Embedder) -> list[PreparedItem]:
        records = [record for record, _ in upserts]
        texts = [embed_text(r) for r in records]
        hashes = [embed_hash(embedder.name, t) for t in texts]
        cached = self.store.cached_embeddings(embedder.name, hashes)
        missing: dict[str, str] = {}
        for h, t in zip(hashes, texts, strict=True):
            if h not in cached and h not in missing:
                missing[h] = t
        if missing:
            self.progress.stage(f"embedding {len(missing)} items", total=len(missing))
            pending = list(missing.items())
            for start in range(0, len(pending), EMBED_BATCH):
                batch = pending[start : start + EMBED_BATCH]
                vectors = embedder.embed([t for _, t in batch])
                self.store.cache_embeddings(embedder.name, {h: v for (h, _), v in zip(batch, vectors, strict=True)})
                self.progress.advance(len(batch))
        self.progress.stage(f"indexing {len(records)} items", total=len(records))
        prepared = []
        for (record, content_hash), h in zip(upserts, hashes, strict=True):
            extra = ""
            if record.kind == "product":
                options = record.fields.get("options", {})
                extra = " ".join(str(v) for v in options.values())
            prepared.append(PreparedItem(
                record=record, hash=content_hash, embed_hash=h,
                title_terms=index_terms(f"{record.title} {extra}", record.language),
                body_terms=index_terms(record.text, record.language),
            ))
        self.progress.advance(len(records))
        return prepared


