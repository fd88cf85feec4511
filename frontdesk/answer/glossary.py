"""A short German-English glossary of customer-service words, for matching across languages.

Stems do not cross languages: "geöffnet" never meets "open". The dense encoder carries
most of a German question to English text, but the answerability check also counts the
question's words in the evidence, and for that these everyday words are mapped both ways.
Product vocabulary comes from the catalog itself (see search.query.GERMAN_VALUES).
"""

from __future__ import annotations

_PAIRS = """
geöffnet open|offen open|öffnungszeiten opening hours|öffnen open|geschlossen closed|zu closed|
feiertag holiday|feiertage holidays|heute today|morgen tomorrow|montag monday|dienstag tuesday|
mittwoch wednesday|donnerstag thursday|freitag friday|samstag saturday|sonntag sunday|
januar january|februar february|märz march|mai may|juni june|juli july|oktober october|dezember december|
versand shipping|versandkosten shipping|liefern deliver|lieferung delivery|lieferzeit delivery|
rückgabe return|zurückgeben return|umtausch return|garantie warranty|reparatur repair|kurs course|
kurse courses|barista barista|termin date|termine dates|nächste next|abholen pick|abholung pickup|
bezahlen pay|zahlung payment|zahlungsmethoden payment|gutschein voucher|gutscheine vouchers|
rabatt discount|firmen business|firmenkunden business|abo subscription|abonnement subscription|
kaffee coffee|bohnen beans|gemahlen ground|mahlen grind|frisch fresh|haltbar fresh|entkoffeiniert decaf|
preis price|kostet costs|kosten cost|maschine machine|espressomaschine espresso|mühle grinder|
handmühle grinder|filter filter|stornieren cancel|absagen cancel|erstattung refund|gegründet founded|
röstet roast|rösten roast|rösttage roasting|österreich austria|schweiz switzerland|eu eu|ausland abroad|
adresse address|wo where|telefon phone|email email|kontakt contact|deutschland germany|
deutschlands germany|innerhalb within|ausserhalb outside|außerhalb outside|wochenende weekend|samstags saturday|sonntags sunday
"""
GERMAN_TO_ENGLISH: dict[str, str] = {}
ENGLISH_TO_GERMAN: dict[str, str] = {}
for pair in _PAIRS.replace("\n", "").split("|"):
    german, english = pair.strip().split(" ", 1)
    GERMAN_TO_ENGLISH[german] = english
    ENGLISH_TO_GERMAN.setdefault(english.split()[0], german)


#: Words that ask for the same fact.
SYNONYMS = [{"cost", "costs", "price", "prices", "priced", "charge", "fee"}, {"open", "opening", "hours"},
            {"ship", "shipping", "delivery", "deliver", "shipped"}, {"return", "returns", "refund"},
            {"warranty", "guarantee"}, {"voucher", "vouchers", "gift"}, {"found", "founded", "founder", "founders"}]


def translations(word: str) -> list[str]:
    """The word's counterparts in the other language (each may be several words), and its synonyms."""
    out = [w for group in SYNONYMS if word in group for w in group if w != word]
    if word in GERMAN_TO_ENGLISH:
        english = GERMAN_TO_ENGLISH[word].split()
        out.extend(english)
        out.extend(w for e in english for group in SYNONYMS if e in group for w in group)
    if word in ENGLISH_TO_GERMAN:
        out.append(ENGLISH_TO_GERMAN[word])
    return out
