"""One customer event, from the queue to the reply's requests in the outbox.

A status updates the sends it names; a handover event moves the conversation's owner; a message
while a person owns the conversation (or in standby) is kept for them; any other message is
marked read, answered through the agent (:meth:`frontdesk.app.Frontdesk.chat`, passed in as
``chat``) and its reply queued, rendered for the event's platform (:mod:`.platforms`).

On a channel connected to an AI character the message is answered by the character instead
(``characters``, :class:`frontdesk.characters.service.Characters`: its greeting first in a new
conversation, then its reply, under the same rules as on the web).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from ..answer import Answer, phrases
from ..domain import Agent, Channel, ChannelEvent, Conversation, product_fields, utcnow
from ..errors import UserError
from ..store import Store
from .media import MediaKeeper
from .outbox import Outbox
from .platforms import HUMAN, PRODUCT, Body, price_line, rules_for
from .window import check_window

if TYPE_CHECKING:
    from ..voice.turn import Heard

#: How the agent answers one customer message: ``Frontdesk.chat`` (it honours the handoff state);
#: ``payload=`` is kept with the customer's message (a voice note's recording and transcript).
Chat = Callable[..., Iterator[tuple[str, Any]]]


class Voice(Protocol):
    """Voice notes for the channels (:class:`frontdesk.voice.turn.ChannelVoice`)."""

    def seconds(self, data: bytes) -> float: ...
    def hear(self, data: bytes, fallback_language: str, agent: Agent | None = None) -> Heard: ...
    def speak(self, text: str, language: str, fmt: str = "opus") -> Path | None: ...


class CharacterReply(Protocol):
    text: str
    language: str
    citations: list[dict[str, Any]]


class CharacterLine(Protocol):
    """AI characters for the channels (:class:`frontdesk.characters.service.Characters`)."""

    def channel_conversation(self, character_id: int, platform: str, external_id: str,
                             user: str = "User") -> tuple[int, str | None]: ...
    def channel_reply(self, character_id: int, platform: str, conversation_id: int, text: str,
                      user: str = "User") -> CharacterReply: ...


@dataclass(frozen=True)
class SpeakLater:
    """An answer to speak once its text has gone out (so the text never waits for the voice)."""

    agent: Agent
    to: str
    text: str
    language: str


class EventProcessor:
    def __init__(self, store: Store, chat: Chat, outbox: Outbox, media: MediaKeeper,
                 voice: Voice | None = None, characters: CharacterLine | None = None) -> None:
        self.store = store
        self.chat = chat
        self.outbox = outbox
        self.media = media
        self.voice = voice
        self.characters = characters

    def process(self, event: ChannelEvent) -> tuple[str, int | None]:
        """Handle ``event``: its final state (done, held, skipped) and its conversation."""
        if event.channel_id is None:
            return "skipped", None
        channel = self.store.get_channel(event.channel_id)
        if event.kind == "status":
            for message_id in event.payload.get("message_ids") or [event.payload.get("message_id")]:
                if message_id:
                    self.store.record_delivery(message_id, event.payload["status"], event.payload.get("error"))
            return "done", None
        assert event.sender is not None
        if channel.character_id is not None:
            return self._as_character(channel, channel.character_id, event), None
        conversation = self._conversation(channel, event.sender)
        self.store.set_event_conversation(event.id, conversation.id)
        if event.kind == "handover":
            return self._handover(event, conversation), conversation.id
        if event.kind == "standby" or conversation.status == "human":
            self.store.add_message(conversation.id, "user", customer_text(event),
                                   {"held": True, "channel_event": event.id, "standby": event.kind == "standby"})
            return "held", conversation.id
        if self.outbox.resend_queued(event):  # an earlier attempt got as far as queueing its reply
            return "done", conversation.id
        check_window(self.store, channel, conversation, human=False)
        rules = rules_for(channel.platform)
        self.outbox.queue(channel, conversation, f"seen:{event.id}", rules.seen(event), send_now=True, quiet=True)
        replies, later = self._reply(channel, conversation, event)
        self.outbox.queue(channel, conversation, f"reply:{event.id}", replies, send_now=True)
        if later is not None and self.voice is not None:
            spoken = self.voice.speak(later.text, later.language, rules.audio_format)
            if spoken is not None:  # a voice that failed costs the spoken copy only (logged)
                self.outbox.queue(channel, conversation, f"reply:{event.id}:voice",
                                  rules.audio(later.to, str(spoken)), send_now=True)
        return "done", conversation.id

    def _as_character(self, channel: Channel, character_id: int, event: ChannelEvent) -> str:
        """A message on a character's channel: the character's greeting (in a new conversation) and
        reply. No person takes a character's thread over: handover and standby events are only noted."""
        if event.kind in ("handover", "standby"):
            return "done"
        if self.characters is None:
            raise UserError("AI characters are not available to the channels here")
        user = str(event.payload.get("name") or "User")[:64]
        conversation_id, greeting = self.characters.channel_conversation(
            character_id, channel.platform, f"{channel.account_id}:{event.sender}", user)
        self.store.set_event_character_conversation(event.id, conversation_id)
        if self.outbox.resend_queued(event):  # an earlier attempt got as far as queueing its reply
            return "done"
        rules = rules_for(channel.platform)
        to = str(event.sender)
        self.outbox.queue(channel, None, f"seen:{event.id}", rules.seen(event), send_now=True, quiet=True,
                          character_conversation_id=conversation_id)
        text = str(event.payload.get("text") or "").strip()
        bodies = rules.text(to, greeting) if greeting else []
        if text:
            reply = self.characters.channel_reply(character_id, channel.platform, conversation_id, text, user)
            bodies += rules.text(to, with_sources(reply.text, reply.citations, reply.language))
        elif not greeting:  # media, an order, a voice note: a character reads text
            kind = str((event.payload.get("media") or [{}])[0].get("kind") or "file")
            bodies += rules.text(to, phrases.media_received(self._character_language(conversation_id), kind))
        self.outbox.queue(channel, None, f"reply:{event.id}", bodies, send_now=True,
                          character_conversation_id=conversation_id)
        return "done"

    def _character_language(self, conversation_id: int) -> str:
        for message in reversed(self.store.character_messages(conversation_id, 0, 100_000)[-10:]):
            if message.payload.get("language"):
                return str(message.payload["language"])
        return "en"

    def _conversation(self, channel: Channel, sender: str) -> Conversation:
        assert channel.agent_id is not None
        external = f"{channel.account_id}:{sender}"
        found = self.store.find_conversation(channel.agent_id, channel.platform, external)
        if found is not None:
            return found
        return self.store.get_conversation(
            self.store.create_conversation(channel.agent_id, channel.platform, external))

    def _handover(self, event: ChannelEvent, conversation: Conversation) -> str:
        kind = event.payload.get("type")
        if kind == "pass_thread_control":  # the thread was passed to this app: the agent answers again
            self.store.set_conversation_status(conversation.id, "bot", None)
        elif kind == "take_thread_control":  # another app (e.g. the Page inbox) took it: stay silent
            owner = f"app {event.payload.get('new_owner_app_id') or 'inbox'}"
            self.store.set_conversation_status(conversation.id, "human", owner)
        elif kind == "request_thread_control" and conversation.status != "human":
            self.store.set_conversation_status(conversation.id, "waiting", None)
        self.store.add_message(conversation.id, "system", f"{kind.replace('_', ' ')}" if kind else "handover",
                               {"channel_event": event.id, "handover": event.payload.get("raw", {})})
        return "done"

    def _reply(self, channel: Channel, conversation: Conversation,
               event: ChannelEvent) -> tuple[list[Body], SpeakLater | None]:
        """The Graph API request bodies that answer ``event``, in order, and the answer to speak after them."""
        rules = rules_for(channel.platform)
        assert channel.agent_id is not None
        agent = self.store.get_agent_by_id(channel.agent_id)
        reply_id = str(event.payload.get("reply_id") or "")
        to = str(event.sender)
        if reply_id == HUMAN:
            language = self._language(conversation)
            self.store.add_message(conversation.id, "user", customer_text(event), {"channel_event": event.id})
            self.store.set_conversation_status(conversation.id, "waiting", None)
            text = phrases.person_will_reply(language)
            self.store.add_message(conversation.id, "assistant", text, {"handoff": True, "grounded": True})
            return [*rules.text(to, text),
                    *rules.handover(channel, to, "pass_thread_control", "customer asked for a person")], None
        if event.kind == "order":
            return self._order(channel, agent.id, conversation, event), None
        question = str(event.payload.get("text") or "").strip()
        if reply_id.startswith(PRODUCT):
            product = self.store.products_by_key(agent.id, [reply_id.removeprefix(PRODUCT)])
            question = next((p.title for p in product.values()), question)
        media = self.media.keep(channel, event) if event.kind == "media" else []
        recording = next((m for m in media if _is_audio(m)), None)
        if not question and recording is not None and self.voice is not None:
            return self._voice_note(channel, conversation, event, agent, recording, media)
        if not question:
            language = self._language(conversation)
            kind = media[0]["kind"] if media else "file"
            self.store.add_message(conversation.id, "user", customer_text(event),
                                   {"channel_event": event.id, "media": media})
            text = phrases.media_received(language, kind)
            self.store.add_message(conversation.id, "assistant", text, {"grounded": True, "handoff": False})
            return rules.text(to, text), None
        answer: Answer | None = None
        for kind, value in self.chat(agent, conversation.id, question):
            if kind == "done":
                answer = value
            elif kind == "held":
                return [], None
        assert answer is not None
        return self._answer(channel, to, answer), self._speak_later(channel, agent, to, answer, "", spoke=False)

    def _voice_note(self, channel: Channel, conversation: Conversation, event: ChannelEvent, agent: Agent,
                    recording: dict[str, Any], media: list[dict[str, Any]]) -> tuple[list[Body], SpeakLater | None]:
        """A voice note answered like a typed question; the transcript is kept beside the recording."""
        from ..voice import replies as voice_replies
        from ..voice.turn import LONG_NOTE_SECONDS, voice_payload

        assert self.voice is not None
        rules = rules_for(channel.platform)
        to = str(event.sender)
        language = self._language(conversation)
        data = Path(recording["path"]).read_bytes()
        seconds = self.voice.seconds(data)
        if seconds > LONG_NOTE_SECONDS:  # a long note: say it is being listened to before the answer
            self.outbox.queue(channel, conversation, f"listening:{event.id}",
                              rules.text(to, voice_replies.listening(language, seconds)), send_now=True, quiet=True)
        heard = self.voice.hear(data, language, agent)
        payload = {"channel_event": event.id, "media": media, **voice_payload(recording, heard)}
        if heard.reply is not None:  # not audio, no speech, too long: ask to type; nothing else is lost
            self.store.add_message(conversation.id, "user", customer_text(event), payload)
            self.store.add_message(conversation.id, "assistant", heard.reply,
                                   {"grounded": True, "handoff": False, "language": heard.language})
            return rules.text(to, heard.reply), None
        answer: Answer | None = None
        for kind, value in self.chat(agent, conversation.id, heard.question, payload=payload):
            if kind == "done":
                answer = value
            elif kind == "held":
                return [], None
        assert answer is not None
        prefix = heard.prefix()
        return (self._answer(channel, to, answer, prefix),
                self._speak_later(channel, agent, to, answer, prefix, spoke=True))

    def _speak_later(self, channel: Channel, agent: Agent, to: str, answer: Answer, prefix: str, *,
                     spoke: bool) -> SpeakLater | None:
        from ..voice.turn import wants_speech

        if self.voice is None or not wants_speech(agent, spoke):
            return None
        return SpeakLater(agent, to, " ".join(p for p in (prefix, answer.answer.strip()) if p), answer.language)

    def _answer(self, channel: Channel, to: str, answer: Answer, prefix: str = "") -> list[Body]:
        rules = rules_for(channel.platform)
        language = answer.language
        text = answer.answer.strip()
        if prefix:  # "You asked about: …" when the transcript may be wrong
            text = f"{prefix}\n\n{text}"
        text = with_sources(text, answer.citations, language)
        bodies = rules.offer_person(to, text, language) if answer.handoff else rules.text(to, text)
        products = [p for p in answer.products if p.get("id")]
        return [*bodies, *rules.products(channel, to, products, language, answer.answer)]

    def _order(self, channel: Channel, agent_id: int, conversation: Conversation, event: ChannelEvent) -> list[Body]:
        """An order from the catalog: confirm what it holds at our catalog's prices, and ask a person to take it."""
        order = event.payload["order"]
        language = self._language(conversation)
        products = self.store.products_by_key(agent_id, [i["retailer_id"] for i in order["items"]])
        lines, missing = [], []
        for item in order["items"]:
            product = products.get(item["retailer_id"])
            if product is None:
                missing.append(item["retailer_id"])
                continue
            lines.append(f"{item['quantity']} × {product.title}: {price_line(product_fields(product.fields, utcnow()))}")
        text = phrases.order_received(language, lines, missing)
        self.store.add_message(conversation.id, "user", customer_text(event), {"channel_event": event.id, "order": order})
        self.store.add_message(conversation.id, "assistant", text, {"grounded": True, "handoff": True, "order": order})
        self.store.set_conversation_status(conversation.id, "waiting", None)
        return rules_for(channel.platform).text(str(event.sender), text)

    def _language(self, conversation: Conversation) -> str:
        """The language of the conversation's latest answer, English before there is one."""
        for message in reversed(self.store.recent_messages(conversation.id, 10)):
            if message.payload.get("language"):
                return str(message.payload["language"])
        return "en"


def with_sources(text: str, citations: list[dict[str, Any]], language: str) -> str:
    """A reply with its first three sources as lines below it (a channel has no citation markup)."""
    if not citations:
        return text
    lines = [f"{c['title']} ({phrases.as_of(language)} {c['as_of']})" + (f": {c['url']}" if c.get("url") else "")
             for c in citations[:3]]
    return f"{text}\n\n{phrases.sources_label(language)}:\n" + "\n".join(lines)


def _is_audio(media: dict[str, Any]) -> bool:
    return media.get("kind") in ("audio", "voice") or str(media.get("mime_type", "")).startswith("audio/")


def customer_text(event: ChannelEvent) -> str:
    """What the customer sent, as the conversation shows it (a placeholder for media and orders)."""
    text = str(event.payload.get("text") or "").strip()
    if text:
        return text
    if event.kind == "media":
        kinds = ", ".join(str(m.get("kind")) for m in event.payload.get("media", []))
        return f"[{kinds}]"
    if event.kind == "order":
        return "[order] " + ", ".join(f"{i['quantity']} × {i['retailer_id']}" for i in event.payload["order"]["items"])
    return f"[{event.kind}]"
