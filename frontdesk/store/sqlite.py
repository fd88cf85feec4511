"""SQLite backend: the embedded default (one file, no server).

WAL journal, one writer at a time (``BEGIN IMMEDIATE``), one connection behind a lock. Each
agent's lexical terms live in its own FTS5 table (``fts_<agent id>``), so a read for one agent
cannot even see another agent's rows. The statements themselves are shared with PostgreSQL
(:mod:`frontdesk.store.sql`).
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from .privacy_tables import private_file
from .sql import SQLStore


class SQLiteStore(SQLStore):
    backend = "sqlite"
    dialect = ""  # migrations/*.sql
    like = "LIKE"
    integrity_errors = (sqlite3.IntegrityError,)

    def __init__(self, path: str | Path) -> None:
        self.path = str(path)
        if self.path != ":memory:":
            private_file(Path(self.path))  # transcripts and phone numbers: the owner's alone
        self._db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        self._db.row_factory = sqlite3.Row
        self._lock = threading.RLock()
        for pragma in ("journal_mode=WAL", "synchronous=NORMAL", "foreign_keys=ON", "busy_timeout=15000"):
            self._db.execute(f"PRAGMA {pragma}")
        self._migrate()

    def _migrate(self) -> None:
        """SQLite's way to change a table (https://www.sqlite.org/lang_altertable.html): foreign keys
        off around the migrations (a rebuilt table's DROP must not cascade), checked before commit."""
        with self._lock:
            self._db.execute("PRAGMA foreign_keys=OFF")
            try:
                super()._migrate()
            finally:
                self._db.execute("PRAGMA foreign_keys=ON")

    def _check_foreign_keys(self, db: Any) -> None:
        broken = db.execute("PRAGMA foreign_key_check").fetchall()
        if broken:
            raise RuntimeError(f"a migration left rows that break foreign keys: {[tuple(r) for r in broken[:5]]}")

    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:  # type: ignore[override]
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:  # Ctrl-C included: never leave half a write behind
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    def _query(self, sql: str, params: Sequence[Any] = ()) -> list[Any]:
        with self._lock:
            return self._db.execute(sql, params).fetchall()

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def _json_text(self, column: str, key: str) -> str:
        return f"json_extract({column}, '$.{key}')"

    def _json_flag(self, column: str, key: str) -> str:
        return f"json_extract({column}, '$.{key}')"  # JSON true/false read as 1/0

    @staticmethod
    def _fts(agent_id: int) -> str:
        return f"fts_{int(agent_id)}"

    def _create_terms(self, db: Any, agent_id: int) -> None:
        fts = self._fts(agent_id)
        db.execute(f"CREATE VIRTUAL TABLE {fts} USING fts5(title, body, tokenize='unicode61 remove_diacritics 2')")
        db.execute(f"INSERT INTO {fts} ({fts}, rank) VALUES ('rank', 'bm25(3.0, 1.0)')")

    def _drop_terms(self, db: Any, agent_id: int) -> None:
        db.execute(f"DROP TABLE IF EXISTS {self._fts(agent_id)}")

    def _write_terms(self, db: Any, agent_id: int, item_id: int, title: str, body: str) -> None:
        db.execute(f"INSERT INTO {self._fts(agent_id)} (rowid, title, body) VALUES (?, ?, ?)", (item_id, title, body))

    def _delete_terms(self, db: Any, agent_id: int, ids: Sequence[int]) -> None:
        db.executemany(f"DELETE FROM {self._fts(agent_id)} WHERE rowid = ?", ((i,) for i in ids))

    def agent_terms(self, agent_id: int) -> list[tuple[int, str, str]]:
        fts = self._fts(agent_id)
        try:
            return [(r[0], r[1], r[2]) for r in self._query(f"SELECT rowid, title, body FROM {fts} ORDER BY rowid")]
        except sqlite3.OperationalError:  # an agent that never had an item has no table yet
            return []

    def database_size(self) -> int:
        self._query("PRAGMA wal_checkpoint(TRUNCATE)")
        page_count = self._query("PRAGMA page_count")[0][0]
        page_size = self._query("PRAGMA page_size")[0][0]
        return int(page_count * page_size)


__all__ = ["SQLiteStore"]
