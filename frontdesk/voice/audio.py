"""Audio in and out through PyAV (FFmpeg's libraries, bundled in its wheel; no ffmpeg binary).

:func:`decode` reads whatever a customer sends (WhatsApp's OGG/Opus, Messenger's MP4/AAC, a
browser's WebM/Opus, MP3, WAV) into 16 kHz mono samples; :func:`encode` writes speech as OGG/Opus
(what WhatsApp plays as a voice message), MP3, AAC, FLAC, WAV or raw PCM (OpenAI's formats), and
M4A (MP4/AAC, for Messenger and Instagram).
"""

from __future__ import annotations

import io
from fractions import Fraction

import numpy as np

from ..errors import InfrastructureError
from .base import AudioUndecodable, RecordingTooLong, Speech

RATE = 16_000
#: ``response_format`` of OpenAI's speech endpoint -> (container, codec, MIME type).
FORMATS: dict[str, tuple[str, str, str]] = {
    "opus": ("ogg", "libopus", "audio/ogg"),
    "mp3": ("mp3", "libmp3lame", "audio/mpeg"),
    "aac": ("adts", "aac", "audio/aac"),
    "m4a": ("ipod", "aac", "audio/mp4"),  # not OpenAI's: what Messenger and Instagram replies are sent in
    "flac": ("flac", "flac", "audio/flac"),
    "wav": ("wav", "pcm_s16le", "audio/wav"),
    "pcm": ("s16le", "pcm_s16le", "audio/pcm"),
}
_ENCODE_RATE = {"libopus": 24_000, "libmp3lame": 24_000, "aac": 24_000}


def decode(data: bytes, max_seconds: float | None = None) -> np.ndarray:
    """16 kHz mono float32 samples of ``data``; AudioUndecodable names what went wrong."""
    if not data:
        raise AudioUndecodable("the audio is empty")
    av = _av()
    resampler = av.AudioResampler(format="s16", layout="mono", rate=RATE)
    chunks: list[np.ndarray] = []
    total = 0
    try:
        with av.open(io.BytesIO(data), mode="r", metadata_errors="ignore") as container:
            if not container.streams.audio:
                raise AudioUndecodable("the file holds no audio stream")
            stream = container.streams.audio[0]
            for frame in container.decode(stream):
                frame.pts = None
                for out in resampler.resample(frame):
                    array = out.to_ndarray().reshape(-1)
                    chunks.append(array)
                    total += len(array)
                if max_seconds is not None and total > max_seconds * RATE:
                    raise RecordingTooLong(f"the recording is longer than {max_seconds:.0f} seconds")
            for out in resampler.resample(None):
                chunks.append(out.to_ndarray().reshape(-1))
    except AudioUndecodable:
        raise
    except (av.FFmpegError, ValueError, IndexError, EOFError) as exc:
        raise AudioUndecodable(f"the audio could not be decoded ({type(exc).__name__}: {str(exc)[:120]})") from None
    samples = np.concatenate(chunks) if chunks else np.zeros(0, dtype=np.int16)
    if samples.size < RATE // 10:
        raise AudioUndecodable("the recording holds no sound (shorter than a tenth of a second)")
    return (samples.astype(np.float32) / 32768.0).astype(np.float32)


def encode(speech: Speech, fmt: str = "opus") -> tuple[bytes, str]:
    """``speech`` in ``fmt`` (a key of :data:`FORMATS`): the bytes and their MIME type."""
    if fmt not in FORMATS:
        raise AudioUndecodable(f"unknown audio format {fmt!r}; choose one of {', '.join(FORMATS)}")
    container_format, codec, mime = FORMATS[fmt]
    av = _av()
    samples = np.ascontiguousarray(speech.samples, dtype=np.int16).reshape(1, -1)
    rate = _ENCODE_RATE.get(codec, speech.sample_rate)
    buffer = io.BytesIO()
    with av.open(buffer, mode="w", format=container_format) as container:
        stream = container.add_stream(codec, rate=rate, layout="mono")
        if codec == "libopus":
            stream.bit_rate = 24_000
        elif codec in ("libmp3lame", "aac"):
            stream.bit_rate = 48_000
        frame = av.AudioFrame.from_ndarray(samples, format="s16", layout="mono")
        frame.sample_rate = speech.sample_rate
        frame.time_base = Fraction(1, speech.sample_rate)
        frame.pts = 0
        resampler = av.AudioResampler(format=stream.codec_context.format.name, layout="mono", rate=rate)
        for piece in [*resampler.resample(frame), *resampler.resample(None)]:
            for packet in stream.encode(piece):
                container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)
    return buffer.getvalue(), mime


def _av():  # type: ignore[no-untyped-def]
    try:
        import av
    except ImportError as exc:  # pragma: no cover - the voice extra is missing
        raise InfrastructureError("audio needs PyAV: pip install 'frontdesk[voice]'") from exc
    return av


def duration(data: bytes) -> float:
    """Seconds of audio in ``data`` (decoded, so it is right for any container)."""
    return len(decode(data)) / RATE
