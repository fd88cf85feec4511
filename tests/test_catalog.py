"""Catalogs in: Meta/Google feeds (CSV, TSV, XML), Shopify CSV (both header sets), JSON."""

from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from frontdesk.domain import ItemError, Record, effective_price
from frontdesk.errors import FieldError
from frontdesk.ingest.catalog import read_catalog
from frontdesk.ingest.catalog.fields import normalise_availability, parse_price
from frontdesk.ingest.resource import Resource

from .conftest import SAMPLE


def read(name: str, data: bytes | str, **options: str) -> tuple[list[Record], list[ItemError]]:
    raw = data.encode() if isinstance(data, str) else data
    items = list(read_catalog(Resource(name, raw), dict(options), "USD"))
    return [i for i in items if isinstance(i, Record)], [i for i in items if isinstance(i, ItemError)]


@pytest.mark.parametrize(("raw", "expected"), [
    ("9.99 USD", (Decimal("9.99"), "USD")),
    ("USD 9.99", (Decimal("9.99"), "USD")),
    ("9,99 EUR", (Decimal("9.99"), "EUR")),
    ("1.299,00 EUR", (Decimal("1299.00"), "EUR")),
    ("1,299.00 USD", (Decimal("1299.00"), "USD")),
    ("€12.50", (Decimal("12.50"), "EUR")),
    (42, (Decimal("42.00"), "USD")),
    ("15", (Decimal("15.00"), "USD")),
])
def test_prices(raw: object, expected: tuple[Decimal, str]) -> None:
    assert parse_price(raw, "USD") == expected


@pytest.mark.parametrize("raw", ["", None, "abc", "12.3.4.5 EUR x", "-5 EUR", "free"])
def test_bad_prices_are_refused(raw: object) -> None:
    with pytest.raises(FieldError):
        parse_price(raw, "USD")


def test_availability_spellings() -> None:
    assert normalise_availability("in stock") == normalise_availability("in_stock") == "in stock"
    assert normalise_availability("OUT_OF_STOCK") == "out of stock"
    assert normalise_availability("https://schema.org/InStock") == "in stock"
    assert normalise_availability(False) == "out of stock"
    assert normalise_availability("sometimes") is None


def test_google_feed_csv_keeps_structured_fields() -> None:
    records, errors = read("catalog.csv", (SAMPLE / "catalog.csv").read_bytes())
    assert not errors
    by_id = {r.key: r for r in records}
    assert len(by_id) == 17
    colombia = by_id["HC-COL-250"].fields
    assert colombia["price"] == "11.50" and colombia["sale_price"] == "9.90" and colombia["currency"] == "EUR"
    assert effective_price(colombia, datetime.now(UTC)) == "9.90"  # a sale without a period always runs
    assert colombia["availability"] == "in stock"
    assert colombia["item_group_id"] == "HC-COL"
    assert colombia["options"] == {"size": "250 g"}
    assert colombia["link"] == "https://harbor-coffee.example/products/colombia-huila"
    assert by_id["EQ-V60-02-RED"].fields["options"] == {"size": "02", "color": "red", "material": "ceramic"}
    assert by_id["HC-DECAF-1000"].fields["availability"] == "preorder"


def test_meta_feed_tsv_with_underscore_availability_and_bad_rows() -> None:
    tsv = (
        "id\ttitle\tdescription\tavailability\tcondition\tprice\tlink\timage_link\tbrand\n"
        "A1\tOat Milk 1 l\tBarista oat drink\tin_stock\tnew\t2.49 EUR\thttps://s.example/a1\thttps://s.example/a1.jpg\tOatly\n"
        "A2\tSoy Milk 1 l\tSoy drink\tout_of_stock\tnew\t\thttps://s.example/a2\thttps://s.example/a2.jpg\tAlpro\n"
        "A3\tAlmond Milk\tAlmond drink\tin_stock\tnew\tcheap\thttps://s.example/a3\thttps://s.example/a3.jpg\tAlpro\n"
        "A1\tOat Milk again\tduplicate\tin_stock\tnew\t2.59 EUR\thttps://s.example/a1\thttps://s.example/a1.jpg\tOatly\n"
    )
    records, errors = read("feed.tsv", tsv)
    assert [r.key for r in records] == ["A1"]
    assert records[0].fields["availability"] == "in stock"
    assert [(e.where, e.key) for e in errors] == [("line 3", "A2"), ("line 4", "A3"), ("line 5", "A1")]
    assert "price is missing" in errors[0].reason
    assert "malformed price 'cheap'" in errors[1].reason
    assert "duplicate id 'A1' (first at line 2)" in errors[2].reason
    assert str(errors[0]).startswith("feed.tsv, line 3: ")


def test_google_rss_xml_feed_with_g_namespace() -> None:
    xml = """<?xml version="1.0"?>
<rss version="2.0" xmlns:g="http://base.google.com/ns/1.0"><channel><title>Shop</title>
<item><g:id>X1</g:id><title>Travel Mug Blue</title><g:description>Keeps coffee hot</g:description>
<link>https://s.example/x1</link><g:image_link>https://s.example/x1.jpg</g:image_link>
<g:price>19.90 EUR</g:price><g:sale_price>15.90 EUR</g:sale_price>
<g:sale_price_effective_date>2026-11-01T00:00+01:00/2026-11-30T23:59+01:00</g:sale_price_effective_date>
<g:availability>in_stock</g:availability><g:brand>KeepCup</g:brand><g:color>blue</g:color>
<g:item_group_id>MUG</g:item_group_id><g:shipping><g:country>DE</g:country><g:price>3 EUR</g:price></g:shipping></item>
<item><g:id>X2</g:id><title>Broken</title><g:price>n/a</g:price></item>
</channel></rss>"""
    records, errors = read("feed.xml", xml)
    assert len(records) == 1 and records[0].fields["sale_price"] == "15.90"
    assert records[0].fields["options"] == {"color": "blue"}
    assert records[0].fields["sale_end"] == "2026-11-30T23:59+01:00"
    assert errors[0].where == "line 9" and errors[0].key == "X2"
    assert effective_price(records[0].fields, datetime(2026, 11, 15, tzinfo=UTC)) == "15.90"
    assert effective_price(records[0].fields, datetime(2026, 12, 15, tzinfo=UTC)) == "19.90"


def test_malformed_xml_reports_the_line() -> None:
    records, errors = read("feed.xml", "<rss><channel><item><g:id>1</g:id>\n<broken></channel></rss>")
    assert not records and "malformed XML" in errors[0].reason and errors[0].where


def test_xml_entities_are_not_expanded() -> None:
    xml = """<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>
<rss xmlns:g="http://base.google.com/ns/1.0"><channel><item><g:id>E1</g:id><title>T &x;</title><g:price>1 EUR</g:price></item></channel></rss>"""
    records, _ = read("feed.xml", xml)
    assert all("root:" not in r.title for r in records)


SHOPIFY_LEGACY = """Handle,Title,Body (HTML),Vendor,Type,Tags,Published,Option1 Name,Option1 Value,Option2 Name,Option2 Value,Variant SKU,Variant Inventory Tracker,Variant Inventory Qty,Variant Inventory Policy,Variant Price,Variant Compare At Price,Image Src,Status
linen-apron,Linen Apron,<p>Barista apron in <b>washed linen</b>.</p>,Harbor,Apparel,,TRUE,Color,Sand,Size,M,APR-SAND-M,shopify,4,deny,39.00,49.00,https://cdn.example/apron.jpg,active
linen-apron,,,,,,,,Sand,,L,APR-SAND-L,shopify,0,deny,39.00,,,
linen-apron,,,,,,,,Navy,,M,APR-NAVY-M,shopify,0,continue,41.00,,,
linen-apron,,,,,,,,,,,,,,,,,https://cdn.example/apron-2.jpg,
old-mug,Old Mug,,Harbor,Mugs,,FALSE,Title,Default Title,,,MUG-OLD,,,deny,9.00,,,draft
"""

SHOPIFY_CURRENT = """Title,URL handle,Description,Vendor,Product category,Type,Tags,Published on online store,Status,SKU,Barcode,Option1 name,Option1 value,Option2 name,Option2 value,Option3 name,Option3 value,Price,Compare-at price,Inventory tracker,Inventory quantity,Continue selling when out of stock,Product image URL
Cold Brew Bottle,cold-brew-bottle,Glass bottle for cold brew,Hario,Kitchen,Brewing,,TRUE,Active,CB-1,,Title,Default Title,,,,,24.00,,shopify,12,DENY,https://cdn.example/cb.jpg
Grinder Brush,grinder-brush,Brush,Harbor,Kitchen,Tools,,TRUE,Active,BR-1,,Title,Default Title,,,,,abc,,,,,
"""


def test_shopify_legacy_csv_variants_sale_prices_and_stock() -> None:
    records, errors = read("products_export.csv", SHOPIFY_LEGACY, currency="EUR", base_url="https://shop.example")
    assert not errors
    by_id = {r.key: r for r in records}
    assert set(by_id) == {"APR-SAND-M", "APR-SAND-L", "APR-NAVY-M"}  # draft product skipped
    sand_m = by_id["APR-SAND-M"].fields
    assert by_id["APR-SAND-M"].title == "Linen Apron – Sand, M"
    assert sand_m["price"] == "49.00" and sand_m["sale_price"] == "39.00" and sand_m["currency"] == "EUR"
    assert sand_m["options"] == {"color": "Sand", "size": "M"}
    assert sand_m["link"] == "https://shop.example/products/linen-apron"
    assert sand_m["description"] == "Barista apron in washed linen."
    assert by_id["APR-SAND-L"].fields["availability"] == "out of stock"
    assert by_id["APR-NAVY-M"].fields["availability"] == "in stock"  # policy continue
    assert by_id["APR-SAND-L"].fields["item_group_id"] == "linen-apron"


def test_shopify_current_csv_header_set() -> None:
    records, errors = read("products.csv", SHOPIFY_CURRENT, currency="EUR")
    assert [r.key for r in records] == ["CB-1"]
    assert records[0].title == "Cold Brew Bottle"
    assert records[0].fields["options"] == {}
    assert records[0].fields["price"] == "24.00" and records[0].fields["quantity"] == "12"
    assert errors[0].where == "line 3" and "malformed price 'abc'" in errors[0].reason


def test_shopify_untracked_inventory_is_available() -> None:
    """A blank inventory tracker means Shopify does not track the variant: quantity 0 is not "sold out"."""
    csv = SHOPIFY_CURRENT.splitlines()[0] + "\n" + "\n".join([
        "Gift Card,gift-card,A voucher,Harbor,,Vouchers,,TRUE,Active,GC-25,,Title,Default Title,,,,,25.00,,,0,DENY,",
        "Tamper,tamper,Steel tamper,Harbor,,Tools,,TRUE,Active,TA-1,,Title,Default Title,,,,,30.00,,shopify,0,DENY,",
    ]) + "\n"
    records, errors = read("products.csv", csv, currency="EUR")
    assert not errors
    availability = {r.key: r.fields["availability"] for r in records}
    assert availability == {"GC-25": "in stock", "TA-1": "out of stock"}
    legacy = SHOPIFY_LEGACY.replace("APR-SAND-L,shopify,0,deny", "APR-SAND-L,,0,deny")
    by_id = {r.key: r for r in read("products_export.csv", legacy, currency="EUR")[0]}
    assert by_id["APR-SAND-L"].fields["availability"] == "in stock"


def test_tau2_nested_json_becomes_one_item_per_variant(tau2_db: Path) -> None:
    records, errors = read("db.json", tau2_db.read_bytes())
    assert not errors
    assert len(records) == 591
    shirt = {r.key: r for r in records}["9612497925"]
    assert shirt.title == "T-Shirt – blue, M, cotton, crew neck"
    assert shirt.fields["options"] == {"color": "blue", "size": "M", "material": "cotton", "style": "crew neck"}
    assert shirt.fields["price"] == "50.88" and shirt.fields["currency"] == "USD"
    assert shirt.fields["availability"] == "in stock"
    assert shirt.fields["item_group_id"] == "9523456873"


def test_flat_json_list_and_errors() -> None:
    data = '[{"id": "p1", "name": "Cup", "price": {"amount": 4.5, "currency": "EUR"}, "in_stock": true},' \
           ' {"id": "p2", "name": "Saucer"}, "junk"]'
    records, errors = read("c.json", data)
    assert records[0].fields["price"] == "4.50" and records[0].fields["currency"] == "EUR"
    assert records[0].fields["availability"] == "in stock"
    assert [e.where for e in errors] == ["products[1]", "products[2]"]


def test_binary_data_named_csv_is_refused_as_a_whole() -> None:
    from frontdesk.errors import ReadError

    with pytest.raises(ReadError, match="binary"):
        read("feed.csv", b"\x89PNG\r\n\x1a\n\x00\x00\x00IHDR")
