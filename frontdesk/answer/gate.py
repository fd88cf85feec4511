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

A sixth feature is optional: ``judge``, the packaged fast model's P(yes) to "Does the text
answer the question?" over the chosen evidence (answer/judge.py), with its own weights and
threshold fit on the same data (``bench/fit_gate.py --judge``). ``Settings.gate_judge`` says
whether it is asked: ``on`` for every question with evidence, ``uncertain`` only when the plain
gate's probability is within ``BAND`` of its threshold, ``off`` never.
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
#: The same with the judge's P(yes) as a sixth feature (bench/fit_gate.py --limit 40 --judge --budget 1650).
#: 2026-12-02: 176 dev questions judged (149 answerable); the judge alone AUC 0.49, the gate with it
#: 0.694 against 0.695 without; its weight came out slightly negative: no signal, so it is off by default.
JUDGE_WEIGHTS = {"bias": -0.155, "coverage": 2.776, "similarity": 0.563, "cross": 0.927, "product": 3.541,
                 "judge": -0.251}
JUDGE_THRESHOLD = 0.70
#: ``gate_judge = uncertain`` asks the judge only when the plain probability is this close to THRESHOLD.
BAND = 0.1
NAMES = ("bias", "coverage", "similarity", "cross", "product")


@dataclass(frozen=True)
class GateFeatures:
    coverage: float
    similarity: float
    cross: bool
    product: bool
    #: The judge's P(yes), or None when it was not asked.
    judge: float | None = None

    def vector(self) -> list[float]:
        return [1.0, self.coverage, self.similarity, float(self.cross), float(self.product)]


def features(coverages: Sequence[float], similarities: Sequence[float], cross: bool, product: bool) -> GateFeatures:
    return GateFeatures(max(coverages, default=0.0), max(similarities, default=0.0), cross, product)


def probability(f: GateFeatures, weights: dict[str, float] | None = None) -> float:
    """P(answerable): with the judge's weights when the judge was asked, else the plain ones."""
    w = weights or (WEIGHTS if f.judge is None else JUDGE_WEIGHTS)
    z = sum(w[name] * x for name, x in zip(NAMES, f.vector(), strict=True))
    if f.judge is not None:
        z += w.get("judge", 0.0) * f.judge
    return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z))))


def answerable(f: GateFeatures) -> bool:
    return probability(f) >= (THRESHOLD if f.judge is None else JUDGE_THRESHOLD)


def wants_judge(f: GateFeatures, mode: str) -> bool:
    """Whether to ask the judge about ``f`` under ``Settings.gate_judge`` (``on``, ``uncertain``, ``off``)."""
    if mode == "on":
        return True
    return mode == "uncertain" and abs(probability(f) - THRESHOLD) < BAND
