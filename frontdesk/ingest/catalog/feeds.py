"""Meta Commerce Manager and Google Merchant Center product feeds: CSV, TSV and RSS/Atom XML."""

from __future__ import annotations

import io
from collections.abc import Iterator
from typing import Any

from lxml import etree

from ...domain import ItemError, Record
from ...errors import FieldError, ReadError
from ..resource import Resource, local_name, normalise_header, read_table
from .products import build_product

# Header spellings seen in the wild for the canonical names.
ALIASES = {
    "product_id": "id",
    "sku": "id",
    "name": "title",
    "url": "link",
    "product_url": "link",
    "image_url": "image_link",
    "image": "image_link",
    "colour": "color",
    "stock": "availability",
}


def canonical(values: dict[str, str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, value in values.items():
        key = normalise_header(name)
        key = ALIASES.get(key, key)
        if key not in out or not out[key]:
            out[key] = value
    return out


def read_feed_table(resource: Resource, default_currency: str | None, language: str) -> Iterator[Record | ItemError]:
    header, rows = read_table(resource)
    columns = {ALIASES.get(normalise_header(h), normalise_header(h)) for h in header}
    missing = {"id", "title", "price"} - columns
    if missing:
        raise ReadError(f"not a product feed: no {', '.join(sorted(missing))} column "
                        f"(found: {', '.join(header)})", "line 1")
    try:
        for row in rows:
            where = f"line {row.number}"
            try:
                record = build_product(canonical(row.values), default_currency=default_currency,
                                       location=resource.location, language=language)
            except FieldError as exc:
                yield ItemError(resource.location, str(exc), where, canonical(row.values).get("id") or None)
                continue
            record.fields["_where"] = where
            yield record
    except ReadError as exc:
        yield ItemError(resource.location, exc.reason, exc.where)


def _parser_options() -> dict[str, Any]:
    # No entity expansion, no network, no DTDs: feeds come from outside.
    return {"resolve_entities": False, "no_network": True, "load_dtd": False, "huge_tree": False}


def read_feed_xml(resource: Resource, default_currency: str | None, language: str) -> Iterator[Record | ItemError]:
    found = 0
    try:
        context = etree.iterparse(io.BytesIO(resource.data), events=("end",), **_parser_options())
        for _, element in context:
            if not isinstance(element.tag, str):
                continue
            name = local_name(element.tag)
            if name not in ("item", "entry"):
                continue
            found += 1
            where = f"line {element.sourceline}"
            values: dict[str, str] = {}
            for child in element:
                if not isinstance(child.tag, str):
                    continue
                child_name = local_name(child.tag)
                text = (child.text or "").strip() or (child.get("href") or "").strip()
                if child_name == "shipping" or not text:
                    continue
                values.setdefault(child_name, text)
            canon = canonical(values)
            try:
                record = build_product(canon, default_currency=default_currency,
                                       location=resource.location, language=language)
            except FieldError as exc:
                yield ItemError(resource.location, str(exc), where, canon.get("id") or None)
            else:
                record.fields["_where"] = where
                yield record
            element.clear(keep_tail=False)
    except etree.XMLSyntaxError as exc:
        yield ItemError(resource.location, f"malformed XML: {exc.msg}", f"line {exc.lineno}")
        return
    if found == 0:
        yield ItemError(resource.location, "no <item> or <entry> elements: not an RSS or Atom product feed")
