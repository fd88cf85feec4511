"""Shared pieces of the benchmarks: the tau2 catalog, synthetic catalogs, labelled queries, the sample
business in a fresh data directory, and the report file each benchmark writes."""

from __future__ import annotations

import json
import os
import platform
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
TAU2_DB = ROOT.parent / "shared" / "data" / "tau2-retail" / "db.json"
OUT = ROOT / "bench" / "out"
SAMPLE = ROOT / "frontdesk" / "examples" / "harbor-coffee"

BRANDS = ["Acme", "Nordwind", "Bluefin", "Kestrel", "Marlow", "Tessa", "Orbit", "Fjord", "Quill", "Umbra",
          "Vela", "Wren", "Zephyr", "Lumen", "Cobalt", "Pioneer", "Saga", "Halcyon", "Ridge", "Juniper"]


def machine() -> str:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    import os

    return f"{os.cpu_count()} cores, {cpu}, Python {platform.python_version()}"


def commit() -> str:
    try:
        return subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True).stdout.strip()
    except OSError:
        return "?"


def tau2_products() -> dict:
    return json.loads(TAU2_DB.read_text())["products"]


def synthetic_catalog(size: int, seed: int = 7) -> dict:
    """``size`` variants in tau2's nested shape: its products re-branded and re-priced."""
    rng = random.Random(seed)
    base = list(tau2_products().values())
    products: dict[str, dict] = {}
    count = 0
    copy = 0
    while count < size:
        for product in base:
            if count >= size:
                break
            brand = BRANDS[copy % len(BRANDS)]
            model = f"{brand} {product['name']} {100 + copy // len(BRANDS)}"
            pid = f"{copy:04d}{product['product_id']}"
            variants = {}
            for vid, variant in product["variants"].items():
                if count >= size:
                    break
                new_id = f"{copy:04d}{vid}"
                variants[new_id] = {"item_id": new_id, "options": variant["options"],
                                    "available": variant["available"] if rng.random() > 0.1 else not variant["available"],
                                    "price": round(variant["price"] * rng.uniform(0.8, 1.25), 2)}
                count += 1
            products[pid] = {"name": model, "product_id": pid, "brand": brand, "variants": variants}
        copy += 1
    return {"products": products}


def labelled_queries(n: int = 300, seed: int = 11) -> list[tuple[str, set[str]]]:
    """Queries built from tau2 product names and options; relevant = the variants that match.

    Each query names a product and one to three option values of one of its variants; every
    variant of that product carrying all the named values is relevant.
    """
    rng = random.Random(seed)
    products = list(tau2_products().values())
    templates = ["{values} {name}", "{name} {values}", "{name} in {values}", "looking for a {name}, {values}"]
    queries = []
    while len(queries) < n:
        product = rng.choice(products)
        variant = rng.choice(list(product["variants"].values()))
        options = list(variant["options"].items())
        chosen = rng.sample(options, k=min(len(options), rng.randint(1, 3)))
        words = []
        for key, value in chosen:
            words.append(f"{key} {value}" if len(value) <= 3 or key in ("size", "capacity", "storage") else value)
        query = rng.choice(templates).format(name=product["name"].lower(), values=" ".join(words))
        relevant = {vid for vid, v in product["variants"].items() if all(v["options"].get(k) == val for k, val in chosen)}
        queries.append((query, relevant))
    return queries


class Timer:
    def __enter__(self) -> Timer:
        self.start = time.perf_counter()
        return self

    def __exit__(self, *exc: object) -> None:
        self.seconds = time.perf_counter() - self.start


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[index]


def sample_home(prefix: str) -> tuple[Path, dict[str, str], list[str]]:
    """A fresh data directory holding the sample business (agent ``harbor``), made with the real commands:
    the directory, the environment that points at it, and the ``frontdesk`` command to run."""
    home = Path(tempfile.mkdtemp(prefix=prefix))
    env = {**os.environ, "FRONTDESK_HOME": str(home)}
    frontdesk = [str(Path(sys.executable).with_name("frontdesk"))]
    subprocess.run([*frontdesk, "agents", "create", "harbor"], env=env, check=True, capture_output=True)
    subprocess.run([*frontdesk, "sources", "add", "harbor", str(SAMPLE / "site"), str(SAMPLE / "faq.csv"),
                    str(SAMPLE / "catalog.csv")], env=env, check=True, capture_output=True)
    return home, env, frontdesk


def stop(processes: list[subprocess.Popen], home: Path, timeout: float = 30) -> None:
    """End a benchmark's server processes and remove its data directory."""
    for process in processes:
        process.terminate()
        process.wait(timeout=timeout)
    shutil.rmtree(home, ignore_errors=True)


def save_report(script: str, figures: dict[str, Any]) -> None:
    """``bench/out/<script>.json``: the command, date, machine and commit, then the figures."""
    OUT.mkdir(parents=True, exist_ok=True)
    report = {"command": f"python bench/{script}.py " + " ".join(sys.argv[1:]), "date": time.strftime("%Y-%m-%d"),
              "machine": machine(), "commit": commit(), **figures}
    (OUT / f"{script}.json").write_text(json.dumps(report, indent=2))
