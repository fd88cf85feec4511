"""Catalog import rate (with embeddings), index size, unchanged re-sync time and search latency at scale.

    python bench/catalog_scale.py --sizes 10000 100000 [--queries 300] [--backends sqlite postgresql]

Catalogs are synthesised from the tau2 catalog's structure (products re-branded, re-priced).
The import includes building the search index (search/index.py). Search latency is measured
in a new process after its first search has loaded the index from disk, as a running server
sees it; that first search is reported on its own. ``--backends postgresql`` runs the same on
the PostgreSQL of ``FRONTDESK_BENCH_POSTGRES`` (default 127.0.0.1:5432/test) in a schema of
its own, dropped afterwards.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import Timer, commit, labelled_queries, machine, percentile, synthetic_catalog  # noqa: E402

from frontdesk.app import Frontdesk  # noqa: E402
from frontdesk.config import Settings  # noqa: E402

SERVER = os.environ.get("FRONTDESK_BENCH_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test")


@contextlib.contextmanager
def database(backend: str) -> Iterator[dict[str, str]]:
    """The environment that selects ``backend``: SQLite in the data directory, or a fresh PostgreSQL schema."""
    if backend == "sqlite":
        yield {}
        return
    import psycopg

    schema = f"fd_bench_{os.getpid()}"
    with psycopg.connect(SERVER, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
    try:
        yield {"FRONTDESK_DATABASE_URL": f"{SERVER}?options={quote(f'-csearch_path={schema}')}"}
    finally:
        with psycopg.connect(SERVER, autocommit=True) as conn:
            conn.execute(f"DROP SCHEMA {schema} CASCADE")


def run(size: int, n_queries: int, backend: str = "sqlite") -> dict:
    with tempfile.TemporaryDirectory() as home, database(backend) as env:
        feed = Path(home) / "catalog.json"
        feed.write_text(json.dumps(synthetic_catalog(size)))
        env = {"FRONTDESK_HOME": home, **env}
        app = Frontdesk(Settings.from_env(env))
        app.create_agent("bench")
        with Timer() as first:
            summary = app.add_source("bench", str(feed))
        assert summary.added == size and summary.failed == 0, summary
        with Timer() as resync:
            again = app.sync("bench")[0]
        assert again.unchanged == size
        size_bytes = app.store.database_size()
        index_bytes = sum(f.stat().st_size for f in (Path(home) / "index").rglob("*") if f.is_file())
        app.close()
        queries = [q for q, _ in labelled_queries(n_queries)] + [
            "espresso machine under 3000", "blue cotton t-shirt size M in stock", "Kaffeemaschine", "cheap headphones"]
        # A new process, as a restarted server or a one-shot CLI search: the index comes from disk.
        app = Frontdesk(Settings.from_env(env))
        app.search_engine.embedders("use-multilingual").embed(["load the model"])
        with Timer() as cold:
            app.search("bench", "warm up the search index", 10)
        latencies = []
        for query in queries:
            with Timer() as t:
                app.search("bench", query, 10)
            latencies.append(t.seconds * 1000)
        app.close()
    return {"backend": backend, "size": size, "import_s": first.seconds, "products_per_s": size / first.seconds,
            "resync_s": resync.seconds, "resync_share": resync.seconds / first.seconds,
            "db_mb": size_bytes / 1e6, "index_mb": index_bytes / 1e6, "cold_s": cold.seconds, "p50_ms": percentile(latencies, 50), "p99_ms": percentile(latencies, 99),
            "queries": len(queries)}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--backends", nargs="+", default=["sqlite"], choices=["sqlite", "postgresql"])
    args = parser.parse_args()
    print(f"catalog scale, embedder use-multilingual, commit {commit()}, {machine()}")
    for size in args.sizes:
        for backend in args.backends:
            r = run(size, args.queries, backend)
            print(f"  {r['backend']:>10} {r['size']:>8} items: import {r['import_s']:.1f} s ({r['products_per_s']:.0f} products/s incl. embeddings), "
                  f"unchanged re-sync {r['resync_s']:.1f} s ({100 * r['resync_share']:.1f}% of import), "
                  f"database {r['db_mb']:.0f} MB + index {r['index_mb']:.0f} MB, first search of a new process "
                  f"{r['cold_s']:.2f} s, search p50 {r['p50_ms']:.1f} ms p99 {r['p99_ms']:.1f} ms "
                  f"({r['queries']} queries)", flush=True)


if __name__ == "__main__":
    main()
