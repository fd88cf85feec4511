"""Build catalog.json for the Threadline sample from tau2-bench's retail db.json.

Run from this folder:  python make_catalog.py [path/to/db.json]
(default: /work/shared/data/tau2-retail/db.json). The output is committed; this script only
documents how it was made. Deterministic: same input, same output.

What it does:
- keeps the 15 tau2 products that fit a fashion, sport and accessories shop (SELECTION below)
  with ALL their variants, options, prices and availability exactly as in db.json;
- labels every price EUR (tau2's prices carry no currency);
- adds a product type (the shop's category) and a short description per product;
- adds sale prices by fixed rules (SALES below): a percentage off every variant of a product,
  or of one variant, rounded to cents, with a sale period in Google/Meta's
  `sale_price_effective_date` form. One sale (Running Shoes) is already over on the questions'
  dates, so "is it on sale now" has a true "no".
"""

from __future__ import annotations

import json
import sys
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

SELECTION = {
    # tau2 name: (product type, description)
    "T-Shirt": ("Clothing > T-shirts", "Everyday T-shirt in cotton or polyester, crew neck or v-neck."),
    "Fleece Jacket": ("Clothing > Jackets", "Warm fleece jacket with a full or half zip."),
    "Hiking Boots": ("Shoes > Hiking boots", "Hiking boots in leather or synthetic, waterproof or breathable."),
    "Running Shoes": ("Shoes > Running shoes", "Lightweight running shoes with rubber or EVA sole."),
    "Sneakers": ("Shoes > Sneakers", "Low-top sneakers for everyday wear."),
    "Sunglasses": ("Accessories > Sunglasses", "Sunglasses with polarized or non-polarized lenses."),
    "Backpack": ("Accessories > Bags", "Backpack with laptop or camera compartment."),
    "Wristwatch": ("Accessories > Watches", "Analogue wristwatch with leather or metal strap."),
    "Smart Watch": ("Accessories > Watches", "Smart watch with AMOLED or LCD display."),
    "Luggage Set": ("Accessories > Luggage", "Luggage set of two to four hard-shell or soft-shell suitcases."),
    "Perfume": ("Beauty > Fragrance", "Eau de parfum for women, men or unisex."),
    "Makeup Kit": ("Beauty > Make-up", "Make-up kit for light, medium or dark skin tones."),
    "Yoga Mat": ("Sport > Yoga", "Non-slip yoga mat in PVC, natural rubber or TPE."),
    "Water Bottle": ("Sport > Bottles", "Reusable water bottle in stainless steel, glass or plastic."),
    "Cycling Helmet": ("Sport > Helmets", "Cycling helmet with low, medium or high ventilation."),
}

# (product name, variant item_id or None for all variants, percent off, period)
SALES = [
    ("Fleece Jacket", None, 25, "2026-11-27T00:00+01:00/2026-12-31T23:59+01:00"),
    ("Sunglasses", None, 15, "2026-12-01T00:00+01:00/2027-01-06T23:59+01:00"),
    ("Running Shoes", None, 20, "2026-10-01T00:00+02:00/2026-10-31T23:59+01:00"),
    ("T-Shirt", "9612497925", 20, "2026-12-01T00:00+01:00/2027-01-31T23:59+01:00"),
    ("Backpack", "5917587651", 30, "2026-12-01T00:00+01:00/2026-12-24T23:59+01:00"),
]


def slug(name: str) -> str:
    return name.lower().replace(" ", "-")


def main(source: Path, target: Path) -> None:
    db = json.loads(source.read_text(encoding="utf-8"))["products"]
    by_name = {p["name"]: p for p in db.values()}
    missing = set(SELECTION) - set(by_name)
    if missing:
        raise SystemExit(f"not in {source}: {', '.join(sorted(missing))}")
    products = []
    for name, (product_type, description) in SELECTION.items():
        product = by_name[name]
        variants = []
        for variant in product["variants"].values():
            out = {"item_id": variant["item_id"], "options": variant["options"],
                   "price": variant["price"], "available": variant["available"]}
            for sale_name, item_id, percent, period in SALES:
                if sale_name == name and item_id in (None, variant["item_id"]):
                    sale = Decimal(str(variant["price"])) * (100 - percent) / 100
                    out["sale_price"] = float(sale.quantize(Decimal("0.01"), ROUND_HALF_UP))
                    out["sale_price_effective_date"] = period
            variants.append(out)
        products.append({"product_id": product["product_id"], "name": name, "product_type": product_type,
                         "description": description, "brand": "Threadline", "currency": "EUR",
                         "link": f"https://threadline.example/products/{slug(name)}", "variants": variants})
    for sale_name, item_id, _, _ in SALES:
        if item_id and not any(v["item_id"] == item_id for p in products if p["name"] == sale_name
                               for v in p["variants"]):
            raise SystemExit(f"sale variant {item_id} not found in {sale_name}")
    target.write_text(json.dumps({"products": products}, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "/work/shared/data/tau2-retail/db.json"),
         Path(__file__).with_name("catalog.json"))
