"""What the agent says about a recording itself, in English and German (others get English)."""

from __future__ import annotations


def _pick(language: str, en: str, de: str) -> str:
    return de if language == "de" else en


def you_asked(language: str, transcript: str) -> str:
    """Said before the answer when the transcript may be wrong, so the customer can tell."""
    said = transcript.strip().rstrip(".?!")
    return _pick(language, f"You asked about: \u201c{said}\u201d.", f"Sie fragten nach: \u201e{said}\u201c.")


def please_type(language: str) -> str:
    """A recording that could not be decoded."""
    return _pick(language,
                 "Sorry, I couldn't play your voice message. Could you type your question instead?",
                 "Entschuldigung, ich konnte Ihre Sprachnachricht nicht abspielen. "
                 "Könnten Sie Ihre Frage bitte schreiben?")


def nothing_heard(language: str) -> str:
    """A recording without speech in it."""
    return _pick(language,
                 "Sorry, I couldn't hear any words in your voice message. Could you say it again or type it?",
                 "Entschuldigung, in Ihrer Sprachnachricht konnte ich keine Worte verstehen. "
                 "Könnten Sie es noch einmal sagen oder schreiben?")


def too_long(language: str, minutes: float) -> str:
    return _pick(language,
                 f"Your voice message is longer than I can listen to ({minutes:.0f} minutes at most). "
                 "Could you send a shorter one or type your question?",
                 f"Ihre Sprachnachricht ist länger, als ich anhören kann (höchstens {minutes:.0f} Minuten). "
                 "Könnten Sie eine kürzere schicken oder Ihre Frage schreiben?")


def listening(language: str, seconds: float) -> str:
    """Sent first for a long recording, so the customer knows it is being handled."""
    minutes = max(1, round(seconds / 60))
    return _pick(language,
                 f"I'm listening to your voice message ({minutes} min); my answer follows shortly.",
                 f"Ich höre mir Ihre Sprachnachricht an ({minutes} Min.); meine Antwort folgt gleich.")
