"""A deterministic embedder for tests: no model, no download, the same vector for the same text.

:class:`HashEmbedder` hashes a text's lower-cased words and their character trigrams into a
fixed number of signed buckets (the "hashing trick") and L2-normalises the result. Texts that
share words or word parts get similar vectors, so dense search still finds related passages,
but nothing is learned: use it where a test is about frontdesk, not about retrieval quality.

Agents name their embedder, so make it known before creating one that uses it: either register
it for the whole process (:func:`frontdesk.embed.register_embedder`) or hand it to one
``Frontdesk(settings, embedders=[HashEmbedder()])``, then ``create_agent(..., embedder="hash")``.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence

import numpy as np

from ..embed.base import normalise


class HashEmbedder:
    def __init__(self, name: str = "hash", dim: int = 256) -> None:
        self.name = name
        self.dim = dim

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        vectors = np.zeros((len(texts), self.dim), dtype=np.float32)
        for row, text in enumerate(texts):
            for feature in _features(text):
                digest = hashlib.blake2b(feature.encode(), digest_size=8).digest()
                bucket = int.from_bytes(digest[:4], "little") % self.dim
                vectors[row, bucket] += 1.0 if digest[4] & 1 else -1.0
        return normalise(vectors)


def _features(text: str) -> list[str]:
    words = re.findall(r"\w+", text.lower())
    grams = [f"#{word[i:i + 3]}" for word in words for i in range(max(1, len(word) - 2))]
    return [*words, *grams]
