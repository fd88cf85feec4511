"""Comparing two stored evaluation runs honestly, and the shareable HTML report of a run.

Two runs of the same cases are compared case by case: a change in accuracy (or in the share of
answers with an unsupported fact) counts as real only when McNemar's exact test on the cases
that flipped says it is unlikely to be chance (p < 0.05). Runs over different case sets fall
back to the Newcombe interval for the difference of two proportions. Latency changes count when
a bootstrap 95% interval of the change in the median excludes zero.
"""

from __future__ import annotations

import math
import random
import statistics
from collections.abc import Callable
from importlib import resources
from typing import Any

import jinja2

from .cases import wilson

ALPHA = 0.05


def _key(case: dict[str, Any]) -> str:
    return "\n".join(case.get("turns") or [case["question"]])


def mcnemar(better: int, worse: int) -> float:
    """Two-sided exact McNemar p-value for ``better`` and ``worse`` discordant pairs."""
    n = better + worse
    if n == 0:
        return 1.0
    k = min(better, worse)
    tail = sum(math.comb(n, i) for i in range(k + 1)) / 2 ** n
    return min(1.0, 2 * tail)


def newcombe(passed_a: int, total_a: int, passed_b: int, total_b: int) -> tuple[float, float]:
    """95% interval of (share B - share A), Newcombe's hybrid score method."""
    pa, pb = passed_a / total_a, passed_b / total_b
    la, ua = wilson(passed_a, total_a)
    lb, ub = wilson(passed_b, total_b)
    d = pb - pa
    return (d - math.sqrt((pb - lb) ** 2 + (ua - pa) ** 2), d + math.sqrt((ub - pb) ** 2 + (pa - la) ** 2))


def _bootstrap_median_change(a: list[float], b: list[float], paired: bool, rounds: int = 2000) -> tuple[float, float]:
    rng = random.Random(0)
    changes = []
    for _ in range(rounds):
        if paired:
            picks = [rng.randrange(len(a)) for _ in a]
            changes.append(statistics.median(b[i] for i in picks) - statistics.median(a[i] for i in picks))
        else:
            changes.append(statistics.median(rng.choices(b, k=len(b))) - statistics.median(rng.choices(a, k=len(a))))
    changes.sort()
    return changes[int(0.025 * rounds)], changes[int(0.975 * rounds) - 1]


def _verdict(change: float, significant: bool, higher_is_better: bool = True) -> str:
    if not significant or change == 0:
        return "no change beyond noise"
    return "better" if (change > 0) == higher_is_better else "worse"


def compare(run_a: dict[str, Any], run_b: dict[str, Any]) -> dict[str, Any]:
    """What changed from run A to run B, and which changes are beyond noise."""
    a_cases = {_key(c): c for c in run_a["report"]["cases"]}
    b_cases = {_key(c): c for c in run_b["report"]["cases"]}
    common = [k for k in a_cases if k in b_cases]
    paired = len(common) == len(a_cases) == len(b_cases)
    fixed = [k for k in common if not a_cases[k]["passed"] and b_cases[k]["passed"]]
    broken = [k for k in common if a_cases[k]["passed"] and not b_cases[k]["passed"]]
    a_report, b_report = run_a["report"], run_b["report"]
    metrics: dict[str, Any] = {}

    def proportion(name: str, flag: Callable[[dict[str, Any]], Any], higher_is_better: bool) -> None:
        a_hits = sum(bool(flag(c)) for c in a_cases.values())
        b_hits = sum(bool(flag(c)) for c in b_cases.values())
        share_a, share_b = a_hits / len(a_cases), b_hits / len(b_cases)
        low, high = newcombe(a_hits, len(a_cases), b_hits, len(b_cases))
        if paired:
            up = sum(1 for k in common if not flag(a_cases[k]) and flag(b_cases[k]))
            down = sum(1 for k in common if flag(a_cases[k]) and not flag(b_cases[k]))
            p = mcnemar(up, down)
            significant = p < ALPHA
        else:
            p = None
            significant = low > 0 or high < 0
        metrics[name] = {"a": round(share_a, 4), "b": round(share_b, 4), "change": round(share_b - share_a, 4),
                         "change_ci": [round(low, 4), round(high, 4)], "p_value": None if p is None else round(p, 4),
                         "verdict": _verdict(share_b - share_a, significant, higher_is_better)}

    proportion("accuracy", lambda c: c["passed"], True)
    proportion("unsupported_fact_rate", lambda c: c["unsupported"], False)
    a_lat = [a_cases[k]["seconds"] for k in common] if paired else [c["seconds"] for c in a_cases.values()]
    b_lat = [b_cases[k]["seconds"] for k in common] if paired else [c["seconds"] for c in b_cases.values()]
    low, high = _bootstrap_median_change(a_lat, b_lat, paired)
    change = statistics.median(b_lat) - statistics.median(a_lat)
    metrics["latency_p50_s"] = {"a": a_report["latency_p50_s"], "b": b_report["latency_p50_s"],
                                "change": round(change, 3), "change_ci": [round(low, 3), round(high, 3)],
                                "p_value": None, "verdict": _verdict(change, low > 0 or high < 0, False)}
    dropped = [name for name in ("accuracy", "unsupported_fact_rate") if metrics[name]["verdict"] == "worse"]
    return {
        "a": {k: run_a[k] for k in ("id", "model", "label", "created_at", "passed", "total")},
        "b": {k: run_b[k] for k in ("id", "model", "label", "created_at", "passed", "total")},
        "same_cases": paired, "common_cases": len(common),
        "metrics": metrics,
        "fixed": [b_cases[k]["question"] for k in fixed], "broken": [b_cases[k]["question"] for k in broken],
        "dropped": dropped,
        "note": ("the two runs have different cases; only the common ones are paired, the shares are compared "
                 "with Newcombe's interval" if not paired else
                 "same cases: changes are judged case by case (McNemar's exact test, p < 0.05)"),
    }


# -- the HTML report -------------------------------------------------------------------------------

def _bars(by_category: dict[str, dict[str, int]]) -> list[dict[str, Any]]:
    bars = []
    for name, counts in by_category.items():
        low, high = wilson(counts["passed"], counts["total"])
        bars.append({"name": name, "passed": counts["passed"], "total": counts["total"],
                     "share": counts["passed"] / counts["total"] if counts["total"] else 0.0, "low": low, "high": high})
    return bars


def _histogram(values: list[float], bins: int = 12) -> list[dict[str, Any]]:
    if not values:
        return []
    top = max(values) or 1.0
    width = top / bins
    counts = [0] * bins
    for v in values:
        counts[min(bins - 1, int(v / width))] += 1
    return [{"from": i * width, "to": (i + 1) * width, "count": c} for i, c in enumerate(counts)]


def html_report(run: dict[str, Any], agent_name: str, runs: list[dict[str, Any]] | None = None) -> str:
    """A self-contained HTML page: the figures with their intervals, accuracy by category, the
    latency distribution, accuracy over the agent's runs, and every case with its answer."""
    report = run["report"]
    folder = resources.files("frontdesk.evaluation") / "templates"
    env = jinja2.Environment(loader=jinja2.FunctionLoader(lambda name: (folder / name).read_text(encoding="utf-8")),
                             autoescape=True)
    histogram = _histogram([c["seconds"] for c in report["cases"]])
    return env.get_template("eval_report.html").render(
        run=run, report=report, agent=agent_name, bars=_bars(report["by_category"]), histogram=histogram,
        histogram_max=max((h["count"] for h in histogram), default=1) or 1,
        history=list(reversed(runs or [])))
