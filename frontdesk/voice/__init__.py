"""Voice in and out: customers' recordings transcribed (faster-whisper, packaged Whisper base),
answers spoken (Piper; espeak-ng for German). See docs/voice.md.
"""

from .base import AudioUndecodable, Segment, Speech, Synthesizer, Transcriber, Transcript
from .service import REPLY_MODES, SpokenAnswer, Voice, check_reply_mode

__all__ = ["AudioUndecodable", "Segment", "Speech", "Synthesizer", "Transcriber", "Transcript", "REPLY_MODES",
           "SpokenAnswer", "Voice", "check_reply_mode"]
