"""Checks of what an answer means beyond its figures: a translation that changes the meaning, and
an answer that only restates the question.

Both compare content words (tokens that are not function words, each with its English and
German Snowball stems), never a similarity score: the packaged embedder rates "We are closed
on weekends." and "We are closed on public holidays." as near neighbours (docs/answers.md),
which is exactly the difference these checks exist to see.

* **A translation's meaning** (:func:`translation_problems`). The evidence translated into the
  customer's language is translated back into the source's language by the same model, and the
  back-translation must say nothing the source does not say (every content word of it found in
  the source, by stem, by the glossary's synonyms, or as a part of a German compound) and lose
  none of the source's conditions: the content words that follow a preposition or a qualifier
  ("on public holidays", "within Germany", "nur persönlich"), weekdays, and the source's
  negations and restrictions ("not", "only"). Any of these failing means the translation may
  say something else, and the source is quoted as written instead.
* **A vacuous answer** (:func:`vacuous`): every content word of the answer is one of the
  question's (yes/no words aside), and it gives no number the question does not: "Familien
  können finanzielle Unterstützung erhalten." to "Können Familien finanzielle Unterstützung
  erhalten?" (a negation the question lacks is content: "Nein, wir liefern nicht in die USA.").
  It is treated like the model's ``NO_ANSWER``.
"""

from __future__ import annotations

import re

from ..search.text import is_stopword, stems, tokens
from .glossary import translations

#: Yes/no words: an answer of a yes or no and the question's own words adds nothing checkable.
YES_NO = frozenset("yes no yeah yep sure certainly course absolutely indeed ja nein doch natürlich selbstverständlich "
                   "klar gerne gern genau".split())
#: Closed-class words that open a condition of what follows them ("closed on public holidays",
#: "free within Germany", "nur persönlich"): grammar, not any business's vocabulary.
CONDITION_OPENERS = frozenset("""on in at within from for until till during except excluding including only per by
    via with without after before over under outside inside between above below than unless
    an am im in innerhalb außerhalb ausserhalb ab für bis während außer ausser ausgenommen nur per mit ohne nach vor
    über unter bei zum zur inklusive exklusive zzgl zuzüglich zwischen ausschließlich lediglich""".split())
_NEGATED = re.compile(r"\b(?:not|no|never|none|cannot|nicht|kein\w*|nie|niemals|weder)\b|n't\b", re.I)
_RESTRICTED = re.compile(r"\b(?:only|solely|exclusively|nur|ausschließlich|ausschliesslich|lediglich|allein)\b", re.I)
#: Days and months: part of a figure (a date, opening hours) that the number check cannot see.
_CALENDAR = frozenset("""monday tuesday wednesday thursday friday saturday sunday mondays tuesdays wednesdays
    thursdays fridays saturdays sundays weekend weekends montag dienstag mittwoch donnerstag freitag samstag sonntag
    montags dienstags mittwochs donnerstags freitags samstags sonntags wochenende wochenenden
    january february march april may june july august september october november december
    januar februar märz mai juni juli oktober dezember""".split())
_NUMBER = re.compile(r"(?<![\w.])\d+(?:[.,:]\d+)*")


def forms(word: str) -> frozenset[str]:
    """A word's spellings for comparison: itself and its English and German stems."""
    return frozenset({word, *stems([word], "en"), *stems([word], "de")})


def content_words(text: str) -> dict[str, frozenset[str]]:
    """The content words of ``text`` (no function words, digits or one- and two-letter tokens), each with its forms."""
    return {t: forms(t) for t in tokens(text) if len(t) > 2 and not is_stopword(t) and not t.isdigit()}


def _bag(text: str) -> set[str]:
    """Every form of every token of ``text`` (function words too: a condition may hide in one)."""
    return {f for t in tokens(text) for f in forms(t)}


#: Weekdays by their number, with the abbreviations opening hours use ("Mo–Fr", "Mon–Fri").
_DAYS = [frozenset(d.split()) for d in (
    "monday mondays mon mo montag montags", "tuesday tuesdays tue tues di dienstag dienstags",
    "wednesday wednesdays wed mi mittwoch mittwochs", "thursday thursdays thu thur thurs do donnerstag donnerstags",
    "friday fridays fri fr freitag freitags", "saturday saturdays sat sa samstag samstags sonnabend",
    "sunday sundays sun so sonntag sonntags")]
#: Grammar words that no retrieval stop list has (prepositions, "than"): a translation may add them.
_GRAMMAR = CONDITION_OPENERS | frozenset("through throughout durch gegen than als".split())


def _known(word: str, word_forms: frozenset[str], bag: set[str], long_tokens: list[str]) -> bool:
    """Whether ``word`` is in the text behind ``bag``: by a form, a weekday's abbreviation
    ("Monday" for "Mon"), a glossary synonym, or as a part of one of its German compounds (or it
    a compound of one of the text's words)."""
    if word_forms & bag:
        return True
    if any(word in day and day & bag for day in _DAYS):
        return True
    if any(forms(other) & bag for other in translations(word)):
        return True
    if len(word) >= 4 and any(len(t) >= 8 and (t.startswith(word) or t.endswith(word)) for t in long_tokens):
        return True
    return len(word) >= 8 and any(word.startswith(t) or word.endswith(t) for t in long_tokens if len(t) >= 4)


def condition_words(text: str) -> dict[str, frozenset[str]]:
    """The words that carry the conditions of ``text``: the noun phrase after each preposition or
    qualifier (its first two content words), and every weekday and month."""
    out: dict[str, frozenset[str]] = {}
    words = tokens(text)
    for i, word in enumerate(words):
        if word in _CALENDAR:
            out[word] = forms(word)
        if word not in CONDITION_OPENERS:
            continue
        taken = 0  # the noun phrase after it: articles skipped, then up to two content words in a row
        for follower in words[i + 1:i + 5]:
            if follower in CONDITION_OPENERS or follower.isdigit():
                break
            if len(follower) > 2 and not is_stopword(follower):
                out[follower] = forms(follower)
                taken += 1
                if taken == 2:
                    break
            elif taken:
                break
    return out


def translation_problems(source: str, back: str) -> list[str]:
    """What the back-translation ``back`` of a translation of ``source`` says that ``source``
    does not, and the conditions of ``source`` it lost. Both are in the source's language."""
    problems: list[str] = []
    source_bag, back_bag = _bag(source), _bag(back)
    source_long = [t for t in tokens(source) if len(t) >= 4]
    back_long = [t for t in tokens(back) if len(t) >= 4]
    added = [w for w, f in content_words(back).items()
             if w not in _GRAMMAR and not _known(w, f, source_bag, source_long)]
    if added:
        problems.append(f"the translation says what the source does not: {', '.join(added)}")
    lost = [w for w, f in condition_words(source).items() if not _known(w, f, back_bag, back_long)]
    if lost:
        problems.append(f"the translation lost a condition: {', '.join(lost)}")
    for name, pattern in (("negation", _NEGATED), ("restriction", _RESTRICTED)):
        if len(pattern.findall(source)) > len(pattern.findall(back)):
            problems.append(f"the translation lost a {name}")
        elif len(pattern.findall(back)) > len(pattern.findall(source)):
            problems.append(f"the translation added a {name}")
    return problems


def vacuous(answer: str, question: str) -> bool:
    """Whether ``answer`` adds nothing to ``question``: its content words are all the question's
    (or yes/no words), it gives no number the question does not, and it negates nothing the
    question does not negate ("Nein, wir liefern nicht in die USA." says something)."""
    claim = re.sub(r"^\s*(?:no|nein)\b[\s,.!:;-]*", "", answer, flags=re.I)  # "No." alone says no more than "Yes."
    if len(_NEGATED.findall(claim)) > len(_NEGATED.findall(question)):
        return False
    asked = _bag(question)
    asked_long = [t for t in tokens(question) if len(t) >= 4]
    new_numbers = set(_NUMBER.findall(answer)) - set(_NUMBER.findall(question))
    if new_numbers:
        return False
    question_words = tokens(question)
    return all(w in YES_NO or _known(w, f, asked, asked_long) or _inflected(w, question_words)
               for w, f in content_words(answer).items())


def _inflected(word: str, others: list[str]) -> bool:
    """Whether ``word`` is another inflection of one of ``others`` that the stemmer keeps apart:
    "liefern" and "liefert" (the question's "ihr" answered with "wir"), a shared start of at
    least five letters and endings of at most two."""
    for other in others:
        n = 0
        for a, b in zip(word, other, strict=False):
            if a != b:
                break
            n += 1
        if n >= 5 and len(word) - n <= 2 and len(other) - n <= 2:
            return True
    return False
