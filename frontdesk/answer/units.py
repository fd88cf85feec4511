"""The unit a number carries: "149 €" is a price, "149 hours" a duration, "14:00" a time of day.

The answer check finds a number in the evidence in any spelling (verify.number_forms), which
alone lets a model say a price as a duration ("the repair takes approximately 149 hours" over
"Displaytausch ab 149 €"). Here every number of a text is read with the unit written next to
it, from a table of unit words by kind in English and German (currency, duration, time of
day, percent, weight, volume, length, area, data, electrical, count) plus the dates the date
reader finds. A number the answer gives with a unit must occur in the evidence with a unit of
the same kind and scale (hours are not days, kg is not g, € is not $) at least once; a number
the evidence writes bare ("| Display | 149 |") says nothing about its unit and is no objection.

The table is vocabulary, not fitting: it lists the words each language writes units with.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .dates import _BARE_DAYS, _DAY_MONTH, _MONTH, _MONTH_DAY, _NUMERIC_DE
from .schedule import _DAY_ALT

#: (kind, unit, words, symbols) in the order they are tried, longer spellings first. Words are
#: matched in any case; symbols and abbreviations only as written ("m" is a metre, "M" is not;
#: "W" is a watt, "w" is not).
UNITS: list[tuple[str, str, str, str]] = [
    ("currency", "EUR", r"euros?", r"€(?!\s?\d)|EUR|Eur|eur"),
    ("currency", "USD", r"us-dollars?|dollars?", r"\$(?!\s?\d)|USD|usd"),
    ("currency", "GBP", r"", r"£(?!\s?\d)|GBP"),
    ("currency", "CHF", r"franken", r"CHF"),
    ("currency", "cent", r"cents?", r"ct\.?"),
    ("percent", "%", r"prozent|percent|per cent", r"%"),
    ("time of day", "clock", r"uhr|o'clock|a\.m\.|p\.m\.", r"am|pm|AM|PM|h(?=\d\d)"),
    ("duration", "second", r"sekunden?|seconds?|secs?", r"sek\.?|Sek\."),
    ("duration", "minute", r"minuten?|minutes?|minütig\w*", r"min\.?|mins|Min\.?"),
    ("duration", "hour", r"stunden?|hours?|stündig\w*", r"h|hrs?\.?|Std\.?|std\.?"),
    ("duration", "day", r"(?:werk|arbeits|kalender|geschäfts|bank)?tag(?:e|en|es)?|tägig\w*|"
                        r"(?:working |business |calendar )?days?", r""),
    ("duration", "night", r"nächte[n]?|nacht|übernachtung(?:en)?|nights?", r""),
    ("duration", "week", r"wochen?|weeks?|wöchig\w*", r""),
    ("duration", "month", r"monate?n?|monats|months?|monatig\w*", r""),
    ("duration", "year", r"jahre?n?|jahres|years?|jährig\w*|year-olds?", r"J\.|yrs?\.?"),
    ("weight", "kg", r"kilogramm|kilograms?|kilos?", r"kg|KG|Kg"),
    ("weight", "mg", r"milligramm|milligrams?", r"mg"),
    ("weight", "g", r"gramm|grams?", r"g|gr\."),
    ("weight", "lb", r"", r"lbs?"),
    ("weight", "oz", r"", r"oz"),
    ("volume", "ml", r"milliliter|millilitres?|milliliters", r"ml"),
    ("volume", "cl", r"zentiliter|centilit(?:er|re)s?", r"cl"),
    ("volume", "l", r"liter|litre|liters|litres", r"l"),
    ("area", "m²", r"quadratmeter|square met(?:er|re)s?", r"m²|m2|qm|sqm"),
    ("speed", "km/h", r"", r"km/h|kmh"),
    ("length", "km", r"kilometer|kilomet(?:er|re)s?", r"km"),
    ("length", "cm", r"zentimeter|centimet(?:er|re)s?", r"cm"),
    ("length", "mm", r"millimeter|millimet(?:er|re)s?", r"mm"),
    ("length", "m", r"meter|metres?|meters", r"m"),
    ("length", "inch", r"zoll|inch(?:es)?", r"″"),
    ("data", "TB", r"terabytes?", r"TB"),
    ("data", "GB", r"gigabytes?", r"GB"),
    ("data", "MB", r"megabytes?", r"MB"),
    ("electric", "mAh", r"", r"mAh"),
    ("electric", "Wh", r"", r"kWh|Wh"),
    ("electric", "W", r"watt", r"W"),
    ("electric", "V", r"volt", r"V"),
    ("count", "count", r"stück|pieces?|items?|artikel|plätze|platz|places?|seats?|spots?|personen|persons?|people|"
                       r"teilnehmer(?:innen)?|participants?|gäste|guests?|erwachsene[n]?|adults?|kinder[n]?|children|"
                       r"kids|zimmer|rooms?|mal|times", r"Stk\.?|pcs\.?|pc|Pers\."),
]
_CURRENCY_BEFORE = re.compile(r"(€|\$|£|\b(?:eur|usd|gbp|chf))\s?$", re.I)
_SYMBOL = {"€": "EUR", "eur": "EUR", "$": "USD", "usd": "USD", "£": "GBP", "gbp": "GBP", "chf": "CHF"}
#: A range or list before the unit ("10–13 Uhr", "3 bis 5 Werktage", "10–13 & 14–18:30 Uhr"):
#: each number of it carries the unit at its end.
_JOIN = r"(?:\s*(?:–|—|-|bis(?: zu| zum)?|to|until|till|and|und|&|oder|or)\s*\d+(?:[.,:]\d+)*\.?(?![.,:]?\d))"
_NUMBER = re.compile(r"(?<![\w.])\d+(?:[.,:]\d+)*")


def _unit_pattern(words: str, symbols: str) -> re.Pattern[str]:
    parts = [p for p in (symbols, f"(?i:{words})" if words else "") if p]
    return re.compile(rf"(?:{'|'.join(parts)})(?![^\W\d_])")


_UNIT = [(kind, unit, _unit_pattern(words, symbols)) for kind, unit, words, symbols in UNITS]
_AFTER_DIRECT = re.compile(r"(?:[.,][-–]{1,2}(?!\s*\d))?\.?\s?-?\s?")
_AFTER = re.compile(rf"(?:[.,][-–]{{1,2}}(?!\s*\d))?\.?{_JOIN}*\s?-?\s?")  # "149,- €"; "1.–15. August"
_CLOCK_TIME = re.compile(r"\d{1,2}:\d{2}")


@dataclass(frozen=True)
class Unit:
    kind: str
    unit: str

    def __str__(self) -> str:
        return self.kind if self.unit in (self.kind, "clock", "date", "count") else f"{self.kind} ({self.unit})"


_DATE = Unit("date", "date")
_CLOCK = Unit("time of day", "clock")


#: Month abbreviations that are also English words: a date only when capitalised ("3 May", not "2 may").
_WORDS = {"may", "mar", "jan", "jun", "jul", "aug", "sep", "oct", "nov", "dec"}


def _a_month(word: str) -> bool:
    return word.casefold() not in _WORDS or word[0].isupper()


def _date_spans(text: str) -> list[tuple[int, int]]:
    spans = [m.span() for pattern, group in ((_DAY_MONTH, 2), (_MONTH_DAY, 1), (_BARE_DAYS, 3))
             for m in pattern.finditer(text) if _a_month(m.group(group))]
    spans += [m.span() for m in _ISO.finditer(text)]  # 2027-01-15, also 2027-01-15T23:59 in a feed
    spans += [m.span() for m in _NUMERIC_DE.finditer(text) if 1 <= int(m.group(2)) <= 12 and 1 <= int(m.group(1)) <= 31]
    return spans


_ISO = re.compile(r"\b\d{4}-\d{2}-\d{2}(?=T|\b)")
_MONTH_AFTER = re.compile(rf"(?:st|nd|rd|th)?\.?\s*(?:of\s+)?(?i:({_MONTH}))\b")


_TIME = r"\d{1,2}(?:[:.]\d{2})?"
#: Opening hours written without "Uhr": "Mo–Fr 9–18, Sa 10–14": a range of hours after days.
_DAY_HOURS = re.compile(rf"\b(?:{_DAY_ALT})\.?(?:\s*(?:–|—|-|bis|to)\s*(?:{_DAY_ALT})\.?)?:?\s+"
                        rf"((?:{_TIME}\s*(?:–|—|-)\s*{_TIME}(?:\s*(?:&|und|and|,)\s*)?)+)", re.I)


def _hour_spans(text: str) -> list[tuple[int, int]]:
    return [m.span(1) for m in _DAY_HOURS.finditer(text)]


def unit_of(text: str, start: int, end: int, dates: list[tuple[int, int]] | None = None,
            hours: list[tuple[int, int]] | None = None) -> Unit | None:
    """The unit written with the number at ``text[start:end]``, or None when it stands bare."""
    spans = _date_spans(text) if dates is None else dates
    if any(s <= start and end <= e for s, e in spans):
        return _DATE
    direct = _AFTER_DIRECT.match(text, end)
    after = _AFTER.match(text, end)
    positions = list(dict.fromkeys([direct.end() if direct else end, after.end() if after else end]))
    number = text[start:end]
    for position in positions:  # the unit right after the number first, then after a range ("10–13 Uhr")
        month = _MONTH_AFTER.match(text, position)
        if month and _a_month(month.group(1)) and number.isdigit() and 1 <= int(number) <= 31:
            return _DATE  # "15. August"; "1.–15. August": the first day of a range of days
        for kind, unit, pattern in _UNIT:
            if pattern.match(text, position):
                return Unit(kind, unit)
        before = _CURRENCY_BEFORE.search(text, max(0, start - 5), start)
        if before:
            return Unit("currency", _SYMBOL[before.group(1).casefold()])
    if _CLOCK_TIME.fullmatch(text[start:end]):
        return _CLOCK
    if any(s <= start and end <= e for s, e in (_hour_spans(text) if hours is None else hours)):
        return _CLOCK
    return None


def numbers_with_units(text: str) -> list[tuple[str, Unit | None]]:
    """Every number of ``text`` with the unit it is written with (None: written bare)."""
    spans, hours = _date_spans(text), _hour_spans(text)
    return [(m.group(0), unit_of(text, m.start(), m.end(), spans, hours)) for m in _NUMBER.finditer(text)]


_PM = re.compile(r"(?:\s*(?:–|—|-|to|until|till)\s*\d{1,2}(?:[:.]\d{2})?)?\s?(?:pm|p\.m\.)(?![^\W\d_])", re.I)


def _values(text: str) -> list[tuple[str, set[str], Unit | None]]:
    """Numbers with their spellings and units; "2 pm" is also 14 and 14:00 ("2–6:30 pm": 14, 18:30)."""
    from .verify import number_forms

    out = []
    spans, hours = _date_spans(text), _hour_spans(text)
    for m in _NUMBER.finditer(text):
        unit = unit_of(text, m.start(), m.end(), spans, hours)
        forms = number_forms(m.group(0))
        if unit == _CLOCK and _PM.match(text, m.end()):
            hour, _, minutes = m.group(0).replace(".", ":").partition(":")
            if hour.isdigit() and int(hour) < 12:
                forms |= number_forms(f"{int(hour) + 12}:{minutes or '00'}")
        out.append((m.group(0), forms, unit))
    return out


def unit_mismatches(answer: str, evidence: str) -> list[str]:
    """Numbers the answer gives a unit the evidence never gives them: "149 hours" over "149 €".

    A number the evidence does not have at all is the number check's business; one the
    evidence writes only bare ("| Display | 149 |") cannot be held to a unit. Bare occurrences
    beside ones with a unit do not excuse a wrong unit: small numbers stand bare everywhere
    (house numbers, model names, footnotes)."""
    known = _values(evidence)
    problems = []
    for token, forms, unit in _values(answer):
        if unit is None:
            continue
        given = {u for _, f, u in known if f & forms and u is not None}
        if not given or unit in given:
            continue
        said = ", ".join(sorted(str(u) for u in given))
        problems.append(f"unit of {token}: {unit}, where the sources give it as {said}")
    return problems


#: Saying that something has a price: vocabulary, like UNITS ("kostenlos" is no price).
_PRICED = re.compile(r"\b(?:costs?|kostet|kosten)\b", re.I)
_NOT_A_PRICE = {"duration", "time of day"}


def price_units(answer: str) -> list[str]:
    """A price said as a duration or a time ("Ein Displaytausch kostet 60 Minuten"): the first
    figure after "costs"/"kostet" is written as a duration or a time of day. The figure is in
    the sources, with that unit, so the other checks let it pass."""
    spans, hours = _date_spans(answer), _hour_spans(answer)
    problems = []
    for verb in _PRICED.finditer(answer):
        figure = _NUMBER.search(answer, verb.end())
        if figure is None or re.search(r"[.;!?]\s", answer[verb.end():figure.start()]):
            continue
        unit = unit_of(answer, figure.start(), figure.end(), spans, hours)
        if unit is not None and unit.kind in _NOT_A_PRICE:
            problems.append(f"a price given as {unit}: {figure.group(0)}")
    return problems


__all__ = ["UNITS", "Unit", "numbers_with_units", "price_units", "unit_mismatches", "unit_of"]
