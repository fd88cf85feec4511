"""The answer check: every number, time, price, date, address and promise must be in the evidence.

The model is a phraser. What it writes is compared, claim by claim, against the text it was
given (sources, computed date facts, the question itself). Any claim that is not found there
fails the check, and the answer is then built from the evidence instead.
"""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal, InvalidOperation

from ..search.text import sentence_continues
from .dates import UPCOMING, find_dates
from .units import price_units, unit_mismatches

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


def unsupported_claims(answer: str, evidence: str, *, allow: str = "", language: str = "en",
                       question: str = "", bind: bool = True, computed: str = "") -> list[str]:
    """The claims in ``answer`` that neither ``evidence`` nor ``allow`` (question, persona) contains,
    figures without the condition the evidence gives them, values said of what the evidence
    does not say them of (with ``question``; ``bind=False`` when answer and evidence are in
    different languages), and an answer that contradicts itself."""
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
    problems.extend(unit_mismatches(scrubbed, known_text))  # "149 hours" where the sources say "149 €"
    problems.extend(price_units(scrubbed))  # "kostet 60 Minuten"
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
    problems.extend(dropped_conditions(scrubbed, evidence))
    problems.extend(self_contradictions(scrubbed))
    if question:
        problems.extend(misbound_values(scrubbed, evidence, question, same_language=bind, computed=computed,
                                        names=language == "en"))
        if not bind and computed:
            # The computed facts are in the answer's language, so their dates still bind: today's date
            # is no founding date. The list of upcoming dates is said of no one event: left out.
            own = "\n".join(line for line in computed.split("\n") if not line.startswith(tuple(UPCOMING.values())))
            problems.extend(p for p in misbound_values(scrubbed, "", question, computed=own, names=False,
                                                       kinds={"date"}) if p not in problems)
        problems.extend(denied_claims(scrubbed, evidence, question, same_language=bind))
        if bind:
            problems.extend(unbacked_denials(scrubbed, evidence + "\n" + computed, question))
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


# -- conditions, entities and consistency (issue 14) --------------------------------------------
#
# A true figure without its condition is a wrong answer: "free" for "free from 40 EUR", "49 EUR"
# for "from 49 EUR plus parts". These checks compare each value the answer states with the
# clause of the evidence that states it. The words below are the closed class of qualifiers
# each language marks a bound, an approximation or an extra charge with (grammar, not any
# business's vocabulary): an answer may say a qualified figure only with a qualifier of the
# same kind, in either language (the model may translate).

QUALIFIERS = {
    "lower bound": r"\b(?:from|starting (?:at|from)|at least|minimum|min\.|as of|ab|mindestens|ab nur|über|over|more than|mehr als)\s*$",
    "upper bound": r"\b(?:up to|at most|maximum|max\.|bis zu|bis|höchstens|maximal|under|unter|less than|weniger als|within|innerhalb)\s*$",
    "approximate": r"(?:\b(?:about|approx\.?|approximately|around|roughly|ca\.?|circa|etwa|rund|ungefähr)|~)\s*$",
}
#: Words that add a charge or a condition after a figure ("49 EUR zzgl. Material", "plus parts").
EXTRAS = r"\b(?:zzgl\.?|zuzüglich|plus|excl\.?|exkl\.?|excluding|not including|ohne|without|nicht inbegriffen|extra|additional|zusätzlich)\b|\s\+\s?\w"
_AMOUNT = re.compile(r"(?<![\w.])\d+(?:[.,]\d+)*(?:\s?(?:€|eur|euro|usd|\$|chf|gbp|£|%|prozent|percent))"
                     r"|(?:€|\$|£|eur|usd|chf)\s?\d+(?:[.,]\d+)*", re.I)
_CLAUSE = re.compile(r"(?<=[.!?])\s+(?=[A-ZÄÖÜ])|[;\n|•]|\s[–-]\s|,\s(?=(?:aber|but|außer|except|sonst|otherwise)\b)")
_FREE = re.compile(r"\b(?:free|kostenlos|kostenfrei|gratis|umsonst|no charge|versandkostenfrei)\w*", re.I)


_SENTENCE_BREAK = re.compile(r"(?<=[.!?])\s+(?=[A-ZÄÖÜ\"'(])|\n+")


def sentences_of(text: str) -> list[str]:
    """Sentences, where "13:00. Filter" ends one and "am 12. Dezember" does not."""
    out: list[str] = []
    for piece in _SENTENCE_BREAK.split(text):
        if not piece or not piece.strip():
            continue
        if out and re.search(r"(?:^|\s)\d{1,2}\.$", out[-1]) and not re.search(r"\n$", out[-1]):
            out[-1] += " " + piece.strip()  # "am 12." + "Dezember …": an ordinal, not a full stop
        elif out and sentence_continues(out[-1], piece):
            out[-1] += " " + piece.strip()  # "Tel." + "0341 …": an abbreviation's stop
        else:
            out.append(piece.strip())
    return out


def _clauses(text: str) -> list[str]:
    return [c.strip() for c in _CLAUSE.split(text) if c and c.strip()]


_YEAR = re.compile(r"(?:19|20)\d\d")


def _parts(clause: str, forms: set[str]) -> list[str]:
    """The comma-separated part of ``clause`` that holds the amount ``forms`` (one per mention)."""
    return [part for part in re.split(r",\s+", clause) if any(_value(m.group(0)) & forms for m in _AMOUNT.finditer(part))]


def _conditions(part: str) -> list[str]:
    """The numbers of ``part`` that are not amounts, years or parts of a compound ("4-Gang")."""
    amounts = " ".join(m.group(0) for m in _AMOUNT.finditer(part))
    taken = set(_NUMBER.findall(amounts))
    return [m.group(0) for m in _NUMBER.finditer(part)
            if m.group(0) not in taken and not _YEAR.fullmatch(m.group(0)) and not part[m.end():m.end() + 1] == "-"]


def _value(token: str) -> set[str]:
    digits = re.search(r"\d+(?:[.,]\d+)*", token)
    return number_forms(digits.group(0)) if digits else set()


def _qualifiers_before(clause: str, start: int) -> set[str]:
    before = clause[max(0, start - 24):start].casefold()
    return {kind for kind, pattern in QUALIFIERS.items() if re.search(pattern, before)}


def dropped_conditions(answer: str, evidence: str) -> list[str]:
    """Figures the answer states without the condition every evidence clause gives them.

    * an amount written "from/ab/up to/bis zu/about/ca. X" in every clause that has it must
      carry a qualifier of the same kind in the answer;
    * an amount followed in its clause by an extra charge ("zzgl. Material", "plus parts")
      must come with an extra-charge word in the answer's sentence;
    * "free" must keep the amount that makes it free ("free from 40 EUR"), when every
      evidence clause saying "free" about the same subject has one.
    """
    clauses = _clauses(evidence)
    problems: list[str] = []
    for sentence in re.split(r"(?<=\D[.!?])\s+", answer):
        lowered = sentence.casefold()
        for match in _AMOUNT.finditer(sentence):
            forms = _value(match.group(0))
            holders = []
            for clause in clauses:
                for other in _AMOUNT.finditer(clause):
                    if _value(other.group(0)) & forms:
                        holders.append((clause, other))
            if not holders:
                continue
            said = _qualifiers_before(sentence, match.start())
            kinds = [_qualifiers_before(clause, m.start()) for clause, m in holders]
            common = set.intersection(*kinds) if kinds else set()
            for kind in sorted(common - said):
                problems.append(f"dropped condition ({kind}) of {match.group(0).strip()}")
            extras = [bool(re.search(EXTRAS, clause[m.end():].casefold())) for clause, m in holders]
            if all(extras) and not re.search(EXTRAS, lowered):
                problems.append(f"dropped condition (extra charge) of {match.group(0).strip()}")
            # the other figures of the amount's clause that are no amounts are its conditions ("Kinder
            # von 3 bis 14 Jahren 18 €"): every clause that has the amount has them
            said_numbers = evidence_numbers(sentence)
            left_out = [[t for t in _conditions(part) if not number_forms(t.rstrip(".,:")) & said_numbers]
                        for clause, _ in holders for part in _parts(clause, forms)]
            if left_out and all(left_out):
                problems.append(f"dropped condition ({', '.join(left_out[0])}) of {match.group(0).strip()}")
        if _FREE.search(sentence) and not _AMOUNT.search(sentence):
            subject = {w for w in re.findall(r"[^\W\d_]{4,}", lowered) if not _FREE.fullmatch(w)}
            free_clauses = [c for c in clauses if _FREE.search(c)]
            about = [c for c in free_clauses if subject & set(re.findall(r"[^\W\d_]{4,}", c.casefold()))] or free_clauses
            if about and all(_AMOUNT.search(c) for c in about):
                clause = about[0]
                after = _AMOUNT.search(clause, _FREE.search(clause).start()) or _AMOUNT.search(clause)
                problems.append(f"dropped condition of 'free' ({after.group(0).strip()})")
    return problems


#: Days of the week as answers and opening-hours lines write them, in English and German.
_DAY_WORDS = {
    0: r"mon(?:day)?s?|mo|montags?", 1: r"tue(?:s(?:day)?)?s?|di|dienstags?", 2: r"wed(?:nesday)?s?|mi|mittwochs?",
    3: r"thu(?:rs(?:day)?)?s?|do|donnerstags?", 4: r"fri(?:day)?s?|fr|freitags?", 5: r"sat(?:urday)?s?|sa|samstags?|sonnabends?",
    6: r"sun(?:day)?s?|so|sonntags?",
}
_DAY = {d: re.compile(rf"\b(?:{p})\b\.?", re.I) for d, p in _DAY_WORDS.items()}
_CLOSED = re.compile(r"\b(?:closed|geschlossen|not open|nicht geöffnet|nicht offen|ruhetag|zu)\b", re.I)
_OPEN_STATE = re.compile(r"\b(?:open|opened|geöffnet|offen)\b|\d{1,2}(?::\d{2})?\s*(?:uhr|am|pm|h)?\s*(?:–|-|bis|to|until)\s*\d{1,2}", re.I)
def self_contradictions(answer: str) -> list[str]:
    """An answer that says a thing and its opposite: "closed on Saturdays … on Saturday from 9 to 17"."""
    days: dict[int, set[str]] = {}
    for clause in _clauses(re.sub(r",\s+", "; ", answer)):
        named = [d for d, pattern in _DAY.items() if pattern.search(clause)]
        closed = bool(_CLOSED.search(clause))
        opened = bool(_OPEN_STATE.search(clause)) and not re.search(r"\bnot open|nicht (?:geöffnet|offen)", clause, re.I)
        for day in named:
            if closed and not opened:
                days.setdefault(day, set()).add("closed")
            elif opened and not closed:
                days.setdefault(day, set()).add("open")
    # (stock is said of products, and one answer may list several: not compared here)
    return [f"self-contradiction: {WEEKDAY_NAMES[d]} both open and closed" for d, s in sorted(days.items()) if len(s) > 1]


_ANY_DAY = date(2000, 1, 1)  # dates are compared by month and day
WEEKDAY_NAMES = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]


def _words(text: str) -> dict[str, frozenset[str]]:
    """The content words of ``text``, each with its spellings (itself, its English and German stems)."""
    from ..search.text import is_stopword, stems, tokens

    words = [t for t in tokens(text) if len(t) > 2 and not is_stopword(t) and not t.isdigit()]
    return {w: frozenset({w, *stems([w], "en"), *stems([w], "de")}) for w in words}


def _content(text: str) -> set[str]:
    return {form for forms in _words(text).values() for form in forms}


def misbound_values(answer: str, evidence: str, question: str, same_language: bool = True, *,
                    computed: str = "", names: bool = True, kinds: set[str] | None = None) -> list[str]:
    """Values the answer says of something the evidence does not say them of.

    For each number or date in an answer sentence: the words of the question that the sentence
    repeats (the thing asked about: "owner", "Kinderkurs", "birthday") must occur in an evidence
    clause that holds the value, or in the sentence around it when the value is that sentence's
    only one. "The owner is Hans" fails when the only sentence with Hans says he founded the
    shop; "the children's course is on 12 May" fails when 12 May is the adults' course's date.
    Only within one language: across languages the words cannot be compared. ``computed``
    (date and schedule facts) may hold a value but is no other entity's clause; ``names``
    (English only: German capitalises every noun) also binds names; ``kinds`` limits the check
    to some kinds of value ("date"): across languages, today's date said to be the day a hotel
    was founded is still caught against the computed facts, which are in the answer's language.
    """
    if not same_language:
        return []
    asked = _content(question)
    if not asked:
        return []

    def found(words: dict[str, frozenset[str]], text: str) -> set[str]:
        bag = _content(text)
        return {w for w, forms in words.items() if forms & bag}

    lines = [s for s in re.split(r"\n+", evidence) if s.strip()]
    units = [(s, line) for line in lines + [c for c in computed.split("\n") if c.strip()] for s in sentences_of(line)]
    facts = set(sentences_of(computed))
    sentences = [s for s, _ in units]
    problems: list[str] = []
    for sentence in sentences_of(answer):
        words = {w: forms for w, forms in _words(sentence).items() if forms & asked}
        if not words:
            continue
        dates = find_dates(sentence, _ANY_DAY, future_bias=False)
        in_dates = {n for m in dates for n in _NUMBER.findall(m.text)} | {str(m.day.year) for m in dates}
        values = [(t, number_forms(t), "number")
                  for t in {t.rstrip(".,:") for t in _NUMBER.findall(sentence)} - {""} - in_dates]
        values += [(m.text, {f"date {m.day.month}-{m.day.day}"}, "date") for m in dates]
        values += [(name, {name.casefold()}, "name") for name in (_NAME.findall(sentence) if names else [])
                   if name.casefold() not in question.casefold()]
        for token, forms, kind in values if kinds is None else [v for v in values if v[2] in kinds]:
            if forms & _values_in(question, kind):
                continue  # the customer's own value ("the 1 m cable"), not a claim of the answer
            holders = [(s, line) for s, line in units if forms & _values_in(s, kind)]
            if not holders:
                continue  # an unsupported value is unsupported_claims's business
            best: set[str] = set()
            for holder, line in holders:
                if line.startswith("Product: "):  # a product card is one entity: all of it is said of it
                    holder = line
                inside = [c for c in _clauses(holder) if forms & _values_in(c, kind)]
                # clauses are entities of their own only when labelled ("Adults: 12 May; Children: 19 May")
                labelled = all(":" in c or "|" in holder for c in inside)
                only_value = len(set(_NUMBER.findall(holder)) | set(_NAME.findall(holder))) <= 1 or not inside \
                    or not labelled or holder.startswith("Product: ")
                bound = found(words, (holder if only_value else " ".join(inside)) + " " + _heading_of(holder, [line]))
                if len(bound) > len(best) or not best:
                    best = bound
                if best == set(words):
                    break
            missing = {w: words[w] for w in words if w not in best}
            # another labelled clause with another value that fits the said thing at least as well
            # as the value's own holder: "Kinder: 19. Mai" for "the children's course is on 12 May"
            elsewhere = {w for h in sentences if h not in facts for c in _clauses(h)
                         if ":" in c and (other := _values_in(c, kind)) and not other & forms
                         and (rival := found(missing, c)) and len(found(words, c)) >= len(best)
                         for w in rival}
            # within a list of values ("32 € pro Person, Kinder von 3 bis 14 Jahren 18 €") a word that
            # only another item of the list holds is that item's: 32 € is not the children's price
            listed = [_list_conflict(holder, forms, kind, words, _heading_of(holder, [line])) for holder, line in holders
                      if not line.startswith("Product: ")]
            if listed and len(listed) == len(holders) and all(listed):
                elsewhere |= set().union(*listed)
            if not best or elsewhere:
                problems.append(f"value {token} said of {', '.join(sorted(elsewhere or words))}, "
                                "which the sources do not say it of")
    return problems


def _list_conflict(holder: str, forms: set[str], kind: str, words: dict[str, frozenset[str]], heading: str) -> set[str]:
    """The words of ``words`` that another item of a comma list in ``holder`` holds with another
    value of ``kind``, and that the item with the value (its list's label and ``heading`` aside)
    does not: the list's items are entities of their own."""
    conflict: set[str] = set()
    for clause in _clauses(holder):
        parts = [p for p in re.split(r",\s+", clause) if p.strip()]
        own = [p for p in parts if forms & _values_in(p, kind)]
        rivals = [p for p in parts if (other := _values_in(p, kind)) and not other & forms]
        if not own or not rivals:
            continue
        label = clause.partition(": ")[0] if ": " in parts[0] else ""
        bag = _content(" ".join([*own, label, heading]))
        for rival in rivals:
            conflict |= {w for w, f in words.items() if f & _content(rival) and not f & bag}
    return conflict


def _values_in(text: str, kind: str) -> set[str]:
    """The values of ``text`` of ``kind``: numbers, dates (as month-day) or names."""
    if kind == "date":
        return {f"date {m.day.month}-{m.day.day}" for m in find_dates(text, _ANY_DAY, future_bias=False)}
    if kind == "number":
        return evidence_numbers(text)
    return {n.casefold() for n in _NAME.findall(text)}


#: A name: two or more capitalised words in a row ("Hans Müller", "Lena Petersen").
_NAME = re.compile(r"\b[A-ZÄÖÜ][a-zäöüß]+(?:[ -][A-ZÄÖÜ][a-zäöüß]+)+\b")


def _heading_of(sentence: str, lines: list[str]) -> str:
    """What the source line holding ``sentence`` is about: the label it starts with ("Title:
    text"), and for a product card (answer/evidence.py) its first sentence, the product's name."""
    for line in lines:
        if sentence in line:
            head, sep, _ = line.partition(": ")
            label = head if sep and len(head) < 120 and sentence not in head else ""
            if line.startswith("Product: "):
                label += " " + re.split(r"(?<=\D[.!?])\s+", line, maxsplit=1)[0]
            return label
    return ""


_NEGATION = re.compile(r"\b(?:not|no|never|none|neither|nor|without|except|cannot|can't|don't|doesn't|won't|isn't|aren't|"
                       r"nicht|kein\w*|nie|niemals|ohne|außer|ausgenommen|weder)\b|n't\b", re.I)


#: How a denial found by :func:`denied_claims` starts: the evidence that denies is about the asked
#: thing, so the responder answers from it rather than declining.
DENIAL = "contradiction: the sources"


def denied_claims(answer: str, evidence: str, question: str, same_language: bool = True) -> list[str]:
    """An answer that affirms what the sources deny: "Ja, Sie können mit American Express bezahlen"
    against "American Express und Schecks nehmen wir nicht an".

    The thing asked about is the question's word in the answer that the fewest evidence clauses
    mention (the specific one, not "pay"); when every clause that mentions it is negated and
    the answer's sentence is not, the answer contradicts the sources. A negation's scope is its
    clause (:func:`polar_clauses`: "per Post, per E-Mail oder online ist nicht möglich" denies
    all three, and an FAQ's question takes the polarity of its answer), and a restriction
    denies too (:func:`restricted_denials`: "nur persönlich" against "by post")."""
    if not same_language:
        return []
    asked = _content(question)
    clauses = polar_clauses(evidence)
    bags = [(_content(c), negated) for c, negated, _ in clauses]
    problems = []
    for sentence in sentences_of(answer):
        if _NEGATION.search(sentence) or _RESTRICTION.search(sentence):
            continue
        words = {w: forms for w, forms in _words(sentence).items() if forms & asked}
        mentions = {w: [negated for bag, negated in bags if forms & bag] for w, forms in words.items()}
        mentions = {w: m for w, m in mentions.items() if m}
        if mentions:
            rarest = min(len(m) for m in mentions.values())
            specific = [w for w, m in mentions.items() if len(m) == rarest]
            if all(all(mentions[w]) for w in specific):
                problems.append(f"{DENIAL} deny what the answer says of {', '.join(sorted(specific))}")
                continue
        problems.extend(restricted_denials(sentence, words, clauses, asked))
    return problems


#: How :func:`unbacked_denials` names what it found.
UNBACKED_DENIAL = "a denial the sources do not make"


def unbacked_denials(answer: str, evidence: str, question: str) -> list[str]:
    """A "no" that says nothing but the question and its negation, which no denial or restriction
    of the sources backs: "Florian Brandner's mobile number is not provided in the sources", "Das
    Wetter morgen wird nicht angegeben". It is the model declining in its own words, or a denial
    made up; either way it is nothing the sources say. A negative answer that gives something
    the sources hold ("No, shipping is free only from 75 €": a figure, a word of the evidence) or
    that a negated or restricted clause of the sources backs ("nicht im August") passes."""
    if _NEGATION.search(question):
        return []
    asked = _content(question)
    known = _content(evidence)
    backing = [_content(c) for c, negated, restricted in polar_clauses(evidence) if negated or restricted]
    problems = []
    for sentence in sentences_of(answer):
        if not _NEGATION.search(sentence) or _NUMBER.search(sentence):
            continue
        words = _content(sentence)
        if any(words & asked & bag for bag in backing):
            continue
        adds = {w for w, forms in _words(sentence).items() if not forms & asked and forms & known}
        if not adds:
            problems.append(UNBACKED_DENIAL)
    return problems


#: Words that restrict what they scope over to one way, place or group: "nur persönlich",
#: "ausschließlich vor Ort", "only in person" deny every other way (closed-class grammar words).
_RESTRICTION = re.compile(r"\b(?:only|solely|exclusively|nur|ausschließlich|ausschliesslich|lediglich)\b", re.I)
#: A denial by a predicate of possibility, whose subject may be a list before it: "Eine
#: Beantragung per Post, per E-Mail oder online ist nicht möglich."
_IMPOSSIBLE = re.compile(r"\b(?:nicht|kein\w*)\s+(?:möglich|erlaubt|gestattet|zulässig|vorgesehen|akzeptiert|angeboten)\b"
                         r"|\bnot\s+(?:be\s+)?(?:possible|allowed|permitted|accepted|available|offered)\b"
                         r"|\b(?:unmöglich|ausgeschlossen|impossible)\b", re.I)
_PARENTHESISED = re.compile(r"(\S+)\s*\(([^()]*)\)")
_CONTRAST = re.compile(r"^\s*(?:aber|but|sondern|jedoch|however|außer|except|otherwise|sonst)\b", re.I)
#: An answer that opens with its polarity: "Ja, …", "No, …".
YES_NO_START = re.compile(r"^\s*(?:ja|nein|yes|no|leider nicht|unfortunately not)\b", re.I)


def polar_clauses(evidence: str) -> list[tuple[str, bool, bool]]:
    """The evidence's clauses, each with whether it is negated and whether it is restricted.

    * An FAQ's question ("Kann ich per Post bestellen?") asserts nothing: it is joined to the
      sentence that answers it ("Nein, das ist nicht möglich."), whose polarity it takes, and
      dropped when nothing answers it.
    * Clauses are the comma parts of a sentence ("PayPal nehmen wir, Schecks nicht"), except that
      a predicate of possibility ("ist nicht möglich", "is not possible") scopes over the whole
      list before it, back to the sentence start or a contrast ("aber", "but").
    * A restriction ("nur", "only") scopes over its sentence part (up to a semicolon or dash);
      in parentheses, over the word before them ("WhatsApp (nur Nachrichten)")."""
    sentences = sentences_of(evidence)
    joined: list[str] = []
    for i, sentence in enumerate(sentences):
        if sentence.rstrip().endswith("?"):
            following = sentences[i + 1] if i + 1 < len(sentences) else ""
            if following and not following.rstrip().endswith("?") and YES_NO_START.search(following):
                sentences[i + 1] = sentence + " " + following
            continue
        joined.append(sentence)
    out: list[tuple[str, bool, bool]] = []
    for sentence in joined:
        for part in re.split(r";\s*|\s[–-]\s", sentence):
            if not part.strip():
                continue
            # a restriction in parentheses restricts the word before them, not the sentence part:
            # "WhatsApp (nur Nachrichten): 0176 …" says nothing of the rest of a footer
            lifted = [m for m in _PARENTHESISED.finditer(part) if _RESTRICTION.search(m.group(2))]
            for match in reversed(lifted):
                part = part[:match.start()] + match.group(1) + part[match.end():]
            out.extend((f"{m.group(1)} {m.group(2)}", False, True) for m in lifted)
            restricted = bool(_RESTRICTION.search(part))
            pieces = [p for p in re.split(r",\s+", part) if p.strip()]
            negated = [bool(_NEGATION.search(p)) for p in pieces]
            for i, piece in enumerate(pieces):
                if _IMPOSSIBLE.search(piece):
                    j = i - 1
                    while j >= 0 and not negated[j] and not _CONTRAST.search(pieces[j + 1]):
                        negated[j] = True
                        j -= 1
            out.extend((p, n, restricted) for p, n in zip(pieces, negated, strict=True))
    return out


def restricted_denials(sentence: str, words: dict[str, frozenset[str]],
                       clauses: list[tuple[str, bool, bool]], asked: set[str]) -> list[str]:
    """A "yes" to what a restriction of the evidence rules out: "Ja, Sie können Ihren
    Personalausweis per Post beantragen" against "Den Personalausweis können Sie nur persönlich
    beantragen".

    ``words`` are the question's words (``asked``: their forms) the answer's ``sentence``
    repeats. A restricted evidence part that mentions some of them (it is about the asked thing)
    denies the answer when the answer leaves out what the restriction allows (the first two
    words after "nur"/"only" that are not the question's: "only apply for a passport in person"
    allows "person") and says a word of the question that no unrestricted, affirmative clause
    of the evidence mentions (prepositions aside: "per Post" is said by "Post")."""
    from .meaning import CONDITION_OPENERS

    words = {w: forms for w, forms in words.items() if w not in CONDITION_OPENERS}
    if not words:
        return []
    said = _content(sentence)
    affirmed: set[str] = set()
    for clause, negated, restricted in clauses:
        if not negated and not restricted:
            affirmed |= _content(clause)
    problems = []
    seen: set[str] = set()
    for clause, negated, restricted in clauses:
        if not restricted or negated:
            continue
        bag = _content(clause)
        about = {w for w, forms in words.items() if forms & bag}
        others = [w for w, forms in words.items() if w not in about and not forms & affirmed]
        if not about or not others:
            continue
        allowed = set()
        for match in _RESTRICTION.finditer(clause):
            following = [forms for forms in _words(clause[match.end():]).values() if not forms & asked][:2]
            allowed |= {form for forms in following for form in forms}
        if allowed and not allowed & said:
            for w in others:
                if w not in seen:
                    seen.add(w)
                    problems.append(f"{DENIAL} allow only what the answer leaves out, not {w}")
    return problems
