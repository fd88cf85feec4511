"""One customer recording through the agent, the same way on every channel.

:func:`hear` turns the recording into a question (or into the reply that asks the customer to
type, when it cannot be heard); the question then goes through :meth:`Frontdesk.chat` like a
typed one, with :func:`voice_payload` kept beside the customer's message so the console shows
the transcript next to the recording. :func:`speak_reply` speaks the answer when the agent's
voice setting says so; a voice that fails costs the spoken copy, never the written answer.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..answer import Answer
from ..channels.media import keep_file
from ..domain import Agent
from ..errors import FrontdeskError, NotFound
from ..log import get_logger
from . import replies
from .base import AudioUndecodable, Progress, RecordingTooLong, Transcript
from .service import SpokenAnswer

if TYPE_CHECKING:
    from ..app import Frontdesk

log = get_logger(__name__)


@dataclass(frozen=True)
class Heard:
    """What a recording said, or what to reply when it said nothing usable."""

    transcript: Transcript | None
    #: The reply instead of an answer (undecodable, silent, too long); None when there is a question.
    reply: str | None
    #: Whether the answer should start by saying what was understood.
    unsure: bool
    language: str
    error: str | None = None

    @property
    def question(self) -> str:
        return self.transcript.text if self.transcript and self.reply is None else ""

    def prefix(self) -> str:
        """"You asked about: …" when unsure, else nothing."""
        return replies.you_asked(self.language, self.question) if self.unsure and self.question else ""


def hear(frontdesk: Frontdesk, data: bytes, *, fallback_language: str, progress: Progress | None = None,
         agent: Agent | None = None) -> Heard:
    """What ``data`` says; with ``agent``, the recogniser is told the agent's product names first."""
    voice = frontdesk.voice
    try:
        prompt = voice.business_prompt(frontdesk.store, agent.id) if agent is not None else ""
        transcript = voice.hear(data, fallback_language=fallback_language, prompt=prompt or None, progress=progress)
    except RecordingTooLong as exc:
        return Heard(None, replies.too_long(fallback_language, frontdesk.settings.voice_max_seconds / 60),
                     False, fallback_language, str(exc))
    except AudioUndecodable as exc:
        return Heard(None, replies.please_type(fallback_language), False, fallback_language, str(exc))
    except NotFound as exc:  # the speech model is not installed: the operator's to fix, the customer can type
        log.error("a recording could not be transcribed", error=str(exc))
        return Heard(None, replies.please_type(fallback_language), False, fallback_language, str(exc))
    if not transcript.text.strip():
        return Heard(transcript, replies.nothing_heard(transcript.language), False, transcript.language,
                     "no speech in the recording")
    return Heard(transcript, None, voice.unsure(transcript), transcript.language)


def keep_recording(frontdesk: Frontdesk, data: bytes, mime_type: str, channel: str) -> dict[str, Any]:
    """Store a recording under ``<home>/media/<channel>/`` by its SHA-256; what the console needs of it."""
    extension = {"audio/ogg": ".ogg", "audio/webm": ".webm", "audio/mp4": ".m4a", "audio/mpeg": ".mp3",
                 "audio/wav": ".wav"}.get(mime_type.split(";")[0].strip().lower(), ".audio")
    path, digest = keep_file(frontdesk.settings.home / "media" / channel, data, extension)
    return {"kind": "audio", "mime_type": mime_type, "sha256": digest, "size": len(data), "path": str(path)}


def voice_payload(media: dict[str, Any] | None, heard: Heard) -> dict[str, Any]:
    """Kept with the customer's message: the recording and what was heard in it."""
    voice: dict[str, Any] = {"media": media or {}, "transcript": heard.question, "language": heard.language,
                             "unsure": heard.unsure}
    if heard.transcript is not None:
        voice.update(confidence=round(heard.transcript.confidence, 3), seconds=round(heard.transcript.duration, 2),
                     language_probability=round(heard.transcript.language_probability, 3))
    if heard.error:
        voice["error"] = heard.error
    return {"voice": voice}


def wants_speech(agent: Agent, customer_spoke: bool) -> bool:
    return agent.voice_replies == "always" or (agent.voice_replies == "spoken" and customer_spoke)


def speak_reply(frontdesk: Frontdesk, text: str, language: str, fmt: str = "opus") -> SpokenAnswer | None:
    """The reply spoken, or None (logged) when no voice could say it: the text goes out regardless."""
    try:
        return frontdesk.voice.speak(text, language, fmt)
    except FrontdeskError as exc:
        log.warning("the spoken reply failed; the text goes out alone", language=language, error=str(exc))
        return None


def recording_path(payload: dict[str, Any]) -> Path | None:
    path = ((payload.get("voice") or {}).get("media") or {}).get("path")
    return Path(path) if path else None


def conversation_language(frontdesk: Frontdesk, conversation_id: int, default: str = "en") -> str:
    """The language of the conversation's latest answer, else ``default``: the fallback for a recording."""
    for message in reversed(frontdesk.store.recent_messages(conversation_id, 10)):
        if message.payload.get("language"):
            return str(message.payload["language"])
    return default


def answer_recording(frontdesk: Frontdesk, agent: Agent, conversation_id: int, data: bytes, mime_type: str, *,
                     channel: str, fmt: str = "opus", progress: Progress | None = None) -> Iterator[tuple[str, Any]]:
    """A recording answered like a typed question: ``("heard", Heard)``, then what
    :meth:`Frontdesk.chat` yields (or ``("done", Answer)`` holding the please-type reply), then
    ``("speech", SpokenAnswer)`` when the agent speaks its answers."""
    media = keep_recording(frontdesk, data, mime_type, channel)
    heard = hear(frontdesk, data, fallback_language=conversation_language(frontdesk, conversation_id),
                 progress=progress, agent=agent)
    yield "heard", heard
    payload = voice_payload(media, heard)
    answer: Answer | None = None
    if heard.reply is not None:
        frontdesk.store.add_message(conversation_id, "user", "[voice message]", payload)
        frontdesk.store.add_message(conversation_id, "assistant", heard.reply,
                                    {"grounded": True, "handoff": False, "language": heard.language})
        answer = Answer(answer=heard.reply, citations=[], products=[], grounded=True, handoff=False,
                        language=heard.language, mode="voice", model="none", conversation_id=conversation_id)
        yield "done", answer
    else:
        for kind, value in frontdesk.chat(agent, conversation_id, heard.question, payload=payload):
            if kind == "done":
                answer = value
            yield kind, value
    if answer is not None and wants_speech(agent, customer_spoke=True):
        said = " ".join(p for p in (heard.prefix(), answer.answer) if p)
        spoken = speak_reply(frontdesk, said, answer.language, fmt)
        if spoken is not None:
            yield "speech", spoken


#: A recording longer than this gets a "listening" message first (Whisper hears about 5 s of audio per CPU-second).
LONG_NOTE_SECONDS = 60.0


class ChannelVoice:
    """What the messaging channels need of voice (:mod:`frontdesk.channels.events`), for one Frontdesk."""

    def __init__(self, frontdesk: Frontdesk) -> None:
        self.frontdesk = frontdesk

    def seconds(self, data: bytes) -> float:
        """How long a recording is (0 when it cannot be decoded: :meth:`hear` says why)."""
        from .audio import duration

        try:
            return duration(data)
        except FrontdeskError:
            return 0.0

    def hear(self, data: bytes, fallback_language: str, agent: Agent | None = None) -> Heard:
        def progress(done: float, total: float) -> None:
            if total > LONG_NOTE_SECONDS:
                log.info("transcribing a long voice note", heard_s=round(done, 1), total_s=round(total, 1))

        return hear(self.frontdesk, data, fallback_language=fallback_language, progress=progress, agent=agent)

    def speak(self, text: str, language: str, fmt: str = "opus") -> Path | None:
        """``text`` spoken in ``fmt`` (OGG/Opus for WhatsApp, M4A for Messenger and Instagram) and kept
        under ``<home>/media/outbound/``; None when no voice could."""
        spoken = speak_reply(self.frontdesk, text, language, fmt)
        if spoken is None:
            return None
        extension = {"opus": ".ogg", "aac": ".aac", "pcm": ".pcm"}.get(fmt, f".{fmt}")
        return keep_file(self.frontdesk.settings.home / "media" / "outbound", spoken.data, extension)[0]
