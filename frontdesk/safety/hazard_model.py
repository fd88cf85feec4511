"""A linear hazard classifier over the packaged sentence embedder, used beside the rules.

The rules of :mod:`.hazards` were written against XSTest's dev half (even ids) and score 0%/0%
there but 6.3% over-refusal and 51% unsafe compliance on the test half: they are fitted to one
sample. This model is the part that is fitted by a script and measured on held-out data.

Features of a message (:func:`features`), all cheap:

* the sentence embedding of ``use-multilingual`` (the embedder search uses; weights in a
  package, 512 dimensions, ~3 ms per message), so German messages get a score too;
* hashed word unigrams and bigrams (1,024 buckets, zlib.crc32; stable across processes);
* the parts of the rules as 0/1 features (request frame, violent act, a person as target,
  fiction or game context, a definition, …; :data:`PARTS`), not the rules' verdict.

A logistic regression over them gives P(hazard); a softmax regression over the embedding alone,
fitted on the labelled unsafe prompts, names the MLCommons category of a message only the model
flags (a self-harm message gets the caring answer by it). Weights, threshold and how they were fitted live in
``hazard_model.json`` next to this file, written by ``bench/fit_hazards.py`` (the refit).
"""

from __future__ import annotations

import json
import re
import threading
import zlib
from dataclasses import dataclass
from importlib import resources
from typing import Any

import numpy as np

from . import hazards as _rules

WEIGHTS = "hazard_model.json"
NGRAM_BUCKETS = 1024
EMBEDDER = "use-multilingual"

#: The parts of the rules used as features (the names are stored with the weights).
PARTS: dict[str, re.Pattern[str]] = {
    "frame": _rules._FRAME, "violence": _rules._VIOLENCE, "violent_act": _rules._re(_rules._VIOLENT),
    "person": _rules._re(_rules._PERSON), "context": _rules._CONTEXT, "definition": _rules._DEFINITION,
    "first_person": _rules._FIRST_PERSON, "self_harm": _rules._SELF_HARM, "weapon": _rules._WEAPON,
    "crime": _rules._CRIME, "steal_figurative": _rules._STEAL_FIGURATIVE, "drug": _rules._DRUG, "law": _rules._LAW,
    "sex_crime": _rules._SEX_CRIME, "child": _rules._CHILD, "defame": _rules._DEFAME, "privacy": _rules._PRIVACY,
    "ip": _rules._IP, "hate": _rules._HATE, "sexual": _rules._SEXUAL, "election": _rules._ELECTION,
    "code_abuse": _rules._CODE_ABUSE, "advice": _rules._ADVICE, "group": _rules._re(_rules._GROUPS),
}
#: Matched against the text as written (case matters for a named work); the others on the case-folded text.
_CASED = {"context", "code_abuse", "self_harm"}
_WORD = re.compile(r"[\w']+")


def normalise_row(vector: np.ndarray) -> np.ndarray:
    norm = float(np.linalg.norm(vector))
    return vector / norm if norm else vector


def ngrams(text: str, buckets: int = NGRAM_BUCKETS) -> np.ndarray:
    """Hashed word unigrams and bigrams of the case-folded text, L2-normalised."""
    words = _WORD.findall(text.casefold())
    vector = np.zeros(buckets, dtype=np.float32)
    for token in [*words, *(f"{a} {b}" for a, b in zip(words, words[1:], strict=False))]:
        vector[zlib.crc32(token.encode()) % buckets] = 1.0
    norm = float(np.linalg.norm(vector))
    return vector / norm if norm else vector


def parts(text: str) -> np.ndarray:
    raw = " ".join(text.replace("’", "'").split())
    low = raw.casefold()
    return np.array([1.0 if pattern.search(raw if name in _CASED else low) else 0.0 for name, pattern in PARTS.items()],
                    dtype=np.float32)


def features(texts: list[str], embeddings: np.ndarray, parts_weight: float = 1.0) -> np.ndarray:
    """The feature rows of ``texts`` given their sentence embeddings (rows L2-normalised)."""
    rows = [np.concatenate([embeddings[i], ngrams(t), parts_weight * parts(t)]) for i, t in enumerate(texts)]
    return np.asarray(rows, dtype=np.float32).reshape(len(texts), -1)


@dataclass(frozen=True)
class Verdict:
    probability: float
    flagged: bool
    category: str  # the most likely MLCommons category (meaningful only when flagged)


class HazardModel:
    """P(hazard) of a message and the category nearest to it, from the stored weights."""

    def __init__(self, spec: dict[str, Any]) -> None:
        if spec.get("embedder") != EMBEDDER or spec.get("ngram_buckets") != NGRAM_BUCKETS or spec.get("parts") != list(PARTS):
            raise ValueError("hazard_model.json was fitted for other features: refit it with bench/fit_hazards.py")
        self.spec = spec
        self.weights = np.asarray(spec["weights"], dtype=np.float32)
        self.bias = float(spec["bias"])
        self.threshold = float(spec["threshold"])
        self.parts_weight = float(spec["parts_weight"])
        self.categories = list(spec["categories"])
        self.category_weights = np.asarray(spec["category_weights"], dtype=np.float32)
        self.category_bias = np.asarray(spec["category_bias"], dtype=np.float32)

    @classmethod
    def packaged(cls) -> HazardModel:
        text = resources.files("frontdesk.safety").joinpath(WEIGHTS).read_text(encoding="utf-8")
        return cls(json.loads(text))

    def verdicts(self, texts: list[str], embeddings: np.ndarray | None = None) -> list[Verdict]:
        if not texts:
            return []
        if embeddings is None:
            from ..embed import get_embedder

            embeddings = get_embedder(EMBEDDER).embed(texts)
        x = features(texts, embeddings, self.parts_weight)
        probabilities = 1.0 / (1.0 + np.exp(-(x @ self.weights + self.bias)))
        nearest = np.argmax(embeddings @ self.category_weights.T + self.category_bias, axis=1)
        return [Verdict(float(p), bool(p >= self.threshold), self.categories[int(k)])
                for p, k in zip(probabilities, nearest, strict=True)]

    def verdict(self, text: str) -> Verdict:
        return self.verdicts([text])[0]


_model: HazardModel | None = None
_lock = threading.Lock()


def packaged_model() -> HazardModel:
    """The shared model of the package's weights (loaded once, on first use)."""
    global _model
    with _lock:
        if _model is None:
            _model = HazardModel.packaged()
        return _model
