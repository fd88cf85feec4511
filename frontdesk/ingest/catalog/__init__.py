"""Product catalogs: Meta/Google feeds (CSV, TSV, XML), Shopify CSV and JSON."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ...domain import ItemError, Record
from ..resource import Resource, read_table
from .feeds import read_feed_table, read_feed_xml
from .json_catalog import read_json_catalog
from .products import unique_ids
from .shopify import is_shopify, read_shopify

TABLE_SUFFIXES = (".csv", ".tsv", ".xlsx", ".xlsm", ".txt")


def read_catalog(resource: Resource, options: dict[str, Any], default_currency: str) -> Iterator[Record | ItemError]:
    """Every product of a catalog file, and an ItemError for each row that cannot be read."""
    currency = options.get("currency") or default_currency
    language = options.get("language") or "en"
    head = resource.data.lstrip()[:1]
    if resource.suffix == ".json" or head in (b"{", b"["):
        items = read_json_catalog(resource, currency, language)
    elif resource.suffix in (".xml", ".rss", ".atom") or head == b"<":
        items = read_feed_xml(resource, currency, language)
    else:
        header, _ = read_table(resource)
        if is_shopify(header):
            items = read_shopify(resource, currency, options.get("base_url"), language)
        else:
            items = read_feed_table(resource, currency, language)
    return unique_ids(items, resource.location)


__all__ = ["TABLE_SUFFIXES", "read_catalog"]
