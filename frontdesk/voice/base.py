"""The two seams of voice: a :class:`Transcriber` turns audio into a :class:`Transcript`, a
:class:`Synthesizer` turns text into :class:`Speech`. One method each; fakes in
:mod:`frontdesk.voice.testing` let tests that are not about speech run without the models.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np

from ..errors import InvalidInput

#: ``progress(seconds_heard, seconds_total)`` while a long note is transcribed window by window.
Progress = Callable[[float, float], None]


class AudioUndecodable(InvalidInput):
    """The bytes are not audio any decoder here understands (or hold no sound at all)."""


class RecordingTooLong(AudioUndecodable):
    """The recording is longer than ``voice_max_seconds``."""


@dataclass(frozen=True)
class Segment:
    start: float
    end: float
    text: str
    #: Mean log-probability of the segment's tokens (Whisper's ``avg_logprob``).
    avg_logprob: float
    #: Whisper's probability that the window holds no speech.
    no_speech_prob: float


@dataclass(frozen=True)
class Transcript:
    text: str
    #: ISO 639-1 code of the spoken language (detected from the audio unless one was given).
    language: str
    #: How sure the detection was (1.0 when the language was given, or fell back).
    language_probability: float
    #: Seconds of audio.
    duration: float
    segments: tuple[Segment, ...] = ()
    #: Whether ``language`` is the fallback because the audio's own language is not one we answer in.
    language_fallback: bool = False

    @property
    def confidence(self) -> float:
        """Geometric mean probability of the transcript's tokens, weighted by segment length (0..1)."""
        if not self.segments:
            return 1.0 if self.text else 0.0
        weights = [max(len(s.text), 1) for s in self.segments]
        mean = sum(w * s.avg_logprob for w, s in zip(weights, self.segments, strict=True)) / sum(weights)
        return math.exp(min(mean, 0.0))

    @property
    def no_speech(self) -> float:
        return max((s.no_speech_prob for s in self.segments), default=0.0)

    def unsure(self, below: float) -> bool:
        """Whether the answer should say what it understood: token confidence under ``below``."""
        return self.confidence < below

    def as_dict(self) -> dict[str, object]:
        return {"text": self.text, "language": self.language,
                "language_probability": round(self.language_probability, 3),
                "language_fallback": self.language_fallback, "duration": round(self.duration, 2),
                "confidence": round(self.confidence, 3),
                "segments": [{"start": round(s.start, 2), "end": round(s.end, 2), "text": s.text,
                              "avg_logprob": round(s.avg_logprob, 3),
                              "no_speech_prob": round(s.no_speech_prob, 3)} for s in self.segments]}


@dataclass(frozen=True)
class Speech:
    """Mono 16-bit PCM."""

    samples: np.ndarray = field(repr=False)
    sample_rate: int
    #: Which voice spoke (``piper:en_US-joe-medium``, ``espeak-ng:de``).
    voice: str = ""

    @property
    def duration(self) -> float:
        return len(self.samples) / self.sample_rate if self.sample_rate else 0.0


class Transcriber(Protocol):
    def transcribe(self, audio: bytes, *, language: str | None = None, fallback_language: str = "en",
                   prompt: str | None = None, progress: Progress | None = None) -> Transcript:
        """What ``audio`` (any container PyAV reads: OGG/Opus, MP3, M4A, WAV, WebM) says.

        ``language`` skips detection; otherwise the language is detected and, when it is not
        one the transcriber answers in, ``fallback_language`` is used. ``prompt`` holds words
        the speaker is likely to use (product names). Raises :class:`AudioUndecodable`.
        """
        ...


class Synthesizer(Protocol):
    def synthesize(self, text: str, language: str) -> Speech:
        """``text`` (already written out for speaking: see :mod:`frontdesk.voice.spoken`) spoken in ``language``."""
        ...
