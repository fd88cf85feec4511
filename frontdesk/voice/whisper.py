"""Speech to text with faster-whisper (CTranslate2) and the packaged Whisper base model.

Whisper hears 30-second windows; a longer note is transcribed window after window, and
``progress`` is told how far it got. The language is detected from the audio; when it is not
one of ``languages`` (the ones the agent answers in), the note is transcribed again in the
fallback language instead of being answered in a language nobody reads.
"""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path
from typing import Any

from ..errors import InfrastructureError
from ..log import get_logger
from . import audio
from .base import Progress, Segment, Transcript

log = get_logger(__name__)


class WhisperTranscriber:
    def __init__(self, model_dir: Path, *, threads: int = 0, languages: tuple[str, ...] = ("de", "en"),
                 beam_size: int = 5, max_seconds: float = 900.0) -> None:
        self.model_dir = model_dir
        self.threads = threads or min(os.cpu_count() or 1, 4)
        self.languages = tuple(languages)
        self.beam_size = beam_size
        self.max_seconds = max_seconds
        self._model: Any = None
        self._lock = threading.Lock()

    @property
    def model(self) -> Any:
        with self._lock:
            if self._model is None:
                try:
                    from faster_whisper import WhisperModel
                except ImportError as exc:  # pragma: no cover - the voice extra is missing
                    raise InfrastructureError("speech recognition needs faster-whisper: pip install 'frontdesk[voice]'") from exc
                started = time.monotonic()
                self._model = WhisperModel(str(self.model_dir), device="cpu", compute_type="int8",
                                           cpu_threads=self.threads, local_files_only=True)
                log.info("speech model loaded", model=str(self.model_dir), seconds=round(time.monotonic() - started, 2))
            return self._model

    def transcribe(self, data: bytes, *, language: str | None = None, fallback_language: str = "en",
                   prompt: str | None = None, progress: Progress | None = None) -> Transcript:
        samples = audio.decode(data, self.max_seconds)
        total = len(samples) / audio.RATE
        segments, info = self._run(samples, language, prompt)
        fallback = False
        if language is None and self.languages and info.language not in self.languages:
            log.info("spoken language not answered; using the fallback", detected=info.language,
                     probability=round(info.language_probability, 3), fallback=fallback_language)
            segments, info = self._run(samples, fallback_language, prompt)
            fallback = True
        kept: list[Segment] = []
        for segment in segments:
            kept.append(Segment(float(segment.start), float(segment.end), segment.text.strip(),
                                float(segment.avg_logprob), float(segment.no_speech_prob)))
            if progress is not None:
                progress(min(float(segment.end), total), total)
        if progress is not None:
            progress(total, total)
        text = " ".join(s.text for s in kept if s.text).strip()
        return Transcript(text, info.language if not fallback else fallback_language,
                          1.0 if (language or fallback) else float(info.language_probability), total,
                          tuple(kept), fallback)

    def _run(self, samples: Any, language: str | None, prompt: str | None) -> tuple[Any, Any]:
        return self.model.transcribe(samples, language=language, beam_size=self.beam_size,
                                     initial_prompt=prompt or None, condition_on_previous_text=False,
                                     vad_filter=False)
