"""Fit the answerability gate (frontdesk/answer/gate.py) on development data only.

    python bench/fit_gate.py [--limit N]

Development data: integreat-qa's train and dev splits (German and English; per city and
language the split's pages are one agent's documents, the questions asked without their page;
label: the page answers it or not) and the dev sample businesses (examples/businesses/dev/*;
label: the case expects a decline or not). For each question the responder plans without a
model (search and evidence only) and records the gate's features. A logistic regression
(Newton's method, a little L2) is fit on them; the threshold is the highest that still lets
95% of the answerable questions through (the model's NO_ANSWER and the answer check stand
behind the gate for the rest). Prints the weights and the threshold to paste into gate.py, and the old gate's
figures on the same data beside the new one's.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.businesses import BUSINESSES, load_business  # noqa: E402
from bench.integreat import load, page_markdown  # noqa: E402
from frontdesk.answer import Responder  # noqa: E402
from frontdesk.answer.responder import Turn  # noqa: E402
from frontdesk.app import Frontdesk  # noqa: E402
from frontdesk.config import Settings  # noqa: E402

NAMES = ["bias", "coverage", "similarity", "cross", "product"]
KEEP = 0.95  # share of the answerable questions the gate must let through
OUT = Path(__file__).resolve().parent / "out"


def plan_rows(app: Frontdesk, agent_name: str, questions: list[tuple[str, bool]]) -> list[tuple[list[float], int, bool]]:
    responder = Responder(app.store, app.search_engine, app.settings, None)
    agent = app.agent(agent_name)
    rows = []
    for question, answerable in questions:
        plan = responder.plan(agent, question, Turn(), datetime.now(UTC))
        f = responder.gate_features(plan)
        # the hand-set gate this replaces (thresholds set on the sample business), for comparison
        old = bool(plan.evidence) and (f.coverage >= 0.5 or (f.coverage >= 0.25 and f.similarity >= 0.45)
                                       or (f.cross and f.similarity >= 0.5))
        rows.append((f.vector(), int(answerable), old))
    return rows


def integreat_rows(splits: list[str], limit: int) -> list[tuple[list[float], int, bool]]:
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


def business_rows() -> list[tuple[list[float], int, bool]]:
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--limit", type=int, default=0, help="at most N integreat questions per city and language")
    args = parser.parse_args()
    OUT.mkdir(exist_ok=True)
    rows = integreat_rows(["train", "dev"], args.limit) + business_rows()
    x = np.array([r[0] for r in rows])
    y = np.array([r[1] for r in rows], dtype=float)
    old = np.array([r[2] for r in rows])
    (OUT / "gate-features.json").write_text(json.dumps(rows))
    w = fit(x, y)
    p = 1 / (1 + np.exp(-x @ w))
    # The gate is the first of three lines (then the model's NO_ANSWER, then the check): it may
    # lose at most KEEP's complement of the answerable questions, and declines what it can beyond.
    best = max(t for t in np.linspace(0.01, 0.99, 99) if rates(p >= t, y)[0] >= KEEP)
    kept, declined = rates(p >= best, y)
    old_kept, old_declined = rates(old, y)
    print(f"{len(rows)} questions, {int(y.sum())} answerable")
    print("WEIGHTS = " + json.dumps({n: round(float(v), 3) for n, v in zip(NAMES, w, strict=True)}))
    print(f"THRESHOLD = {best:.2f}")
    print(f"fit gate: answerable kept {kept:.1%}, unanswerable declined {declined:.1%}")
    print(f"old gate: answerable kept {old_kept:.1%}, unanswerable declined {old_declined:.1%}")
    for t in (0.3, 0.4, 0.5, 0.6, 0.7, 0.8):
        k, d = rates(p >= t, y)
        print(f"  threshold {t:.1f}: answerable kept {k:.1%}, unanswerable declined {d:.1%}")


if __name__ == "__main__":
    main()
