"""The JSON shape of a character (the CLI's --json and the REST API share it)."""

from __future__ import annotations

from typing import Any

from .domain import Character


def character_json(character: Character, knowledge: str | None, *, detail: bool = False) -> dict[str, Any]:
    data = character.data
    out: dict[str, Any] = {
        "handle": character.handle, "name": data["name"], "spec": character.card["spec"],
        "tags": data.get("tags", []), "knowledge": knowledge, "rating": character.rating, "public": character.public,
        "retention_days": character.retention_days,
        "has_avatar": character.has_avatar, "lorebook_entries": len((data.get("character_book") or {}).get("entries", [])),
        "created_at": character.created_at.isoformat(), "updated_at": character.updated_at.isoformat(),
    }
    if detail:
        out["card"] = character.card
    return out
