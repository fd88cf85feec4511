"""Opening hours, closures and recurring events, read from the sources and reasoned over.

A 1.5B model cannot be trusted to work out whether "Mo–Fr 9:00–12:30 und 14:00–18:00" means
open at 13:15 on a Friday, whether 27 December falls in "vom 23.12. bis 3.1. geschlossen", or
when "jeden zweiten Dienstag im Monat um 18:00" is next. This module reads those three kinds
of statement from the evidence (English and German), computes the answer for the days and
times a question names (python-dateutil's rrule for recurring events), and hands the result
to the model as a computed fact, which the answer check accepts like any other source.

What it reads:

* weekly hours: a day or a day range ("Mo–Fr", "Montag bis Freitag", "Mon, Wed, Fri",
  "Saturdays") followed by one or more time ranges ("9:00–12:30 und 14:00–18:00", "9 am – 6 pm",
  "9–13 Uhr") or by "closed/geschlossen"; a lunch break written on its own line
  ("Mittagspause 12:30–14:00", "closed for lunch 1–2 pm") is cut out of every day's hours;
* closures: a date range ("vom 23.12. bis 3.1.", "1.–15. August", "from 23 December to 3 January")
  in a sentence that says closed/geschlossen/Betriebsferien/holiday;
* recurring events: "every (first|second|…|last) <weekday> (of the month)", "the first <weekday>
  of every month", "jeden (ersten|…) <Wochentag> (im Monat)", "every <weekday>", "jeden
  <Wochentag>", with an optional time, and their exceptions: months ("außer im Dezember und
  August", or a sentence of its own: "Im August fällt das Repair-Café aus"), a season ("Mai bis
  Oktober"), dates and date ranges, and named periods ("nicht in den Schulferien"), applied when
  the sources give their dates; otherwise no date is computed and the sentence is quoted.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import NamedTuple

from dateutil.rrule import MONTHLY, WEEKLY, rrule, rruleset, weekday

from .dates import _MONTH_NUMBER, MONTHS, WEEKDAYS, find_dates, format_date

_DAY_PATTERNS = [
    r"mon(?:day)?s?|mo|montags?", r"tue(?:s(?:day)?)?s?|di|dienstags?", r"wed(?:nesday)?s?|mi|mittwochs?",
    r"thu(?:r(?:s(?:day)?)?)?s?|do|donnerstags?", r"fri(?:day)?s?|fr|freitags?",
    r"sat(?:urday)?s?|sa|samstags?|sonnabends?", r"sun(?:day)?s?|so|sonntags?",
]
_DAY_ALT = "|".join(f"(?:{p})" for p in _DAY_PATTERNS)
_DAY_TOKEN = re.compile(rf"\b(?:{_DAY_ALT})\b\.?", re.I)
#: In a question only whole weekday names count: "Do you …" is no Donnerstag, "so" no Sunday.
_QUESTION_DAY = re.compile(r"\b(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday|montag|dienstag|mittwoch|"
                           r"donnerstag|freitag|samstag|sonnabend|sonntag)s?\b", re.I)
_DAY_RE = [re.compile(rf"^(?:{p})\.?$", re.I) for p in _DAY_PATTERNS]
_TIME = r"\d{1,2}(?:[:.]\d{2})?\s*(?:am|pm|a\.m\.|p\.m\.|uhr|h)?"
_RANGE = re.compile(rf"({_TIME})\s*(?:–|—|-|bis|to|until|till)\s*({_TIME})", re.I)
_CLOSED = re.compile(r"\b(?:closed|geschlossen|ruhetag|betriebsferien|betriebsurlaub|urlaub|holidays?|"
                     r"feiertag\w*|not open|no service|zu)\b", re.I)
_LUNCH = re.compile(r"\b(?:mittagspause|mittags geschlossen|lunch(?: break)?|closed for lunch|pause)\b", re.I)
_ORDINALS = {
    "first": 1, "1st": 1, "ersten": 1, "erste": 1, "1.": 1, "second": 2, "2nd": 2, "zweiten": 2, "zweite": 2,
    "2.": 2, "third": 3, "3rd": 3, "dritten": 3, "dritte": 3, "3.": 3, "fourth": 4, "4th": 4, "vierten": 4,
    "vierte": 4, "4.": 4, "last": -1, "letzten": -1, "letzte": -1,
}
_ORDINAL = "|".join(re.escape(o) for o in sorted(_ORDINALS, key=len, reverse=True))
_RECURRING = re.compile(
    rf"\b(?:every|each|jeden|jede[nm]?|am|an jedem)\s+(?:({_ORDINAL})\s+(?:(?:und|and|&)\s+({_ORDINAL})\s+)?)?"
    rf"({_DAY_ALT})\b\.?(?:\s+(?:of|in|im|des|eines)\s+(?:the\s+|jedem\s+)?(?:month|monats?))?", re.I)
#: "(on) the first Saturday of every month": the same groups as _RECURRING.
_RECURRING_OF = re.compile(
    rf"\bthe\s+({_ORDINAL})\s+(?:(?:and|&)\s+({_ORDINAL})\s+)?({_DAY_ALT})\b\.?\s+of\s+(?:every|each|the)\s+month", re.I)
_AT_TIME = re.compile(rf"(?:\bum|\bat|\bab|\bfrom|,)\s*({_TIME})", re.I)
_NUMERIC_DATE = r"(\d{1,2})\.(\d{1,2})\.(\d{2,4})?"
_CLOSURE_NUMERIC = re.compile(rf"{_NUMERIC_DATE}\s*(?:–|—|-|bis(?: zum)?|to|until)\s*{_NUMERIC_DATE}", re.I)
_MONTH_ALT = "|".join(sorted(_MONTH_NUMBER, key=len, reverse=True))
_CLOSURE_WORDS = re.compile(
    rf"(\d{{1,2}})\.?\s*(?:({_MONTH_ALT})\.?\s*)?(?:–|—|-|bis(?: zum)?|to|until|till)\s*(\d{{1,2}})\.?\s*({_MONTH_ALT})\b", re.I)
_CLOSURE_MONTH_FIRST = re.compile(
    rf"\b({_MONTH_ALT})\.?\s+(\d{{1,2}})(?:st|nd|rd|th)?\s*(?:–|—|-|to|until|till)\s*(?:({_MONTH_ALT})\.?\s+)?(\d{{1,2}})", re.I)


class Event(NamedTuple):
    """A recurring event: its sentence, its dates (exceptions taken out), the exceptions the
    sources give (``excluded_months``, ``exceptions``: the clauses applied) and those that could
    not be resolved to dates ("in den Schulferien" on a page that gives no dates for them)."""

    sentence: str
    rule: rrule | rruleset
    excluded_months: tuple[int, ...] = ()
    exceptions: tuple[str, ...] = ()
    unresolved: tuple[str, ...] = ()


@dataclass
class Schedule:
    """What the sources say about when: weekly hours, closures, recurring events."""

    hours: dict[int, list[tuple[time, time]]] = field(default_factory=dict)
    closed_days: set[int] = field(default_factory=set)
    lunch: tuple[time, time] | None = None
    closures: list[tuple[date, date, str]] = field(default_factory=list)
    events: list[Event] = field(default_factory=list)

    @property
    def has_hours(self) -> bool:
        return bool(self.hours or self.closed_days)

    def intervals(self, day: date) -> list[tuple[time, time]] | None:
        """The opening hours of ``day``; [] when closed; None when the sources do not say."""
        if self.closure(day):
            return []
        weekday_number = day.weekday()
        if weekday_number in self.hours:
            return self.hours[weekday_number]
        if weekday_number in self.closed_days:
            return []
        return None

    def closure(self, day: date) -> tuple[date, date, str] | None:
        return next((c for c in self.closures if c[0] <= day <= c[1]), None)


def _time(text: str) -> time | None:
    raw = text.strip().lower().replace(" ", "")
    pm = "pm" in raw or "p.m." in raw
    am = "am" in raw or "a.m." in raw
    digits = re.match(r"(\d{1,2})(?:[:.](\d{2}))?", raw)
    if not digits:
        return None
    hour, minute = int(digits.group(1)), int(digits.group(2) or 0)
    if pm and hour < 12:
        hour += 12
    if am and hour == 12:
        hour = 0
    if hour == 24 and minute == 0:
        return time(23, 59)
    if hour > 23 or minute > 59:
        return None
    return time(hour, minute)


def _span(match: re.Match[str]) -> tuple[time | None, time | None]:
    """A time range; "1–2 pm" puts both ends in the afternoon."""
    first, second = match.group(1), match.group(2)
    suffix = re.search(r"(am|pm|a\.m\.|p\.m\.)\s*$", second, re.I)
    if suffix and not re.search(r"am|pm|a\.m\.|p\.m\.", first, re.I):
        start, end = _time(first + suffix.group(1)), _time(second)
        if start and end and start > end:
            start = _time(first)
        return start, end
    return _time(first), _time(second)


def _day_number(token: str) -> int | None:
    token = token.strip().rstrip(".")
    return next((i for i, pattern in enumerate(_DAY_RE) if pattern.match(token)), None)


def _days_of(prefix: str) -> list[int]:
    """Weekdays a line's prefix names: "Mo–Fr", "Montag bis Freitag", "Mon, Wed and Fri"."""
    found = [(m.start(), m.end(), _day_number(m.group(0))) for m in _DAY_TOKEN.finditer(prefix)]
    found = [f for f in found if f[2] is not None]
    days: list[int] = []
    for i, (_start, end, number) in enumerate(found):
        assert number is not None
        if i + 1 < len(found) and re.fullmatch(r"\s*(?:–|—|-|bis|to|through|thru)\s*", prefix[end:found[i + 1][0]], re.I):
            stop = found[i + 1][2]
            assert stop is not None
            days.extend((number + k) % 7 for k in range((stop - number) % 7 + 1))
        elif not days or days[-1] != number:
            days.append(number)
    return list(dict.fromkeys(days))


def _year_for(month: int, day: int, today: date) -> date | None:
    for year in (today.year - 1, today.year, today.year + 1):
        try:
            candidate = date(year, month, day)
        except ValueError:
            return None
        if candidate >= today - timedelta(days=200):
            return candidate
    return None


def _range(start: date | None, end_month: int, end_day: int, end_year: int | None) -> tuple[date, date] | None:
    if start is None:
        return None
    try:
        end = date(end_year or start.year, end_month, end_day)
    except ValueError:
        return None
    if end < start and not end_year:
        end = date(end.year + 1, end.month, end.day)
    return (start, end) if (end - start).days <= 366 else None


def parse_schedule(text: str, today: date) -> Schedule:
    schedule = Schedule()
    for line in re.split(r"\n+|(?<=[.!?])\s+(?=[A-ZÄÖÜ])|;\s*", text):
        line = line.strip()
        if not line:
            continue
        lunch = _LUNCH.search(line)
        if lunch:
            pause = _RANGE.search(line, lunch.end()) or _RANGE.search(line)
            start, end = _span(pause) if pause else (None, None)
            if start and end:
                schedule.lunch = (start, end)
            line = line[:lunch.start()]
            if pause and pause.start() < lunch.start():
                line = line[:pause.start()]
        ranges = list(_RANGE.finditer(line))
        closed = _CLOSED.search(line)
        _closures(line, today, schedule)
        first = ranges[0].start() if ranges else (closed.start() if closed else len(line))
        days = _days_of(line[:first])
        if not days:
            continue
        if ranges and not (closed and closed.start() < ranges[0].start()):
            intervals = [(s, e) for s, e in (_span(m) for m in ranges) if s and e and s < e]
            for day in days:
                schedule.hours.setdefault(day, [])
                schedule.hours[day] = sorted(set(schedule.hours[day]) | set(intervals))
        elif closed:
            schedule.closed_days.update(d for d in days if d not in schedule.hours)
    if schedule.lunch:
        start, end = schedule.lunch
        for day, intervals in schedule.hours.items():
            cut = []
            for s, e in intervals:
                if s < start < e and s < end < e:
                    cut += [(s, start), (end, e)]
                else:
                    cut.append((s, e))
            schedule.hours[day] = cut
    # a full stop ends a sentence before a capital: "vom 9.2. bis 21.2." stays one
    sentences = [x.strip() for x in re.split(r"\n+|(?<=[.!?])\s+(?=[A-ZÄÖÜ„\"(])", text) if x.strip()]
    for sentence in sentences:
        for match in [*_RECURRING.finditer(sentence), *_RECURRING_OF.finditer(sentence)]:
            rule = _rule(match, sentence, today)
            if rule is not None:
                schedule.events.append(_with_exceptions(sentence, match, rule, sentences, today))
    return schedule


def _closures(line: str, today: date, schedule: Schedule) -> None:
    if not _CLOSED.search(line):
        return
    schedule.closures.extend(date_ranges(line, today))


def date_ranges(line: str, today: date) -> list[tuple[date, date, str]]:
    """The date ranges ``line`` writes ("vom 23.12. bis 3.1.", "1.–15. August", "from 23 December
    to 3 January"), a range without a year in its next or current occurrence."""
    ranges: list[tuple[date, date, str]] = []
    for m in _CLOSURE_NUMERIC.finditer(line):
        y1 = int(m.group(3)) if m.group(3) else None
        y1 = y1 + 2000 if y1 and y1 < 100 else y1
        y2 = int(m.group(6)) if m.group(6) else None
        y2 = y2 + 2000 if y2 and y2 < 100 else y2
        try:
            start = date(y1, int(m.group(2)), int(m.group(1))) if y1 else _year_for(int(m.group(2)), int(m.group(1)), today)
        except ValueError:
            continue
        span = _range(start, int(m.group(5)), int(m.group(4)), y2)
        if span:
            ranges.append((*span, m.group(0)))
    for m in _CLOSURE_WORDS.finditer(line):
        end_month = _MONTH_NUMBER[m.group(4).lower()]
        start_month = _MONTH_NUMBER[m.group(2).lower()] if m.group(2) else end_month
        span = _range(_year_for(start_month, int(m.group(1)), today), end_month, int(m.group(3)), None)
        if span:
            ranges.append((*span, m.group(0)))
    for m in _CLOSURE_MONTH_FIRST.finditer(line):
        start_month = _MONTH_NUMBER[m.group(1).lower()]
        end_month = _MONTH_NUMBER[m.group(3).lower()] if m.group(3) else start_month
        span = _range(_year_for(start_month, int(m.group(2)), today), end_month, int(m.group(4)), None)
        if span:
            ranges.append((*span, m.group(0)))
    return ranges


def _rule(match: re.Match[str], sentence: str, today: date) -> rrule | None:
    day = _day_number(match.group(3))
    if day is None:
        return None
    at = _AT_TIME.search(sentence, match.end())
    start_time = _time(at.group(1)) if at else None
    start = datetime.combine(today, start_time or time(0, 0))
    ordinals = [_ORDINALS[o.lower()] for o in (match.group(1), match.group(2)) if o]
    monthly = bool(ordinals) or bool(re.search(r"month|monat", match.group(0), re.I))
    if match.group(0).lower().startswith("am ") and not ordinals:
        return None  # "am Dienstag" is one day, not every Tuesday
    if monthly:
        return rrule(MONTHLY, byweekday=[weekday(day)(n) for n in (ordinals or [1])], dtstart=start, count=24)
    return rrule(WEEKLY, byweekday=[day], dtstart=start, count=60)


# -- exceptions to a recurrence ------------------------------------------------------------------
#
# "jeden ersten Samstag im Monat, außer im Dezember und August", "every first Saturday of the
# month except in December and August", "(Mai bis Oktober)", "(not on public holidays)", and a
# sentence of its own about the same event: "Im Dezember und im August fällt das Repair-Café aus."
# Months, dates and date ranges are taken out of (or, when the sentence names them as the event's
# season, kept in) the rule; a named period ("Schulferien", "school holidays") is taken out when a
# source sentence names it with its dates, and otherwise stays unresolved: then no date is computed.

#: Words that start an exception in a clause.
_EXCEPT = re.compile(r"\b(?:außer|ausser|ausgenommen|except|excluding|but not|not|nicht|keine?[nrms]?|no)\b", re.I)
#: A sentence that cancels occurrences of an event ("fällt … aus", "findet kein … statt", "there is no …").
_CANCELLED = re.compile(r"\b(?:fällt|fallen)\b.*\baus\b|\bentf(?:ällt|allen)\b|\bpausiert|\b(?:findet|finden)\b.*\bnicht\b.*\bstatt\b|"
                        r"\bkein\w*\b.*\bstatt\b|\bthere (?:is|are) no\b|\bno\s+\w+(?:[ -]\w+)?\s+(?:in|on|during)\b|"
                        r"\b(?:is|are) (?:not held|cancell?ed|off)\b|\bnot (?:held|take place|taking place)\b", re.I)
#: Periods a source can name without dates: school holidays, company holidays, public holidays.
_PERIOD = re.compile(r"\b(?:\w*ferien|\w*urlaub|\w*pause|feiertag\w*|(?:school|summer|winter|christmas|easter|autumn|"
                     r"public|bank|company)\s+(?:holidays?|breaks?|vacations?)|holidays?|vacations?)\b", re.I)
#: Public holidays: no source lists them all, and there is no holiday calendar here.
_PUBLIC_HOLIDAY = re.compile(r"feiertag|public holiday|bank holiday", re.I)
#: Words that refer to any event of a page ("Während der Betriebsferien finden keine Veranstaltungen statt").
_ANY_EVENT = re.compile(r"\b(?:veranstaltung\w*|termine?|treffen|events?|sessions?|meetings?|kurse?|courses?)\b", re.I)
_MONTH_NAMES = [*MONTHS["en"], *MONTHS["de"], "maerz"]
_MONTH_WORD = re.compile(rf"\b({'|'.join(_MONTH_NAMES)})\b", re.I)
_MONTH_SPAN = re.compile(rf"\b({'|'.join(_MONTH_NAMES)})\s*(?:–|—|-|bis|to|through|until|till)\s*({'|'.join(_MONTH_NAMES)})\b",
                         re.I)
_BOUND = re.compile(r"\b(?:ab|seit|from|since|starting|beginning|until|till|bis)\s+(?:dem\s+|the\s+)?$", re.I)
_GENERIC = re.compile(r"^(?:jede[nmrs]?|every|each|month|monats?|monat|uhr|time|statt|findet|finden)$", re.I)


def _month(word: str) -> int | None:
    if word.casefold() == "may" and not word[0].isupper():
        return None  # the verb
    return _MONTH_NUMBER.get(word.casefold())


def _months(part: str) -> tuple[set[int], bool]:
    """The months ``part`` names outside its dates ("Mai bis Oktober" is six), and whether one of
    them is a bound ("ab Mai", "until June") rather than a month of its own."""
    for mention in find_dates(part, date(2000, 1, 1), future_bias=False):
        part = part.replace(mention.text, " ")
    months: set[int] = set()
    for m in _MONTH_SPAN.finditer(part):
        first, last = _month(m.group(1)), _month(m.group(2))
        if first and last:
            months.update((first - 1 + k) % 12 + 1 for k in range((last - first) % 12 + 1))
    part = _MONTH_SPAN.sub(" ", part)
    bound = False
    for m in _MONTH_WORD.finditer(part):
        number = _month(m.group(1))
        if number:
            months.add(number)
            bound = bound or bool(_BOUND.search(part[:m.start()]))
    return months, bound


def _event_words(sentence: str) -> set[str]:
    from ..search.text import is_stopword

    words = {w.casefold() for w in re.findall(r"[^\W\d_]{4,}", sentence)}
    return {w for w in words if not is_stopword(w) and not _GENERIC.match(w) and _day_number(w) is None
            and _month(w) is None and w not in _ORDINALS}


def _with_exceptions(sentence: str, match: re.Match[str], rule: rrule, sentences: list[str], today: date) -> Event:
    """``rule`` with the exceptions ``sentence`` gives, and those other sentences give about the
    same event (a word of the event in common, "events"/"Veranstaltungen", or the next sentence
    when it cancels: "Im August fällt es aus.")."""
    included: set[int] = set()
    excluded: set[int] = set()
    ranges: list[tuple[date, date]] = []
    keep: list[tuple[date, date]] = []
    days: set[date] = set()
    applied: list[str] = []
    unresolved: list[str] = []

    def exclude(part: str) -> None:
        months, _ = _months(part)
        spans = date_ranges(part, today)
        singles = [m for m in find_dates(part, today) if not any(m.text in text for *_, text in spans)]
        periods = [p.group(0) for p in _PERIOD.finditer(part)]
        if not (months or spans or singles or periods):
            return
        applied.append(part.strip(" ,;()"))
        excluded.update(months)
        for start, end, text in spans:
            ranges.append((start, end))
            if not re.search(r"\d{4}", text):  # every year
                ranges.append((_shift(start), _shift(end)))
        for mention in singles:
            days.add(mention.day)
            if not re.search(r"\d{4}", mention.text):
                days.add(_shift(mention.day))
        for period in periods:
            found = [] if _PUBLIC_HOLIDAY.search(period) else [
                r[:2] for other in sentences if other != sentence and period.casefold() in other.casefold()
                for r in date_ranges(other, today)]
            if found:
                ranges.extend(found)
            elif not spans and not singles:
                unresolved.append(period)

    for clause in re.split(r"[,;()]|\s[–-]\s", sentence):
        marker = _EXCEPT.search(clause)
        inclusion, exception = (clause[:marker.start()], clause[marker.start():]) if marker else (clause, "")
        months, bound = _months(inclusion)
        spans = date_ranges(inclusion, today)
        if bound or (find_dates(inclusion, today) and not spans):
            unresolved.append(inclusion.strip())  # "ab Mai", "ab dem 5. Mai": a start the rule does not know
        included.update(months)
        keep.extend(r[:2] for r in spans)
        if exception:
            exclude(exception)
    words = _event_words(sentence)
    after = sentences.index(sentence) + 1 if sentence in sentences else -1
    for number, other in enumerate(sentences):
        if other == sentence or not (_CANCELLED.search(other) or _EXCEPT.search(other)):
            continue
        # the same event: a word of it, any event, or the next sentence cancelling "it" ("… fällt es aus")
        if words & _event_words(other) or _ANY_EVENT.search(other) or (number == after and _CANCELLED.search(other)):
            if _CANCELLED.search(other):
                exclude(other)
            else:
                marker = _EXCEPT.search(other)
                assert marker is not None
                exclude(other[marker.start():])

    def out(day: date) -> bool:
        return (bool(included) and day.month not in included) or day.month in excluded or day in days \
            or any(s <= day <= e for s, e in ranges) or (bool(keep) and not any(s <= day <= e for s, e in keep))

    dates = rruleset()
    dates.rrule(rule)
    for occurrence in rule:
        if out(occurrence.date()):
            dates.exdate(occurrence)
    left_out = tuple(sorted(excluded | ({m for m in range(1, 13) if m not in included} if included else set())))
    return Event(sentence, dates, left_out, tuple(applied), tuple(dict.fromkeys(unresolved)))


def _shift(day: date) -> date:
    try:
        return day.replace(year=day.year + 1)
    except ValueError:  # 29 February
        return day + timedelta(days=365)


# -- facts for a question -------------------------------------------------------------------

_Q_TIME = re.compile(r"\b(?:um|at|gegen|around)?\s*(\d{1,2})(?:[:.](\d{2}))?\s*(uhr|am|pm|h)\b|\b(?:um|at|gegen)\s+(\d{1,2})[:.](\d{2})\b"
                     r"|\b(\d{1,2}):(\d{2})\b", re.I)
_NOW = re.compile(r"\b(?:now|right now|currently|jetzt|gerade|momentan|aktuell)\b", re.I)


#: A question about being open: only then does a computed day fact answer it on its own.
ASKS_OPEN = re.compile(r"\b(?:open|opened|closed|hours|geöffnet|offen|geschlossen|öffnungszeit\w*|auf|zu)\b", re.I)


def _question_time(question: str) -> time | None:
    m = _Q_TIME.search(question)
    if not m:
        return None
    if m.group(1):
        return _time(f"{m.group(1)}:{m.group(2) or '00'}{m.group(3)}")
    if m.group(4):
        return _time(f"{m.group(4)}:{m.group(5)}")
    return _time(f"{m.group(6)}:{m.group(7)}")


def _fmt(t: time) -> str:
    return f"{t.hour}:{t.minute:02d}"


def _intervals_text(intervals: list[tuple[time, time]], language: str) -> str:
    joiner = " und " if language == "de" else " and "
    return joiner.join(f"{_fmt(s)}–{_fmt(e)}" for s, e in intervals)


def _closure_text(closure: tuple[date, date, str], language: str) -> str:
    start, end, _ = closure
    if language == "de":
        return f"geschlossen vom {format_date(start, 'de')} bis {format_date(end, 'de')}"
    return f"closed from {format_date(start, 'en')} to {format_date(end, 'en')}"


def day_fact(schedule: Schedule, day: date, language: str, at: time | None = None) -> str | None:
    """What the sources say about ``day`` (and the time ``at``), as one sentence."""
    intervals = schedule.intervals(day)
    if intervals is None:
        return None
    name = format_date(day, language)
    closure = schedule.closure(day)
    if not intervals:
        if closure:
            return f"{name}: {_closure_text(closure, language)}."
        return f"{name}: " + ("geschlossen." if language == "de" else "closed.")
    hours = _intervals_text(intervals, language)
    if at is None:
        return f"{name}: " + (f"geöffnet {hours}." if language == "de" else f"open {hours}.")
    inside = any(s <= at < e for s, e in intervals)
    if language == "de":
        state = "geöffnet" if inside else "geschlossen"
        return f"{name} um {_fmt(at)} Uhr: {state} (Öffnungszeiten an diesem Tag: {hours})."
    state = "open" if inside else "closed"
    return f"{name} at {_fmt(at)}: {state} (opening hours that day: {hours})."


def weekday_fact(schedule: Schedule, weekday_number: int, language: str, at: time | None = None) -> str | None:
    names = WEEKDAYS["de" if language == "de" else "en"]
    if weekday_number in schedule.hours:
        intervals = schedule.hours[weekday_number]
    elif weekday_number in schedule.closed_days:
        intervals = []
    else:
        return None
    name = names[weekday_number]
    if not intervals:
        return f"{name}: " + ("geschlossen." if language == "de" else "closed.")
    hours = _intervals_text(intervals, language)
    if at is None:
        return f"{name}: " + (f"geöffnet {hours}." if language == "de" else f"open {hours}.")
    inside = any(s <= at < e for s, e in intervals)
    if language == "de":
        return f"{name} um {_fmt(at)} Uhr: {'geöffnet' if inside else 'geschlossen'} (Öffnungszeiten: {hours})."
    return f"{name} at {_fmt(at)}: {'open' if inside else 'closed'} (opening hours: {hours})."


def schedule_facts(question: str, evidence_text: str, now: datetime, language: str,
                   asked_days: list[date], wants_dates: bool = False) -> list[str]:
    """Computed sentences for the days, times and events a question is about (the next dates of
    a recurring event when the question asks when, or names a word of the event's sentence)."""
    today = now.date()
    schedule = parse_schedule(evidence_text, today)
    facts: list[str] = []
    at = _question_time(question)
    days = list(dict.fromkeys(asked_days))
    if _NOW.search(question):
        days = [today, *days]
        at = at or now.time().replace(second=0, microsecond=0)
    if schedule.has_hours or schedule.closures:
        for day in days[:3]:
            fact = day_fact(schedule, day, language, at)
            if fact:
                facts.append(fact)
        if not days:
            named = [n for n in (_day_number(m.group(0)) for m in _QUESTION_DAY.finditer(question)) if n is not None]
            for weekday_number in list(dict.fromkeys(named))[:2]:
                fact = weekday_fact(schedule, weekday_number, language, at)
                if fact:
                    facts.append(fact)
    asked = {w for w in re.findall(r"[^\W\d_]{4,}", question.casefold())}
    for event in schedule.events[:3]:
        said = " ".join([event.sentence, *event.exceptions])
        if not wants_dates and not asked & set(re.findall(r"[^\W\d_]{4,}", said.casefold())):
            continue
        fact = event_fact(event, schedule, today, language)
        if fact:
            facts.append(fact)
    return facts


_NEXT = re.compile(r"\b(?:next|nächste[nrms]?|naechste[nrms]?|kommende[nrms]?)\b", re.I)


def not_the_next_date(answer: str, question: str, computed: str) -> list[str]:
    """For "when is the next …": an answer that gives a later one of an event's computed dates
    and not the first ("9 March" where the facts say 9 February, 9 March, 13 April)."""
    if not _NEXT.search(question):
        return []
    said = {(m.day.month, m.day.day) for m in find_dates(answer, date(2000, 1, 1), future_bias=False)}
    problems = []
    for fact in computed.split("\n"):
        if not fact.startswith(EVENT_FACT[:2]):
            continue
        dates = [(m.day.month, m.day.day) for m in find_dates(fact.rpartition(": ")[2], date(2000, 1, 1),
                                                               future_bias=False)]
        if dates and said & set(dates[1:]) and dates[0] not in said:
            problems.append(f"not the next date: the next is {dates[0][1]}.{dates[0][0]}.")
    return problems


#: How an event's fact starts: its next dates, or the source quoted when they cannot be computed.
EVENT_FACT = ("Nächste Termine für", "Next dates of", "Laut Quelle", "The source says")


def event_fact(event: Event, schedule: Schedule, today: date, language: str) -> str | None:
    """The next dates of ``event`` (its exceptions and the business's closures taken out), or,
    when an exception names a period the sources give no dates for, its sentences quoted and no
    date: "every Thursday, not in the school holidays" has no next date anyone can compute here."""
    german = language == "de"
    if event.unresolved:
        quoted = " ".join(dict.fromkeys([event.sentence, *(e for e in event.exceptions if e not in event.sentence)]))
        periods = ", ".join(event.unresolved)
        if german:
            return f"Laut Quelle: „{quoted}“ (kein Datum berechnet: für „{periods}“ nennen die Quellen keine Daten)."
        return f"The source says: \"{quoted}\" (no date computed: the sources give no dates for \"{periods}\")."
    upcoming = [d for d in event.rule if d.date() >= today and not schedule.closure(d.date())][:3]
    if not upcoming:
        return None
    shown = ", ".join(format_date(d.date(), language) + (f" {_fmt(d.time())}" if d.time() != time(0, 0) else "")
                      for d in upcoming)
    label = event.sentence if len(event.sentence) <= 90 else event.sentence[:87] + "…"
    note = ""
    if event.excluded_months:
        months = MONTHS["de" if german else "en"]
        only = len(event.excluded_months) > 6  # "(Mai bis Oktober)": say the months it is held in
        shown_months = [m for m in range(1, 13) if m not in event.excluded_months] if only else event.excluded_months
        names = [months[m - 1].capitalize() for m in shown_months]
        joined = ", ".join(names[:-1]) + (" und " if german else " and ") + names[-1] if len(names) > 1 else names[0]
        if german:
            note = f" (nur im {joined})" if only else f" (nicht im {joined})"
        else:
            note = f" (only in {joined})" if only else f" (not in {joined})"
    elif event.exceptions:
        note = " (mit den Ausnahmen laut Quelle)" if german else " (with the exceptions the source gives)"
    return (f"Nächste Termine für „{label}“{note}: " if german else f"Next dates of \"{label}\"{note}: ") + shown + "."


__all__ = ["EVENT_FACT", "MONTHS", "Event", "Schedule", "day_fact", "event_fact", "not_the_next_date", "parse_schedule",
           "schedule_facts", "weekday_fact"]
