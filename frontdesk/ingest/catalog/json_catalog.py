"""JSON catalogs: a list of products, ``{"products": [...]}`` or ``{"products": {id: product}}``.

A product may carry its variants (a list, or an object keyed by variant id, as in
tau2-bench's retail ``db.json``); each variant becomes one item that inherits the
product's fields, with the product id as ``item_group_id``.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from ...domain import ItemError, Record
from ...errors import FieldError, ReadError
from ..resource import Resource
from .feeds import ALIASES
from .products import OPTION_FIELDS, build_product

_ID_KEYS = ("id", "item_id", "variant_id", "sku", "product_id")
_NOT_OPTIONS = {"id", "item_id", "variant_id", "sku", "product_id", "title", "name", "price", "sale_price", "currency",
                "available", "availability", "in_stock", "link", "url", "image_link", "image", "brand", "description",
                "quantity", "stock", "options", "variants"}


def _products(document: Any) -> list[tuple[str, Any]]:
    if isinstance(document, dict) and "products" in document:
        document = document["products"]
    if isinstance(document, list):
        return [(f"products[{i}]", p) for i, p in enumerate(document)]
    if isinstance(document, dict) and document and all(isinstance(v, dict) for v in document.values()):
        return [(f"products[{k!r}]", p) for k, p in document.items()]
    raise ReadError("no products found: expected a list of products or an object with a 'products' key")


def _canonical(product: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in product.items():
        name = ALIASES.get(key.lower(), key.lower())
        if name == "name":
            name = "title"
        out.setdefault(name, value)
    if "availability" not in out:
        for flag in ("available", "in_stock"):
            if isinstance(product.get(flag), bool):
                out["availability"] = product[flag]
    if "price" in out and isinstance(out["price"], dict):  # {"amount": 9.99, "currency": "EUR"}
        out["currency"] = out["price"].get("currency") or out.get("currency")
        out["price"] = out["price"].get("amount", out["price"].get("value"))
    return out


def read_json_catalog(resource: Resource, default_currency: str | None, language: str) -> Iterator[Record | ItemError]:
    try:
        document = json.loads(resource.data)
    except UnicodeDecodeError:
        raise ReadError("binary data, not JSON text") from None
    except json.JSONDecodeError as exc:
        raise ReadError(f"malformed JSON: {exc.msg}", f"line {exc.lineno}") from None
    for where, product in _products(document):
        if not isinstance(product, dict):
            yield ItemError(resource.location, "a product must be an object", where)
            continue
        base = _canonical(product)
        variants = product.get("variants")
        group_id = next((str(product[k]) for k in ("product_id", "id") if product.get(k) not in (None, "")), None)
        if isinstance(variants, dict):
            variant_list = [(f"{where}.variants[{k!r}]", v) for k, v in variants.items()]
        elif isinstance(variants, list):
            variant_list = [(f"{where}.variants[{i}]", v) for i, v in enumerate(variants)]
        else:
            variant_list = []
        if not variant_list:
            yield from _one(resource, base, {}, where, default_currency, language)
            continue
        for variant_where, variant in variant_list:
            if not isinstance(variant, dict):
                yield ItemError(resource.location, "a variant must be an object", variant_where)
                continue
            merged = {k: v for k, v in base.items() if k not in ("variants", "id", "product_id", "sku")}
            merged.update(_canonical(variant))
            merged["id"] = next((variant[k] for k in _ID_KEYS if variant.get(k) not in (None, "")), None)
            merged["item_group_id"] = group_id
            merged["group_title"] = base.get("title")
            options = variant.get("options") if isinstance(variant.get("options"), dict) else {
                k: v for k, v in variant.items() if k not in _NOT_OPTIONS and isinstance(v, str)}
            options = {k.lower().replace(" ", "_"): str(v) for k, v in options.items()}
            if options and base.get("title"):
                merged["title"] = f"{base['title']} – {', '.join(options.values())}"
            yield from _one(resource, merged, options, variant_where, default_currency, language)


def _one(resource: Resource, values: dict[str, Any], options: dict[str, str], where: str,
         default_currency: str | None, language: str) -> Iterator[Record | ItemError]:
    if "id" not in values or values["id"] in (None, ""):
        values["id"] = next((values[k] for k in _ID_KEYS if values.get(k) not in (None, "")), None)
    extra = {k: v for k, v in options.items() if k not in OPTION_FIELDS}
    try:
        record = build_product(values, default_currency=values.get("currency") or default_currency,
                               location=resource.location, options={**options, **extra}, language=language)
    except FieldError as exc:
        yield ItemError(resource.location, str(exc), where, str(values.get("id")) if values.get("id") else None)
        return
    record.fields["_where"] = where
    yield record
