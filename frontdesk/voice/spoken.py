"""An answer's text written out the way it is said: prices, dates, times, percentages, numbers.

A voice reads "4,90 €" as "vier Euro neunzig" and "14:30" as "vierzehn Uhr dreißig" only if
they are written so; speech engines guess at digits and symbols (espeak-ng reads "€" as a
word after the number, Piper spells out unknown tokens). Number words come from ``num2words``.
The written answer keeps its citations; the spoken one leaves the source list and links out
(a voice reading a URL helps nobody; the text message beside it carries them).
"""

from __future__ import annotations

import re
from collections.abc import Callable

from num2words import num2words

from ..answer import phrases
from ..answer.dates import _MONTH_NUMBER, MONTHS

LANGUAGES = ("de", "en")

#: currency -> {language: (one, many, cent one, cent many)}
_CURRENCIES = {
    "EUR": {"de": ("Euro", "Euro", "Cent", "Cent"), "en": ("euro", "euros", "cent", "cents")},
    "USD": {"de": ("Dollar", "Dollar", "Cent", "Cent"), "en": ("dollar", "dollars", "cent", "cents")},
    "GBP": {"de": ("Pfund", "Pfund", "Pence", "Pence"), "en": ("pound", "pounds", "penny", "pence")},
    "CHF": {"de": ("Franken", "Franken", "Rappen", "Rappen"), "en": ("franc", "francs", "centime", "centimes")},
}
_SYMBOLS = {"€": "EUR", "$": "USD", "£": "GBP", "eur": "EUR", "euro": "EUR", "usd": "USD", "gbp": "GBP",
            "chf": "CHF", "fr.": "CHF", "dollar": "USD", "dollars": "USD", "euros": "EUR"}
_UNITS = {
    "kg": ("Kilogramm", "kilograms"), "g": ("Gramm", "grams"), "mg": ("Milligramm", "milligrams"),
    "l": ("Liter", "litres"), "ml": ("Milliliter", "millilitres"), "cm": ("Zentimeter", "centimetres"),
    "mm": ("Millimeter", "millimetres"), "m": ("Meter", "metres"), "km": ("Kilometer", "kilometres"),
    "w": ("Watt", "watts"), "kw": ("Kilowatt", "kilowatts"), "min": ("Minuten", "minutes"),
    "h": ("Stunden", "hours"), "std": ("Stunden", "hours"),
}
_NUMBER = r"\d{1,3}(?:[.,\u202f ]\d{3})+(?:[.,]\d{1,2})?|\d+(?:[.,]\d+)?"
_CURRENCY_WORD = r"€|\$|£|EUR|USD|GBP|CHF|Euros?|Dollars?"
_PRICE_AFTER = re.compile(rf"(?<![\w.,])({_NUMBER})(?:[.,][-–])?\s?({_CURRENCY_WORD})(?![\w])", re.I)
_PRICE_BEFORE = re.compile(rf"(?<![\w])({_CURRENCY_WORD})\s?({_NUMBER})(?:[.,][-–])?(?![\d])", re.I)
_TIME = re.compile(r"(?<![\d.:])([01]?\d|2[0-3])(?::([0-5]\d)|\.([0-5]\d)(?=\s*Uhr))\s*(Uhr|h|[ap]\.?m\.?)?(?![\w])",
                   re.I)
_HOUR_AMPM = re.compile(r"(?<![\d:.])(1[0-2]|0?[1-9])\s*([ap])\.?m\.?(?![\w])", re.I)
_MONTH_NAMES = "|".join(sorted(_MONTH_NUMBER, key=len, reverse=True))
_ISO_DATE = re.compile(r"\b(\d{4})-(\d{2})-(\d{2})\b")
_NUMERIC_DATE = re.compile(r"(?<![\d.])(\d{1,2})\.(\d{1,2})\.(\d{4}|\d{2})?(?![\d])")
_DAY_MONTH = re.compile(rf"(?<![\d.])(\d{{1,2}})(?:\.|st|nd|rd|th)?\s+(?:of\s+)?({_MONTH_NAMES})\.?(?:\s+(\d{{4}}))?\b", re.I)
_MONTH_DAY = re.compile(rf"\b({_MONTH_NAMES})\.?\s+(\d{{1,2}})(?:st|nd|rd|th)?\b(?:,?\s+(\d{{4}}))?", re.I)
_PERCENT = re.compile(rf"({_NUMBER})\s?(%|Prozent|percent)", re.I)
_UNIT = re.compile(rf"({_NUMBER})\s?({'|'.join(sorted(_UNITS, key=len, reverse=True))})\b(?!\.\w)", re.I)
_DIGITS = re.compile(r"\+?\d[\d ]{6,}\d|\d{6,}")
_PLAIN = re.compile(rf"(?<![\w])({_NUMBER})(?![\w])")
_URL = re.compile(r"https?://\S+|www\.\S+")
_DATIVE = re.compile(r"\b(am|vom|zum|bis zum|ab dem|seit dem|den|dem|im)\s*$", re.I)


def for_speech(text: str, language: str) -> str:
    """``text`` as a voice in ``language`` (``de`` or ``en``; others are read as English) should say it."""
    lang = language if language in LANGUAGES else "en"
    text = _without_sources(text, lang)
    text = _URL.sub("", text)
    text = re.sub(r"[*_`#>|]+", " ", text)
    text = _ISO_DATE.sub(lambda m: _date(int(m[3]), int(m[2]), int(m[1]), lang, _before(m)), text)
    text = _DAY_MONTH.sub(lambda m: _date(int(m[1]), _MONTH_NUMBER[m[2].lower()], _year(m[3]), lang, _before(m)), text)
    text = _MONTH_DAY.sub(lambda m: _date(int(m[2]), _MONTH_NUMBER[m[1].lower()], _year(m[3]), lang, _before(m)), text)
    text = _NUMERIC_DATE.sub(lambda m: _numeric_date(m, lang), text)
    text = _PRICE_AFTER.sub(lambda m: _price(m[1], m[2], lang), text)
    text = _PRICE_BEFORE.sub(lambda m: _price(m[2], m[1], lang), text)
    text = _TIME.sub(lambda m: _time(int(m[1]), int(m[2] or m[3] or 0), m[4], lang), text)
    text = _HOUR_AMPM.sub(lambda m: _time(int(m[1]), 0, m[2] + "m", lang), text)
    text = _PERCENT.sub(lambda m: f"{_number(m[1], lang)} {'Prozent' if lang == 'de' else 'percent'}", text)
    text = _UNIT.sub(lambda m: f"{_number(m[1], lang)} {_UNITS[m[2].lower()][0 if lang == 'de' else 1]}", text)
    text = _DIGITS.sub(lambda m: " ".join(_words(int(d), lang) for d in m[0] if d.isdigit()), text)
    text = _PLAIN.sub(lambda m: _number(m[1], lang), text)
    text = re.sub(r"\b([ap]\.m)\.\.", r"\1.", text)  # "at 6 p.m.." when the time ended a sentence
    return re.sub(r"[ \t]+", " ", re.sub(r"\s*\n\s*", "\n", text)).strip()


def _without_sources(text: str, lang: str) -> str:
    labels = {phrases.sources_label(lang).lower(), phrases.sources_label("en").lower()}
    kept = []
    for line in text.splitlines():
        if line.strip().rstrip(":").lower() in labels:
            break
        kept.append(line)
    return "\n".join(kept)


def _before(match: re.Match[str]) -> str:
    return match.string[max(0, match.start() - 12): match.start()]


def _year(value: str | None) -> int | None:
    return int(value) if value else None


def _words(value: int, lang: str, to: str = "cardinal") -> str:
    return str(num2words(value, lang=lang, to=to))


def _parse(raw: str, lang: str) -> float:
    """A written number: a separator followed by exactly three digits groups thousands, else it is decimal."""
    raw = raw.replace("\u202f", "").replace(" ", "")
    seps = [c for c in raw if c in ".,"]
    if not seps:
        return float(raw)
    last = max(raw.rfind("."), raw.rfind(","))
    decimals = raw[last + 1:]
    if len(decimals) == 3 and (len(seps) > 1 or raw[last] == ("." if lang == "de" else ",")):
        return float(re.sub(r"[.,]", "", raw))
    if len(decimals) == 3 and len(seps) == 1 and not raw.startswith("0"):
        return float(re.sub(r"[.,]", "", raw))
    return float(re.sub(r"[.,]", "", raw[:last]) + "." + decimals)


def _number(raw: str, lang: str) -> str:
    value = _parse(raw, lang)
    if value == int(value) and not re.search(r"[.,]\d*[1-9]|[.,]0\d", raw.split()[0]):
        return _words(int(value), lang)
    return str(num2words(value, lang=lang))


def _price(amount: str, currency: str, lang: str) -> str:
    code = _SYMBOLS.get(currency.lower(), currency.upper())
    one, many, cent_one, cent_many = _CURRENCIES.get(code, _CURRENCIES["EUR"])[lang]
    value = round(_parse(amount, lang), 2)
    units, cents = int(value), round((value - int(value)) * 100)
    unit_word = one if units == 1 else many
    count = ("ein" if lang == "de" else "one") if units == 1 else _words(units, lang)
    if units == 0 and cents:
        return f"{_words(cents, lang)} {cent_one if cents == 1 else cent_many}"
    if not cents:
        return f"{count} {unit_word}"
    return f"{count} {unit_word} {_words(cents, lang)}"


def _time(hour: int, minute: int, suffix: str | None, lang: str) -> str:
    suffix = (suffix or "").lower().replace(".", "")
    if suffix in ("am", "pm"):
        hour = hour % 12 + (12 if suffix == "pm" else 0)
    if lang == "de":
        said = "ein" if hour == 1 else _words(hour, lang)
        return f"{said} Uhr" + (f" {_words(minute, lang)}" if minute else "")
    twelve = hour % 12 or 12
    part = "a.m." if hour < 12 else "p.m."
    if hour == 12 and minute == 0:
        return "noon"
    if hour == 0 and minute == 0:
        return "midnight"
    said = _words(twelve, lang)
    if minute:
        said += " " + (f"oh {_words(minute, lang)}" if minute < 10 else _words(minute, lang))
    return f"{said} {part}"


def _date(day: int, month: int, year: int | None, lang: str, before: str) -> str:
    if not 1 <= month <= 12 or not 1 <= day <= 31:
        return f"{day} {month} {year or ''}".strip()
    name = MONTHS[lang][month - 1].capitalize()
    ordinal = _words(day, lang, "ordinal")
    if lang == "de":
        ordinal += "n" if _DATIVE.search(before) else "r"
        said = f"{ordinal} {name}"
    else:
        said = f"{name} {ordinal}"
    if year:
        said += " " + _words(year, lang, "year")
    return said


def _numeric_date(match: re.Match[str], lang: str) -> str:
    day, month = int(match[1]), int(match[2])
    if not (1 <= day <= 31 and 1 <= month <= 12) or (match[3] is None and lang != "de"):
        return match[0]
    year = match[3]
    full = (2000 + int(year) if len(year) == 2 else int(year)) if year else None
    return _date(day, month, full, lang, _before(match))


Speaker = Callable[[str, str], str]
