"""The cost and the verdicts of the translation's meaning check (answer/meaning.py) on dev pages.

    python bench/translation_check.py [FOLDER ...] [--per-direction N] [--model NAME]

The evidence fallback across languages translates a passage's sentences into the customer's
language and, for the meaning check, back again with the same model. This takes sentences that
hold a figure from the dev businesses' pages (default: examples/businesses/dev/*; never test),
N in each direction (English pages for a German customer, German pages for an English one),
runs ``Responder._translate`` on each, and prints how many translations were kept, why the
others were not, and the seconds of the translation and of the back-translation (the check's
extra model call). It also prints the packaged embedder's similarity of the demo's two meanings
("closed on public holidays" against "closed at the weekend"), the reason the check compares
words instead.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.businesses import load_business  # noqa: E402
from frontdesk.answer.evidence import split_sentences  # noqa: E402
from frontdesk.answer.meaning import translation_problems  # noqa: E402
from frontdesk.app import Frontdesk  # noqa: E402
from frontdesk.config import Settings  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("folders", nargs="*", type=Path)
    parser.add_argument("--per-direction", type=int, default=6)
    parser.add_argument("--model", default=None)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    folders = args.folders or sorted(p for p in (ROOT / "examples/businesses/dev").iterdir() if p.is_dir())
    home = Path(os.environ.get("FRONTDESK_HOME", Path.home() / ".local/share/frontdesk"))
    pool: dict[str, list[str]] = {"en": [], "de": []}
    with tempfile.TemporaryDirectory(prefix="fd-translate-") as tmp:
        if (home / "models").is_dir():
            (Path(tmp) / "models").symlink_to(home / "models", target_is_directory=True)
        app = Frontdesk(Settings.from_env({"FRONTDESK_HOME": tmp}))
        for folder in folders:
            spec, _ = load_business(folder)
            app.create_agent(folder.name)
            for source in spec.get("sources") or []:
                source = {"path": source} if isinstance(source, str) else source
                if source.get("kind") == "catalog" or not str(source["path"]).endswith("/"):
                    continue  # the pages only
                app.add_source(folder.name, str(folder / source["path"]), kind=source.get("kind"), index=False)
            agent = app.agent(folder.name)
            for item in app.store.items_of_agent(agent.id):
                if item.kind == "document" and item.language in pool:
                    pool[item.language] += [s for s in split_sentences(item.text)
                                            if re.search(r"\d", s) and 40 <= len(s) <= 220]
        responder = app.responder(args.model)
        outputs: list[str] = []
        translated = responder._translated

        def recording(text: str, language: str) -> str:
            outputs.append(translated(text, language))
            return outputs[-1]

        responder._translated = recording  # type: ignore[method-assign]
        embedder = app.search_engine.embedders(app.agent(folders[0].name).embedder)
        pairs = [("We are closed on public holidays.", "We are closed at the weekend."),
                 ("We are closed on public holidays.", "On public holidays we are closed.")]
        for a, b in pairs:
            va, vb = embedder.embed([a, b])
            print(f"embedder similarity {float(va @ vb):.3f}: {a!r} / {b!r}")
        rng = random.Random(args.seed)
        rows = []
        for source_language, target in (("en", "de"), ("de", "en")):
            chosen = rng.sample(pool[source_language], min(args.per_direction, len(pool[source_language])))
            for sentence in chosen:
                timings: dict[str, float] = {}
                outputs.clear()
                kept = responder._translate([sentence], target, source_language, timings)
                rows.append((source_language, sentence, kept, timings))
                verdict = "kept" if kept else "quoted"
                if not kept and len(outputs) == 2:
                    verdict += " (meaning check: " + "; ".join(translation_problems(sentence, outputs[1])) + ")"
                elif not kept:
                    verdict += " (answer check or a number lost)"
                print(f"[{source_language}->{target}] {verdict}: {sentence}")
                for text in outputs:
                    print(f"    -> {text}")
                print(f"    timings {timings}")
        app.close()
    kept = sum(bool(r[2]) for r in rows)
    print(f"translations kept {kept}/{len(rows)}")
    for key in ("translation_s", "back_translation_s"):
        values = [r[3][key] for r in rows if key in r[3]]
        if values:
            print(f"{key}: n={len(values)} p50 {statistics.median(values):.2f} s, max {max(values):.2f} s")


if __name__ == "__main__":
    main()
