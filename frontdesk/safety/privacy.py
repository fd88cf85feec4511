"""A customer's data: export and erasure on request, the retention sweep, and phone numbers
masked where people read (logs, the console) unless revealed.

A contact is named by phone number (``+49 151 2345678`` and ``4915123456789`` are the same
WhatsApp sender), Messenger/Instagram PSID, or web visitor (``web:<conversation id>``, or
``character:<conversation id>`` for a visitor of a character's chat page). Conversations with AI
characters count as the contact's too: a sender's character conversations on messaging
channels, and the agent conversations a grounded character's factual turns ran in.
"""

from __future__ import annotations

import logging
import re
from datetime import timedelta
from pathlib import Path
from typing import Any

from ..domain import utcnow
from ..errors import InvalidInput, NotFound
from ..views import message_json

_MASK = "•"


def normalise_contact(contact: str) -> str:
    """The identifier conversations keep: digits only for a phone number or PSID, or ``web:<id>``."""
    text = contact.strip()
    if re.fullmatch(r"(?:web|character):\d{1,18}", text):
        return text
    digits = re.sub(r"[\s().+-]", "", text)
    if not digits.isdigit() or not 5 <= len(digits) <= 30:
        raise InvalidInput(f"{contact!r} is not a contact: give a phone number, a PSID (digits), web:<conversation id> "
                           "or character:<conversation id>")
    return digits


def mask_id(value: str, keep: int = 3) -> str:
    """``4915123456789`` -> ``••••••••••789``."""
    return _MASK * max(0, len(value) - keep) + value[-keep:] if len(value) > keep else _MASK * len(value)


def mask_phones(text: str, region: str = "DE") -> str:
    """``text`` with every phone number in it masked to its last three digits."""
    if not text or not any(ch.isdigit() for ch in text):
        return text
    import phonenumbers

    out, last = [], 0
    for match in phonenumbers.PhoneNumberMatcher(text, region):
        out.append(text[last:match.start])
        out.append(re.sub(r"\d(?=(?:\D*\d){3})", _MASK, match.raw_string))
        last = match.end
    out.append(text[last:])
    masked = "".join(out)
    # WhatsApp senders as Meta sends them: 10-15 digits, no plus (recipient=4915123456789, 1065403:49151...);
    # a Meta account id of that length is masked too, which costs a log reader little
    return re.sub(r"(?<![\d.,])\d{10,15}(?![\d.,])", lambda m: mask_id(m.group(0)), masked)


def export_contact(store: Any, contact: str, agent_id: int | None = None) -> dict[str, Any]:
    """Everything kept about ``contact``: conversations with their messages, and channel events."""
    who = normalise_contact(contact)
    character_ids = store.contact_character_conversation_ids(who, agent_id)
    characters = [store.get_character_conversation(i) for i in character_ids]
    ids = store.contact_conversation_ids(who, agent_id)
    ids += [c.agent_conversation_id for c in characters if c.agent_conversation_id and c.agent_conversation_id not in ids]
    events = [] if who.startswith(("web:", "character:")) else store.contact_events(who, ids)
    if agent_id is not None:
        events = [e for e in events if e["conversation_id"] in ids or e["character_conversation_id"] in character_ids]
    if not ids and not events and not characters:
        raise NotFound(f"nothing is kept about {contact!r}")
    conversations = []
    for conversation_id in ids:
        c = store.get_conversation(conversation_id)
        conversations.append({"id": c.id, "agent_id": c.agent_id, "channel": c.channel,
                              "created_at": c.created_at.isoformat(), "updated_at": c.updated_at.isoformat(),
                              "messages": [message_json(m) for m in store.messages(c.id, 0, 1_000_000)]})
    with_characters = [{"id": c.id, "character": store.get_character_by_id(c.character_id).handle, "channel": c.channel,
                        "created_at": c.created_at.isoformat(),
                        "messages": [message_json(m) for m in store.character_messages(c.id, 0, 1_000_000)]}
                       for c in characters]
    return {"contact": who, "exported_at": utcnow().isoformat(), "conversations": conversations,
            "character_conversations": with_characters,
            "channel_events": [{"id": e["id"], "platform": e["platform"], "kind": e["kind"], "received_at": e["received_at"],
                                "payload": e["payload"]} for e in events]}


def erase_contact(store: Any, home: Path, contact: str, agent_id: int | None = None) -> dict[str, Any]:
    """Delete everything kept about ``contact`` (its media files too); counts of what went."""
    who = normalise_contact(contact)
    character_ids = store.contact_character_conversation_ids(who, agent_id)
    ids = store.contact_conversation_ids(who, agent_id)
    sender = None if who.startswith(("web:", "character:")) or agent_id is not None else who
    if not ids and not character_ids and not (sender and store.contact_events(sender, [])):
        raise NotFound(f"nothing is kept about {contact!r}")
    with_characters = store.erase_character_conversations(character_ids)
    _remove_files(home, with_characters.pop("media_files"))
    ids += [i for i in with_characters.pop("agent_conversations") if i not in ids]  # grounded characters' turns
    erased = store.erase_conversations(ids, sender)
    _remove_files(home, erased.pop("media_files"))
    for count in ("messages", "events", "sends"):
        erased[count] += with_characters[count]
    return {"contact": who, **erased, "character_conversations": with_characters["character_conversations"]}


def expire_conversations(store: Any, home: Path) -> int:
    """Erase the conversations older than their retention period (an agent's; a character's own,
    else its agent's); how many went, character conversations included."""
    now, total = utcnow(), 0
    for character_id, days in store.character_retention_days().items():
        ids = store.expired_character_conversation_ids(character_id, now - timedelta(days=days))
        if ids:
            erased = store.erase_character_conversations(ids)
            _remove_files(home, erased.pop("media_files"))
            total += erased["character_conversations"]
            if erased["agent_conversations"]:
                _remove_files(home, store.erase_conversations(erased["agent_conversations"])["media_files"])
    for agent_id, days in store.retention_days().items():
        ids = store.expired_conversation_ids(agent_id, now - timedelta(days=days))
        if ids:
            erased = store.erase_conversations(ids)
            _remove_files(home, erased.pop("media_files"))
            total += erased["conversations"]
    return total


def _remove_files(home: Path, paths: list[str]) -> None:
    for path in paths:
        file = Path(path) if Path(path).is_absolute() else home / path
        file.unlink(missing_ok=True)


class RedactQuery(logging.Filter):
    """Uvicorn's access log without the webhook verify token (``hub.verify_token=...``)."""

    _TOKEN = re.compile(r"(hub\.verify_token=)[^&\s\"]*", re.I)

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(self._TOKEN.sub(r"\1[redacted]", a) if isinstance(a, str) else a for a in record.args)
        if isinstance(record.msg, str):
            record.msg = self._TOKEN.sub(r"\1[redacted]", record.msg)
        return True


def redact_access_log() -> None:
    """Install :class:`RedactQuery` on uvicorn's access log (once)."""
    access = logging.getLogger("uvicorn.access")
    if not any(isinstance(f, RedactQuery) for f in access.filters):
        access.addFilter(RedactQuery())
