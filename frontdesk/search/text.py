"""Text analysis for lexical search: language detection, tokens, stems and snippets.

Every item is indexed with stems of its own language (Snowball, via PyStemmer). A query
is expanded to the stems of each token in every language the agent's knowledge is in,
so a German question still meets German content with German stems and English content
with English ones.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable
from functools import cache
from typing import Any

import Stemmer
from stop_words import get_stop_words

#: ISO 639-1 code -> Snowball stemmer name, for the languages we analyse.
STEMMERS = {
    "en": "english",
    "de": "german",
    "fr": "french",
    "es": "spanish",
    "it": "italian",
    "nl": "dutch",
    "pt": "portuguese",
    "sv": "swedish",
    "da": "danish",
    "no": "norwegian",
    "fi": "finnish",
}
DEFAULT_LANGUAGE = "en"

_TOKEN = re.compile(r"[^\W_]+", re.UNICODE)

# Function words that carry no meaning for retrieval (queries only; the index keeps them).
STOPWORDS: dict[str, frozenset[str]] = {
    "en": frozenset(
        """a an and are as at be but by can could do does did for from has have how i if in
        into is it its me my of on or our please should so some that the their them then there
        these they this to us was we what when where which who whom why will with would you
        your yours any anything get got need want looking find show tell about much many""".split()
    ),
    "de": frozenset(
        """der die das den dem des ein eine einen einem einer eines und oder aber ist sind war
        waren bin bist seid habe hast hat haben ich du er sie es wir ihr mir mich dir dich uns
        euch ihnen mein meine dein deine sein seine ihre unser unsere zu zum zur im in an am auf
        aus bei mit nach von vom vor fur für uber über wie was wer wo wann warum welche welcher
        welches gibt es kann konnen können muss mussen müssen soll bitte auch noch nicht kein
        keine ja nein so sehr ganz suche brauche möchte mochte gerne gern""".split()
        # and Snowball's German stop list (the stop-words package), whose inflected pronouns and
        # articles ("Ihren", "meinem", "dieser") the list above lacks
    ) | frozenset(get_stop_words("german")),
}


_LAST_WORD = re.compile(r"(?:^|[\s(/.\-–])([^\W\d_]{1,4})\.$")


def sentence_continues(before: str, after: str) -> bool:
    """Whether a full stop at the end of ``before`` is an abbreviation's, not a sentence's end.

    Three rules that hold in German and English without a list of abbreviations: the stop
    closes a single letter ("z. B.", "e. g.", an initial); it closes a short word of at most four
    letters and a number follows ("Tel. 0341 …", "Str. 88", "ca. 30", "max. 2,00 m", "no. 5");
    or a parenthesis is still open ("(max. Einfahrtshöhe 2,00 m)"). A sentence that really ends
    on a short word before a number ("… all year. 24 hours …") is joined to the next: the cost
    is a longer sentence, where a wrong break cuts a phone number from its "Tel." and a price
    from what it is the price of."""
    before, after = before.rstrip(), after.lstrip()
    if not before.endswith(".") or not after:
        return False
    if before.count("(") > before.count(")"):
        return True
    word = _LAST_WORD.search(before)
    if word is None:
        return False
    return len(word.group(1)) == 1 or after[0].isdigit()


def join_abbreviations(pieces: Iterable[str]) -> list[str]:
    """``pieces`` of a text split at sentence breaks, with the breaks after abbreviations undone
    (:func:`sentence_continues`)."""
    out: list[str] = []
    for piece in pieces:
        if out and sentence_continues(out[-1], piece):
            out[-1] = f"{out[-1]} {piece.strip()}"
        else:
            out.append(piece.strip())
    return out


def tokens(text: str) -> list[str]:
    """Lower-cased word tokens (letters and digits; hyphens and punctuation split)."""
    return [t.casefold() for t in _TOKEN.findall(text)]


@cache
def _stemmer(language: str) -> Stemmer.Stemmer:
    return Stemmer.Stemmer(STEMMERS.get(language, STEMMERS[DEFAULT_LANGUAGE]))


_stem_lock = threading.Lock()


def stems(words: Iterable[str], language: str) -> list[str]:
    words = list(words)
    with _stem_lock:  # PyStemmer objects are not thread-safe
        return list(_stemmer(language).stemWords(words))


def index_terms(text: str, language: str | None) -> str:
    """The text as the lexical index stores it: space-separated stems of its own language."""
    return " ".join(stems(tokens(text), language or DEFAULT_LANGUAGE))


def is_stopword(token: str) -> bool:
    return any(token in words for words in STOPWORDS.values())


def query_terms(query: str, languages: Iterable[str]) -> list[str]:
    """Distinct stems of the meaningful query tokens, in each of ``languages``."""
    words = [t for t in tokens(query) if not is_stopword(t)]
    out: dict[str, None] = {}
    for language in languages:
        for s in stems(words, language):
            out[s] = None
    return list(out)


class LanguageDetector:
    """Identifies the language of a text among the analysed ones (py3langid, loaded once)."""

    def __init__(self, languages: Iterable[str] = STEMMERS) -> None:
        self._languages = list(languages)
        self._identifier = None
        self._lock = threading.Lock()

    def _load(self) -> Any:
        if self._identifier is None:
            from py3langid.langid import MODEL_FILE, LanguageIdentifier

            identifier = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
            identifier.set_languages(self._languages)
            self._identifier = identifier
        return self._identifier

    def detect(self, text: str, default: str = DEFAULT_LANGUAGE) -> str:
        sample = text[:2000]
        if len(tokens(sample)) < 3:
            return default
        with self._lock:
            language, probability = self._load().classify(sample)
        return language if probability >= 0.5 else default


_detector: LanguageDetector | None = None


def detect_language(text: str, default: str = DEFAULT_LANGUAGE) -> str:
    global _detector
    if _detector is None:
        _detector = LanguageDetector()
    return _detector.detect(text, default)


_SENTENCE = re.compile(r"(?<=[.!?])\s+|\n+")


def snippet(text: str, query: str, languages: Iterable[str], width: int = 240) -> str:
    """The passage of ``text`` that shares most stems with the query, about ``width`` long."""
    languages = list(languages)
    wanted = set(query_terms(query, languages))
    sentences = [s.strip() for s in _SENTENCE.split(text) if s.strip()]
    if not sentences:
        return ""
    best, best_score = 0, -1
    for i, sentence in enumerate(sentences):
        words = tokens(sentence)
        have = {s for language in languages for s in stems(words, language)}
        score = len(wanted & have)
        if score > best_score:
            best, best_score = i, score
    out = sentences[best]
    j = best + 1
    while len(out) < width and j < len(sentences):
        out += " " + sentences[j]
        j += 1
    return out if len(out) <= width else out[: width - 1].rsplit(" ", 1)[0] + "…"
