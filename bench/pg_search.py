"""Lexical search in PostgreSQL (tsvector + GIN, ts_rank) against the per-process index (bm25s), same texts.

The question it answers (docs/architecture.md): should the lexical index move into PostgreSQL when
several processes share one database, or stay in each process, built from the database revision?
The texts are the synthetic catalog of bench/common.py (tau2's products re-branded), one row per
variant with its title, brand and options; the queries are the labelled shopper queries of the
same module. Each side returns its top 10 per query; the figures are per-query latency (p50/p99)
and the build time. PostgreSQL runs in a schema of its own, dropped afterwards.

    nice -n 10 python bench/pg_search.py [--size 100000] [--queries 300]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from common import commit, labelled_queries, machine, percentile, save_report, synthetic_catalog  # noqa: E402

SERVER = os.environ.get("FRONTDESK_BENCH_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test")


def texts(size: int) -> list[str]:
    out = []
    for product in synthetic_catalog(size)["products"].values():
        for variant in product["variants"].values():
            options = " ".join(f"{k} {v}" for k, v in variant["options"].items())
            out.append(f"{product['name']} {product['brand']} {options}")
    return out[:size]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=300)
    args = parser.parse_args()
    import bm25s
    import psycopg

    from frontdesk.search.text import index_terms

    docs = texts(args.size)
    queries = [q for q, _ in labelled_queries(args.queries)]
    print(f"lexical search over {len(docs)} catalog rows, {len(queries)} queries, commit {commit()}, {machine()}")

    # the per-process index: what search/index.py builds (bm25s over the stored stems)
    start = time.perf_counter()
    stems = [index_terms(d, "en") for d in docs]
    retriever = bm25s.BM25()
    retriever.index(bm25s.tokenize(stems, stopwords=None, show_progress=False), show_progress=False)
    memory_build = time.perf_counter() - start
    retriever.retrieve(bm25s.tokenize([index_terms("warm up", "en")], stopwords=None, show_progress=False), k=10,
                       show_progress=False, n_threads=1)
    memory = []
    for q in queries:
        t = time.perf_counter()
        tokens = bm25s.tokenize([index_terms(q, "en")], stopwords=None, show_progress=False)
        retriever.retrieve(tokens, k=10, show_progress=False, n_threads=1)
        memory.append((time.perf_counter() - t) * 1000)

    schema = f"fd_pgsearch_{os.getpid()}"
    with psycopg.connect(SERVER, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
        try:
            conn.execute(f"SET search_path = {schema}")
            start = time.perf_counter()
            conn.execute("CREATE TABLE items (id BIGINT PRIMARY KEY, body TEXT NOT NULL, terms TSVECTOR)")
            with conn.cursor().copy("COPY items (id, body) FROM STDIN") as copy:
                for n, d in enumerate(docs):
                    copy.write_row((n, d))
            conn.execute("UPDATE items SET terms = to_tsvector('english', body)")
            conn.execute("CREATE INDEX items_terms ON items USING GIN (terms)")
            conn.execute("ANALYZE items")
            pg_build = time.perf_counter() - start
            conn.execute("SELECT id FROM items WHERE terms @@ websearch_to_tsquery('english', 'warm up') LIMIT 10")
            database = []
            for q in queries:
                t = time.perf_counter()
                conn.execute("SELECT id FROM items, websearch_to_tsquery('english', %s) query WHERE terms @@ query "
                             "ORDER BY ts_rank(terms, query) DESC LIMIT 10", (q.replace(" ", " or "),)).fetchall()
                database.append((time.perf_counter() - t) * 1000)
        finally:
            conn.execute(f"DROP SCHEMA {schema} CASCADE")
    result = {"rows": len(docs), "queries": len(queries),
              "per_process_bm25s": {"build_s": round(memory_build, 1), "p50_ms": round(percentile(memory, 50), 2),
                                    "p99_ms": round(percentile(memory, 99), 2)},
              "postgresql_tsvector_gin": {"build_s": round(pg_build, 1), "p50_ms": round(percentile(database, 50), 2),
                                          "p99_ms": round(percentile(database, 99), 2),
                                          "mean_ms": round(float(np.mean(database)), 2)}}
    print(result, flush=True)
    save_report("pg_search", result)


if __name__ == "__main__":
    main()
