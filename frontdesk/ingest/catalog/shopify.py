"""Shopify product CSV exports, in both header sets.

Legacy: ``Handle, Title, Body (HTML), Vendor, Type, ..., Option1 Name, Option1 Value, ...,
Variant SKU, Variant Price, Variant Compare At Price, Variant Inventory Qty, Image Src``.
Current: ``Title, URL handle, Description, Vendor, ..., Option1 name, Option1 value, ...,
SKU, Price, Compare-at price, Inventory quantity, Continue selling when out of stock,
Product image URL, Status``.

A product spans several rows sharing one handle: the first carries the product's fields,
the others a variant each (or only an extra image). Prices carry no currency, so the
source's currency (``--currency``) applies; links are built from ``--base-url``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ...domain import ItemError, Record
from ...errors import FieldError, ReadError
from ..resource import Resource, normalise_header, read_table
from .fields import parse_amount
from .products import build_product

COLUMNS = {
    "handle": ("handle", "url_handle"),
    "title": ("title",),
    "body": ("body_html", "description"),
    "vendor": ("vendor",),
    "type": ("type",),
    "status": ("status",),
    "sku": ("variant_sku", "sku"),
    "price": ("variant_price", "price"),
    "compare_at": ("variant_compare_at_price", "compare_at_price"),
    "quantity": ("variant_inventory_qty", "inventory_quantity"),
    "tracker": ("variant_inventory_tracker", "inventory_tracker"),
    "policy": ("variant_inventory_policy", "continue_selling_when_out_of_stock"),
    "image": ("image_src", "product_image_url"),
    "variant_image": ("variant_image", "variant_image_url"),
    "barcode": ("variant_barcode", "barcode"),
}


def is_shopify(header: list[str]) -> bool:
    names = {normalise_header(h) for h in header}
    return bool(names & {"handle", "url_handle"}) and bool(names & {"variant_price", "price"})


def read_shopify(resource: Resource, default_currency: str | None, base_url: str | None,
                 language: str) -> Iterator[Record | ItemError]:
    header, rows = read_table(resource)
    if not is_shopify(header):
        raise ReadError("not a Shopify product CSV (no Handle/URL handle and Price columns)", "line 1")
    by_normal = {normalise_header(h): h for h in header}
    has_tracker = any(candidate in by_normal for candidate in COLUMNS["tracker"])

    def column(values: dict[str, str], name: str) -> str:
        for candidate in COLUMNS[name]:
            if candidate in by_normal:
                value = values.get(by_normal[candidate], "")
                if value:
                    return value
        return ""

    def option(values: dict[str, str], n: int, part: str) -> str:
        return values.get(by_normal.get(f"option{n}_{part}", ""), "")

    products: dict[str, dict[str, Any]] = {}
    try:
        for row in rows:
            values = row.values
            where = f"line {row.number}"
            handle = column(values, "handle")
            if not handle:
                yield ItemError(resource.location, "the handle is missing", where)
                continue
            product = products.setdefault(handle, {"option_names": {}, "first_line": row.number})
            for name in ("title", "body", "vendor", "type", "status", "image"):
                if not product.get(name):
                    product[name] = column(values, name)
            for n in (1, 2, 3):
                if option(values, n, "name"):
                    product["option_names"].setdefault(n, option(values, n, "name"))
            price = column(values, "price")
            sku = column(values, "sku")
            option_values = {n: option(values, n, "value") for n in (1, 2, 3) if option(values, n, "value")}
            if not price and not sku and not option_values:
                continue  # an image-only row
            if product.get("status") and product["status"].lower() not in ("active",):
                continue  # drafts and archived products are not for sale
            options = {}
            for n, value in option_values.items():
                name = product["option_names"].get(n, f"option{n}")
                if name.lower() == "title" and value.lower() == "default title":
                    continue
                options[normalise_header(name)] = value
            variant_id = sku or f"{handle}:" + "/".join(option_values.get(n, "") for n in (1, 2, 3)).strip("/")
            quantity = column(values, "quantity")
            policy = column(values, "policy").lower()
            # Shopify counts stock only for a variant with an inventory tracker: a blank tracker
            # means "not tracked", and such a variant is for sale whatever its quantity says. A file
            # without a tracker column at all is read by its quantities.
            tracked = bool(column(values, "tracker")) if has_tracker else bool(quantity)
            availability = "in stock"
            if tracked and quantity:
                try:
                    if int(float(quantity)) <= 0 and policy not in ("continue", "true", "yes"):
                        availability = "out of stock"
                except ValueError:
                    yield ItemError(resource.location, f"inventory quantity {quantity!r} is not a number", where, variant_id)
                    continue
            compare_at = column(values, "compare_at")
            canonical: dict[str, Any] = {
                "id": variant_id,
                "title": product.get("title") + (f" – {', '.join(options.values())}" if options else "")
                if product.get("title") else "",
                "group_title": product.get("title"),
                "description": product.get("body"),
                "brand": product.get("vendor"),
                "product_type": product.get("type"),
                "item_group_id": handle,
                "availability": availability,
                "image_link": column(values, "variant_image") or product.get("image"),
                "link": f"{base_url.rstrip('/')}/products/{handle}" if base_url else None,
                "gtin": column(values, "barcode"),
                "quantity": quantity or None,
            }
            # Shopify's "compare at" price is the regular price when it is above the price.
            try:
                discounted = bool(compare_at) and parse_amount(compare_at) > parse_amount(price)
            except FieldError:
                discounted = False
            if discounted:
                canonical["price"], canonical["sale_price"] = compare_at, price
            else:
                canonical["price"] = price
            try:
                record = build_product(canonical, default_currency=default_currency, location=resource.location,
                                       options=options, language=language)
            except FieldError as exc:
                yield ItemError(resource.location, str(exc), where, variant_id)
                continue
            record.fields["_where"] = where
            yield record
    except ReadError as exc:
        yield ItemError(resource.location, exc.reason, exc.where)
