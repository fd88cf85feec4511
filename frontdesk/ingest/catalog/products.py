"""Building product records from any feed's values, so every format normalises alike."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from ...domain import ItemError, Record
from ...errors import FieldError
from .fields import clean_text, normalise_availability, parse_price, parse_sale_period

#: Feed attributes kept as variant options (Google/Meta names; Shopify and JSON map onto them).
OPTION_FIELDS = ("color", "size", "material", "pattern", "gender", "age_group", "style", "size_type", "flavor", "scent")


def build_product(values: dict[str, Any], *, default_currency: str | None, location: str,
                  options: dict[str, str] | None = None, language: str = "en") -> Record:
    """One catalog item from canonical field names; raises FieldError naming the bad value."""
    product_id = str(values.get("id") or "").strip()
    if not product_id:
        raise FieldError("the id is missing")
    title = clean_text(values.get("title"), 300)
    if not title:
        raise FieldError(f"product {product_id!r} has no title")
    price, currency = parse_price(values.get("price"), default_currency)
    fields: dict[str, Any] = {"id": product_id, "price": str(price), "currency": currency}
    sale_raw = values.get("sale_price")
    if sale_raw not in (None, ""):
        sale, sale_currency = parse_price(sale_raw, currency)
        if sale_currency != currency:
            raise FieldError(f"sale price {sale_raw!r} is in {sale_currency}, the price in {currency}")
        if sale < price:
            fields["sale_price"] = str(sale)
        period = values.get("sale_price_effective_date")
        if period:
            fields["sale_start"], fields["sale_end"] = parse_sale_period(str(period))
    availability_raw = values.get("availability")
    availability = normalise_availability(availability_raw)
    if availability_raw not in (None, "") and availability is None:
        raise FieldError(f"unknown availability {availability_raw!r}")
    fields["availability"] = availability
    for name in ("brand", "link", "image_link", "item_group_id", "product_type", "google_product_category",
                 "condition", "gtin", "mpn", "group_title"):
        value = values.get(name)
        if value not in (None, ""):
            fields[name] = str(value).strip()
    if values.get("quantity") not in (None, ""):
        fields["quantity"] = values["quantity"]
    found_options = {k: str(values[k]).strip() for k in OPTION_FIELDS if values.get(k) not in (None, "")}
    found_options.update({k: v for k, v in (options or {}).items() if v})
    fields["options"] = found_options
    description = clean_text(values.get("description"))
    if description:
        fields["description"] = description
    option_text = "; ".join(f"{k.replace('_', ' ')}: {v}" for k, v in found_options.items())
    text = "\n".join(
        part for part in (title, fields.get("brand"), fields.get("product_type"), option_text, description) if part
    )
    return Record(key=product_id, kind="product", title=title, text=text, url=fields.get("link") or location,
                  language=language, fields=fields)


def unique_ids(items: Iterable[Record | ItemError], location: str) -> Iterator[Record | ItemError]:
    """Pass records through, reporting every repeat of an id already seen in this file."""
    seen: dict[str, str] = {}
    for item in items:
        if isinstance(item, Record):
            where = str(item.fields.pop("_where", ""))
            if item.key in seen:
                yield ItemError(location, f"duplicate id {item.key!r} (first at {seen[item.key]})", where or None, item.key)
                continue
            seen[item.key] = where or "an earlier item"
        yield item
