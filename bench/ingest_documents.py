"""Document ingestion rate (pages/s): a folder of HTML pages, parsed, chunked, embedded and indexed.

    python bench/ingest_documents.py [--pages 500]

Pages are made from the sample business's pages with varied text, so each is new content.
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import ROOT, Timer, commit, machine  # noqa: E402

from frontdesk.app import Frontdesk  # noqa: E402
from frontdesk.config import Settings  # noqa: E402

WORDS = ("roast bean grinder espresso filter milk crema origin farm harvest washed natural acidity body "
         "sweetness caramel chocolate berry citrus kettle scale brew ratio water temperature").split()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--pages", type=int, default=500)
    args = parser.parse_args()
    rng = random.Random(3)
    templates = [p.read_text() for p in sorted((ROOT / "frontdesk" / "examples" / "harbor-coffee" / "site").glob("*.html"))]
    with tempfile.TemporaryDirectory() as home:
        folder = Path(home) / "site"
        folder.mkdir()
        for n in range(args.pages):
            extra = " ".join(rng.choice(WORDS) for _ in range(300))
            page = templates[n % len(templates)].replace("</main>", f"<h2>Notes {n}</h2><p>{extra}.</p></main>")
            (folder / f"page-{n:05d}.html").write_text(page)
        app = Frontdesk(Settings.from_env({"FRONTDESK_HOME": home}))
        app.create_agent("bench")
        with Timer() as t:
            summary = app.add_source("bench", str(folder))
        passages = app.store.agent_stats(app.agent("bench").id)["document"]
        app.close()
    assert summary.failed == 0
    print(f"document ingestion, commit {commit()}, {machine()}")
    print(f"  {args.pages} HTML pages ({passages} passages) in {t.seconds:.1f} s: {args.pages / t.seconds:.1f} pages/s")


if __name__ == "__main__":
    main()
