"""PostgreSQL backend: for several server processes, on one or several hosts, on one database.

``psycopg`` 3 with a connection pool (``psycopg_pool``). Every statement is the one SQLite runs
(:mod:`frontdesk.store.sql`); this module adapts the parameters (``?`` to ``%s``), gives rows the
same by-name-or-position access, and keeps the lexical terms in one ``item_terms`` table (SQLite
keeps them in FTS5). A statement inside a transaction runs on the transaction's connection, so
a read right after a write in the same ``_tx`` sees it. Queue claims add ``FOR UPDATE SKIP
LOCKED`` (:mod:`frontdesk.store.channel_tables`).

The schema is the connection's ``search_path`` (``?options=-csearch_path%3Dname`` in the URL),
so one database can hold several isolated installations (the tests use one schema each).
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from ..errors import StoreUnavailable
from ..log import get_logger
from .sql import Row, SQLStore

log = get_logger(__name__)

_PARAM = re.compile(r"'[^']*'|\?|%")  # string literals are kept as they are


def _translate(sql: str) -> str:
    """SQLite's ``?`` parameters as psycopg's ``%s`` (and a literal ``%`` doubled)."""
    return _PARAM.sub(lambda m: "%s" if m.group() == "?" else ("%%" if m.group() == "%" else m.group()), sql)


class _Cursor:
    def __init__(self, cursor: Any) -> None:
        self._cursor = cursor
        self.rowcount = cursor.rowcount

    def fetchone(self) -> Any:
        return self._cursor.fetchone()

    def fetchall(self) -> list[Any]:
        return self._cursor.fetchall() if self._cursor.description else []

    def __iter__(self) -> Iterator[Any]:
        return iter(self.fetchall())


class _Connection:
    """What the shared SQL calls on a connection (``execute``, ``executemany``), on psycopg."""

    def __init__(self, conn: Any) -> None:
        self._conn = conn

    def execute(self, sql: str, params: Sequence[Any] = ()) -> _Cursor:
        cursor = self._conn.cursor()
        cursor.execute(_translate(sql), tuple(params))
        return _Cursor(cursor)

    def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        rows = [tuple(r) for r in rows]
        if rows:
            with self._conn.cursor() as cursor:
                cursor.executemany(_translate(sql), rows)


def _rows(cursor: Any) -> Any:
    names = {d.name: i for i, d in enumerate(cursor.description or ())}
    return lambda values: Row(names, values)


class PostgresStore(SQLStore):
    backend = "postgresql"
    dialect = "postgresql"
    like = "ILIKE"
    instr = "strpos"
    skip_locked = " FOR UPDATE SKIP LOCKED"

    def __init__(self, url: str, *, pool_size: int = 8) -> None:
        import psycopg
        from psycopg_pool import ConnectionPool

        self.url = url
        self.integrity_errors = (psycopg.IntegrityError,)
        self._operational = (psycopg.OperationalError, psycopg.InterfaceError)
        self._local = threading.local()
        try:
            self._pool = ConnectionPool(url, min_size=1, max_size=pool_size, open=True, timeout=30,
                                        kwargs={"autocommit": True, "row_factory": _rows},
                                        name="frontdesk")
            self._pool.wait(timeout=30)
        except Exception as exc:
            raise StoreUnavailable(f"cannot connect to PostgreSQL at {_redacted(url)}: {exc}") from None
        with self._pool.connection() as conn:  # one migration at a time, whichever process starts first
            conn.execute("SELECT pg_advisory_lock(hashtext(current_schema()))")
            try:
                self._migrate()
            finally:
                conn.execute("SELECT pg_advisory_unlock(hashtext(current_schema()))")

    @contextmanager
    def _tx(self) -> Iterator[_Connection]:
        current = getattr(self._local, "conn", None)
        if current is not None:  # nested: a savepoint on the same connection
            with current.transaction():
                yield _Connection(current)
            return
        with self._pool.connection() as conn:
            self._local.conn = conn
            try:
                with conn.transaction():
                    yield _Connection(conn)
            finally:
                self._local.conn = None

    def _query(self, sql: str, params: Sequence[Any] = ()) -> list[Any]:
        current = getattr(self._local, "conn", None)
        if current is not None:
            return _Connection(current).execute(sql, params).fetchall()
        with self._pool.connection() as conn:
            return _Connection(conn).execute(sql, params).fetchall()

    def close(self) -> None:
        self._pool.close()

    def ping(self) -> None:
        try:
            self._query("SELECT 1")
        except self._operational as exc:
            raise StoreUnavailable(f"PostgreSQL does not answer: {exc}") from None

    def _json_text(self, column: str, key: str) -> str:
        return f"({column}::jsonb ->> '{key}')"

    def _json_flag(self, column: str, key: str) -> str:
        value = f"({column}::jsonb -> '{key}')"
        return (f"(CASE jsonb_typeof({value}) WHEN 'boolean' THEN CASE WHEN {value} = 'true'::jsonb THEN 1 ELSE 0 END "
                f"WHEN 'number' THEN ({value} #>> '{{}}')::numeric END)")

    def _write_terms(self, db: Any, agent_id: int, item_id: int, title: str, body: str) -> None:
        db.execute("INSERT INTO item_terms (item_id, agent_id, title, body) VALUES (?, ?, ?, ?)",
                   (item_id, agent_id, title, body))

    def _delete_terms(self, db: Any, agent_id: int, ids: Sequence[int]) -> None:
        db.executemany("DELETE FROM item_terms WHERE item_id = ?", ((i,) for i in ids))

    def _drop_terms(self, db: Any, agent_id: int) -> None:
        db.execute("DELETE FROM item_terms WHERE agent_id = ?", (agent_id,))

    def agent_terms(self, agent_id: int) -> list[tuple[int, str, str]]:
        return [(r[0], r[1], r[2]) for r in self._query(
            "SELECT item_id, title, body FROM item_terms WHERE agent_id = ? ORDER BY item_id", (agent_id,))]

    def database_size(self) -> int:
        """The bytes of this installation's tables and their indexes (its schema, not the database)."""
        return int(self._query(
            "SELECT coalesce(sum(pg_total_relation_size(c.oid)), 0) FROM pg_class c "
            "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = current_schema() AND c.relkind = 'r'"
        )[0][0])


def _redacted(url: str) -> str:
    return re.sub(r"//([^:/@]+):[^@]*@", r"//\1:***@", url)
