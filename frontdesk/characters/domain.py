"""The character as the library sees it (no I/O): its card, its grounding, its rating."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

#: Content ratings an owner can set (docs/characters.md). The platform's safety rules hold at every one.
RATINGS = ("general", "teen", "mature")


@dataclass(frozen=True)
class Character:
    id: int
    handle: str
    #: The whole Character Card object (``{"spec": ..., "spec_version": ..., "data": {...}}``), lossless.
    card: dict[str, Any]
    knowledge_agent_id: int | None
    rating: str
    has_avatar: bool
    created_at: datetime
    updated_at: datetime
    #: Its public web chat (``/c/HANDLE``) answers visitors only when the owner made it public.
    public: bool = False
    #: Days its conversations are kept (None: its knowledge agent's period, else kept; docs/characters.md).
    retention_days: int | None = None

    @property
    def data(self) -> dict[str, Any]:
        return self.card["data"]  # type: ignore[no-any-return]

    @property
    def name(self) -> str:
        """The name the character goes by: V3's nickname when set, else its name (SPEC_V3 ``{{char}}``)."""
        return str(self.data.get("nickname") or self.data["name"])

    @property
    def greetings(self) -> list[str]:
        return [g for g in [self.data.get("first_mes", ""), *self.data.get("alternate_greetings", [])] if g.strip()]


@dataclass(frozen=True)
class CharacterConversation:
    id: int
    character_id: int
    channel: str
    external_id: str | None
    secret_hash: str | None
    agent_conversation_id: int | None
    created_at: datetime
