"""Reading a shopper's constraints out of a query: price bounds, stock, and catalog options.

"espresso machine under 500 euros" -> max price 500; "blue cotton t-shirt size M in stock"
-> colour blue, material cotton, size M, in stock. Option values come from the agent's own
catalog (its facets), so nothing here is tied to one shop; a short bilingual table lets
German shoppers name English catalog values ("blau" finds "blue").
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal

from ..errors import FieldError
from ..ingest.catalog.fields import parse_amount

_NUMBER = r"(?:[€$£]\s*)?(\d[\d.,']*)\s*(?:€|\$|£|eur(?:os?)?|usd|dollars?|gbp|pounds?|chf|franken)?"
_MAX = re.compile(
    r"\b(?:under|below|less than|cheaper than|max(?:imum)?|up to|at most|no more than|within|"
    r"unter|bis(?: zu)?|weniger als|höchstens|hoechstens|maximal|günstiger als|guenstiger als|billiger als)\s+"
    + _NUMBER, re.I)
_MIN = re.compile(
    r"\b(?:over|above|more than|at least|min(?:imum)?|"
    r"über|ueber|mehr als|mindestens)\s+" + _NUMBER, re.I)
_BETWEEN = re.compile(r"\b(?:between|zwischen)\s+" + _NUMBER + r"\s+(?:and|und)\s+" + _NUMBER, re.I)
_IN_STOCK = re.compile(
    r"\b(?:in stock|available(?: now)?|on stock|auf lager|lieferbar|verfügbar|verfuegbar|vorrätig|vorraetig)\b", re.I)

#: German names of common option values, mapped to the English ones catalogs use.
GERMAN_VALUES = {
    "blau": "blue", "rot": "red", "schwarz": "black", "weiß": "white", "weiss": "white", "grün": "green",
    "gruen": "green", "gelb": "yellow", "grau": "gray", "braun": "brown", "rosa": "pink", "lila": "purple",
    "violett": "purple", "silber": "silver", "golden": "gold", "beige": "beige", "orange": "orange",
    "baumwolle": "cotton", "leder": "leather", "wolle": "wool", "seide": "silk", "leinen": "linen",
    "edelstahl": "stainless steel", "holz": "wood", "glas": "glass", "kunststoff": "plastic", "keramik": "ceramic",
    "klein": "small", "mittel": "medium", "groß": "large", "gross": "large",
}
_SIZE_WORDS = r"(?:size|größe|groesse|gr\.?)"


@dataclass
class Constraints:
    min_price: Decimal | None = None
    max_price: Decimal | None = None
    in_stock: bool = False
    options: dict[str, set[str]] = field(default_factory=dict)  # facet -> acceptable values (casefolded)
    text: str = ""  # the query with price and stock phrases removed

    @property
    def any(self) -> bool:
        return bool(self.min_price is not None or self.max_price is not None or self.in_stock or self.options)


def _amount(raw: str) -> Decimal | None:
    try:
        return parse_amount(raw.rstrip(".,"))
    except FieldError:
        return None


def parse_constraints(query: str, facets: dict[str, set[str]]) -> Constraints:
    found = Constraints()
    text = query
    match = _BETWEEN.search(text)
    if match:
        found.min_price, found.max_price = _amount(match.group(1)), _amount(match.group(2))
        text = text.replace(match.group(0), " ")
    for pattern, attr in ((_MAX, "max_price"), (_MIN, "min_price")):
        match = pattern.search(text)
        if match and getattr(found, attr) is None:
            setattr(found, attr, _amount(match.group(1)))
            text = text.replace(match.group(0), " ")
    if _IN_STOCK.search(text):
        found.in_stock = True
        text = _IN_STOCK.sub(" ", text)
    found.text = re.sub(r"\s+", " ", text).strip() or query
    found.options = match_options(found.text, facets)
    return found


def match_options(text: str, facets: dict[str, set[str]]) -> dict[str, set[str]]:
    """Catalog option values named in ``text``; short values (S, M, 42) only next to 'size'.

    The query's word n-grams (as written, and with German value names translated) are
    looked up in the facet values, so the cost does not grow with the catalog's size.
    """
    words = re.findall(r"[^\W_]+", text.casefold())
    variants = (words, [w2 for w in words for w2 in GERMAN_VALUES.get(w, w).split()])
    grams: set[str] = set()
    sized: set[str] = set()
    for tokens in variants:
        for n in (1, 2, 3):
            for i in range(len(tokens) - n + 1):
                grams.add(" ".join(tokens[i : i + n]))
        for i, token in enumerate(tokens):
            if re.fullmatch(_SIZE_WORDS, token) or token == "gr":
                if i + 1 < len(tokens):
                    sized.add(tokens[i + 1])
                if i > 0:
                    sized.add(tokens[i - 1])
    out: dict[str, set[str]] = {}
    for facet, values in facets.items():
        for value in values:
            v = " ".join(re.findall(r"[^\W_]+", value.casefold()))
            if not v:
                continue
            short = len(v) <= 2 or v.replace(" ", "").isdigit()
            if (facet == "size" and v in sized) or (not short and v in grams):
                out.setdefault(facet, set()).add(value.casefold())
    return out
