"""The answer check: every number, time, price, date, address and promise must be in the evidence.

The model is a phraser. What it writes is compared, claim by claim, against the text it was
given (sources, computed date facts, the question itself). Any claim that is not found there
fails the check, and the answer is then built from the evidence instead.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

_NUMBER = re.compile(r"(?<![\w.])\d+(?:[.,:]\d+)*")
_URL = re.compile(r"\b(?:https?://|www\.)[^\s<>()\"']+", re.I)
_EMAIL = re.compile(r"\b[\w.+-]+@[\w-]+(?:\.[\w-]+)+\b")
#: Words that make a promise; an answer may use them only when a source does.
PROMISES = {
    "free": ("free",), "kostenlos": ("kostenlos", "gratis", "free"), "gratis": ("gratis", "kostenlos", "free"),
    "discount": ("discount", "rabatt", "%", "percent", "prozent", "sale"), "rabatt": ("rabatt", "discount", "%", "prozent", "percent"),
    "guarantee": ("guarantee", "warranty", "garantie"), "garantie": ("garantie", "warranty", "guarantee"),
    "refund": ("refund", "erstatt", "rückerstatt"), "erstatt": ("erstatt", "refund"),
}
#: "Everything is free": a promise about all of the shop needs a source that says it of all of the shop.
_SWEEPING = re.compile(r"\b(?:everything|all (?:products|items|orders|of it)|anything|alles|sämtliche|jede[nrs]? artikel)\b")
#: The prompt's own labels in an answer: the model is reciting its instructions, not answering.
_PROMPT_ECHO = re.compile(r"\b(?:SOURCES|FACTS|QUESTION|EARLIER QUESTION|NO_ANSWER)\b|system prompt|\bPersona:")
#: Capitalised words an English answer may use without a source.
_COMMON = {
    "i", "we", "you", "our", "yes", "no", "sorry", "unfortunately", "however", "please", "thank", "thanks",
    "hello", "hi", "eur", "usd", "gbp", "chf", "am", "pm", "ok", "the", "a", "an", "it", "this", "that",
    "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday", "january", "february",
    "march", "april", "may", "june", "july", "august", "september", "october", "november", "december",
    "today", "tomorrow", "would", "if", "for", "in", "on", "at", "and", "or", "but", "also", "there", "they",
}


def number_forms(token: str) -> set[str]:
    """Spellings that mean the same number: 4.90 / 4,90 / 4.9; 8:00 / 8; 05 / 5."""
    t = token.replace(",", ".")
    forms = {t}
    if ":" in t:
        hours, _, minutes = t.partition(":")
        if hours.isdigit():
            forms.add(f"{int(hours)}:{minutes}")
            forms.add(f"{int(hours)}.{minutes}")
            if minutes.strip("0") == "":
                forms.add(str(int(hours)))
        return forms
    parts = t.split(".")
    if len(parts) > 2 or (len(parts) == 2 and len(parts[1]) == 3 and parts[0] != "0"):
        forms.add(t.replace(".", ""))  # 1.390 or 1,390 as thousands
    try:
        value = Decimal(t) if len(parts) <= 2 else Decimal(t.replace(".", ""))
        normal = value.normalize()
        forms.add(format(normal, "f"))
    except InvalidOperation:
        pass
    return forms


def evidence_numbers(text: str) -> set[str]:
    out: set[str] = set()
    for token in _NUMBER.findall(text):
        out |= number_forms(token)
    return out


def _casefold(text: str) -> str:
    return text.casefold().replace("ß", "ss")


def unsupported_claims(answer: str, evidence: str, *, allow: str = "", language: str = "en") -> list[str]:
    """The claims in ``answer`` that neither ``evidence`` nor ``allow`` (question, persona) contains."""
    known_text = evidence + "\n" + allow
    known_numbers = evidence_numbers(known_text)
    known = _casefold(known_text)
    problems: list[str] = []
    for url in _URL.findall(answer):
        url = url.rstrip(".,;:!?")
        if _casefold(url) not in known:
            problems.append(f"address {url}")
    for email in _EMAIL.findall(answer):
        if _casefold(email) not in known:
            problems.append(f"address {email}")
    scrubbed = _EMAIL.sub(" ", _URL.sub(" ", answer))
    for token in _NUMBER.findall(scrubbed):
        token = token.rstrip(".,:")
        if token and not (number_forms(token) & known_numbers):
            problems.append(f"number {token}")
    lowered = _casefold(scrubbed)
    for word, synonyms in PROMISES.items():
        if re.search(rf"\b{word}", lowered):
            if not any(s in known for s in synonyms):
                problems.append(f"promise '{word}'")
            elif _SWEEPING.search(lowered) and not _SWEEPING.search(_casefold(evidence)):
                problems.append(f"sweeping promise '{word}'")
    if language == "en":
        problems.extend(f"name {w}" for w in _unknown_names(scrubbed, known))
    problems.extend(contradictions(scrubbed, evidence))
    if _PROMPT_ECHO.search(answer):
        problems.append("prompt echo")
    return problems


#: Opposite states a sentence can claim; the evidence decides which one holds.
_POLARITY = (
    (r"\b(?:open|opened|geöffnet|offen|öffnen)\b", r"\b(?:closed|geschlossen|zu)\b"),
    (r"(?<!not )(?<!nicht )\b(?:in stock|auf lager|lieferbar|vorrätig)\b",
     r"\b(?:out of stock|not in stock|not available|nicht auf lager|nicht lieferbar|ausverkauft|sold out)\b"),
)


def contradictions(answer: str, evidence: str) -> list[str]:
    """States the answer claims about a day or number whose evidence sentences say the opposite.

    "Yes, we are open on 25 December" against "We are closed on ... 24, 25 and 26 December"
    fails: the sentences that mention 25 speak only of "closed".
    """
    sentences = [s for s in re.split(r"(?<=\D[.!?])\s+|\n+", evidence) if s.strip()]
    problems = []
    for claim in re.split(r"(?<=\D[.!?])\s+", answer):
        anchors = {n for n in _NUMBER.findall(claim)}
        if not anchors:
            continue
        anchored = [s.casefold() for s in sentences if anchors & set(_NUMBER.findall(s))]
        if not anchored:
            continue
        lowered = claim.casefold()
        for yes, no in _POLARITY:
            for said, opposite in ((yes, no), (no, yes)):
                if re.search(said, lowered) and not re.search(opposite, lowered):
                    supports = any(re.search(said, s) for s in anchored)
                    if not supports and any(re.search(opposite, s) for s in anchored):
                        problems.append(f"contradiction '{re.search(said, lowered).group(0)}'")
    return problems


def _unknown_names(answer: str, known: str) -> list[str]:
    """Capitalised words inside English sentences that no source mentions (an invented product, a place)."""
    unknown = []
    for sentence in re.split(r"(?<=[.!?:])\s+|\n+", answer):
        words = re.findall(r"[^\W\d_][\w'’-]*", sentence)
        for word in words[1:]:
            word = word.rstrip("'’")
            if word[0].isupper() and _casefold(word) not in _COMMON and _casefold(word) not in known:
                unknown.append(word)
    return unknown


_QUANTITY = re.compile(r"\b\d+(?:[.,]\d+)?\s?(?:g|kg|ml|l|cl|cm|mm|m|oz|lb|cups?|tassen|pieces|stück|pcs)\b", re.I)


def price_mismatches(sentence: str, products: list[tuple[str, set[str]]]) -> list[str]:
    """A price said of the wrong variant: "the 250 g costs 42.00" when 42.00 is the 1 kg's price.

    ``products`` pairs each evidence product's title with the spellings of its prices.
    """
    numbers = set()
    for token in _NUMBER.findall(sentence):
        numbers |= number_forms(token)
    quantities = {re.sub(r"\s", "", q).casefold() for q in _QUANTITY.findall(sentence)}
    problems = []
    for title, prices in products:
        if not numbers & prices:
            continue
        owned = {re.sub(r"\s", "", q).casefold() for q in _QUANTITY.findall(title)}
        stray = quantities - owned
        if stray and not any(numbers & other for t, other in products if t != title and
                             stray <= {re.sub(r"\s", "", q).casefold() for q in _QUANTITY.findall(t)}):
            problems.append(f"price of {title} said of {', '.join(sorted(stray))}")
    return problems
