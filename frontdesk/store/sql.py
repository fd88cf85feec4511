"""The SQL both backends share: one implementation of the store protocols (``base.Store``).

The statements are written once in the SQL that SQLite and PostgreSQL both speak (``?``
parameters, ``ON CONFLICT``, ``RETURNING``); what differs is behind a few hooks each backend
provides: connections and transactions (``_tx``, ``_query``), JSON field access, a
case-insensitive ``LIKE``, where the lexical terms live, and the migrations folder. The one
runner (:meth:`SQLStore._migrate`) applies ``migrations/<dialect>/NNNN_name.sql`` in order
and records each in the ``migrations`` table.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator, Sequence
from contextlib import AbstractContextManager
from datetime import UTC, datetime, timedelta
from importlib import resources
from typing import Any, Protocol

import numpy as np

from ..domain import Agent, ApiKey, Conversation, Source, StoredItem, User, utcnow
from ..errors import AlreadyExists, InvalidInput, NotFound
from .base import LEASE_SECONDS, Message, SyncPlan
from .channel_tables import ChannelTables
from .character_tables import CharacterTables
from .eval_tables import EvalTables
from .privacy_tables import PrivacyTables

_AGENT_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
_CHUNK = 500  # host parameters per IN (...) list


def _ts(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def _dt(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


class Row(tuple):  # type: ignore[type-arg]
    """A result row read by position or by column name (what ``Row`` offers)."""

    _names: dict[str, int]

    def __new__(cls, names: dict[str, int], values: Sequence[Any]) -> Row:
        row = super().__new__(cls, values)
        row._names = names
        return row

    def __getitem__(self, key: Any) -> Any:
        if isinstance(key, str):
            return tuple.__getitem__(self, self._names[key])
        return tuple.__getitem__(self, key)

    def keys(self) -> list[str]:
        return list(self._names)


class Cursor(Protocol):
    rowcount: int

    def fetchone(self) -> Any: ...
    def fetchall(self) -> list[Any]: ...
    def __iter__(self) -> Iterator[Any]: ...


class Connection(Protocol):
    def execute(self, sql: str, params: Sequence[Any] = ()) -> Cursor: ...
    def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> Any: ...


class SQLStore(ChannelTables, EvalTables, CharacterTables, PrivacyTables):
    backend = "sql"
    dialect = ""  # the migrations folder
    like = "LIKE"  # case-insensitive for ASCII: SQLite's LIKE, PostgreSQL's ILIKE
    instr = "instr"  # the position of a substring: SQLite's instr, PostgreSQL's strpos
    integrity_errors: tuple[type[Exception], ...] = ()

    # -- what each backend provides ---------------------------------------------------------

    def _tx(self) -> AbstractContextManager[Connection]:
        """One transaction, committed at the end or rolled back on any exception."""
        raise NotImplementedError

    def _query(self, sql: str, params: Sequence[Any] = ()) -> list[Any]:
        raise NotImplementedError

    def _json_text(self, column: str, key: str) -> str:
        """SQL for the text of top-level ``key`` of the JSON in ``column``."""
        raise NotImplementedError

    def _json_flag(self, column: str, key: str) -> str:
        """SQL for a JSON boolean (or number) as 0/1 (NULL when absent)."""
        raise NotImplementedError

    def _create_terms(self, db: Connection, agent_id: int) -> None:
        """Where the agent's lexical terms will live (nothing to do where one table holds all)."""

    def _drop_terms(self, db: Connection, agent_id: int) -> None:
        """Forget the agent's lexical terms."""

    def _write_terms(self, db: Connection, agent_id: int, item_id: int, title: str, body: str) -> None:
        raise NotImplementedError

    def _delete_terms(self, db: Connection, agent_id: int, ids: Sequence[int]) -> None:
        raise NotImplementedError

    def agent_terms(self, agent_id: int) -> list[tuple[int, str, str]]:
        """(item id, title stems, body stems) of every item, as the search index reads them."""
        raise NotImplementedError

    def database_size(self) -> int:
        raise NotImplementedError

    def close(self) -> None:
        raise NotImplementedError

    def ping(self) -> None:
        self._query("SELECT 1")

    def _migrate(self) -> None:
        with self._tx() as db:
            db.execute("CREATE TABLE IF NOT EXISTS migrations (name TEXT PRIMARY KEY, applied_at TEXT NOT NULL)")
            done = {row[0] for row in db.execute("SELECT name FROM migrations").fetchall()}
            applied = False
            for name, text in migrations(self.dialect):
                if name not in done:
                    for statement in text.split(";\n"):
                        if statement.strip():
                            db.execute(statement)
                    db.execute("INSERT INTO migrations VALUES (?, ?)", (name, _ts(utcnow())))
                    applied = True
            if applied:
                self._check_foreign_keys(db)

    def _check_foreign_keys(self, db: Connection) -> None:
        """Raise if the migrations left a row that breaks a foreign key (where the check was off)."""

    # -- conversations ----------------------------------------------------------------------

    @staticmethod
    def _conversation(row: Row) -> Conversation:
        keys = row.keys()
        return Conversation(
            row["id"], row["agent_id"], row["channel"], row["external_id"], row["status"], row["owner"],
            datetime.fromisoformat(row["created_at"]), datetime.fromisoformat(row["updated_at"]),
            row["secret_hash"], row["n"] if "n" in keys else 0, row["preview"] if "preview" in keys else "")

    def create_conversation(self, agent_id: int, channel: str = "cli", external_id: str | None = None,
                            secret_hash: str | None = None) -> int:
        now = _ts(utcnow())
        with self._tx() as db:
            return int(db.execute(
                "INSERT INTO conversations (agent_id, channel, external_id, created_at, updated_at, secret_hash) "
                "VALUES (?, ?, ?, ?, ?, ?) RETURNING id", (agent_id, channel, external_id, now, now, secret_hash)
            ).fetchone()[0])

    def get_conversation(self, conversation_id: int) -> Conversation:
        rows = self._query("SELECT * FROM conversations WHERE id = ?", (conversation_id,))
        if not rows:
            raise NotFound(f"no conversation {conversation_id}")
        return self._conversation(rows[0])

    def find_conversation(self, agent_id: int, channel: str, external_id: str) -> Conversation | None:
        rows = self._query("SELECT * FROM conversations WHERE agent_id = ? AND channel = ? AND external_id = ? "
                           "ORDER BY id DESC LIMIT 1", (agent_id, channel, external_id))
        return self._conversation(rows[0]) if rows else None

    def set_conversation_external_id(self, conversation_id: int, external_id: str) -> None:
        with self._tx() as db:
            db.execute("UPDATE conversations SET external_id = ? WHERE id = ?", (external_id, conversation_id))

    def set_conversation_status(self, conversation_id: int, status: str, owner: str | None) -> None:
        with self._tx() as db:
            db.execute("UPDATE conversations SET status = ?, owner = ?, updated_at = ? WHERE id = ?",
                       (status, owner, _ts(utcnow()), conversation_id))

    def set_conversation_activity(self, conversation_id: int, at: datetime) -> None:
        """When the conversation was last active: an older conversation brought in from elsewhere, or
        a test of the rules that look at idle time (resolution signals, retention)."""
        with self._tx() as db:
            if db.execute("UPDATE conversations SET updated_at = ? WHERE id = ?", (_ts(at), conversation_id)).rowcount == 0:
                raise NotFound(f"no conversation {conversation_id}")

    def list_conversations(self, agent_id: int | None = None, *, query: str = "", status: str | None = None,
                           limit: int = 50, offset: int = 0) -> list[Conversation]:
        where: list[str] = ["1 = 1"]
        params: list[Any] = []
        if agent_id is not None:
            where.append("c.agent_id = ?")
            params.append(agent_id)
        if status:
            where.append("c.status = ?")
            params.append(status)
        if query.strip():
            where.append("EXISTS (SELECT 1 FROM messages q WHERE q.conversation_id = c.id "
                         f"AND q.text {self.like} ? ESCAPE '\\')")
            params.append("%" + re.sub(r"([%_\\])", r"\\\1", query.strip()) + "%")
        rows = self._query(
            "SELECT c.*, (SELECT count(*) FROM messages m WHERE m.conversation_id = c.id) AS n, "
            "coalesce((SELECT m.text FROM messages m WHERE m.conversation_id = c.id AND m.role = 'user' "
            "ORDER BY m.id DESC LIMIT 1), '') AS preview "
            f"FROM conversations c WHERE {' AND '.join(where)} ORDER BY c.updated_at DESC, c.id DESC LIMIT ? OFFSET ?",
            (*params, limit, offset))
        return [self._conversation(r) for r in rows]

    def conversation_counts(self, agent_id: int) -> dict[str, int]:
        """How many of the agent's conversations are in each status (bot, waiting, human)."""
        counts = {"bot": 0, "waiting": 0, "human": 0}
        counts.update({r["status"]: r["n"] for r in self._query(
            "SELECT status, count(*) AS n FROM conversations WHERE agent_id = ? GROUP BY status", (agent_id,))})
        return counts

    def add_message(self, conversation_id: int, role: str, text: str, payload: dict[str, Any] | None = None) -> int:
        now = _ts(utcnow())
        with self._tx() as db:
            message_id = db.execute(
                "INSERT INTO messages (conversation_id, role, text, payload, created_at) VALUES (?, ?, ?, ?, ?) "
                "RETURNING id", (conversation_id, role, text, json.dumps(payload or {}, default=str), now)
            ).fetchone()[0]
            db.execute("UPDATE conversations SET updated_at = ? WHERE id = ?", (now, conversation_id))
            return int(message_id)

    @staticmethod
    def _message(r: Row) -> Message:
        return Message(r["id"], r["conversation_id"], r["role"], r["text"], json.loads(r["payload"]),
                       datetime.fromisoformat(r["created_at"]))

    def recent_messages(self, conversation_id: int, limit: int) -> list[Message]:
        rows = self._query("SELECT * FROM messages WHERE conversation_id = ? ORDER BY id DESC LIMIT ?",
                           (conversation_id, limit))
        return [self._message(r) for r in reversed(rows)]

    def messages(self, conversation_id: int, after_id: int = 0, limit: int = 500) -> list[Message]:
        rows = self._query("SELECT * FROM messages WHERE conversation_id = ? AND id > ? ORDER BY id LIMIT ?",
                           (conversation_id, after_id, limit))
        return [self._message(r) for r in rows]

    def unanswered_questions(self, agent_id: int, limit: int = 100) -> list[dict[str, Any]]:
        """The questions the agent declined, newest first: the business's content gaps."""
        rows = self._query(
            f"SELECT m.conversation_id, {self._json_text('m.payload', 'question')} AS question, m.created_at, "
            "c.channel FROM messages m JOIN conversations c ON c.id = m.conversation_id "
            "WHERE c.agent_id = ? AND c.channel != 'eval' AND m.role = 'assistant' "
            f"AND {self._json_flag('m.payload', 'grounded')} = 0 "
            "ORDER BY m.id DESC LIMIT ?", (agent_id, limit))
        return [{"conversation_id": r["conversation_id"], "question": r["question"] or "",
                 "asked_at": r["created_at"], "channel": r["channel"]} for r in rows]

    # -- API keys, console users and sessions ------------------------------------------------

    @staticmethod
    def _api_key(r: Row) -> ApiKey:
        return ApiKey(r["id"], r["prefix"], r["hash"], r["agent_id"], r["label"],
                      datetime.fromisoformat(r["created_at"]), _dt(r["last_used_at"]), _dt(r["revoked_at"]))

    def create_api_key(self, prefix: str, key_hash: str, agent_id: int | None, label: str) -> ApiKey:
        with self._tx() as db:
            db.execute("INSERT INTO api_keys (prefix, hash, agent_id, label, created_at) VALUES (?, ?, ?, ?, ?)",
                       (prefix, key_hash, agent_id, label, _ts(utcnow())))
        return self._api_key(self._query("SELECT * FROM api_keys WHERE prefix = ?", (prefix,))[0])

    def find_api_key(self, prefix: str) -> ApiKey | None:
        rows = self._query("SELECT * FROM api_keys WHERE prefix = ?", (prefix,))
        return self._api_key(rows[0]) if rows else None

    def list_api_keys(self) -> list[ApiKey]:
        return [self._api_key(r) for r in self._query("SELECT * FROM api_keys ORDER BY id")]

    def touch_api_key(self, key_id: int) -> None:
        with self._tx() as db:
            db.execute("UPDATE api_keys SET last_used_at = ? WHERE id = ?", (_ts(utcnow()), key_id))

    def revoke_api_key(self, prefix: str) -> None:
        with self._tx() as db:
            cursor = db.execute("UPDATE api_keys SET revoked_at = ? WHERE prefix = ? AND revoked_at IS NULL",
                                (_ts(utcnow()), prefix))
            if cursor.rowcount == 0:
                raise NotFound(f"no active API key {prefix!r} (see `frontdesk keys list`)")

    def create_user(self, name: str, password_hash: str) -> User:
        with self._tx() as db:
            try:
                db.execute("INSERT INTO users (name, password_hash, created_at) VALUES (?, ?, ?)",
                           (name, password_hash, _ts(utcnow())))
            except self.integrity_errors:
                raise AlreadyExists(f"a user named {name!r} already exists") from None
        return self.get_user(name)

    def set_user_password(self, name: str, password_hash: str) -> None:
        with self._tx() as db:
            if db.execute("UPDATE users SET password_hash = ? WHERE name = ?", (password_hash, name)).rowcount == 0:
                raise NotFound(f"no user named {name!r}")

    def get_user(self, name: str) -> User:
        rows = self._query("SELECT * FROM users WHERE name = ?", (name,))
        if not rows:
            raise NotFound(f"no user named {name!r}")
        return User(rows[0]["id"], rows[0]["name"], rows[0]["password_hash"])

    def list_users(self) -> list[User]:
        return [User(r["id"], r["name"], r["password_hash"]) for r in self._query("SELECT * FROM users ORDER BY name")]

    def create_session(self, session_hash: str, user_id: int, csrf: str, expires_at: datetime) -> None:
        with self._tx() as db:
            db.execute("DELETE FROM sessions WHERE expires_at < ?", (_ts(utcnow()),))
            db.execute("INSERT INTO sessions (hash, user_id, csrf, created_at, expires_at) VALUES (?, ?, ?, ?, ?)",
                       (session_hash, user_id, csrf, _ts(utcnow()), _ts(expires_at)))

    def get_session(self, session_hash: str) -> tuple[User, str] | None:
        rows = self._query("SELECT u.*, s.csrf FROM sessions s JOIN users u ON u.id = s.user_id "
                           "WHERE s.hash = ? AND s.expires_at > ?", (session_hash, _ts(utcnow())))
        if not rows:
            return None
        return User(rows[0]["id"], rows[0]["name"], rows[0]["password_hash"]), rows[0]["csrf"]

    def delete_session(self, session_hash: str) -> None:
        with self._tx() as db:
            db.execute("DELETE FROM sessions WHERE hash = ?", (session_hash,))

    def delete_user_sessions(self, user_id: int) -> int:
        """End every session of a user (a new password, a removed user); how many there were."""
        with self._tx() as db:
            return int(db.execute("DELETE FROM sessions WHERE user_id = ?", (user_id,)).rowcount)

    def delete_user(self, name: str) -> None:
        """Remove a console user and, with them, their sessions."""
        user = self.get_user(name)
        with self._tx() as db:
            db.execute("DELETE FROM sessions WHERE user_id = ?", (user.id,))
            db.execute("DELETE FROM users WHERE id = ?", (user.id,))

    # -- agents -----------------------------------------------------------------------------

    @staticmethod
    def _agent(row: Row) -> Agent:
        return Agent(row["id"], row["name"], row["persona"], row["instructions"], row["embedder"],
                     datetime.fromisoformat(row["created_at"]), tuple(json.loads(row["allowed_origins"])),
                     bool(row["public"]), row["voice_replies"])

    def create_agent(self, name: str, *, persona: str = "", instructions: str = "",
                     embedder: str) -> Agent:
        if not _AGENT_NAME.match(name):
            raise InvalidInput(
                f"agent name {name!r} is not valid: use 1-64 letters, digits, '.', '_' or '-', "
                "starting with a letter or digit"
            )
        with self._tx() as db:
            try:
                agent_id = db.execute(
                    "INSERT INTO agents (name, persona, instructions, embedder, created_at) VALUES (?, ?, ?, ?, ?) "
                    "RETURNING id", (name, persona, instructions, embedder, _ts(utcnow())),
                ).fetchone()[0]
            except self.integrity_errors:
                raise AlreadyExists(f"an agent named {name!r} already exists") from None
            self._create_terms(db, agent_id)
        return self.get_agent(name)

    def update_agent(self, name: str, **changes: Any) -> Agent:
        allowed = {"persona", "instructions", "allowed_origins", "public", "voice_replies"}
        unknown = set(changes) - allowed
        if unknown:
            raise InvalidInput(f"cannot change {', '.join(sorted(unknown))} of an agent")
        agent = self.get_agent(name)
        sets = {k: v for k, v in changes.items() if v is not None}
        if "allowed_origins" in sets:
            sets["allowed_origins"] = json.dumps(list(sets["allowed_origins"]))
        if "public" in sets:
            sets["public"] = int(bool(sets["public"]))
        if sets:
            with self._tx() as db:
                db.execute(
                    f"UPDATE agents SET {', '.join(f'{k} = ?' for k in sets)} WHERE id = ?",
                    (*sets.values(), agent.id),
                )
        return self.get_agent(name)

    def get_agent(self, name: str) -> Agent:
        rows = self._query("SELECT * FROM agents WHERE name = ?", (name,))
        if not rows:
            raise NotFound(f"no agent named {name!r} (see `frontdesk agents list`)")
        return self._agent(rows[0])

    def get_agent_by_id(self, agent_id: int) -> Agent:
        rows = self._query("SELECT * FROM agents WHERE id = ?", (agent_id,))
        if not rows:
            raise NotFound(f"no agent {agent_id}")
        return self._agent(rows[0])

    def list_agents(self) -> list[Agent]:
        return [self._agent(r) for r in self._query("SELECT * FROM agents ORDER BY name")]

    def delete_agent(self, name: str) -> None:
        agent = self.get_agent(name)
        with self._tx() as db:
            db.execute("DELETE FROM item_options WHERE agent_id = ?", (agent.id,))
            db.execute("DELETE FROM items WHERE agent_id = ?", (agent.id,))
            db.execute("DELETE FROM sources WHERE agent_id = ?", (agent.id,))
            db.execute("DELETE FROM agents WHERE id = ?", (agent.id,))
            self._drop_terms(db, agent.id)
            self._collect_embeddings(db)

    def agent_stats(self, agent_id: int) -> dict[str, int]:
        rows = self._query("SELECT kind, count(*) AS n FROM items WHERE agent_id = ? GROUP BY kind", (agent_id,))
        stats = {"document": 0, "product": 0}
        stats.update({r["kind"]: r["n"] for r in rows})
        stats["sources"] = self._query("SELECT count(*) FROM sources WHERE agent_id = ?", (agent_id,))[0][0]
        return stats

    def agent_revision(self, agent_id: int) -> int:
        rows = self._query("SELECT revision FROM agents WHERE id = ?", (agent_id,))
        return rows[0][0] if rows else -1

    # -- sources ----------------------------------------------------------------------------

    @staticmethod
    def _source(row: Row) -> Source:
        return Source(
            id=row["id"], agent_id=row["agent_id"], kind=row["kind"], location=row["location"],
            options=json.loads(row["options"]), sync_interval=row["sync_interval"],
            created_at=datetime.fromisoformat(row["created_at"]),
            last_synced_at=_dt(row["last_synced_at"]), last_status=row["last_status"],
            last_summary=json.loads(row["last_summary"]), last_errors=json.loads(row["last_errors"]),
        )

    def add_source(self, agent_id: int, kind: str, location: str, options: dict[str, Any],
                   sync_interval: int | None) -> Source:
        with self._tx() as db:
            try:
                source_id = db.execute(
                    "INSERT INTO sources (agent_id, kind, location, options, sync_interval, created_at) "
                    "VALUES (?, ?, ?, ?, ?, ?) RETURNING id",
                    (agent_id, kind, location, json.dumps(options), sync_interval, _ts(utcnow())),
                ).fetchone()[0]
            except self.integrity_errors:
                raise AlreadyExists(f"{location} is already a source of this agent; use `sources sync`") from None
        return self._source(self._query("SELECT * FROM sources WHERE id = ?", (source_id,))[0])

    def get_source(self, agent_id: int, ref: str) -> Source:
        rows = self._query(
            "SELECT * FROM sources WHERE agent_id = ? AND (location = ? OR CAST(id AS TEXT) = ?)",
            (agent_id, ref, ref),
        )
        if not rows:
            raise NotFound(f"no source {ref!r} for this agent (see `frontdesk sources list`)")
        return self._source(rows[0])

    def list_sources(self, agent_id: int) -> list[Source]:
        return [self._source(r) for r in self._query("SELECT * FROM sources WHERE agent_id = ? ORDER BY id", (agent_id,))]

    def remove_source(self, source: Source) -> int:
        with self._tx() as db:
            ids = [r[0] for r in db.execute("SELECT id FROM items WHERE source_id = ?", (source.id,)).fetchall()]
            self._delete_items(db, source.agent_id, ids)
            db.execute("DELETE FROM sources WHERE id = ?", (source.id,))
            db.execute("UPDATE agents SET revision = revision + 1 WHERE id = ?", (source.agent_id,))
            self._collect_embeddings(db)
        return len(ids)

    def item_hashes(self, source_id: int) -> dict[str, str]:
        return {r[0]: r[1] for r in self._query("SELECT key, hash FROM items WHERE source_id = ?", (source_id,))}

    def _delete_items(self, db: Connection, agent_id: int, ids: Sequence[int]) -> None:
        self._delete_terms(db, agent_id, ids)
        db.executemany("DELETE FROM item_options WHERE item_id = ?", ((i,) for i in ids))
        db.executemany("DELETE FROM items WHERE id = ?", ((i,) for i in ids))

    @staticmethod
    def _collect_embeddings(db: Connection, hashes: Iterable[str] | None = None) -> None:
        """Drop cached vectors no item refers to any more (all, or only among ``hashes``)."""
        if hashes is None:
            db.execute("DELETE FROM embeddings WHERE hash NOT IN (SELECT embed_hash FROM items)")
            return
        db.executemany(
            "DELETE FROM embeddings WHERE hash = ? AND NOT EXISTS (SELECT 1 FROM items WHERE embed_hash = ?)",
            ((h, h) for h in set(hashes)),
        )

    def apply_sync(self, plan: SyncPlan) -> None:
        now = _ts(plan.now)
        with self._tx() as db:
            source = db.execute("SELECT agent_id FROM sources WHERE id = ?", (plan.source_id,)).fetchone()
            if source is None:
                raise NotFound(f"source {plan.source_id} was removed during the sync")
            agent_id = source[0]
            stale_hashes: list[str] = []
            old = {r[0]: (r[1], r[2]) for r in db.execute(
                "SELECT key, id, embed_hash FROM items WHERE source_id = ?", (plan.source_id,)).fetchall()}
            for prepared in plan.upserts:
                rec = prepared.record
                fields = rec.fields
                price = fields.get("price")
                values = (rec.kind, rec.title, rec.text, rec.url, rec.language,
                          json.dumps(fields, default=str), prepared.hash, prepared.embed_hash,
                          float(price) if price is not None else None, fields.get("availability"))
                if rec.key in old:
                    item_id, old_embed = old[rec.key]
                    stale_hashes.append(old_embed)
                    db.execute(
                        "UPDATE items SET kind=?, title=?, text=?, url=?, language=?, fields=?, hash=?, "
                        "embed_hash=?, price=?, availability=?, last_seen=?, updated_at=? WHERE id=?",
                        (*values, now, now, item_id),
                    )
                    self._delete_terms(db, agent_id, [item_id])
                else:
                    item_id = db.execute(
                        "INSERT INTO items (agent_id, source_id, key, kind, title, text, url, language, "
                        "fields, hash, embed_hash, price, availability, first_seen, last_seen, updated_at) "
                        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
                        (agent_id, plan.source_id, rec.key, *values, now, now, now),
                    ).fetchone()[0]
                self._write_terms(db, agent_id, item_id, prepared.title_terms, prepared.body_terms)
                db.execute("DELETE FROM item_options WHERE item_id = ?", (item_id,))
                if rec.kind == "product":
                    db.executemany(
                        "INSERT INTO item_options (agent_id, item_id, facet, value) VALUES (?, ?, ?, ?)",
                        ((agent_id, item_id, facet, str(value).casefold()) for facet, value in _facets(fields)),
                    )
            db.executemany("UPDATE items SET last_seen = ? WHERE source_id = ? AND key = ?",
                           ((now, plan.source_id, k) for k in plan.seen_keys))
            removed = [old[k] for k in plan.removed_keys if k in old]
            self._delete_items(db, agent_id, [item_id for item_id, _ in removed])
            stale_hashes.extend(h for _, h in removed)
            self._collect_embeddings(db, stale_hashes)
            db.execute(
                "UPDATE sources SET last_synced_at=?, last_status=?, last_summary=?, last_errors=? WHERE id=?",
                (now, plan.status, json.dumps(plan.summary), json.dumps(list(plan.errors)), plan.source_id),
            )
            if plan.upserts or plan.removed_keys:
                db.execute("UPDATE agents SET revision = revision + 1 WHERE id = ?", (agent_id,))

    def record_failed_sync(self, source_id: int, now: datetime, errors: Sequence[str]) -> None:
        """A sync that could not read its source at all: keep the items, note the failure."""
        with self._tx() as db:
            db.execute("UPDATE sources SET last_synced_at=?, last_status='failed', last_errors=? WHERE id=?",
                       (_ts(now), json.dumps(list(errors)), source_id))

    # -- embeddings -------------------------------------------------------------------------

    def cached_embeddings(self, embedder: str, hashes: Iterable[str]) -> dict[str, np.ndarray]:
        hashes = list(dict.fromkeys(hashes))
        out: dict[str, np.ndarray] = {}
        for start in range(0, len(hashes), _CHUNK):
            chunk = hashes[start : start + _CHUNK]
            rows = self._query(
                f"SELECT hash, vector FROM embeddings WHERE embedder = ? AND hash IN ({','.join('?' * len(chunk))})",
                (embedder, *chunk),
            )
            out.update({r[0]: np.frombuffer(r[1], dtype=np.float32) for r in rows})
        return out

    def cache_embeddings(self, embedder: str, vectors: dict[str, np.ndarray]) -> None:
        with self._tx() as db:
            db.executemany(
                "INSERT INTO embeddings (embedder, hash, vector) VALUES (?, ?, ?) "
                "ON CONFLICT (embedder, hash) DO UPDATE SET vector = excluded.vector",
                ((embedder, h, np.asarray(v, dtype=np.float32).tobytes()) for h, v in vectors.items()),
            )

    # -- search -----------------------------------------------------------------------------

    def agent_vectors(self, agent_id: int, embedder: str) -> tuple[np.ndarray, np.ndarray]:
        """(item ids, matrix of their vectors) of the agent's items with a vector from ``embedder``."""
        ids: list[int] = []
        blobs: list[bytes] = []
        for item_id, blob in self._query(
                "SELECT items.id, embeddings.vector FROM items JOIN embeddings "
                "ON embeddings.embedder = ? AND embeddings.hash = items.embed_hash "
                "WHERE items.agent_id = ? ORDER BY items.id", (embedder, agent_id)):
            ids.append(item_id)
            blobs.append(blob)
        id_array = np.array(ids, dtype=np.int64)
        matrix = np.frombuffer(b"".join(blobs), dtype=np.float32)
        matrix = matrix.reshape(len(ids), -1) if ids else np.zeros((0, 1), dtype=np.float32)
        return id_array, matrix

    def _item(self, row: Row) -> StoredItem:
        return StoredItem(
            id=row["id"], agent_id=row["agent_id"], source_id=row["source_id"], key=row["key"],
            kind=row["kind"], title=row["title"], text=row["text"], url=row["url"],
            language=row["language"], fields=json.loads(row["fields"]),
            first_seen=datetime.fromisoformat(row["first_seen"]),
            last_seen=datetime.fromisoformat(row["last_seen"]),
            updated_at=datetime.fromisoformat(row["updated_at"]),
        )

    def get_items(self, ids: Sequence[int]) -> list[StoredItem]:
        found: dict[int, StoredItem] = {}
        ids = list(ids)
        for start in range(0, len(ids), _CHUNK):
            chunk = ids[start : start + _CHUNK]
            for row in self._query(f"SELECT * FROM items WHERE id IN ({','.join('?' * len(chunk))})", chunk):
                found[row["id"]] = self._item(row)
        return [found[i] for i in ids if i in found]

    def products_by_key(self, agent_id: int, keys: Sequence[str]) -> dict[str, StoredItem]:
        """The agent's products with these catalog ids."""
        found: dict[str, StoredItem] = {}
        keys = list(dict.fromkeys(keys))
        for start in range(0, len(keys), _CHUNK):
            chunk = keys[start:start + _CHUNK]
            rows = self._query(f"SELECT * FROM items WHERE agent_id = ? AND kind = 'product' AND key IN "
                               f"({','.join('?' * len(chunk))})", (agent_id, *chunk))
            found.update({r["key"]: self._item(r) for r in rows})
        return found

    def items_of_agent(self, agent_id: int, kind: str | None = None) -> list[StoredItem]:
        sql = "SELECT * FROM items WHERE agent_id = ?" + (" AND kind = ?" if kind else "") + " ORDER BY id"
        return [self._item(r) for r in self._query(sql, (agent_id, kind) if kind else (agent_id,))]

    def option_postings(self, agent_id: int) -> list[tuple[str, str, int]]:
        """(facet, casefolded value, item id) for every option of the agent's products."""
        return [(r[0], r[1], r[2]) for r in self._query(
            "SELECT facet, value, item_id FROM item_options WHERE agent_id = ?", (agent_id,))]

    def agent_languages(self, agent_id: int) -> list[str]:
        rows = self._query(
            "SELECT language FROM items WHERE agent_id = ? AND language IS NOT NULL "
            "GROUP BY language ORDER BY count(*) DESC", (agent_id,))
        return [r[0] for r in rows]

    def embedding_count(self) -> int:
        return int(self._query("SELECT count(*) FROM embeddings")[0][0])

    # -- sync jobs --------------------------------------------------------------------------

    def claim_sync(self, source_id: int, worker: str, lease: float = LEASE_SECONDS) -> bool:
        """Whether ``worker`` may sync the source now: no other worker holds an unexpired claim on it."""
        now = datetime.now(UTC)  # to the microsecond: a lease may be shorter than a second
        with self._tx() as db:
            row = db.execute(
                "UPDATE sources SET sync_worker = ?, sync_lease_until = ? WHERE id = ? "
                "AND (sync_worker IS NULL OR sync_worker = ? OR sync_lease_until < ?) RETURNING id",
                (worker, _ts(now + timedelta(seconds=lease)), source_id, worker, _ts(now))).fetchone()
        return row is not None

    def release_sync(self, source_id: int, worker: str) -> None:
        with self._tx() as db:
            db.execute("UPDATE sources SET sync_worker = NULL, sync_lease_until = NULL "
                       "WHERE id = ? AND sync_worker = ?", (source_id, worker))


def migrations(dialect: str) -> list[tuple[str, str]]:
    """(name, SQL) of the dialect's migrations, in order."""
    folder = resources.files("frontdesk.store") / "migrations"
    if dialect:
        folder = folder / dialect
    return [(e.name, e.read_text()) for e in sorted(folder.iterdir(), key=lambda e: e.name)
            if e.name.endswith(".sql")]


def _facets(fields: dict[str, Any]) -> list[tuple[str, Any]]:
    pairs = [(k, v) for k, v in fields.get("options", {}).items() if isinstance(v, str) and v]
    if fields.get("brand"):
        pairs.append(("brand", fields["brand"]))
    return pairs
