"""Grounded answers on real public-service pages nobody here wrote: integreat-qa (OMoS-QA).

    python bench/integreat.py [--split dev|test] [--languages de,en] [--limit N] [--seed 7] [--baseline]

Per city and language, the distinct page texts of the split become one agent's documents
(a Markdown file per page: its first line the title, one paragraph per sentence line); the
questions are then asked without their page, through the same path as ``frontdesk ask
--json`` (Responder.answer). Tune on ``dev`` (or ``train``); report ``test`` once.

The correctness criterion (automatic, decided before any tuning):

* An **unanswerable** question (``answers: []``) is correct when it is declined.
* An **answerable** question is correct when it is not declined and the answer is about the
  gold evidence: let G be the content-word stems of the gold answer sentences and A those of
  the answer, both without the question's own words. Correct when A shares at least
  ``min(3, |G|)`` stems with G and at least half of A is in G (the answer says the gold
  sentences' facts and little else).

Its weaknesses: a correct paraphrase in other words fails (the stems differ); an answer that
quotes the right sentences plus much unrelated text fails on precision; an answer built from a
neighbouring sentence that shares the gold sentences' words passes; "unanswerable" means "not
from this page", and with the whole split indexed another page may in fact answer it (those
count as failures here). So the figure is a lower bound on precision-like accuracy, not a
human judgement. Wrong facts: the independent check of ``frontdesk eval`` over the indexed
pages (a value no page gives, a dropped condition, a value bound to the wrong entity, a
self-contradiction).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import tempfile
from collections import defaultdict
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import commit, machine  # noqa: E402
from frontdesk.answer.verify import unsupported_claims  # noqa: E402
from frontdesk.app import Frontdesk  # noqa: E402
from frontdesk.config import Settings  # noqa: E402
from frontdesk.evaluation.cases import source_corpus, wilson  # noqa: E402
from frontdesk.search.text import detect_language, is_stopword, stems, tokens  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT.parent / "shared" / "data" / "integreat-qa"


def stem_set(text: str, language: str, drop: set[str] | None = None) -> set[str]:
    words = [t for t in tokens(text) if not is_stopword(t) and len(t) > 1]
    out = set(stems(words, language))
    return out - (drop or set())


def judge(record: dict[str, Any], answer_text: str, declined: bool, language: str) -> tuple[bool, str]:
    if not record["answers"]:
        return declined, "declined" if declined else "answered an unanswerable question"
    if declined:
        return False, "declined an answerable question"
    lines = record["context"].split("\n")
    gold = " ".join(lines[i] for i in record["answers"] if i < len(lines))
    question = stem_set(record["question"], language)
    g = stem_set(gold, language, question)
    a = stem_set(answer_text, language, question)
    shared = a & g
    need = min(3, len(g))
    if len(shared) < need:
        return False, f"shares {len(shared)} of the gold sentences' words (needs {need})"
    if a and len(shared) / len(a) < 0.5:
        return False, f"only {len(shared)}/{len(a)} of the answer's words are in the gold sentences"
    return True, "ok"


def load(split: str, language: str) -> list[dict[str, Any]]:
    path = DATA / language / f"{split}_{language}.jsonl"
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def page_markdown(context: str) -> str:
    lines = [line.strip() for line in context.split("\n") if line.strip()]
    title = lines[0] if lines else "page"
    body = lines[1:] if len(lines) > 1 and lines[1] == title else lines[1:]
    return f"# {title}\n\n" + "\n\n".join(body) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--split", default="dev")
    parser.add_argument("--languages", default="de,en")
    parser.add_argument("--limit", type=int, default=0, help="at most N questions per city and language (a seeded sample)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--baseline", action="store_true")
    parser.add_argument("--only-baseline", action="store_true")
    parser.add_argument("--model", default=None)
    parser.add_argument("-v", "--verbose", action="store_true")
    args = parser.parse_args()
    home = Path(os.environ.get("FRONTDESK_HOME", Path.home() / ".local/share/frontdesk"))
    print(f"# {date.today()} commit {commit()} {machine()}; integreat-qa {args.split}", flush=True)
    rows: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for language in args.languages.split(","):
        records = load(args.split, language)
        cities = sorted({r["city"] for r in records})
        for city in cities:
            mine = [r for r in records if r["city"] == city]
            questions = list(mine)
            if args.limit and len(questions) > args.limit:
                questions = random.Random(args.seed).sample(questions, args.limit)
            with tempfile.TemporaryDirectory(prefix="fd-integreat-") as tmp:
                pages = Path(tmp) / "pages"
                pages.mkdir()
                for record in {r["pageId"]: r for r in mine}.values():
                    (pages / f"{record['pageId']}.md").write_text(page_markdown(record["context"]), encoding="utf-8")
                if (home / "models").is_dir():
                    (Path(tmp) / "models").symlink_to(home / "models", target_is_directory=True)
                settings = Settings.from_env({"FRONTDESK_HOME": tmp, "FRONTDESK_TIMEZONE": "Europe/Berlin"})
                app = Frontdesk(settings)
                agent_name = f"{city}-{language}"
                app.create_agent(agent_name, persona=f"The migrant-information service of {city}.")
                app.add_source(agent_name, str(pages))
                agent = app.agent(agent_name)
                corpus = source_corpus(app.store, agent, datetime.now(UTC))
                systems = [] if args.only_baseline else [("frontdesk", app.responder(args.model))]
                if args.baseline or args.only_baseline:
                    from bench.baseline import BaselineResponder
                    from frontdesk.llm import get_model

                    systems.append(("baseline", BaselineResponder(app.search_engine,
                                                                  get_model(settings, args.model or settings.model))))
                for label, responder in systems:
                    responder.warm_up(agent)
                    for record in questions:
                        answer = responder.answer(agent, record["question"])
                        declined = answer.handoff and not answer.grounded
                        ok, why = judge(record, answer.answer, declined, language)
                        wrong = [] if declined else unsupported_claims(answer.answer, corpus, allow=record["question"],
                                                                       language=answer.language)
                        rows[label].append({
                            "id": record["id"], "city": city, "language": language, "question": record["question"],
                            "answerable": bool(record["answers"]), "correct": ok, "why": why, "declined": declined,
                            "answer": answer.answer, "wrong": wrong, "answer_language": detect_language(answer.answer, "en"),
                            "first_text_s": answer.timings.get("first_text_s", 0.0),
                            "total_s": answer.timings.get("total_s", 0.0)})
                        if args.verbose and not ok:
                            print(f"   {label} {city}/{language} FAIL {record['id']} {record['question']!r}: {why} -> "
                                  f"{answer.answer[:140]!r}", flush=True)
                app.close()
            for label in rows:
                part = [r for r in rows[label] if r["city"] == city and r["language"] == language]
                print(line(f"{label} {city}/{language}", part), flush=True)
    summary = {}
    for label, all_rows in rows.items():
        for language in args.languages.split(","):
            part = [r for r in all_rows if r["language"] == language]
            summary[f"{label} {language}"] = line(f"{label} {args.split} {language}", part)
            print(summary[f"{label} {language}"])
    out = ROOT / "bench" / "out"
    out.mkdir(parents=True, exist_ok=True)
    (out / f"integreat-{args.split}.json").write_text(json.dumps({"summary": summary, "rows": rows}, indent=1,
                                                                  ensure_ascii=False))


def line(name: str, rows: list[dict[str, Any]]) -> str:
    if not rows:
        return f"{name}: no questions"
    answerable = [r for r in rows if r["answerable"]]
    unanswerable = [r for r in rows if not r["answerable"]]
    correct = sum(r["correct"] for r in answerable)
    low, high = wilson(correct, len(answerable))
    declined_u = sum(r["declined"] for r in unanswerable)
    dlow, dhigh = wilson(declined_u, len(unanswerable))
    german = [r for r in rows if r["language"] == "de" and not r["declined"]]
    return (f"{name}: answerable correct {correct}/{len(answerable)} = {correct / max(1, len(answerable)):.1%} "
            f"[{low:.1%}, {high:.1%}]; unanswerable declined {declined_u}/{len(unanswerable)} [{dlow:.1%}, {dhigh:.1%}]; "
            f"declined answerable {sum(r['declined'] for r in answerable)}; wrong facts {sum(bool(r['wrong']) for r in rows)}; "
            f"German answers in German {sum(r['answer_language'] == 'de' for r in german)}/{len(german)}; "
            f"first text p50 {statistics.median(r['first_text_s'] for r in rows):.2f} s; "
            f"full p50 {statistics.median(r['total_s'] for r in rows):.2f} s")


if __name__ == "__main__":
    main()
