"""Answers on whole sample businesses, per business and per split (issue 14's benchmark).

    python bench/businesses.py [FOLDER ...] [--split dev|test|all] [--limit N] [--baseline] [--model NAME]

Each folder (default: every folder under examples/businesses/<split>/) holds ``business.yaml``:
``name, persona, instructions`` (a file), ``language, timezone, currency``, ``sources``
(``[{path, kind?}]``, relative to the folder) and ``questions`` (a cases file in the
``frontdesk eval`` format, or the cases inline). Each business becomes an agent in a fresh
FRONTDESK_HOME (the models directory of $FRONTDESK_HOME is linked in, so models are assembled
once), its sources are added, and its questions run through the same path as
``frontdesk ask AGENT Q --json`` and ``frontdesk eval`` (Responder.answer, then eval's checks
and its independent unsupported-fact check).

Printed per business and per split: accuracy with its 95% Wilson interval; wrong facts
(answers the independent check flags: a value no source gives, a dropped condition, a value
bound to the wrong entity, a self-contradiction); answerable questions declined; unanswerable
questions declined; German questions answered in German (the answer text's language, not the
label); first-text and full-answer p50. ``--baseline`` runs bench/baseline.py's plain RAG
pipeline on the same questions and model beside it. Writes bench/out/businesses-<split>.json.

The dev/test rule: tune on dev; run test only once the design is frozen, and report both.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import tempfile
from datetime import date
from pathlib import Path
from typing import Any

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import commit, machine  # noqa: E402
from frontdesk.app import Frontdesk  # noqa: E402
from frontdesk.config import Settings  # noqa: E402
from frontdesk.evaluation.cases import Case, load_cases, run_case, source_corpus, wilson  # noqa: E402
from frontdesk.search.text import detect_language  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
BUSINESSES = ROOT / "examples" / "businesses"


def load_business(folder: Path) -> tuple[dict[str, Any], list[Case]]:
    spec = yaml.safe_load((folder / "business.yaml").read_text(encoding="utf-8"))
    questions = spec.get("questions") or "questions.yaml"
    if isinstance(questions, str):
        cases = load_cases(folder / questions)
    else:
        tmp = Path(tempfile.mkstemp(suffix=".yaml")[1])
        tmp.write_text(yaml.safe_dump(questions, allow_unicode=True), encoding="utf-8")
        cases = load_cases(tmp)
        tmp.unlink()
    return spec, cases


def answer_language(text: str) -> str:
    return detect_language(text, "en")


def summarise(rows: list[dict[str, Any]]) -> dict[str, Any]:
    answerable = [r for r in rows if not r["decline"]]
    unanswerable = [r for r in rows if r["decline"]]
    german = [r for r in rows if r["language"] == "de"]
    passed = sum(r["passed"] for r in rows)
    passed_answerable = sum(r["passed"] for r in answerable)
    low, high = wilson(passed, len(rows))
    alow, ahigh = wilson(passed_answerable, len(answerable))
    firsts = [r["first_text_s"] for r in rows]
    totals = [r["total_s"] for r in rows]
    return {
        "questions": len(rows), "passed": passed, "accuracy": passed / len(rows) if rows else 0.0,
        "accuracy_ci": [low, high],
        "answerable": len(answerable), "answerable_correct": passed_answerable,
        "answerable_accuracy": passed_answerable / len(answerable) if answerable else 0.0,
        "answerable_ci": [alow, ahigh],
        "wrong_facts": sum(bool(r["unsupported"]) for r in rows),
        "declined_answerable": sum(r["declined"] for r in answerable),
        "unanswerable": len(unanswerable),
        "declined_unanswerable": sum(r["declined"] for r in unanswerable),
        "german": len(german), "german_in_german": sum(r["answer_language"] == "de" for r in german),
        "first_text_p50_s": statistics.median(firsts) if firsts else 0.0,
        "total_p50_s": statistics.median(totals) if totals else 0.0,
    }


def line(name: str, s: dict[str, Any]) -> str:
    return (f"{name}: correct {s['passed']}/{s['questions']} = {s['accuracy']:.1%} "
            f"[{s['accuracy_ci'][0]:.1%}, {s['accuracy_ci'][1]:.1%}]; answerable "
            f"{s['answerable_correct']}/{s['answerable']} [{s['answerable_ci'][0]:.1%}, {s['answerable_ci'][1]:.1%}]; "
            f"wrong facts {s['wrong_facts']}; declined answerable {s['declined_answerable']}/{s['answerable']}; "
            f"declined unanswerable {s['declined_unanswerable']}/{s['unanswerable']}; "
            f"German in German {s['german_in_german']}/{s['german']}; "
            f"first text p50 {s['first_text_p50_s']:.2f} s; full p50 {s['total_p50_s']:.2f} s")


def run_business(folder: Path, args: argparse.Namespace, models_dir: Path | None) -> dict[str, list[dict[str, Any]]]:
    spec, cases = load_business(folder)
    if args.limit and len(cases) > args.limit:  # a seeded sample across the categories, in file order
        keep = set(random.Random(args.seed).sample(range(len(cases)), args.limit))
        cases = [c for i, c in enumerate(cases) if i in keep]
    out: dict[str, list[dict[str, Any]]] = {}
    with tempfile.TemporaryDirectory(prefix="fd-business-") as tmp:
        if models_dir is not None and models_dir.is_dir():
            (Path(tmp) / "models").symlink_to(models_dir, target_is_directory=True)
        env = {"FRONTDESK_HOME": tmp, "FRONTDESK_TIMEZONE": spec.get("timezone") or "Europe/Berlin"}
        if args.fast_model:
            env["FRONTDESK_FAST_MODEL"] = args.fast_model
        settings = Settings.from_env(env)
        app = Frontdesk(settings)
        instructions = ""
        if spec.get("instructions"):
            path = folder / spec["instructions"]
            instructions = path.read_text(encoding="utf-8") if path.is_file() else str(spec["instructions"])
        name = folder.name
        app.create_agent(name, persona=spec.get("persona") or "", instructions=instructions)
        for source in spec.get("sources") or []:
            source = {"path": source} if isinstance(source, str) else source
            app.add_source(name, str(folder / source["path"]), kind=source.get("kind"), index=False)
        app.build_index(name)
        agent = app.agent(name)
        systems = [] if args.only_baseline else [("frontdesk", app.responder(args.model))]
        if args.baseline or args.only_baseline:
            from bench.baseline import BaselineResponder
            from frontdesk.llm import get_model

            systems.append(("baseline", BaselineResponder(app.search_engine,
                                                          get_model(settings, args.model or settings.model))))
        from datetime import UTC, datetime
        corpus = source_corpus(app.store, agent, datetime.now(UTC))
        for label, responder in systems:
            responder.warm_up(agent)
            rows = []
            for case in cases:
                result = run_case(responder, app.store, agent, case, corpus, settings.timezone)
                answer = result.answer
                declined = answer.handoff and not answer.grounded
                language = case.language or answer_language(case.question)
                rows.append({
                    "business": name, "question": case.question, "category": case.category,
                    "decline": case.decline, "language": language, "passed": result.passed,
                    "reasons": result.reasons, "answer": answer.answer, "declined": declined,
                    "unsupported": result.unsupported, "mode": answer.mode, "model": answer.model,
                    "problems": answer.problems,
                    "answer_language": answer_language(answer.answer),
                    "first_text_s": answer.timings.get("first_text_s", 0.0),
                    "total_s": answer.timings.get("total_s", 0.0),
                })
                if args.verbose and not result.passed:
                    print(f"   {label} FAIL {case.question!r}: {'; '.join(result.reasons)} -> {answer.answer[:160]!r}",
                          flush=True)
            out[label] = rows
        app.close()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("folders", nargs="*", type=Path)
    parser.add_argument("--split", default="dev", help="dev, test or all (used when no folder is given)")
    parser.add_argument("--limit", type=int, default=0, help="a seeded sample of at most N questions per business")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--baseline", action="store_true", help="also run the plain RAG baseline")
    parser.add_argument("--only-baseline", action="store_true", help="run only the baseline")
    parser.add_argument("--model", default=None, help="a model to phrase everything (default: the default pair)")
    parser.add_argument("--fast-model", default=None)
    parser.add_argument("-v", "--verbose", action="store_true", help="print each failed question")
    args = parser.parse_args()
    folders = args.folders
    if not folders:
        splits = ["dev", "test"] if args.split == "all" else [args.split]
        folders = sorted(p.parent for s in splits for p in (BUSINESSES / s).glob("*/business.yaml"))
    home = Path(os.environ.get("FRONTDESK_HOME", Path.home() / ".local/share/frontdesk"))
    print(f"# {date.today()} commit {commit()} {machine()}; {len(folders)} businesses", flush=True)
    everything: dict[str, list[dict[str, Any]]] = {}
    by_split: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for folder in folders:
        results = run_business(folder, args, home / "models")
        split = folder.parent.name if folder.parent.name in ("dev", "test") else "dev"
        for label, rows in results.items():
            everything.setdefault(label, []).extend(rows)
            by_split.setdefault((label, split), []).extend(rows)
            print(line(f"{label} {split}/{folder.name}", summarise(rows)), flush=True)
    summary = {f"{label} {split}": summarise(rows) for (label, split), rows in by_split.items()}
    for key, s in summary.items():
        print(line(key, s))
    out = ROOT / "bench" / "out"
    out.mkdir(parents=True, exist_ok=True)
    name = args.split if not args.folders else "selected"
    (out / f"businesses-{name}.json").write_text(json.dumps({"summary": summary, "rows": everything}, indent=1,
                                                             ensure_ascii=False))


if __name__ == "__main__":
    main()
