"""The tables of messaging channels: connected accounts, inbound events, the outbox, media.

A mixin of :class:`frontdesk.store.sql.SQLStore` (so of both backends): it uses the store's
transactions. Claims are leases: a worker that claims an event or a send owns it until
``lease_until``; :meth:`renew_leases` extends its claims while it works, and a claim whose
lease ran out (its process died) is claimable again. On PostgreSQL the claim takes its row
with ``FOR UPDATE SKIP LOCKED``, so concurrent workers of several processes never wait on,
nor take, the same row.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from ..domain import Channel, ChannelEvent, OutboxItem, utcnow
from ..errors import AlreadyExists, NotFound
from .base import LEASE_SECONDS


def _ts(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def _dt(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def _precise_now() -> datetime:
    """Now to the microsecond (``utcnow`` drops them): leases may be shorter than a second."""
    return datetime.now(UTC)


class ChannelTables:
    skip_locked = ""  # " FOR UPDATE SKIP LOCKED" where the database has row locks
    if TYPE_CHECKING:  # provided by the store
        integrity_errors: tuple[type[Exception], ...]

        def _tx(self) -> AbstractContextManager[Any]: ...
        def _query(self, sql: str, params: Sequence[Any] = ()) -> list[Any]: ...

    # -- channels ---------------------------------------------------------------------------

    @staticmethod
    def _channel(r: Any) -> Channel:
        return Channel(r["id"], r["agent_id"], r["platform"], r["account_id"], r["catalog_id"],
                       r["handover_app_id"], r["label"], datetime.fromisoformat(r["created_at"]), r["character_id"])

    def create_channel(self, agent_id: int | None, platform: str, account_id: str, *, catalog_id: str | None = None,
                       handover_app_id: str | None = None, label: str = "",
                       character_id: int | None = None) -> Channel:
        if (agent_id is None) == (character_id is None):
            raise ValueError("a channel answers as an agent or as a character: give exactly one")
        try:
            with self._tx() as db:
                channel_id = int(db.execute(
                    "INSERT INTO channels (agent_id, character_id, platform, account_id, catalog_id, handover_app_id, "
                    "label, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
                    (agent_id, character_id, platform, account_id, catalog_id, handover_app_id, label, _ts(utcnow()))
                ).fetchone()[0])
        except self.integrity_errors:
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

    def list_channels(self, agent_id: int | None = None, *, character_id: int | None = None) -> list[Channel]:
        """All channels, or those answering as ``agent_id`` or as ``character_id``."""
        if agent_id is not None:
            rows = self._query("SELECT * FROM channels WHERE agent_id = ? ORDER BY id", (agent_id,))
        elif character_id is not None:
            rows = self._query("SELECT * FROM channels WHERE character_id = ? ORDER BY id", (character_id,))
        else:
            rows = self._query("SELECT * FROM channels ORDER BY id")
        return [self._channel(r) for r in rows]

    def remove_channel(self, channel_id: int) -> None:
        with self._tx() as db:
            if db.execute("DELETE FROM channels WHERE id = ?", (channel_id,)).rowcount == 0:
                raise NotFound(f"no channel {channel_id}")

    # -- inbound events ---------------------------------------------------------------------

    @staticmethod
    def _event(r: Any) -> ChannelEvent:
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
                    "INSERT INTO channel_events (channel_id, platform, event_key, kind, sender, thread, "
                    "payload, state, error, sent_at, received_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
                    "ON CONFLICT (platform, event_key) DO NOTHING",
                    (e["channel_id"], e["platform"], e["event_key"], e["kind"], e.get("sender"), e["thread"],
                     json.dumps(e["payload"]), e["state"], e.get("error"), _ts(e.get("sent_at")), now))
                new += cursor.rowcount
        return new

    def claim_event(self, worker: str = "", lease: float = LEASE_SECONDS) -> ChannelEvent | None:
        """The oldest pending event whose customer has no other event before it or in work, now ``worker``'s
        for ``lease`` seconds. An event in work whose lease ran out counts as pending (its worker died)."""
        now = _precise_now()
        if not self._query("SELECT 1 FROM channel_events WHERE state = 'pending' "
                           "OR (state = 'working' AND lease_until < ?) LIMIT 1", (_ts(now),)):
            return None  # idle workers poll: no write lock when there is nothing to claim
        with self._tx() as db:
            row = db.execute(
                "SELECT e.id FROM channel_events e WHERE "
                "((e.state = 'pending' AND (e.not_before IS NULL OR e.not_before <= ?)) "
                " OR (e.state = 'working' AND e.lease_until < ?)) "
                "AND NOT EXISTS (SELECT 1 FROM channel_events o WHERE o.thread = e.thread AND o.id != e.id "
                "  AND ((o.state IN ('pending', 'working') AND o.id < e.id) "
                "       OR (o.state = 'working' AND o.lease_until >= ?))) "
                f"ORDER BY e.id LIMIT 1{self.skip_locked}", (_ts(now), _ts(now), _ts(now))).fetchone()
            if row is None:
                return None
            claimed = db.execute("UPDATE channel_events SET state = 'working', attempts = attempts + 1, "
                                 "claimed_by = ?, lease_until = ? WHERE id = ? RETURNING *",
                                 (worker, _ts(now + timedelta(seconds=lease)), row["id"])).fetchone()
            return self._event(claimed)

    def renew_leases(self, worker: str, lease: float = LEASE_SECONDS) -> int:
        """Extend the leases of everything ``worker`` has in work; how many it holds."""
        until = _ts(_precise_now() + timedelta(seconds=lease))
        with self._tx() as db:
            events = db.execute("UPDATE channel_events SET lease_until = ? WHERE claimed_by = ? AND state = 'working'",
                                (until, worker)).rowcount
            sends = db.execute("UPDATE channel_outbox SET lease_until = ? WHERE claimed_by = ? AND state = 'sending'",
                               (until, worker)).rowcount
        return int(events) + int(sends)

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

    def set_event_character_conversation(self, event_id: int, conversation_id: int) -> None:
        """The character conversation an event of a character's channel belongs to (erased with it)."""
        with self._tx() as db:
            db.execute("UPDATE channel_events SET character_conversation_id = ? WHERE id = ?", (conversation_id, event_id))

    def resume_channel_work(self) -> tuple[int, int]:
        """Events and sends whose worker's lease ran out (its process died) go back to the queue.
        Work whose lease is still running belongs to a live process and is left alone."""
        now = _ts(_precise_now())
        with self._tx() as db:
            events = db.execute("UPDATE channel_events SET state = 'pending' WHERE state = 'working' "
                                "AND (lease_until IS NULL OR lease_until < ?)", (now,)).rowcount
            sends = db.execute("UPDATE channel_outbox SET state = 'pending' WHERE state = 'sending' "
                               "AND (lease_until IS NULL OR lease_until < ?)", (now,)).rowcount
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
    def _outbox(r: Any) -> OutboxItem:
        return OutboxItem(r["id"], r["channel_id"], r["conversation_id"], r["key"], r["kind"], r["path"],
                          json.loads(r["body"]), r["state"], r["attempts"], r["platform_message_id"], r["delivery"],
                          r["error"], datetime.fromisoformat(r["created_at"]), _dt(r["sent_at"]))

    def enqueue_sends(self, sends: Sequence[dict[str, Any]]) -> list[int]:
        """Queue requests to the Graph API; a key queued before is kept as it was. The ids, in order."""
        now = _ts(utcnow())
        ids = []
        with self._tx() as db:
            for s in sends:
                db.execute("INSERT INTO channel_outbox (channel_id, conversation_id, character_conversation_id, key, "
                           "kind, path, body, state, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, 'pending', ?) "
                           "ON CONFLICT (key) DO NOTHING",
                           (s["channel_id"], s.get("conversation_id"), s.get("character_conversation_id"), s["key"],
                            s["kind"], s["path"], json.dumps(s["body"]), now))
                ids.append(db.execute("SELECT id FROM channel_outbox WHERE key = ?", (s["key"],)).fetchone()[0])
        return ids

    def claim_send(self, send_id: int | None = None, *, retry_failed: bool = False, worker: str = "",
                   lease: float = LEASE_SECONDS) -> OutboxItem | None:
        """Mark a pending send as being sent by ``worker``: ``send_id`` (also a failed one with
        ``retry_failed``), or the oldest whose conversation (an agent's or a character's) has no event
        in work and no earlier send waiting. A send whose worker's lease ran out counts as pending. None if there is none."""
        now = _precise_now()
        if send_id is None and not self._query("SELECT 1 FROM channel_outbox WHERE state = 'pending' "
                                               "OR (state = 'sending' AND lease_until < ?) LIMIT 1", (_ts(now),)):
            return None  # as in claim_event
        open_send = "(p.state = 'pending' OR p.state = 'sending')"
        with self._tx() as db:
            if send_id is None:
                row = db.execute(
                    "SELECT o.id FROM channel_outbox o WHERE "
                    "(o.state = 'pending' OR (o.state = 'sending' AND o.lease_until < ?)) "
                    "AND NOT EXISTS (SELECT 1 FROM channel_events e WHERE (e.conversation_id = o.conversation_id "
                    "  OR e.character_conversation_id = o.character_conversation_id) "
                    "  AND e.state = 'working' AND e.lease_until >= ?) "
                    "AND NOT EXISTS (SELECT 1 FROM channel_outbox p WHERE (p.conversation_id = o.conversation_id "
                    "  OR p.character_conversation_id = o.character_conversation_id) "
                    f"  AND p.id < o.id AND {open_send}) "
                    f"ORDER BY o.id LIMIT 1{self.skip_locked}", (_ts(now), _ts(now))).fetchone()
                if row is None:
                    return None
                send_id = row["id"]
            claimed = db.execute("UPDATE channel_outbox SET state = 'sending', attempts = attempts + 1, "
                                 "claimed_by = ?, lease_until = ? WHERE id = ? "
                                 "AND (state = 'pending' OR (state = 'sending' AND lease_until < ?) "
                                 "     OR (? AND state = 'failed')) RETURNING *",
                                 (worker, _ts(now + timedelta(seconds=lease)), send_id, _ts(now),
                                  retry_failed)).fetchone()
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
            return int(db.execute("INSERT INTO channel_media (event_id, media_id, mime_type, sha256, size, path, "
                                  "created_at) VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id",
                                  (event_id, media_id, mime_type, sha256, size, path, _ts(utcnow()))
                                  ).fetchone()[0])

    def media_of(self, event_id: int) -> Iterator[dict[str, Any]]:
        for r in self._query("SELECT * FROM channel_media WHERE event_id = ? ORDER BY id", (event_id,)):
            yield {k: r[k] for k in r.keys()}
