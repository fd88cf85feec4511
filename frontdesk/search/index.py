"""One agent's search index: lexical, dense and catalog options, held in memory and kept on disk.

The store is the source of truth (items, their stems, their vectors); this index is derived
from it and rebuilt whenever the agent's knowledge changes (its revision). Three parts:

- lexical: BM25 over the stems each item was indexed with (``bm25s``: a sparse matrix of
  precomputed term scores, so a query costs one column sum, not a scan of every posting);
  title stems count three times, as FTS5's ``bm25(3.0, 1.0)`` weighed them before;
- dense: the items' vectors, searched exactly (one matrix product) up to
  :data:`EXACT_LIMIT` items, and above that by an inverted-file index (FAISS ``IVFFlat``:
  k-means cells, the nearest :func:`_probes` cells scanned exactly);
- options: catalog option values (facet, value) -> the products carrying them.

A built index is written under ``<home>/index/`` in a directory named after the agent, its
creation time, the knowledge revision and the embedder, so a new process (a one-shot CLI
search, a restarted server) loads it instead of rebuilding, and no later agent can ever pick
up another agent's index. Directories of older revisions are removed when a newer one is saved.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import shutil
import tempfile
import threading
from dataclasses import dataclass, field
from pathlib import Path

import bm25s
import numpy as np

from ..domain import Agent
from ..log import get_logger
from ..store import KnowledgeStore

log = get_logger(__name__)

#: Up to this many vectors the dense search is exact; above it, an inverted-file index.
EXACT_LIMIT = 50_000
TITLE_WEIGHT = 3  # how often a title stem counts against one of the body
FORMAT = 1  # bump when the files change shape


@dataclass
class LexicalIndex:
    retriever: bm25s.BM25
    ids: np.ndarray  # item id of each indexed document

    @classmethod
    def build(cls, rows: list[tuple[int, str, str]]) -> LexicalIndex | None:
        if not rows:
            return None
        corpus = [(f"{title} " * TITLE_WEIGHT + body).split() or [""] for _, title, body in rows]
        retriever = bm25s.BM25()
        retriever.index(corpus, show_progress=False)
        return cls(retriever, np.array([r[0] for r in rows], dtype=np.int64))

    def search(self, terms: list[str], limit: int) -> list[tuple[int, float]]:
        token_ids = self.retriever.get_tokens_ids(terms)
        if not token_ids:
            return []
        scores = self.retriever.get_scores_from_ids(token_ids)
        return _top(self.ids, scores, limit, positive=True)

    def save(self, path: Path) -> None:
        self.retriever.save(str(path / "lexical"), show_progress=False)
        np.save(path / "lexical_ids.npy", self.ids)

    @classmethod
    def load(cls, path: Path) -> LexicalIndex:
        retriever = bm25s.BM25.load(str(path / "lexical"), mmap=True, show_progress=False)
        return cls(retriever, np.load(path / "lexical_ids.npy"))


@dataclass
class DenseIndex:
    ids: np.ndarray
    matrix: np.ndarray | None = None  # exact search
    ivf: object | None = None  # a faiss.IndexIVFFlat over the same vectors, ids as labels

    @classmethod
    def build(cls, ids: np.ndarray, matrix: np.ndarray) -> DenseIndex | None:
        if not len(ids):
            return None
        if len(ids) <= EXACT_LIMIT:
            return cls(ids, matrix=np.ascontiguousarray(matrix, dtype=np.float32))
        import faiss

        cells = _cells(len(ids))
        quantizer = faiss.IndexFlatIP(matrix.shape[1])
        ivf = faiss.IndexIVFFlat(quantizer, matrix.shape[1], cells, faiss.METRIC_INNER_PRODUCT)
        ivf.cp.niter = 10
        ivf.cp.max_points_per_centroid = 64  # train on a sample: 64 vectors per cell
        ivf.cp.seed = 7
        ivf.train(matrix)
        ivf.add_with_ids(matrix, ids)
        ivf.nprobe = _probes(cells)
        return cls(ids, ivf=ivf)

    def search(self, vector: np.ndarray, limit: int) -> dict[int, float]:
        if self.ivf is not None:
            scores, labels = self.ivf.search(vector[None, :].astype(np.float32), limit)  # type: ignore[attr-defined]
            return {int(i): float(s) for i, s in zip(labels[0], scores[0], strict=True) if i >= 0}
        assert self.matrix is not None
        return dict(_top(self.ids, self.matrix @ vector, limit))

    def save(self, path: Path) -> None:
        np.save(path / "dense_ids.npy", self.ids)
        if self.ivf is not None:
            import faiss

            faiss.write_index(self.ivf, str(path / "dense.faiss"))  # type: ignore[call-overload]
        else:
            assert self.matrix is not None
            np.save(path / "dense.npy", self.matrix)

    @classmethod
    def load(cls, path: Path) -> DenseIndex:
        ids = np.load(path / "dense_ids.npy")
        if (path / "dense.faiss").exists():
            import faiss

            ivf = faiss.read_index(str(path / "dense.faiss"))
            return cls(ids, ivf=ivf)
        return cls(ids, matrix=np.load(path / "dense.npy", mmap_mode="r"))


@dataclass
class OptionIndex:
    """(facet, value) -> ids of the products carrying that option value, ascending."""

    postings: dict[tuple[str, str], np.ndarray]
    #: Every facet with the values it takes: read by every query's constraint parsing, so made once.
    facets: dict[str, set[str]] = field(init=False)

    def __post_init__(self) -> None:
        self.facets = {}
        for facet, value in self.postings:
            self.facets.setdefault(facet, set()).add(value)

    @classmethod
    def build(cls, rows: list[tuple[str, str, int]]) -> OptionIndex:
        grouped: dict[tuple[str, str], list[int]] = {}
        for facet, value, item_id in rows:
            grouped.setdefault((facet, value), []).append(item_id)
        return cls({key: np.unique(np.array(ids, dtype=np.int64)) for key, ids in grouped.items()})

    def products_with(self, options: dict[str, set[str]], limit: int) -> list[int]:
        """Products carrying one of the named values of every named facet, lowest ids first."""
        found: np.ndarray | None = None
        for facet, values in options.items():
            arrays = [self.postings[(facet, v)] for v in values if (facet, v) in self.postings]
            matching = np.unique(np.concatenate(arrays)) if arrays else np.zeros(0, dtype=np.int64)
            found = matching if found is None else np.intersect1d(found, matching, assume_unique=True)
            if not len(found):
                return []
        return [] if found is None else found[:limit].tolist()

    def save(self, path: Path) -> None:
        keys = list(self.postings)
        arrays = [self.postings[k] for k in keys]
        offsets = np.cumsum([0, *(len(a) for a in arrays)])
        np.save(path / "options.npy", np.concatenate(arrays) if arrays else np.zeros(0, dtype=np.int64))
        (path / "options.json").write_text(json.dumps({"keys": keys, "offsets": offsets.tolist()}))

    @classmethod
    def load(cls, path: Path) -> OptionIndex:
        ids = np.load(path / "options.npy")
        meta = json.loads((path / "options.json").read_text())
        offsets = meta["offsets"]
        return cls({(facet, value): ids[offsets[i]:offsets[i + 1]]
                    for i, (facet, value) in enumerate(meta["keys"])})


@dataclass
class AgentIndex:
    key: str
    revision: int
    languages: list[str]
    lexical: LexicalIndex | None
    dense: DenseIndex | None
    options: OptionIndex

    @property
    def facets(self) -> dict[str, set[str]]:
        return self.options.facets


class IndexCache:
    """The current :class:`AgentIndex` of each agent: in memory, else on disk, else built."""

    def __init__(self, store: KnowledgeStore, directory: Path | None, store_identity: str = "") -> None:
        self.store = store
        self.directory = directory
        self._identity = hashlib.sha256(store_identity.encode()).hexdigest()[:8]
        self._indexes: dict[int, AgentIndex] = {}
        self._locks: dict[int, threading.Lock] = {}
        self._guard = threading.Lock()

    def get(self, agent: Agent) -> AgentIndex:
        revision = self.store.agent_revision(agent.id)
        key = self._key(agent, revision)
        index = self._indexes.get(agent.id)
        if index is not None and index.key == key:
            return index
        with self._guard:
            lock = self._locks.setdefault(agent.id, threading.Lock())
        with lock:  # one build per agent at a time; the others wait for it
            index = self._indexes.get(agent.id)
            if index is None or index.key != key:
                index = self._load(key, revision) or self._build(agent, key, revision)
                self._indexes[agent.id] = index
        return index

    def _prefix(self, agent: Agent) -> str:
        """What names this agent's indexes, whatever their revision: no other agent shares it."""
        return f"agent{agent.id}-{agent.created_at.strftime('%Y%m%dT%H%M%S%f')}-{self._identity}-"

    def _key(self, agent: Agent, revision: int) -> str:
        return f"{self._prefix(agent)}r{revision}-{agent.embedder}-v{FORMAT}"

    def _build(self, agent: Agent, key: str, revision: int) -> AgentIndex:
        lexical = LexicalIndex.build(list(self.store.agent_terms(agent.id)))
        ids, matrix = self.store.agent_vectors(agent.id, agent.embedder)
        dense = DenseIndex.build(ids, matrix)
        options = OptionIndex.build(list(self.store.option_postings(agent.id)))
        languages = self.store.agent_languages(agent.id) or ["en"]
        index = AgentIndex(key, revision, languages, lexical, dense, options)
        log.info("search index built", agent=agent.name, revision=revision, items=len(ids),
                 dense="ivf" if dense is not None and dense.ivf is not None else "exact")
        self._save(agent, index)
        return index

    def _save(self, agent: Agent, index: AgentIndex) -> None:
        if self.directory is None:
            return
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            staging = Path(tempfile.mkdtemp(prefix=".building-", dir=self.directory))
            if index.lexical is not None:
                index.lexical.save(staging)
            if index.dense is not None:
                index.dense.save(staging)
            index.options.save(staging)
            (staging / "meta.json").write_text(json.dumps(
                {"key": index.key, "revision": index.revision, "languages": index.languages}))
            target = self.directory / index.key
            try:
                os.rename(staging, target)  # atomic: readers see a whole index or none
            except OSError:  # another process saved the same index first
                shutil.rmtree(staging, ignore_errors=True)
            for old in self.directory.glob(f"{self._prefix(agent)}*"):
                if old.name != index.key:
                    shutil.rmtree(old, ignore_errors=True)
        except OSError as exc:  # a read-only or full disk costs speed, never an answer
            log.warning("search index not saved", agent=agent.name, error=str(exc))

    def _load(self, key: str, revision: int) -> AgentIndex | None:
        if self.directory is None:
            return None
        path = self.directory / key
        if not (path / "meta.json").exists():
            return None
        try:
            meta = json.loads((path / "meta.json").read_text())
            lexical = LexicalIndex.load(path) if (path / "lexical_ids.npy").exists() else None
            dense = DenseIndex.load(path) if (path / "dense_ids.npy").exists() else None
            return AgentIndex(key, revision, meta["languages"], lexical, dense, OptionIndex.load(path))
        except (OSError, ValueError, KeyError, RuntimeError) as exc:  # damaged: rebuild it
            log.warning("search index unreadable, rebuilding", path=str(path), error=str(exc))
            shutil.rmtree(path, ignore_errors=True)
            return None

    def forget(self, agent: Agent) -> None:
        """Drop an agent's index from memory and disk (the agent was deleted)."""
        self._indexes.pop(agent.id, None)
        if self.directory is not None:
            for old in self.directory.glob(f"{self._prefix(agent)}*"):
                shutil.rmtree(old, ignore_errors=True)


def _cells(count: int) -> int:
    """Inverted-file cells for ``count`` vectors: about 2·√n (632 at 100k, 2,000 at 1M)."""
    return max(64, int(2 * math.sqrt(count)))


def _probes(cells: int) -> int:
    """Cells scanned per query: one in sixteen, at least 32 (recall@60 1.000 at 100k, docs/benchmarks.md)."""
    return min(cells, max(32, cells // 16))


def _top(ids: np.ndarray, scores: np.ndarray, limit: int, *, positive: bool = False) -> list[tuple[int, float]]:
    count = min(limit, len(scores))
    if count <= 0:
        return []
    best = np.argpartition(-scores, count - 1)[:count]
    best = best[np.argsort(-scores[best], kind="stable")]
    return [(int(ids[i]), float(scores[i])) for i in best if not positive or scores[i] > 0]
