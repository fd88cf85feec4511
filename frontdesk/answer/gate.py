"""Whether the evidence can answer a question: a calibrated probability, not hand-set thresholds.

The gate decides, before any model is asked, whether the question is one the sources speak
to; when not, the agent declines and offers a person (fast, and nothing to invent). Its
inputs are what evidence selection measures anyway: the best share of the question's words
found in one piece of evidence (``coverage``), the best dense similarity of an evidence
sentence to the question (``similarity``), whether question and sources differ in language
(``cross``: then words cannot meet and similarity must carry it) and whether a product card
is among the evidence (``product``). A logistic model over them was fit by
``bench/fit_gate.py`` on development data only (integreat-qa's train and dev splits in German
and English, and the dev sample businesses); the threshold is the highest that still lets 95%
of the answerable questions through, the share the accuracy target allows to lose. These
features separate answerable from unanswerable questions only weakly (AUC 0.71 on dev), so the
gate now stops few unanswerable questions and the model's NO_ANSWER and the answer check
carry most of that; the hand-set gate declined more of them but also 11% of the answerable
ones. What it scores on data it never saw is in docs/benchmarks.md.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

#: Fit by bench/fit_gate.py (see its output in docs/benchmarks.md); refit when evidence scoring changes.
#: 2026-12-02: 543 dev questions (455 answerable), AUC 0.71; at 0.66 the gate lets 95.6% of the
#: answerable through and declines 11.4% of the rest (the hand-set gate it replaces: 88.8% / 33.0%).
WEIGHTS = {"bias": -0.653, "coverage": 3.224, "similarity": 0.918, "cross": 0.243, "product": 1.455}
THRESHOLD = 0.66


@dataclass(frozen=True)
class GateFeatures:
    coverage: float
    similarity: float
    cross: bool
    product: bool

    def vector(self) -> list[float]:
        return [1.0, self.coverage, self.similarity, float(self.cross), float(self.product)]


def features(coverages: Sequence[float], similarities: Sequence[float], cross: bool, product: bool) -> GateFeatures:
    return GateFeatures(max(coverages, default=0.0), max(similarities, default=0.0), cross, product)


def probability(f: GateFeatures, weights: dict[str, float] | None = None) -> float:
    w = weights or WEIGHTS
    z = sum(w[name] * x for name, x in zip(("bias", "coverage", "similarity", "cross", "product"), f.vector(),
                                            strict=True))
    return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z))))


def answerable(f: GateFeatures) -> bool:
    return probability(f) >= THRESHOLD
