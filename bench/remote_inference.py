"""First checked text and whole answers: the same model in-process and behind llama.cpp's server.

Both sides run the packaged ``qwen2.5-0.5b`` on the same threads, answering the same questions
of the sample business one at a time: in-process through xllamacpp, and through
``FRONTDESK_LLM_BASE_URL`` against ``frontdesk models serve`` in a process of its own (one slot,
as in-process). What differs is the HTTP hop, the server's own queueing and its separate
prompt cache. Results go to docs/benchmarks.md ("Remote inference").

    nice -n 10 python bench/remote_inference.py --questions 12
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import select
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from frontdesk.app import Frontdesk  # noqa: E402
from frontdesk.config import Settings  # noqa: E402
from frontdesk.evaluation.cases import load_cases  # noqa: E402

SAMPLE = ROOT / "frontdesk" / "examples" / "harbor-coffee"
MODEL = "qwen2.5-0.5b"


def build(home: Path) -> None:
    app = Frontdesk(Settings.from_env({"FRONTDESK_HOME": str(home)}))
    app.create_agent("harbor", persona="Harbor Coffee Roasters' friendly barista.",
                     instructions=(SAMPLE / "policy.md").read_text())
    for name in ("site", "faq.csv", "catalog.csv"):
        app.add_source("harbor", str(SAMPLE / name))
    app.close()


def run(settings: Settings, questions: list[str]) -> dict[str, Any]:
    app = Frontdesk(settings)
    try:
        responder = app.responder()
        agent = app.agent("harbor")
        started = time.perf_counter()
        responder.warm_up(agent)
        warm = time.perf_counter() - started
        first, total, generation = [], [], []
        modes: dict[str, int] = {}
        for question in questions:
            answer = responder.answer(agent, question)
            first.append(answer.timings["first_text_s"])
            total.append(answer.timings["total_s"])
            generation.append(answer.timings.get("generation_s", 0.0))
            modes[answer.mode] = modes.get(answer.mode, 0) + 1
    finally:
        app.close()

    def p(values: list[float], q: float) -> float:
        ordered = sorted(values)
        return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))], 3)

    return {"warm_up_s": round(warm, 2), "first_text_p50_s": round(statistics.median(first), 3),
            "first_text_p90_s": p(first, 0.9), "total_p50_s": round(statistics.median(total), 3),
            "generation_p50_s": round(statistics.median(generation), 3), "modes": modes}


def serve(home: Path, threads: int) -> tuple[subprocess.Popen[str], str]:
    env = {k: v for k, v in os.environ.items() if k != "FRONTDESK_LLM_BASE_URL"}
    process = subprocess.Popen(
        [sys.executable, "-c", "from frontdesk.cli.main import main; main()", "--home", str(home),
         "models", "serve", MODEL, "--port", "0", "--parallel", "1", "--threads", str(threads)],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=env, start_new_session=True)
    assert process.stdout is not None
    deadline = time.monotonic() + 600
    while time.monotonic() < deadline and process.poll() is None:
        if select.select([process.stdout], [], [], 1.0)[0]:
            line = process.stdout.readline()
            if line.startswith("serving "):
                return process, line.split(" at ", 1)[1].strip()
    process.kill()
    raise SystemExit("the model server did not start")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--questions", type=int, default=12, help="how many of the sample's questions")
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    cases = [c for c in load_cases(SAMPLE / "questions.yaml") if len(c.turns) == 1 and c.today is None]
    questions = [c.turns[0] for c in cases][: args.questions]
    with tempfile.TemporaryDirectory(prefix="bench-remote-") as tmp:
        home = Path(tmp) / "home"
        build(home)
        base = {"FRONTDESK_HOME": str(home), "FRONTDESK_MODEL": MODEL, "FRONTDESK_FAST_MODEL": "none",
                "FRONTDESK_LLM_THREADS": str(args.threads)}
        results = {"in-process": run(Settings.from_env(base), questions)}
        process, url = serve(home, args.threads)
        try:
            results["remote"] = run(Settings.from_env({**base, "FRONTDESK_LLM_BASE_URL": url}), questions)
        finally:
            process.send_signal(signal.SIGTERM)
            process.wait(timeout=60)
    print(json.dumps({"date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), "machine": platform.node(),
                      "cpus": os.cpu_count(), "load_average": [round(x, 1) for x in os.getloadavg()],
                      "questions": len(questions), "model": MODEL, "threads": args.threads, **results}, indent=2))


if __name__ == "__main__":
    main()
