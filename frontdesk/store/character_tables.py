"""The SQLite tables of AI characters (docs/characters.md): cards, avatars, assets, conversations.

A mixin of :class:`frontdesk.store.sql.SQLStore` (both backends): it uses the store's one connection, its
lock and its transactions. A character with its assets is written in one transaction, so an
import that fails leaves nothing behind.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from contextlib import AbstractContextManager
from datetime import datetime
from typing import TYPE_CHECKING, Any

from ..characters.domain import Character, CharacterConversation
from ..domain import utcnow
from ..errors import AlreadyExists, NotFound
from .base import Message

_UNSET: Any = object()


class CharacterTables:
    if TYPE_CHECKING:  # provided by the store
        def _tx(self) -> AbstractContextManager[Any]: ...
        def _query(self, sql: str, params: Sequence[Any] = ()) -> list[Any]: ...

    _COLUMNS = ("id, handle, card, knowledge_agent_id, rating, avatar IS NOT NULL AS has_avatar, created_at, updated_at, "
                "public, retention_days")

    @staticmethod
    def _character(r: Any) -> Character:
        return Character(r["id"], r["handle"], json.loads(r["card"]), r["knowledge_agent_id"], r["rating"],
                         bool(r["has_avatar"]), datetime.fromisoformat(r["created_at"]),
                         datetime.fromisoformat(r["updated_at"]), bool(r["public"]),
                         r["retention_days"])

    def create_character(self, handle: str, card: dict[str, Any], *, avatar: bytes | None = None,
                         assets: dict[str, bytes] | None = None, knowledge_agent_id: int | None = None,
                         rating: str = "general", public: bool = False) -> Character:
        now = utcnow().isoformat()
        with self._tx() as db:
            if db.execute("SELECT 1 FROM characters WHERE handle = ?", (handle,)).fetchone():
                raise AlreadyExists(f"a character with the handle {handle!r} exists already "
                                    "(choose another with --name, or delete it first)")
            cursor = db.execute(
                "INSERT INTO characters (handle, card, avatar, knowledge_agent_id, rating, public, created_at, updated_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
                (handle, json.dumps(card, ensure_ascii=False), avatar, knowledge_agent_id, rating, int(public), now, now))
            character_id = int(cursor.fetchone()[0])
            db.executemany("INSERT INTO character_assets (character_id, path, data) VALUES (?, ?, ?)",
                           [(character_id, path, data) for path, data in (assets or {}).items()])
        return self.get_character(handle)

    def get_character(self, handle: str) -> Character:
        rows = self._query(f"SELECT {self._COLUMNS} FROM characters WHERE handle = ?", (handle,))
        if not rows:
            raise NotFound(f"no character with the handle {handle!r} (frontdesk characters list shows them)")
        return self._character(rows[0])

    def get_character_by_id(self, character_id: int) -> Character:
        rows = self._query(f"SELECT {self._COLUMNS} FROM characters WHERE id = ?", (character_id,))
        if not rows:
            raise NotFound(f"no character {character_id}")
        return self._character(rows[0])

    def list_characters(self, knowledge_agent_id: int | None = None) -> list[Character]:
        if knowledge_agent_id is None:
            rows = self._query(f"SELECT {self._COLUMNS} FROM characters ORDER BY handle")
        else:
            rows = self._query(f"SELECT {self._COLUMNS} FROM characters WHERE knowledge_agent_id = ? ORDER BY handle",
                               (knowledge_agent_id,))
        return [self._character(r) for r in rows]

    def update_character(self, handle: str, *, card: dict[str, Any] | None = None, avatar: bytes | None = _UNSET,
                         knowledge_agent_id: int | None = _UNSET, rating: str | None = None,
                         new_handle: str | None = None, public: bool | None = None) -> Character:
        sets: list[str] = ["updated_at = ?"]
        params: list[Any] = [utcnow().isoformat()]
        if card is not None:
            sets.append("card = ?")
            params.append(json.dumps(card, ensure_ascii=False))
        if avatar is not _UNSET:
            sets.append("avatar = ?")
            params.append(avatar)
        if knowledge_agent_id is not _UNSET:
            sets.append("knowledge_agent_id = ?")
            params.append(knowledge_agent_id)
        if rating is not None:
            sets.append("rating = ?")
            params.append(rating)
        if public is not None:
            sets.append("public = ?")
            params.append(int(public))
        if new_handle is not None and new_handle != handle:
            sets.append("handle = ?")
            params.append(new_handle)
        with self._tx() as db:
            if new_handle and new_handle != handle and \
                    db.execute("SELECT 1 FROM characters WHERE handle = ?", (new_handle,)).fetchone():
                raise AlreadyExists(f"a character with the handle {new_handle!r} exists already")
            cursor = db.execute(f"UPDATE characters SET {', '.join(sets)} WHERE handle = ?", (*params, handle))
            if cursor.rowcount == 0:
                raise NotFound(f"no character with the handle {handle!r}")
        return self.get_character(new_handle or handle)

    def delete_character(self, handle: str) -> None:
        with self._tx() as db:
            if db.execute("DELETE FROM characters WHERE handle = ?", (handle,)).rowcount == 0:
                raise NotFound(f"no character with the handle {handle!r}")

    def character_avatar(self, character_id: int) -> bytes | None:
        rows = self._query("SELECT avatar FROM characters WHERE id = ?", (character_id,))
        return bytes(rows[0]["avatar"]) if rows and rows[0]["avatar"] is not None else None

    def character_assets(self, character_id: int) -> dict[str, bytes]:
        rows = self._query("SELECT path, data FROM character_assets WHERE character_id = ? ORDER BY path", (character_id,))
        return {r["path"]: bytes(r["data"]) for r in rows}

    # -- conversations ----------------------------------------------------------------------

    @staticmethod
    def _character_conversation(r: Any) -> CharacterConversation:
        return CharacterConversation(r["id"], r["character_id"], r["channel"], r["external_id"], r["secret_hash"],
                                     r["agent_conversation_id"], datetime.fromisoformat(r["created_at"]))

    def create_character_conversation(self, character_id: int, channel: str = "cli", external_id: str | None = None,
                                      secret_hash: str | None = None) -> int:
        now = utcnow().isoformat()
        with self._tx() as db:
            cursor = db.execute(
                "INSERT INTO character_conversations (character_id, channel, external_id, secret_hash, created_at, "
                "updated_at) VALUES (?, ?, ?, ?, ?, ?) RETURNING id",
                (character_id, channel, external_id, secret_hash, now, now))
            return int(cursor.fetchone()[0])

    def get_character_conversation(self, conversation_id: int) -> CharacterConversation:
        rows = self._query("SELECT * FROM character_conversations WHERE id = ?", (conversation_id,))
        if not rows:
            raise NotFound(f"no character conversation {conversation_id}")
        return self._character_conversation(rows[0])

    def find_character_conversation(self, character_id: int, channel: str, external_id: str) -> CharacterConversation | None:
        rows = self._query("SELECT * FROM character_conversations WHERE character_id = ? AND channel = ? AND "
                           "external_id = ? ORDER BY id DESC LIMIT 1", (character_id, channel, external_id))
        return self._character_conversation(rows[0]) if rows else None

    def set_character_conversation(self, conversation_id: int, *, external_id: str | None = _UNSET,
                                   agent_conversation_id: int | None = _UNSET) -> None:
        with self._tx() as db:
            if external_id is not _UNSET:
                db.execute("UPDATE character_conversations SET external_id = ? WHERE id = ?", (external_id, conversation_id))
            if agent_conversation_id is not _UNSET:
                db.execute("UPDATE character_conversations SET agent_conversation_id = ? WHERE id = ?",
                           (agent_conversation_id, conversation_id))

    def add_character_message(self, conversation_id: int, role: str, text: str,
                              payload: dict[str, Any] | None = None) -> int:
        now = utcnow().isoformat()
        with self._tx() as db:
            cursor = db.execute("INSERT INTO character_messages (conversation_id, role, text, payload, created_at) "
                                "VALUES (?, ?, ?, ?, ?) RETURNING id",
                                (conversation_id, role, text, json.dumps(payload or {}, ensure_ascii=False), now))
            message_id = int(cursor.fetchone()[0])
            db.execute("UPDATE character_conversations SET updated_at = ? WHERE id = ?", (now, conversation_id))
            return message_id

    def character_messages(self, conversation_id: int, after_id: int = 0, limit: int = 1000) -> list[Message]:
        rows = self._query("SELECT * FROM character_messages WHERE conversation_id = ? AND id > ? ORDER BY id LIMIT ?",
                           (conversation_id, after_id, limit))
        return [Message(r["id"], r["conversation_id"], r["role"], r["text"], json.loads(r["payload"]),
                        datetime.fromisoformat(r["created_at"])) for r in rows]
