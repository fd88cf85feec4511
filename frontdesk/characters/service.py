"""Characters as the CLI, the REST API, the console and ``/v1`` use them: create, edit, import,
export, converse. A thin layer over the store and :mod:`.card`; every write is one transaction.
"""

from __future__ import annotations

import copy
import io
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import InvalidInput, NotFound, UserError
from . import card as cards
from .chat import CharacterChat
from .domain import RATINGS, Character

if TYPE_CHECKING:
    from ..app import Frontdesk
    from ..domain import Channel
    from ..llm import ChatModel
    from ..store.base import Message
    from .chat import Reply
    from .domain import CharacterConversation

#: Fields of a card's ``data`` that create/edit set directly (the card's own names).
EDITABLE = ("name", "description", "personality", "scenario", "first_mes", "alternate_greetings", "mes_example",
            "system_prompt", "post_history_instructions", "tags", "creator_notes", "creator", "character_version",
            "nickname")
MAX_AVATAR = 8 * 1024 * 1024
WHATSAPP_POLICY = (
    "a character without knowledge cannot be connected to WhatsApp: WhatsApp's Business policy (since "
    "15 January 2026) does not allow general-purpose chatbots on business numbers. Attach the character "
    "to a business's agent first (frontdesk characters edit {handle} --knowledge AGENT), so that it answers "
    "from that business's knowledge")


class Characters:
    def __init__(self, frontdesk: Frontdesk, model: ChatModel | None = None) -> None:
        self.frontdesk = frontdesk
        self.store = frontdesk.store
        self.chat = CharacterChat(frontdesk, model)

    # -- definitions ----------------------------------------------------------------------------

    def create(self, handle: str | None, fields: dict[str, Any], *, avatar: bytes | None = None,
               knowledge: str | None = None, rating: str = "general", public: bool = False) -> Character:
        data = {k: v for k, v in fields.items() if v is not None}
        if not str(data.get("name", "")).strip():
            raise InvalidInput("name: a character needs a name")
        card = {"spec": cards.V3, "spec_version": "3.0",
                "data": {**data, "creation_date": int(time.time()), "modification_date": int(time.time())}}
        card = cards.normalise(card)
        return self.store.create_character(cards.checked_handle(handle or cards.handle_for(card["data"]["name"])),
                                           card, avatar=_checked_avatar(avatar),
                                           knowledge_agent_id=self._agent_id(knowledge), rating=_rating(rating),
                                           public=public)

    def get(self, handle: str) -> Character:
        return self.store.get_character(handle)

    def list_characters(self, knowledge_agent_id: int | None = None) -> list[Character]:
        return self.store.list_characters(knowledge_agent_id)

    def edit(self, handle: str, fields: dict[str, Any], *, avatar: bytes | None = None, remove_avatar: bool = False,
             knowledge: str | None = None, no_knowledge: bool = False, rating: str | None = None,
             book: dict[str, Any] | None = None, new_handle: str | None = None,
             public: bool | None = None, retention_days: int | None = None) -> Character:
        """Change what is named; ``retention_days`` 0 clears the character's own period."""
        character = self.get(handle)
        numbers = [c.account_id for c in self.channels(character) if c.platform == "whatsapp"]
        if no_knowledge and numbers:
            raise UserError(f"character {handle} answers on WhatsApp ({', '.join(numbers)}): without knowledge it "
                            "would be a general-purpose chatbot, which WhatsApp's Business policy (since 15 January "
                            "2026) does not allow on business numbers; disconnect the number first "
                            f"(frontdesk channels remove whatsapp:{numbers[0]})")
        if retention_days is not None:
            if retention_days < 0:
                raise InvalidInput("retention_days: must be 0 (keep) or more")
            self.store.set_character_retention_days(character.id, retention_days or None)
        card = copy.deepcopy(character.card)
        for key, value in fields.items():
            if value is not None:
                card["data"][key] = value
        if book is not None:
            card["data"]["character_book"] = book
        if card["spec"] == cards.V3:
            card["data"]["modification_date"] = int(time.time())
        card = cards.normalise(card)
        changes: dict[str, Any] = {"card": card, "rating": _rating(rating) if rating else None, "public": public,
                                   "new_handle": cards.checked_handle(new_handle) if new_handle else None}
        if avatar is not None or remove_avatar:
            changes["avatar"] = None if remove_avatar else _checked_avatar(avatar)
        if knowledge is not None or no_knowledge:
            changes["knowledge_agent_id"] = None if no_knowledge else self._agent_id(knowledge)
        return self.store.update_character(handle, **changes)

    def delete(self, handle: str) -> None:
        self.store.delete_character(handle)

    def avatar(self, character: Character) -> bytes | None:
        return self.store.character_avatar(character.id)

    def knowledge_name(self, character: Character) -> str | None:
        if character.knowledge_agent_id is None:
            return None
        return self.store.get_agent_by_id(character.knowledge_agent_id).name

    def _agent_id(self, name: str | None) -> int | None:
        return self.frontdesk.agent(name).id if name else None

    # -- cards --------------------------------------------------------------------------------

    def import_card(self, raw: bytes, filename: str = "card", handle: str | None = None, *,
                    knowledge: str | None = None, rating: str = "general", public: bool = False) -> Character:
        """One card file (JSON, PNG, CHARX) becomes one character, in one transaction."""
        parsed = cards.read_card(raw, filename)
        chosen = cards.checked_handle(handle or cards.handle_for(parsed.card["data"]["name"]))
        return self.store.create_character(chosen, parsed.card, avatar=parsed.avatar, assets=parsed.assets,
                                           knowledge_agent_id=self._agent_id(knowledge), rating=_rating(rating),
                                           public=public)

    def import_file(self, path: str | Path, handle: str | None = None, **options: Any) -> Character:
        path = Path(path)
        try:
            raw = path.read_bytes()
        except OSError as exc:
            raise InvalidInput(f"{path}: cannot be read ({exc.strerror})") from None
        return self.import_card(raw, path.name, handle, **options)

    def export(self, character: Character, fmt: str) -> bytes:
        if fmt == "json":
            return cards.to_json(character.card)
        if fmt == "png":
            return cards.to_png(character.card, self.avatar(character))
        if fmt == "charx":
            return cards.to_charx(character.card, self.avatar(character), self.store.character_assets(character.id))
        raise InvalidInput(f"format {fmt!r} is not one of json, png, charx")

    # -- conversations ------------------------------------------------------------------------

    def start(self, character: Character, channel: str = "cli", external_id: str | None = None,
              secret_hash: str | None = None, greeting: int = 0, user: str = "User") -> int:
        """A new conversation; the character's greeting (``first_mes``, or an alternate one) opens it."""
        conversation = self.store.create_character_conversation(character.id, channel, external_id, secret_hash)
        greetings = character.greetings
        if greetings:
            text = cards.fill(greetings[greeting % len(greetings)], character.name, user).strip()
            self.store.add_character_message(conversation, "assistant", text, {"mode": "greeting"})
        return conversation

    def greeting(self, character: Character, user: str = "User") -> str | None:
        greetings = character.greetings
        return cards.fill(greetings[0], character.name, user).strip() if greetings else None

    def say(self, character: Character, conversation_id: int, text: str, user: str = "User") -> Iterator[tuple[str, Any]]:
        return self.chat.stream(character, conversation_id, text, user=user)

    def conversation(self, character: Character, conversation_id: int, channel: str | None = None) -> CharacterConversation:
        """Conversation ``conversation_id``, which must be ``character``'s (and on ``channel``, when given)."""
        conversation = self.store.get_character_conversation(conversation_id)
        if conversation.character_id != character.id or (channel is not None and conversation.channel != channel):
            raise NotFound(f"no conversation {conversation_id}")
        return conversation

    def messages(self, conversation_id: int, after_id: int = 0, limit: int = 1000) -> list[Message]:
        return self.store.character_messages(conversation_id, after_id, limit)

    def find_conversation(self, character: Character, channel: str, external_id: str) -> CharacterConversation | None:
        return self.store.find_character_conversation(character.id, channel, external_id)

    def record_conversation(self, character: Character, channel: str, turns: list[tuple[str, str]]) -> int:
        """A new conversation holding turns a client had before (the OpenAI-compatible API's transcript)."""
        conversation = self.store.create_character_conversation(character.id, channel)
        for role, text in turns:
            self.store.add_character_message(conversation, role, text, {})
        return conversation

    def set_conversation_key(self, conversation_id: int, external_id: str) -> None:
        self.store.set_character_conversation(conversation_id, external_id=external_id)

    def allowed_origins(self, character: Character) -> list[str]:
        """Web origins besides the server's own that may embed the character: its agent's."""
        if character.knowledge_agent_id is None:
            return []
        return list(self.frontdesk.agent_by_id(character.knowledge_agent_id).allowed_origins)

    # -- messaging channels (docs/characters.md) ------------------------------------------------

    def check_channel(self, character: Character, platform: str) -> None:
        """The policy for connecting a character to a messaging platform (docs/characters.md)."""
        if platform == "whatsapp" and character.knowledge_agent_id is None:
            raise UserError(WHATSAPP_POLICY.format(handle=character.handle))

    def connect(self, handle: str, platform: str, account_id: str, *, label: str = "") -> Channel:
        """Connect a Messenger page, an Instagram account or (a grounded character only) a WhatsApp
        number to the character: it answers the messages that arrive there."""
        character = self.get(handle)
        self.check_channel(character, platform)
        return self.frontdesk.channels.connect_character(character.id, platform, account_id, label=label)

    def channels(self, character: Character) -> list[Channel]:
        return self.store.list_channels(character_id=character.id)

    def channel_conversation(self, character_id: int, platform: str, external_id: str,
                             user: str = "User") -> tuple[int, str | None]:
        """The conversation with a channel's sender (``account:sender``), made on their first message,
        and the greeting to send first while the sender has not written in it yet."""
        character = self.store.get_character_by_id(character_id)
        found = self.store.find_character_conversation(character.id, platform, external_id)
        conversation = found.id if found is not None else self.start(character, platform, external_id, user=user)
        kept = self.store.character_messages(conversation, 0, 50)
        if any(m.role == "user" for m in kept):
            return conversation, None
        greeting = next((m.text for m in kept if m.payload.get("mode") == "greeting"), None)
        return conversation, greeting

    def channel_reply(self, character_id: int, platform: str, conversation_id: int, text: str,
                      user: str = "User") -> Reply:
        """The character's whole reply to a message on a channel (the policy is checked again: the
        character may have lost its knowledge since it was connected)."""
        character = self.store.get_character_by_id(character_id)
        self.check_channel(character, platform)
        reply = None
        for event, value in self.say(character, conversation_id, text, user):
            if event == "done":
                reply = value
        assert reply is not None
        return reply


def _rating(rating: str) -> str:
    if rating not in RATINGS:
        raise InvalidInput(f"rating {rating!r} is not one of {', '.join(RATINGS)}")
    return rating


def _checked_avatar(avatar: bytes | None) -> bytes | None:
    """An avatar image is kept as PNG (a card's image format); other images are converted."""
    if avatar is None:
        return None
    if len(avatar) > MAX_AVATAR:
        raise InvalidInput("avatar: the image is larger than 8 MB")
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(avatar)) as image:
            if image.width * image.height > 40_000_000:
                raise InvalidInput("avatar: the image is too large")
            if image.format == "PNG":
                return cards.strip_card_chunks(avatar)
            out = io.BytesIO()
            image.convert("RGBA").save(out, format="PNG")
            return out.getvalue()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError) as exc:
        raise InvalidInput(f"avatar: not a readable image ({exc})") from None
