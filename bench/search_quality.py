"""nDCG@10 and recall@10 of frontdesk's hybrid search vs a plain BM25 baseline (bm25s), same data, same run.

    python bench/search_quality.py [--embedder use-multilingual|minilm] [--queries 300]
"""

from __future__ import annotations

import argparse
import math
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import bm25s  # noqa: E402
import Stemmer  # noqa: E402
from common import TAU2_DB, commit, labelled_queries, machine  # noqa: E402

from frontdesk.app import Frontdesk  # noqa: E402
from frontdesk.config import Settings  # noqa: E402


def ndcg_at_10(ranked: list[str], relevant: set[str]) -> float:
    dcg = sum(1 / math.log2(i + 2) for i, key in enumerate(ranked[:10]) if key in relevant)
    ideal = sum(1 / math.log2(i + 2) for i in range(min(10, len(relevant))))
    return dcg / ideal if ideal else 0.0


def recall_at_10(ranked: list[str], relevant: set[str]) -> float:
    return len(set(ranked[:10]) & relevant) / min(10, len(relevant)) if relevant else 0.0


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--embedder", default="use-multilingual")
    parser.add_argument("--queries", type=int, default=300)
    args = parser.parse_args()
    queries = labelled_queries(args.queries)
    with tempfile.TemporaryDirectory() as home:
        app = Frontdesk(Settings.from_env({"FRONTDESK_HOME": home}))
        agent = app.create_agent("bench", embedder=args.embedder)
        app.add_source("bench", str(TAU2_DB))
        items = app.store.items_of_agent(agent.id)
        keys = [i.key for i in items]
        stemmer = Stemmer.Stemmer("english")
        retriever = bm25s.BM25()
        retriever.index(bm25s.tokenize([i.text for i in items], stopwords="en", stemmer=stemmer, show_progress=False),
                        show_progress=False)
        ours_ndcg, ours_recall, base_ndcg, base_recall = [], [], [], []
        for query, relevant in queries:
            ranked = [h.item.key for h in app.search("bench", query, 10)]
            ours_ndcg.append(ndcg_at_10(ranked, relevant))
            ours_recall.append(recall_at_10(ranked, relevant))
            docs, _ = retriever.retrieve(bm25s.tokenize([query], stopwords="en", stemmer=stemmer, show_progress=False),
                                         k=10, show_progress=False)
            baseline = [keys[int(i)] for i in docs[0]]
            base_ndcg.append(ndcg_at_10(baseline, relevant))
            base_recall.append(recall_at_10(baseline, relevant))
        app.close()
    n = len(queries)
    print(f"search quality on tau2-retail ({len(keys)} variants, {n} labelled queries), embedder {args.embedder}, "
          f"commit {commit()}, {machine()}")
    print(f"  frontdesk hybrid: nDCG@10 {sum(ours_ndcg) / n:.3f}  recall@10 {sum(ours_recall) / n:.3f}")
    print(f"  bm25s baseline:   nDCG@10 {sum(base_ndcg) / n:.3f}  recall@10 {sum(base_recall) / n:.3f}")


if __name__ == "__main__":
    main()
