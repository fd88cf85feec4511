"""The SQLite side of a customer's data rights: finding a contact's conversations, erasing them,
and the retention sweep. A mixin of :class:`frontdesk.store.sql.SQLStore` (both backends).

A contact is a messaging sender (a WhatsApp number as Meta sends it, digits only, or a Messenger
or Instagram PSID) or a web visitor (``web:<conversation id>``): conversations keep the sender as
``external_id = '<account>:<sender>'`` and channel events as ``sender``.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from contextlib import AbstractContextManager
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any


def private_file(path: Path) -> None:
    """Create ``path``'s folder 0700 (when it does not exist) and the file 0600 (SQLite gives its
    -wal and -shm files the database's mode)."""
    if not path.parent.exists():
        path.parent.mkdir(parents=True, mode=0o700)
        path.parent.chmod(0o700)  # mkdir's mode passes through the umask
    if not path.exists():
        os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))
    os.chmod(path, 0o600)


class PrivacyTables:
    if TYPE_CHECKING:  # provided by the store
        instr: str  # SQLite's instr, PostgreSQL's strpos: (string, substring) -> position

        def _tx(self) -> AbstractContextManager[Any]: ...
        def _query(self, sql: str, params: Sequence[Any] = ()) -> list[Any]: ...

    def contact_conversation_ids(self, contact: str, agent_id: int | None = None) -> list[int]:
        """Ids of the conversations of ``contact`` (a sender id, or ``web:<id>``), of one agent or all."""
        scope, params = ("AND agent_id = ?", [agent_id]) if agent_id is not None else ("", [])
        if contact.startswith("web:"):
            ref = contact.removeprefix("web:")
            if not ref.isdigit():
                return []
            rows = self._query(f"SELECT id FROM conversations WHERE channel = 'web' AND id = ? {scope}", (int(ref), *params))
        else:
            rows = self._query(
                "SELECT id FROM conversations WHERE channel != 'web' AND external_id IS NOT NULL AND "
                f"substr(external_id, {self.instr}(external_id, ':') + 1) = ? {scope} ORDER BY id", (contact, *params))
        return [int(r[0]) for r in rows]

    def contact_events(self, contact: str, conversation_ids: Sequence[int]) -> list[Any]:
        """Inbound channel events of the contact (also those not tied to a conversation)."""
        marks = ",".join("?" * len(conversation_ids)) or "NULL"
        return self._query(f"SELECT * FROM channel_events WHERE sender = ? OR conversation_id IN ({marks}) ORDER BY id",
                           (contact, *conversation_ids))

    def erase_conversations(self, conversation_ids: Sequence[int], sender: str | None = None) -> dict[str, Any]:
        """Delete conversations, their messages, the channel events and outbox rows about them (and
        every event of ``sender``); what was deleted, and media files no other row still needs."""
        ids = list(conversation_ids)
        marks = ",".join("?" * len(ids)) or "NULL"
        with self._tx() as db:
            by_sender = " OR sender = ?" if sender is not None else ""
            events = [r[0] for r in db.execute(
                f"SELECT id FROM channel_events WHERE conversation_id IN ({marks}){by_sender}",
                (*ids, *([sender] if sender is not None else []))).fetchall()]
            messages = db.execute(f"DELETE FROM messages WHERE conversation_id IN ({marks})", ids).rowcount
            outbox = db.execute(f"DELETE FROM channel_outbox WHERE conversation_id IN ({marks})", ids).rowcount
            orphaned = _delete_events(db, events)
            conversations = db.execute(f"DELETE FROM conversations WHERE id IN ({marks})", ids).rowcount
        return {"conversations": conversations, "messages": messages, "events": len(events), "sends": outbox,
                "media_files": orphaned}

    # -- conversations with AI characters ----------------------------------------------------

    def contact_character_conversation_ids(self, contact: str, agent_id: int | None = None) -> list[int]:
        """Ids of the character conversations of ``contact``: on a messaging channel by its sender id,
        or ``character:<id>`` (a web visitor's); with ``agent_id``, of the characters grounded in it."""
        scope, params = ("AND character_id IN (SELECT id FROM characters WHERE knowledge_agent_id = ?)",
                         [agent_id]) if agent_id is not None else ("", [])
        if contact.startswith("character:"):
            ref = contact.removeprefix("character:")
            if not ref.isdigit():
                return []
            rows = self._query(f"SELECT id FROM character_conversations WHERE id = ? {scope}", (int(ref), *params))
        elif contact.startswith("web:"):
            return []
        else:
            rows = self._query(
                "SELECT id FROM character_conversations WHERE channel IN ('whatsapp', 'messenger', 'instagram') AND "
                f"external_id IS NOT NULL AND substr(external_id, {self.instr}(external_id, ':') + 1) = ? {scope} "
                "ORDER BY id", (contact, *params))
        return [int(r[0]) for r in rows]

    def erase_character_conversations(self, conversation_ids: Sequence[int]) -> dict[str, Any]:
        """Delete character conversations with their messages, channel events and sends; what went,
        the agent conversations their grounded turns ran in (for the caller to erase), and media
        files no other row still needs."""
        ids = list(conversation_ids)
        marks = ",".join("?" * len(ids)) or "NULL"
        with self._tx() as db:
            agent_conversations = [int(r[0]) for r in db.execute(
                f"SELECT agent_conversation_id FROM character_conversations WHERE id IN ({marks}) "
                "AND agent_conversation_id IS NOT NULL", ids).fetchall()]
            events = [r[0] for r in db.execute(
                f"SELECT id FROM channel_events WHERE character_conversation_id IN ({marks})", ids).fetchall()]
            messages = db.execute(f"DELETE FROM character_messages WHERE conversation_id IN ({marks})", ids).rowcount
            sends = db.execute(f"DELETE FROM channel_outbox WHERE character_conversation_id IN ({marks})", ids).rowcount
            orphaned = _delete_events(db, events)
            conversations = db.execute(f"DELETE FROM character_conversations WHERE id IN ({marks})", ids).rowcount
        return {"character_conversations": conversations, "messages": messages, "events": len(events), "sends": sends,
                "media_files": orphaned, "agent_conversations": agent_conversations}

    def character_retention_days(self) -> dict[int, int]:
        """Character id -> days its conversations are kept: its own period, else its agent's."""
        rows = self._query("SELECT c.id, COALESCE(c.retention_days, a.retention_days) FROM characters c "
                           "LEFT JOIN agents a ON a.id = c.knowledge_agent_id "
                           "WHERE COALESCE(c.retention_days, a.retention_days) IS NOT NULL")
        return {int(r[0]): int(r[1]) for r in rows}

    def expired_character_conversation_ids(self, character_id: int, before: datetime) -> list[int]:
        rows = self._query("SELECT id FROM character_conversations WHERE character_id = ? AND updated_at < ? ORDER BY id",
                           (character_id, before.isoformat()))
        return [int(r[0]) for r in rows]

    def set_character_retention_days(self, character_id: int, days: int | None) -> None:
        with self._tx() as db:
            db.execute("UPDATE characters SET retention_days = ? WHERE id = ?", (days, character_id))

    def expired_conversation_ids(self, agent_id: int, before: datetime) -> list[int]:
        """Conversations of ``agent_id`` not updated since ``before`` (the retention sweep)."""
        rows = self._query("SELECT id FROM conversations WHERE agent_id = ? AND updated_at < ? ORDER BY id",
                           (agent_id, before.isoformat()))
        return [int(r[0]) for r in rows]

    def retention_days(self) -> dict[int, int]:
        """Agent id -> days its conversations are kept, for the agents whose owner set a period."""
        return {int(r[0]): int(r[1]) for r in self._query(
            "SELECT id, retention_days FROM agents WHERE retention_days IS NOT NULL")}

    def set_retention_days(self, agent_id: int, days: int | None) -> None:
        with self._tx() as db:
            db.execute("UPDATE agents SET retention_days = ? WHERE id = ?", (days, agent_id))

    def user_display_name(self, name: str) -> str:
        rows = self._query("SELECT display_name FROM users WHERE name = ?", (name,))
        return str(rows[0][0]) if rows else ""

    def set_user_display_name(self, name: str, display_name: str) -> None:
        with self._tx() as db:
            db.execute("UPDATE users SET display_name = ? WHERE name = ?", (display_name, name))

    # -- a turn in progress (frontdesk/transcript.py) ------------------------------------------

    def update_message(self, message_id: int, text: str, payload: dict[str, Any]) -> None:
        import json

        with self._tx() as db:
            db.execute("UPDATE messages SET text = ?, payload = ? WHERE id = ?",
                       (text, json.dumps(payload, default=str), message_id))

    def delete_messages(self, message_ids: Sequence[int]) -> None:
        ids = list(message_ids)
        if ids:
            with self._tx() as db:
                db.execute(f"DELETE FROM messages WHERE id IN ({','.join('?' * len(ids))})", ids)


def _delete_events(db: Any, events: list[Any]) -> list[str]:
    """Delete channel events (their media rows go with them); the media files no other row still needs."""
    marks = ",".join("?" * len(events)) or "NULL"
    media = [r[0] for r in db.execute(f"SELECT path FROM channel_media WHERE event_id IN ({marks})", events).fetchall()]
    db.execute(f"DELETE FROM channel_events WHERE id IN ({marks})", events)
    return [p for p in set(media) if not db.execute("SELECT 1 FROM channel_media WHERE path = ?", (p,)).fetchone()]
