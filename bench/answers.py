"""Answer quality and speed on the sample business, per model (issue 3's benchmark).

    python bench/answers.py [--models default,qwen2.5-1.5b,qwen2.5-0.5b,smollm2-135m] [--runtime xllamacpp]

``default`` is what a user gets: the default model, with the fast model phrasing the plain
questions (FRONTDESK_FAST_MODEL=auto); a model's own name has it phrase every answer.
For each: the 42 questions of frontdesk/examples/harbor-coffee/questions.yaml, answered one by one
after a warm-up (the agent's prompt in llama.cpp's cache, as in a running server). Prints
accuracy with its 95% Wilson interval, the unsupported-fact rate, decline precision/recall,
time to first text and to the full answer (p50/p95), and the platform's own overhead
(everything but generation, p50/p99). Writes bench/out/answers-<model>.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import tempfile
from datetime import date
from pathlib import Path

from frontdesk.app import Frontdesk
from frontdesk.config import Settings
from frontdesk.errors import NotFound
from frontdesk.evaluation.cases import evaluate, load_cases

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "frontdesk" / "examples" / "harbor-coffee"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--models", default="default,qwen2.5-1.5b,qwen2.5-0.5b,smollm2-135m")
    parser.add_argument("--runtime", default="xllamacpp")
    args = parser.parse_args()
    out = ROOT / "bench" / "out"
    out.mkdir(parents=True, exist_ok=True)
    models_home = Path(os.environ.get("FRONTDESK_HOME", Path.home() / ".local/share/frontdesk"))
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings.from_env({"FRONTDESK_HOME": tmp}, llm_runtime=args.runtime)
        app = Frontdesk(settings)
        app.create_agent("harbor", persona="Harbor Coffee Roasters' friendly barista.",
                         instructions=(SAMPLE / "policy.md").read_text())
        for name in ("site", "faq.csv", "catalog.csv"):
            app.add_source("harbor", str(SAMPLE / name))
        (Path(tmp) / "models").symlink_to(models_home / "models", target_is_directory=True) \
            if (models_home / "models").is_dir() else None
        cases = load_cases(SAMPLE / "questions.yaml")
        print(f"# {date.today()} {platform.machine()} {os.cpu_count()} cores, runtime {args.runtime}, {len(cases)} questions")
        for name in args.models.split(","):
            try:
                responder = app.responder(None if name == "default" else name)
            except NotFound as exc:
                print(f"{name}: skipped ({exc})")
                continue
            agent = app.agent("harbor")
            responder.warm_up(agent)
            report = evaluate(responder, app.store, agent, cases, settings.timezone)
            (out / f"answers-{name}.json").write_text(json.dumps(report, indent=1, ensure_ascii=False))
            low, high = report["accuracy_ci"]
            print(f"{name}: accuracy {report['accuracy']:.1%} [{low:.1%}, {high:.1%}] "
                  f"unsupported {report['unsupported_fact_rate']:.1%} "
                  f"decline P/R {report['decline_precision']:.2f}/{report['decline_recall']:.2f} "
                  f"first text p50/p95 {report['first_text_p50_s']:.2f}/{report['first_text_p95_s']:.2f} s "
                  f"full p50/p95 {report['latency_p50_s']:.2f}/{report['latency_p95_s']:.2f} s "
                  f"overhead p50/p99 {report['overhead_p50_s'] * 1000:.0f}/{report['overhead_p99_s'] * 1000:.0f} ms "
                  f"phrased by the model {report['model_phrased_rate']:.0%} {report['phrased_by']} ({report['model']})")
            for case in report["cases"]:
                if not case["passed"]:
                    print(f"   FAIL {case['question']!r}: {'; '.join(case['reasons'])} -> {case['answer'][:120]!r}")
        app.close()


if __name__ == "__main__":
    main()
