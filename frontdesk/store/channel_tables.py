"""The SQLite tables of messaging channels: connected accounts, inbound events, the outbox, media.

A mixin of :class:`frontdesk.store.sqlite.SQLiteStore`: it uses the store's one connection,
its lock and its transactions.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager
from datetime import datetime
from typing import TYPE_CHECKING, Any

from ..domain import Channel, ChannelEvent, OutboxItem, utcnow
from ..errors import AlreadyExists, NotFound


def _ts(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def _dt(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


class ChannelTables:
    if TYPE_CHECKING:  # provided by the store
        def _tx(self) -> AbstractContextManager[sqlite3.Connection]: ...
        def _query(self, sql: str, params: Sequence[Any] = ()) -> list[sqlite3.Row]: ...

    # -- channels ---------------------------------------------------------------------------

    @staticmethod
    def _channel(r: sqlite3.Row) -> Channel:
        return Channel(r["id"], r["agent_id"], r["platform"], r["account_id"], r["catalog_id"],
                       r["handover_app_id"], r["label"], datetime.fromisoformat(r["created_at"]))

    def create_channel(self, agent_id: int, platform: str, account_id: str, *, catalog_id: str | None = None,
                       handover_app_id: str | None = None, label: str = "") -> Channel:
        try:
            with self._tx() as db:
                cursor = db.execute(
                    "INSERT INTO channels (agent_id, platform, account_id, catalog_id, handover_app_id, label, "
                    "created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                    (agent_id, platform, account_id, catalog_id, handover_app_id, label, _ts(utcnow())))
                channel_id = int(cursor.lastrowid or 0)
        except sqlite3.IntegrityError:
            raise AlreadyExists(f"{platform} account {account_id} cannot be connected: it is already taken") from None
        return self.get_channel(channel_id)

    def get_channel(self, channel_id: int) -> Channel:
        rows = self._query("SELECT * FROM channels WHERE id = ?", (channel_id,))
        if not rows:
            raise NotFound(f"no channel {channel_id}")
        return self._channel(rows[0])

    def find_channel(self, platform: str, account_id: str) -> Channel | None:
        rows = self._query("SELECT * FROM channels WHERE platform = ? AND account_id = ?", (platform, account_id))
        return self._channel(rows[0]) if rows else None

    def list_channels(self, agent_id: int | None = None) -> list[Channel]:
        if agent_id is None:
            rows = self._query("SELECT * FROM channels ORDER BY id")
        else:
            rows = self._query("SELECT * FROM channels WHERE agent_id = ? ORDER BY id", (agent_id,))
        return [self._channel(r) for r in rows]

    def remove_channel(self, channel_id: int) -> None:
        with self._tx() as db:
            if db.execute("DELETE FROM channels WHERE id = ?", (channel_id,)).rowcount == 0:
                raise NotFound(f"no channel {channel_id}")

    # -- inbound events ---------------------------------------------------------------------

    @staticmethod
    def _event(r: sqlite3.Row) -> ChannelEvent:
        return ChannelEvent(r["id"], r["channel_id"], r["platform"], r["event_key"], r["kind"], r["sender"],
                            r["thread"], json.loads(r["payload"]), r["state"], r["attempts"], r["error"],
                            r["conversation_id"], _dt(r["sent_at"]), datetime.fromisoformat(r["received_at"]))

    def record_events(self, events: Sequence[dict[str, Any]]) -> int:
        """Keep each event unless its ``(platform, event_key)`` was seen before; how many were new."""
        now = _ts(utcnow())
        new = 0
        with self._tx() as db:
            for e in events:
                cursor = db.execute(
                    "INSERT OR IGNORE INTO channel_events (channel_id, platform, event_key, kind, sender, thread, "
                    "payload, state, error, sent_at, received_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (e["channel_id"], e["platform"], e["event_key"], e["kind"], e.get("sender"), e["thread"],
                     json.dumps(e["payload"]), e["state"], e.get("error"), _ts(e.get("sent_at")), now))
                new += cursor.rowcount
        return new

    def claim_event(self) -> ChannelEvent | None:
        """The oldest pending event whose customer has no other event pending before it or in work."""
        if not self._query("SELECT 1 FROM channel_events WHERE state = 'pending' LIMIT 1"):
            return None  # idle workers poll: no write lock when there is nothing to claim
        now = _ts(utcnow())
        with self._tx() as db:
            row = db.execute(
                "SELECT e.id FROM channel_events e WHERE e.state = 'pending' "
                "AND (e.not_before IS NULL OR e.not_before <= ?) "
                "AND NOT EXISTS (SELECT 1 FROM channel_events o WHERE o.thread = e.thread "
                "  AND (o.state = 'working' OR (o.state = 'pending' AND o.id < e.id))) "
                "ORDER BY e.id LIMIT 1", (now,)).fetchone()
            if row is None:
                return None
            claimed = db.execute("UPDATE channel_events SET state = 'working', attempts = attempts + 1 "
                                 "WHERE id = ? RETURNING *", (row["id"],)).fetchone()
            return self._event(claimed)

    def finish_event(self, event_id: int, state: str, *, error: str | None = None,
                     conversation_id: int | None = None) -> None:
        with self._tx() as db:
            db.execute("UPDATE channel_events SET state = ?, error = ?, done_at = ?, "
                       "conversation_id = coalesce(?, conversation_id) WHERE id = ?",
                       (state, error, _ts(utcnow()), conversation_id, event_id))

    def retry_event(self, event_id: int, error: str, not_before: datetime) -> None:
        with self._tx() as db:
            db.execute("UPDATE channel_events SET state = 'pending', error = ?, not_before = ? WHERE id = ?",
                       (error, _ts(not_before), event_id))

    def set_event_conversation(self, event_id: int, conversation_id: int) -> None:
        with self._tx() as db:
            db.execute("UPDATE channel_events SET conversation_id = ? WHERE id = ?", (conversation_id, event_id))

    def resume_channel_work(self) -> tuple[int, int]:
        """After a restart: events and sends that were in work go back to the queue."""
        with self._tx() as db:
            events = db.execute("UPDATE channel_events SET state = 'pending' WHERE state = 'working'").rowcount
            sends = db.execute("UPDATE channel_outbox SET state = 'pending' WHERE state = 'sending'").rowcount
        return events, sends

    def get_event(self, event_id: int) -> ChannelEvent:
        rows = self._query("SELECT * FROM channel_events WHERE id = ?", (event_id,))
        if not rows:
            raise NotFound(f"no channel event {event_id}")
        return self._event(rows[0])

    def list_events(self, *, channel_id: int | None = None, kind: str | None = None, state: str | None = None,
                    conversation_id: int | None = None, limit: int = 100) -> list[ChannelEvent]:
        clauses, params = self._filters(channel_id=channel_id, kind=kind, state=state,
                                        conversation_id=conversation_id)
        rows = self._query(f"SELECT * FROM channel_events {clauses} ORDER BY id DESC LIMIT ?", (*params, limit))
        return [self._event(r) for r in rows]

    def event_counts(self, channel_id: int | None = None) -> dict[str, int]:
        clauses, params = self._filters(channel_id=channel_id)
        return {r["state"]: r["n"] for r in self._query(
            f"SELECT state, count(*) AS n FROM channel_events {clauses} GROUP BY state", params)}

    def last_customer_message_at(self, conversation_id: int) -> datetime | None:
        """When the customer last wrote (the platform's time where it gave one): the service window opens then."""
        rows = self._query("SELECT max(coalesce(sent_at, received_at)) AS t FROM channel_events "
                           "WHERE conversation_id = ? AND sender IS NOT NULL AND kind NOT IN ('status', 'handover')",
                           (conversation_id,))
        return _dt(rows[0]["t"]) if rows else None

    @staticmethod
    def _filters(**values: Any) -> tuple[str, tuple[Any, ...]]:
        used = {k: v for k, v in values.items() if v is not None}
        if not used:
            return "", ()
        return "WHERE " + " AND ".join(f"{k} = ?" for k in used), tuple(used.values())

    # -- outbox -----------------------------------------------------------------------------

    @staticmethod
    def _outbox(r: sqlite3.Row) -> OutboxItem:
        return OutboxItem(r["id"], r["channel_id"], r["conversation_id"], r["key"], r["kind"], r["path"],
                          json.loads(r["body"]), r["state"], r["attempts"], r["platform_message_id"], r["delivery"],
                          r["error"], datetime.fromisoformat(r["created_at"]), _dt(r["sent_at"]))

    def enqueue_sends(self, sends: Sequence[dict[str, Any]]) -> list[int]:
        """Queue requests to the Graph API; a key queued before is kept as it was. The ids, in order."""
        now = _ts(utcnow())
        ids = []
        with self._tx() as db:
            for s in sends:
                db.execute("INSERT OR IGNORE INTO channel_outbox (channel_id, conversation_id, key, kind, path, body, "
                           "state, created_at) VALUES (?, ?, ?, ?, ?, ?, 'pending', ?)",
                           (s["channel_id"], s.get("conversation_id"), s["key"], s["kind"], s["path"],
                            json.dumps(s["body"]), now))
                ids.append(db.execute("SELECT id FROM channel_outbox WHERE key = ?", (s["key"],)).fetchone()[0])
        return ids

    def claim_send(self, send_id: int | None = None, *, retry_failed: bool = False) -> OutboxItem | None:
        """Mark a pending send as being sent: ``send_id`` (also a failed one with ``retry_failed``), or the
        oldest whose conversation has no event in work and no earlier send waiting. None if there is none."""
        if send_id is None and not self._query("SELECT 1 FROM channel_outbox WHERE state = 'pending' LIMIT 1"):
            return None  # as in claim_event
        with self._tx() as db:
            if send_id is None:
                row = db.execute(
                    "SELECT o.id FROM channel_outbox o WHERE o.state = 'pending' "
                    "AND NOT EXISTS (SELECT 1 FROM channel_events e WHERE e.conversation_id = o.conversation_id "
                    "  AND e.state = 'working') "
                    "AND NOT EXISTS (SELECT 1 FROM channel_outbox p WHERE p.conversation_id = o.conversation_id "
                    "  AND p.id < o.id AND p.state IN ('pending', 'sending')) "
                    "ORDER BY o.id LIMIT 1").fetchone()
                if row is None:
                    return None
                send_id = row["id"]
            claimed = db.execute("UPDATE channel_outbox SET state = 'sending', attempts = attempts + 1 "
                                 "WHERE id = ? AND (state = 'pending' OR (? AND state = 'failed')) RETURNING *",
                                 (send_id, retry_failed)).fetchone()
            return self._outbox(claimed) if claimed else None

    def sends_keyed(self, prefix: str) -> list[OutboxItem]:
        """The sends whose key starts with ``prefix``, in order (a range over the unique key's index)."""
        rows = self._query("SELECT * FROM channel_outbox WHERE key >= ? AND key < ? ORDER BY id",
                           (prefix, prefix + "\U0010ffff"))
        return [self._outbox(r) for r in rows]

    def finish_send(self, send_id: int, state: str, *, platform_message_id: str | None = None,
                    error: str | None = None) -> None:
        with self._tx() as db:
            db.execute("UPDATE channel_outbox SET state = ?, platform_message_id = ?, error = ?, sent_at = ? "
                       "WHERE id = ?", (state, platform_message_id, error,
                                        _ts(utcnow()) if state == "sent" else None, send_id))

    def record_delivery(self, platform_message_id: str, status: str, error: str | None = None) -> bool:
        """A status from the platform (sent, delivered, read, failed) for a message frontdesk sent."""
        order = "CASE delivery WHEN 'failed' THEN 4 WHEN 'read' THEN 3 WHEN 'delivered' THEN 2 WHEN 'sent' THEN 1 ELSE 0 END"
        rank = {"sent": 1, "delivered": 2, "read": 3, "failed": 4}.get(status, 0)
        with self._tx() as db:
            found = db.execute("SELECT 1 FROM channel_outbox WHERE platform_message_id = ?",
                               (platform_message_id,)).fetchone()
            db.execute(f"UPDATE channel_outbox SET delivery = ?, error = coalesce(?, error) "
                       f"WHERE platform_message_id = ? AND {order} <= ?", (status, error, platform_message_id, rank))
        return found is not None

    def list_sends(self, *, conversation_id: int | None = None, channel_id: int | None = None,
                   state: str | None = None, limit: int = 200) -> list[OutboxItem]:
        clauses, params = self._filters(conversation_id=conversation_id, channel_id=channel_id, state=state)
        rows = self._query(f"SELECT * FROM channel_outbox {clauses} ORDER BY id LIMIT ?", (*params, limit))
        return [self._outbox(r) for r in rows]

    # -- media ------------------------------------------------------------------------------

    def add_media(self, event_id: int, media_id: str, mime_type: str, sha256: str, size: int, path: str) -> int:
        with self._tx() as db:
            cursor = db.execute("INSERT INTO channel_media (event_id, media_id, mime_type, sha256, size, path, "
                                "created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                                (event_id, media_id, mime_type, sha256, size, path, _ts(utcnow())))
            return int(cursor.lastrowid or 0)

    def media_of(self, event_id: int) -> Iterator[dict[str, Any]]:
        for r in self._query("SELECT * FROM channel_media WHERE event_id = ? ORDER BY id", (event_id,)):
            yield dict(r)
