"""Fit the answerability gate (frontdesk/answer/gate.py) on development data only.

    python bench/fit_gate.py [--limit N] [--judge] [--saved]

Development data: integreat-qa's train and dev splits (German and English; per city and
language the split's pages are one agent's documents, the questions asked without their page;
label: the page answers it or not) and the dev sample businesses (examples/businesses/dev/*;
label: the case expects a decline or not). For each question the responder plans without a
model (search and evidence only) and records the gate's features. A logistic regression
(Newton's method, a little L2) is fit on them; the threshold is the highest that still lets
95% of the answerable questions through (the model's NO_ANSWER and the answer check stand
behind the gate for the rest). Prints the weights and the threshold to paste into gate.py, and the old gate's
figures on the same data beside the new one's.

``--judge`` adds the packaged fast model's P(yes) to "Does the text answer the question?" over
the chosen evidence (answer/judge.py) as a feature, fits the gate with and without it, and
reports the judge's latency per question. Judgements are cached in bench/out/judge-cache.json
(by prompt), so a refit asks the model only about new prompts; ``--saved`` refits on the rows
of the last run (bench/out/gate-features.json) without planning again.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.businesses import BUSINESSES, load_business  # noqa: E402
from bench.integreat import load, page_markdown  # noqa: E402
from frontdesk.answer import Responder, judge  # noqa: E402
from frontdesk.answer.responder import Turn  # noqa: E402
from frontdesk.app import Frontdesk  # noqa: E402
from frontdesk.config import Settings  # noqa: E402
from frontdesk.llm import AUTO_FAST_MODEL, get_model  # noqa: E402

NAMES = ["bias", "coverage", "similarity", "cross", "product"]
KEEP = 0.95  # share of the answerable questions the gate must let through
OUT = Path(__file__).resolve().parent / "out"
BANDS = (0.05, 0.1, 0.15, 0.2)  # judge only when the plain gate's probability is this close to its threshold

Row = dict  # {"x": features, "y": 1 answerable, "old": hand-set gate kept it, "question", "evidence"}


def plan_rows(app: Frontdesk, agent_name: str, questions: list[tuple[str, bool]]) -> list[Row]:
    responder = Responder(app.store, app.search_engine, app.settings, None)
    agent = app.agent(agent_name)
    rows = []
    for question, answerable in questions:
        plan = responder.plan(agent, question, Turn(), datetime.now(UTC))
        f = responder.gate_features(plan)
        # the hand-set gate this replaces (thresholds set on the sample business), for comparison
        old = bool(plan.evidence) and (f.coverage >= 0.5 or (f.coverage >= 0.25 and f.similarity >= 0.45)
                                       or (f.cross and f.similarity >= 0.5))
        rows.append({"x": f.vector(), "y": int(answerable), "old": old, "question": question,
                     "evidence": [e.text() for e in plan.evidence]})
    return rows


def integreat_rows(splits: list[str], limit: int) -> list[Row]:
    rows = []
    for language in ("de", "en"):
        records = [r for split in splits for r in load(split, language)]
        for city in sorted({r["city"] for r in records}):
            mine = [r for r in records if r["city"] == city]
            questions = mine if not limit or len(mine) <= limit else random.Random(7).sample(mine, limit)
            with tempfile.TemporaryDirectory() as tmp:
                pages = Path(tmp) / "pages"
                pages.mkdir()
                for record in {r["pageId"]: r for r in mine}.values():
                    (pages / f"{record['pageId']}.md").write_text(page_markdown(record["context"]), encoding="utf-8")
                app = Frontdesk(Settings.from_env({"FRONTDESK_HOME": tmp}))
                app.create_agent("city")
                app.add_source("city", str(pages))
                rows += plan_rows(app, "city", [(r["question"], bool(r["answers"])) for r in questions])
                app.close()
            print(f"integreat {city}/{language}: {len(questions)} questions", flush=True)
    return rows


def business_rows() -> list[Row]:
    rows = []
    for folder in sorted(p.parent for p in (BUSINESSES / "dev").glob("*/business.yaml")):
        spec, cases = load_business(folder)
        with tempfile.TemporaryDirectory() as tmp:
            app = Frontdesk(Settings.from_env({"FRONTDESK_HOME": tmp, "FRONTDESK_TIMEZONE": spec.get("timezone") or "Europe/Berlin"}))
            app.create_agent("b")
            for source in spec.get("sources") or []:
                source = {"path": source} if isinstance(source, str) else source
                app.add_source("b", str(folder / source["path"]), kind=source.get("kind"), index=False)
            app.build_index("b")
            rows += plan_rows(app, "b", [(c.question, not c.decline) for c in cases if len(c.turns) == 1])
            app.close()
        print(f"business {folder.name}: {len(cases)} cases", flush=True)
    return rows


def fit(x: np.ndarray, y: np.ndarray, l2: float = 1e-2) -> np.ndarray:
    w = np.zeros(x.shape[1])
    for _ in range(50):
        p = 1 / (1 + np.exp(-x @ w))
        gradient = x.T @ (p - y) + l2 * w
        hessian = x.T @ (x * (p * (1 - p))[:, None]) + l2 * np.eye(x.shape[1])
        step = np.linalg.solve(hessian, gradient)
        w -= step
        if np.abs(step).max() < 1e-8:
            break
    return w


def rates(keep: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    return float(keep[y == 1].mean()), float((~keep[y == 0]).mean())


def auc(score: np.ndarray, y: np.ndarray) -> float:
    """The chance that an answerable question scores above an unanswerable one (ties count half)."""
    pos, neg = score[y == 1], score[y == 0]
    return float(((pos[:, None] > neg[None, :]).sum() + 0.5 * (pos[:, None] == neg[None, :]).sum())
                 / (len(pos) * len(neg)))


def threshold(p: np.ndarray, y: np.ndarray) -> float:
    # The gate is the first of three lines (then the model's NO_ANSWER, then the check): it may
    # lose at most KEEP's complement of the answerable questions, and declines what it can beyond.
    return float(max(t for t in np.linspace(0.01, 0.99, 99) if rates(p >= t, y)[0] >= KEEP))


def judged(rows: list[Row], budget: float) -> tuple[list[float | None], list[float]]:
    """P(yes) for each row (0 without evidence: the gate declines those anyway; None when the
    time budget ran out first) and the seconds of each judgement not found in the cache. Rows
    are judged in a seeded random order, so the judged part of a cut run is a random sample."""
    cache_file = OUT / "judge-cache.json"
    cache: dict[str, float] = json.loads(cache_file.read_text()) if cache_file.exists() else {}
    model = None
    out: list[float | None] = [None] * len(rows)
    seconds: list[float] = []
    order = list(range(len(rows)))
    random.Random(7).shuffle(order)
    started_all = time.perf_counter()
    for number, index in enumerate(order, start=1):
        row = rows[index]
        if not row["evidence"]:
            out[index] = 0.0
            continue
        messages = judge.messages(row["question"], row["evidence"])
        key = hashlib.sha256(json.dumps(messages).encode()).hexdigest()
        if key not in cache and budget and time.perf_counter() - started_all > budget:
            continue
        if key not in cache:
            if model is None:
                home = os.environ.get("FRONTDESK_HOME") or str(OUT / "home")
                model = get_model(Settings.from_env({"FRONTDESK_HOME": home}), AUTO_FAST_MODEL)
            started = time.perf_counter()
            cache[key] = judge.judge(model, row["question"], row["evidence"])  # type: ignore[arg-type]
            seconds.append(time.perf_counter() - started)
            if len(seconds) % 25 == 0:
                cache_file.write_text(json.dumps(cache))
                print(f"judged {number}/{len(rows)}, p50 {np.median(seconds):.2f} s", flush=True)
        out[index] = cache[key]
    cache_file.write_text(json.dumps(cache))
    return out, seconds


def report(name: str, x: np.ndarray, y: np.ndarray, names: list[str]) -> tuple[np.ndarray, float, np.ndarray]:
    w = fit(x, y)
    p = 1 / (1 + np.exp(-x @ w))
    best = threshold(p, y)
    kept, declined = rates(p >= best, y)
    print(f"{name}: AUC {auc(p, y):.3f}, THRESHOLD = {best:.2f}: answerable kept {kept:.1%}, "
          f"unanswerable declined {declined:.1%}")
    print("  WEIGHTS = " + json.dumps({n: round(float(v), 3) for n, v in zip(names, w, strict=True)}))
    return w, best, p


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--limit", type=int, default=0, help="at most N integreat questions per city and language")
    parser.add_argument("--judge", action="store_true", help="add the fast model's P(yes) as a feature")
    parser.add_argument("--saved", action="store_true", help="refit on bench/out/gate-features.json")
    parser.add_argument("--budget", type=float, default=0, help="stop asking the judge after this many seconds "
                        "and compare both gates on the questions judged by then")
    args = parser.parse_args()
    OUT.mkdir(exist_ok=True)
    saved = OUT / "gate-features.json"
    rows = json.loads(saved.read_text()) if args.saved else integreat_rows(["train", "dev"], args.limit) + business_rows()
    saved.write_text(json.dumps(rows))
    x = np.array([r["x"] for r in rows])
    y = np.array([r["y"] for r in rows], dtype=float)
    old = np.array([r["old"] for r in rows])
    print(f"{len(rows)} questions, {int(y.sum())} answerable")
    w, best, p = report("fit gate", x, y, NAMES)
    old_kept, old_declined = rates(old, y)
    print(f"old gate: answerable kept {old_kept:.1%}, unanswerable declined {old_declined:.1%}")
    for t in (0.3, 0.4, 0.5, 0.6, 0.7, 0.8):
        k, d = rates(p >= t, y)
        print(f"  threshold {t:.1f}: answerable kept {k:.1%}, unanswerable declined {d:.1%}")
    if not args.judge:
        return
    scores, seconds = judged(rows, args.budget)
    done = np.array([s is not None for s in scores])
    if not done.all():
        print(f"time budget: {int(done.sum())} of {len(rows)} questions judged; both gates on those:")
        x, y, scores = x[done], y[done], [s for s in scores if s is not None]
        w, best, p = report("fit gate", x, y, NAMES)
    j = np.array(scores, dtype=float)
    has = np.array([bool(r["evidence"]) for r, d in zip(rows, done, strict=True) if d])
    print(f"judge alone (questions with evidence): AUC {auc(j[has], y[has]):.3f}")
    if seconds:
        print(f"judge latency per question: p50 {np.median(seconds):.2f} s, p95 {np.percentile(seconds, 95):.2f} s "
              f"({len(seconds)} judged now)")
    xj = np.column_stack([x, j])
    _, best_j, pj = report("fit gate + judge", xj, y, [*NAMES, "judge"])
    for band in BANDS:
        # the plain gate decides outside the band; inside it, the gate with the judge does
        near = np.abs(p - best) < band
        keep = np.where(near, pj >= best_j, p >= best)
        k, d = rates(keep, y)
        print(f"  judge only within {band:.2f} of the threshold: {near.mean():.1%} of questions judged, "
              f"answerable kept {k:.1%}, unanswerable declined {d:.1%}")


if __name__ == "__main__":
    main()
