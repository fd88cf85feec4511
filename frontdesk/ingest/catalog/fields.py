"""Normalising catalog values: prices with currencies, availability, sale periods."""

from __future__ import annotations

import re
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from ...errors import FieldError

CURRENCY_SYMBOLS = {"€": "EUR", "$": "USD", "£": "GBP", "¥": "JPY", "₹": "INR", "CHF": "CHF", "Fr.": "CHF"}

_PRICE = re.compile(
    r"^\s*(?P<pre>[A-Za-z]{3}|[€$£¥₹])?\s*(?P<num>[-+]?[0-9][0-9.,' ]*)\s*(?P<post>[A-Za-z]{3}|[€$£¥₹])?\s*$"
)

AVAILABILITY = {
    "in stock": "in stock",
    "instock": "in stock",
    "available": "in stock",
    "available for order": "in stock",
    "true": "in stock",
    "yes": "in stock",
    "out of stock": "out of stock",
    "outofstock": "out of stock",
    "sold out": "out of stock",
    "discontinued": "out of stock",
    "unavailable": "out of stock",
    "false": "out of stock",
    "no": "out of stock",
    "preorder": "preorder",
    "pre order": "preorder",
    "backorder": "backorder",
    "back order": "backorder",
    "limited availability": "limited availability",
}


def parse_amount(raw: str) -> Decimal:
    """'1.299,00' -> 1299.00, '1,299.00' -> 1299.00, '9,99' -> 9.99, '12' -> 12."""
    text = raw.replace(" ", "").replace("'", "").replace("\u00a0", "")
    if "," in text and "." in text:
        decimal_sep = "," if text.rfind(",") > text.rfind(".") else "."
        thousands = "." if decimal_sep == "," else ","
        text = text.replace(thousands, "").replace(decimal_sep, ".")
    elif "," in text:
        head, _, tail = text.rpartition(",")
        text = f"{head.replace(',', '')}.{tail}" if len(tail) in (1, 2) and text.count(",") == 1 else text.replace(",", "")
    elif text.count(".") > 1:
        head, _, tail = text.rpartition(".")
        text = f"{head.replace('.', '')}.{tail}" if len(tail) in (1, 2) else text.replace(".", "")
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise FieldError(f"{raw!r} is not a number") from None
    if not value.is_finite():
        raise FieldError(f"{raw!r} is not a number")
    return value


def parse_price(raw: Any, default_currency: str | None) -> tuple[Decimal, str]:
    """A feed price such as '9.99 USD', 'EUR 9,99', '€9.99' or 9.99 -> (amount, currency)."""
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        raise FieldError("the price is missing")
    if isinstance(raw, bool):
        raise FieldError(f"price {raw!r} is not a number")
    if isinstance(raw, int | float | Decimal):
        amount, currency = Decimal(str(raw)), None
    else:
        match = _PRICE.match(str(raw))
        if not match:
            raise FieldError(f"malformed price {raw!r} (expected e.g. '9.99 USD')")
        currency_text = match.group("pre") or match.group("post")
        try:
            amount = parse_amount(match.group("num"))
        except FieldError:
            raise FieldError(f"malformed price {raw!r} (expected e.g. '9.99 USD')") from None
        currency = CURRENCY_SYMBOLS.get(currency_text, currency_text.upper() if currency_text else None)
    if amount < 0:
        raise FieldError(f"price {raw!r} is negative")
    currency = currency or default_currency
    if not currency:
        raise FieldError(f"price {raw!r} names no currency")
    return amount.quantize(Decimal("0.01")) if amount == amount.quantize(Decimal("0.01")) else amount, currency


def normalise_availability(raw: Any) -> str | None:
    """Canonical availability ('in stock', 'out of stock', 'preorder', 'backorder'), None if unknown."""
    if raw is None:
        return None
    if isinstance(raw, bool):
        return "in stock" if raw else "out of stock"
    key = re.sub(r"[\s_-]+", " ", str(raw).strip().lower())
    key = key.removeprefix("http://schema.org/").removeprefix("https://schema.org/")
    return AVAILABILITY.get(key) or AVAILABILITY.get(key.replace(" ", ""))


def parse_sale_period(raw: str) -> tuple[str | None, str | None]:
    """Google's 'start/end' ISO 8601 period -> (start, end) as ISO strings."""
    if not raw or "/" not in raw:
        raise FieldError(f"sale period {raw!r} is not 'start/end'")
    start, end = (part.strip() for part in raw.split("/", 1))
    for part in (start, end):
        try:
            datetime.fromisoformat(part.replace("Z", "+00:00"))
        except ValueError:
            raise FieldError(f"sale period {raw!r} has an invalid date {part!r}") from None
    return start, end


def clean_text(value: Any, limit: int = 2000) -> str:
    """Plain text from a feed value that may hold HTML (Shopify 'Body (HTML)')."""
    if value is None:
        return ""
    text = str(value)
    if "<" in text and ">" in text:
        from lxml import html as lxml_html

        try:
            text = lxml_html.fromstring(text).text_content()
        except (ValueError, lxml_html.etree.ParserError):
            text = re.sub(r"<[^>]+>", " ", text)
    text = re.sub(r"\s+", " ", text).strip()
    return text[:limit]
