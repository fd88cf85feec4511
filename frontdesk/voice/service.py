"""Voice for an agent: hear a customer's recording, speak an answer. Built from :class:`Settings`.

The transcriber and the synthesizer load on first use (the Whisper model takes a few seconds
and 200 MB; nobody pays for it who never sends a voice note). Tests pass fakes instead.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

from ..config import Settings
from ..errors import InvalidInput
from ..log import get_logger
from ..store import Store
from . import audio
from .base import Progress, Speech, Synthesizer, Transcriber, Transcript
from .spoken import for_speech
from .vocabulary import initial_prompt

log = get_logger(__name__)

#: The agent's voice replies: never, when the customer spoke (sent a recording), always.
REPLY_MODES = ("off", "spoken", "always")


@dataclass(frozen=True)
class SpokenAnswer:
    data: bytes
    mime_type: str
    speech: Speech
    text: str  # what was said


class Voice:
    def __init__(self, settings: Settings, transcriber: Transcriber | None = None,
                 synthesizer: Synthesizer | None = None) -> None:
        self.settings = settings
        self._transcriber = transcriber
        self._synthesizer = synthesizer
        self._lock = threading.Lock()
        self.languages = tuple(x.strip().lower() for x in settings.voice_languages.split(",") if x.strip())
        self._prompts: dict[int, tuple[int, str]] = {}  # agent id -> (knowledge revision, prompt)

    @property
    def transcriber(self) -> Transcriber:
        with self._lock:
            if self._transcriber is None:
                from .packaged import resolve_whisper
                from .whisper import WhisperTranscriber

                model_dir = resolve_whisper(self.settings.voice_model, self.settings.home / "models")
                self._transcriber = WhisperTranscriber(model_dir, threads=self.settings.voice_threads,
                                                       languages=self.languages,
                                                       max_seconds=self.settings.voice_max_seconds)
            return self._transcriber

    @property
    def synthesizer(self) -> Synthesizer:
        with self._lock:
            if self._synthesizer is None:
                from .speech import Voices, parse_piper_voices

                self._synthesizer = Voices(parse_piper_voices(self.settings.voice_piper_voices))
            return self._synthesizer

    def close(self) -> None:
        """Stop what the synthesizer started (Piper's child processes)."""
        with self._lock:
            synthesizer = self._synthesizer
        close = getattr(synthesizer, "close", None)
        if close is not None:
            close()

    def hear(self, data: bytes, *, language: str | None = None, fallback_language: str = "en",
             prompt: str | None = None, progress: Progress | None = None) -> Transcript:
        """The transcript of a recording; AudioUndecodable when it is not audio."""
        if len(data) > self.settings.max_file_bytes:
            raise InvalidInput(f"the recording is larger than {self.settings.max_file_mb} MB")
        audio.decode(data, self.settings.voice_max_seconds)  # refuse what is not audio before loading a model
        transcript = self.transcriber.transcribe(data, language=language, fallback_language=fallback_language,
                                                 prompt=prompt, progress=progress)
        if prompt and echoes(transcript.text, prompt):
            # Whisper "heard" a piece of its prompt (noise gave "Eureka Mignon Specialita Grinder."): hear it
            # again without one, so a prompt never puts words in the customer's mouth
            log.info("the transcript only repeated the prompt; heard again without it", text=transcript.text[:80])
            transcript = self.transcriber.transcribe(data, language=language, fallback_language=fallback_language)
        return transcript

    def business_prompt(self, store: Store, agent_id: int) -> str:
        """The recogniser's initial prompt for an agent: its product names (:mod:`.vocabulary`),
        rebuilt when its knowledge changes; "" when ``voice_prompt_chars`` is 0 or there are none."""
        if self.settings.voice_prompt_chars <= 0:
            return ""
        revision = store.agent_revision(agent_id)
        cached = self._prompts.get(agent_id)
        if cached is not None and cached[0] == revision:
            return cached[1]
        prompt = initial_prompt(store.items_of_agent(agent_id), self.settings.voice_prompt_chars)
        self._prompts[agent_id] = (revision, prompt)
        return prompt

    def unsure(self, transcript: Transcript) -> bool:
        return transcript.unsure(self.settings.voice_unsure_below)

    def speak(self, text: str, language: str, fmt: str = "opus") -> SpokenAnswer:
        """``text`` spoken (prices, dates and times written out first), encoded as ``fmt``."""
        said = for_speech(text, language)
        if not said.strip():
            raise InvalidInput("there is nothing to say: the text is empty once links and sources are left out")
        speech = self.synthesizer.synthesize(said, language)
        data, mime = audio.encode(speech, fmt)
        return SpokenAnswer(data, mime, speech, said)


def echoes(text: str, prompt: str) -> bool:
    """Whether ``text`` is nothing but a piece of ``prompt`` (its words, in its order)."""
    def words(value: str) -> str:
        return " " + " ".join("".join(c.casefold() if c.isalnum() else " " for c in value).split()) + " "

    said = words(text)
    return said.strip() != "" and said in words(prompt)


def check_reply_mode(mode: str) -> str:
    mode = mode.strip().lower()
    if mode not in REPLY_MODES:
        raise InvalidInput(f"voice replies {mode!r} is not one of {', '.join(REPLY_MODES)}")
    return mode
