"""Dates for time-relative questions: today, the days a question names, the dates a source gives.

A 1.5B model cannot be trusted to know what day 25 December is, or which course dates have
passed. These facts are computed here and handed to the model as evidence, and the answer
check accepts them like any other source.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

MONTHS = {
    "en": ["january", "february", "march", "april", "may", "june", "july", "august", "september",
           "october", "november", "december"],
    "de": ["januar", "februar", "märz", "april", "mai", "juni", "juli", "august", "september",
           "oktober", "november", "dezember"],
}
WEEKDAYS = {
    "en": ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"],
    "de": ["Montag", "Dienstag", "Mittwoch", "Donnerstag", "Freitag", "Samstag", "Sonntag"],
}
_MONTH_NUMBER = {name: i + 1 for names in MONTHS.values() for i, name in enumerate(names)}
_MONTH_NUMBER.update({"maerz": 3, "jan": 1, "feb": 2, "mar": 3, "apr": 4, "jun": 6, "jul": 7, "aug": 8,
                      "sep": 9, "sept": 9, "oct": 10, "okt": 10, "nov": 11, "dec": 12, "dez": 12})
_MONTH = "|".join(sorted(_MONTH_NUMBER, key=len, reverse=True))
_DAY_MONTH = re.compile(rf"\b(\d{{1,2}})(?:st|nd|rd|th)?\.?\s+(?:of\s+)?({_MONTH})\.?(?:\s+(\d{{4}}))?\b", re.I)
_MONTH_DAY = re.compile(rf"\b({_MONTH})\.?\s+(\d{{1,2}})(?:st|nd|rd|th)?(?:,?\s+(\d{{4}}))?\b", re.I)
_ISO = re.compile(r"\b(\d{4})-(\d{2})-(\d{2})\b")
_NUMERIC_DE = re.compile(r"\b(\d{1,2})\.(\d{1,2})\.(\d{4})?")
#: "24, 25 and 26 December". Each bare day is a whole run of one or two digits ((?!\d)), so a
#: long run of digits cannot be split in exponentially many ways (a hostile question took minutes),
#: and a list has at most 12 of them, so no match scans far.
_BARE_DAYS = re.compile(rf"\b((?:\d{{1,2}}(?!\d)\.?,?\s*){{1,12}}(?:and|und|&)\s+)(\d{{1,2}})\.?\s+({_MONTH})\b", re.I)
_RELATIVE = {
    "today": 0, "heute": 0, "tonight": 0, "tomorrow": 1, "morgen": 1, "übermorgen": 2, "uebermorgen": 2,
    "day after tomorrow": 2, "yesterday": -1, "gestern": -1,
}
_WEEKDAY_NUMBER = {name.lower(): i for names in WEEKDAYS.values() for i, name in enumerate(names)}
_WEEKDAY_NUMBER.update({"sonnabend": 5})


@dataclass(frozen=True)
class DateMention:
    day: date
    text: str  # as written


def format_date(day: date, language: str) -> str:
    names = WEEKDAYS["de" if language == "de" else "en"]
    if language == "de":
        return f"{names[day.weekday()]}, {day.day}. {MONTHS['de'][day.month - 1].capitalize()} {day.year}"
    return f"{names[day.weekday()]}, {day.day} {MONTHS['en'][day.month - 1].capitalize()} {day.year}"


def _safe(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


def find_dates(text: str, today: date, *, future_bias: bool = True) -> list[DateMention]:
    """Calendar dates written in ``text``; a date without a year is taken as its next occurrence."""
    found: list[DateMention] = []

    def add(year: str | None, month: int, day: int, raw: str) -> None:
        if year:
            value = _safe(int(year), month, day)
        else:
            value = _safe(today.year, month, day)
            if value and future_bias and value < today:
                value = _safe(today.year + 1, month, day)
        if value:
            found.append(DateMention(value, raw))

    for m in _DAY_MONTH.finditer(text):
        add(m.group(3), _MONTH_NUMBER[m.group(2).lower()], int(m.group(1)), m.group(0))
    for m in _MONTH_DAY.finditer(text):
        add(m.group(3), _MONTH_NUMBER[m.group(1).lower()], int(m.group(2)), m.group(0))
    for m in _ISO.finditer(text):
        add(m.group(1), int(m.group(2)), int(m.group(3)), m.group(0))
    for m in _NUMERIC_DE.finditer(text):
        if 1 <= int(m.group(2)) <= 12:
            add(m.group(3), int(m.group(2)), int(m.group(1)), m.group(0))
    # "24, 25 and 26 December": the bare days before a month belong to it
    for m in _BARE_DAYS.finditer(text):
        for bare in re.findall(r"\d{1,2}", m.group(1)):
            add(None, _MONTH_NUMBER[m.group(3).lower()], int(bare), f"{bare} {m.group(3)}")
    unique: dict[date, DateMention] = {}
    for mention in found:
        unique.setdefault(mention.day, mention)
    return sorted(unique.values(), key=lambda mention: mention.day)


def question_days(question: str, today: date) -> list[DateMention]:
    """The days a question is about: written dates, "today"/"tomorrow", and weekday names."""
    days = find_dates(question, today)
    lowered = question.lower()
    for word, offset in _RELATIVE.items():
        if re.search(rf"\b{word}\b", lowered):
            days.append(DateMention(today + timedelta(days=offset), word))
    relative = re.search(r"\b(?:this|next|coming|diese[nrms]?|nächste[nrms]?|kommende[nrms]?)\b", lowered)
    for word, weekday in _WEEKDAY_NUMBER.items() if relative else ():
        if re.search(rf"\b{word}s?\b", lowered):
            ahead = (weekday - today.weekday()) % 7
            days.append(DateMention(today + timedelta(days=ahead), word))
    return days


#: How date_facts starts the list of the sources' upcoming dates (a list, said of no one event).
UPCOMING = {"de": "Nächste Termine laut Quellen: ", "en": "Upcoming dates in the sources: "}


def date_facts(question: str, evidence_text: str, today: date, language: str) -> list[str]:
    """Sentences of computed fact: today's date, the days the question names, upcoming dates."""
    facts = [("Heute ist " if language == "de" else "Today is ") + format_date(today, language) + "."]
    for mention in question_days(question, today)[:3]:
        if mention.day != today:
            facts.append(f"{mention.text} = {format_date(mention.day, language)}.")
    upcoming = [m for m in find_dates(evidence_text, today, future_bias=False) if m.day >= today]
    past = [m for m in find_dates(evidence_text, today, future_bias=False) if m.day < today]
    if upcoming and (past or len(upcoming) > 1):
        shown = ", ".join(format_date(m.day, language) for m in upcoming[:4])
        facts.append(UPCOMING["de" if language == "de" else "en"] + shown + ".")
    return facts
