"""Fakes of the two voice seams, for tests and for trying the voice paths without the models.

:class:`FakeTranscriber` decodes the audio for real (so an undecodable note fails as it would)
and answers with the text scripted for its SHA-256, or a default; :class:`FakeSynthesizer`
speaks a tone whose length follows the text, so the bytes are real audio a player accepts.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

import numpy as np

from . import audio
from .base import Progress, Segment, Speech, Transcript


@dataclass
class FakeTranscriber:
    #: sha256 hex of the audio bytes -> (text, language)
    scripts: dict[str, tuple[str, str]] = field(default_factory=dict)
    default: tuple[str, str] = ("", "en")
    #: ``avg_logprob`` of every segment (-0.2 is a clear recording; below -0.7 is unsure).
    avg_logprob: float = -0.2
    calls: list[dict[str, object]] = field(default_factory=list)

    def script(self, data: bytes, text: str, language: str = "en") -> None:
        self.scripts[hashlib.sha256(data).hexdigest()] = (text, language)

    def transcribe(self, data: bytes, *, language: str | None = None, fallback_language: str = "en",
                   prompt: str | None = None, progress: Progress | None = None) -> Transcript:
        samples = audio.decode(data)
        seconds = len(samples) / audio.RATE
        text, spoken = self.scripts.get(hashlib.sha256(data).hexdigest(), self.default)
        self.calls.append({"bytes": len(data), "language": language, "fallback": fallback_language, "prompt": prompt})
        if progress is not None:
            progress(seconds, seconds)
        segments = (Segment(0.0, seconds, text, self.avg_logprob, 0.01),) if text else ()
        return Transcript(text, language or spoken, 1.0 if language else 0.99, seconds, segments)


@dataclass
class FakeSynthesizer:
    rate: int = 16_000
    calls: list[tuple[str, str]] = field(default_factory=list)

    def synthesize(self, text: str, language: str) -> Speech:
        self.calls.append((text, language))
        seconds = min(0.05 * max(len(text), 4), 30.0)
        t = np.arange(int(self.rate * seconds)) / self.rate
        samples = (0.2 * 32767 * np.sin(2 * np.pi * 440 * t)).astype(np.int16)
        return Speech(samples, self.rate, f"fake:{language}")


def tone(seconds: float = 1.0, fmt: str = "opus", rate: int = 16_000) -> bytes:
    """A real audio file of a tone (OGG/Opus by default, as WhatsApp sends voice notes)."""
    t = np.arange(int(rate * seconds)) / rate
    samples = (0.2 * 32767 * np.sin(2 * np.pi * 220 * t)).astype(np.int16)
    return audio.encode(Speech(samples, rate), fmt)[0]
