"""Does the answer's evidence hold what a correct answer needs? A probe without the model.

    python bench/evidence_recall.py [FOLDER ...] [--split dev|test] [--variants current,passages,baseline]

For every answerable question of the sample businesses whose ``expect`` patterns all match
somewhere in the business's sources (patterns that only test phrasing, "yes|we have", are left
out question by question), it plans the answer as the responder does (search, evidence, the
gate) and asks whether the text the model would be given matches all of them: the evidence
recall. Side by side, in the same run, the same question's text under other evidence policies:

- ``current``: what the responder gives the model today (its evidence sentences and facts);
- ``baseline``: bench/baseline.py's top-4 search hits, whole;
- ``quote``: what the evidence fallback would quote (the best passage's chosen sentences);
- ``passages``: the whole passages the responder's evidence sentences come from;
- ``hits:K``: the top K search hits, whole;
- ``set:NAME=VALUE+NAME=VALUE``: the responder's evidence with its constants changed for the
  question (``set:EVIDENCE_SENTENCES=6+SENTENCE_BAND=0``).

Printed per split: recall with its 95% interval, the gate's share let through, and the mean
number of characters the model would read (prompt processing on 2 cores grows with it, so
recall is bought with time to first text). The dev/test rule holds: tune on dev, report test.
"""

from __future__ import annotations

import argparse
import re
import statistics
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.baseline import TOP_K  # noqa: E402
from bench.businesses import BUSINESSES, load_business  # noqa: E402
from bench.common import commit, machine  # noqa: E402
from frontdesk.answer import Responder  # noqa: E402
from frontdesk.answer import responder as responder_module  # noqa: E402
from frontdesk.answer.responder import Turn  # noqa: E402
from frontdesk.app import Frontdesk  # noqa: E402
from frontdesk.config import Settings  # noqa: E402
from frontdesk.evaluation.cases import source_corpus, wilson  # noqa: E402

VARIANTS = ("current", "quote", "passages", "baseline")


def matches(patterns: list[str], text: str) -> bool:
    return all(re.search(p, text, re.I) for p in patterns)


def variant_text(name: str, responder: Responder, plan: Any, agent: Any, question: str) -> str:
    if name.startswith("set:"):  # set:NAME=VALUE+NAME=VALUE, the responder's constants for one plan
        saved = {}
        for assignment in name[4:].split("+"):
            key, value = assignment.split("=")
            old = getattr(responder_module, key)
            saved.setdefault(key, old)
            setattr(responder_module, key, value == "1" if isinstance(old, bool) else type(old)(float(value)))
        try:
            plan = responder.plan(agent, question, Turn(), datetime.now(UTC))
        finally:
            for key, old in saved.items():
                setattr(responder_module, key, old)
        return variant_text("current", responder, plan, agent, question)
    if name.startswith("hits:"):
        hits = responder.engine.search(agent, question, limit=int(name[5:]))
        return "\n\n".join(f"{h.item.title}\n{h.item.text}" for h in hits)
    if name == "quote":  # what the evidence fallback quotes: the best passage's sentences, or the facts
        documents = [e for e in plan.evidence if not e.is_product]
        return "\n".join([*(documents[0].sentences if documents else []), *plan.schedule]) if plan.answerable else ""
    if name == "current":
        return "\n".join([*(e.text() for e in plan.evidence), *plan.facts]) if plan.answerable else ""
    if name == "passages":
        return "\n".join([*(e.item.text if not e.is_product else e.text() for e in plan.evidence), *plan.facts]) \
            if plan.answerable else ""
    if name == "baseline":
        hits = responder.engine.search(agent, question, limit=TOP_K)
        return "\n\n".join(f"{h.item.title}\n{h.item.text}" for h in hits)
    raise SystemExit(f"unknown variant {name!r}: use {', '.join(VARIANTS)}")


def probe_business(folder: Path, variants: list[str], models: Path | None) -> list[dict[str, Any]]:
    spec, cases = load_business(folder)
    rows = []
    with tempfile.TemporaryDirectory(prefix="fd-recall-") as tmp:
        if models is not None and models.is_dir():
            (Path(tmp) / "models").symlink_to(models, target_is_directory=True)
        settings = Settings.from_env({"FRONTDESK_HOME": tmp,
                                      "FRONTDESK_TIMEZONE": spec.get("timezone") or "Europe/Berlin"})
        app = Frontdesk(settings)
        name = folder.name
        app.create_agent(name, persona=spec.get("persona") or "")
        for source in spec.get("sources") or []:
            source = {"path": source} if isinstance(source, str) else source
            app.add_source(name, str(folder / source["path"]), kind=source.get("kind"), index=False)
        app.build_index(name)
        agent = app.agent(name)
        corpus = source_corpus(app.store, agent, datetime.now(UTC))
        responder = Responder(app.store, app.search_engine, app.settings, None)
        for case in cases:
            if len(case.turns) > 1:
                continue
            if case.decline:
                plan = responder.plan(agent, case.question, Turn(), datetime.now(UTC))
                rows.append({"business": name, "question": case.question, "decline": True,
                             "answerable": plan.answerable})
                continue
            patterns = [p for p in case.expect if re.search(p, corpus, re.I)]
            if not patterns:
                continue
            plan = responder.plan(agent, case.question, Turn(), datetime.now(UTC))
            row: dict[str, Any] = {"business": name, "question": case.question, "patterns": patterns, "decline": False,
                                   "answerable": plan.answerable}
            for variant in variants:
                text = variant_text(variant, responder, plan, agent, case.question)
                row[variant] = matches(patterns, text)
                row[variant + "_chars"] = len(text)
            rows.append(row)
        app.close()
    return rows


def report(label: str, rows: list[dict[str, Any]], variants: list[str]) -> None:
    unanswerable = [r for r in rows if r["decline"]]
    rows = [r for r in rows if not r["decline"]]
    n = len(rows)
    through = sum(r["answerable"] for r in rows)
    print(f"{label}: {n} answerable questions with checkable patterns; the gate lets {through}/{n} through, and """
          f"{sum(r['answerable'] for r in unanswerable)}/{len(unanswerable)} unanswerable ones")
    for variant in variants:
        k = sum(r[variant] for r in rows)
        low, high = wilson(k, n)
        chars = statistics.mean(r[variant + "_chars"] for r in rows) if rows else 0.0
        print(f"  {variant:9s} recall {k}/{n} = {k / n if n else 0:.1%} [{low:.1%}, {high:.1%}]; "
              f"mean {chars:.0f} characters")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("folders", nargs="*", type=Path)
    parser.add_argument("--split", default="dev")
    parser.add_argument("--variants", default=",".join(VARIANTS))
    parser.add_argument("-v", "--verbose", action="store_true", help="print the questions the current evidence misses")
    args = parser.parse_args()
    variants = [v for v in args.variants.split(",") if v]
    folders = args.folders or sorted(p.parent for p in (BUSINESSES / args.split).glob("*/business.yaml"))
    import os
    home = Path(os.environ.get("FRONTDESK_HOME", Path.home() / ".local/share/frontdesk"))
    print(f"# {datetime.now(UTC):%Y-%m-%d} commit {commit()} {machine()}")
    everything = []
    for folder in folders:
        rows = probe_business(folder, variants, home / "models")
        report(folder.name, rows, variants)
        if args.verbose:
            for r in rows:
                if not r["decline"] and not r[variants[0]]:
                    print(f"    miss {r['question']!r} {r['patterns']} gate={'through' if r['answerable'] else 'declined'}"
                          + "".join(f" {v}={'hit' if r[v] else 'miss'}" for v in variants[1:]))
        everything += rows
    report(f"all {args.split}", everything, variants)


if __name__ == "__main__":
    main()
