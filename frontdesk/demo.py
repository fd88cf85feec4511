"""The README's main job: set up the sample business as an agent and search its knowledge.

``make demo`` runs this. It keeps its data in ``$FRONTDESK_HOME`` if set, else in
``./.frontdesk-demo``, so trying the demo never touches a real installation.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from .app import Frontdesk
from .config import Settings
from .errors import NotFound

SAMPLE = Path(__file__).resolve().parent.parent / "examples" / "harbor-coffee"
AGENT = "harbor-coffee"
EXAMPLES = (
    "espresso machine under 500 euros",
    "Kaffee für Filter",
    "how much is shipping to Austria?",
    "Wann habt ihr am Samstag geöffnet?",
    "red V60 dripper in stock",
)


def main() -> None:
    home = os.environ.get("FRONTDESK_HOME") or str(Path.cwd() / ".frontdesk-demo")
    app = Frontdesk(Settings.from_env(home=home))
    try:
        app.agent(AGENT)
        click.echo(f"Re-syncing the demo agent {AGENT!r} (data in {home}) …")
        summaries = app.sync(AGENT)
    except NotFound:
        click.echo(f"Creating the demo agent {AGENT!r} from {SAMPLE} (data in {home}) …")
        app.create_agent(AGENT, persona="Harbor Coffee Roasters' friendly barista.",
                         instructions=(SAMPLE / "policy.md").read_text())
        summaries = [app.add_source(AGENT, str(SAMPLE / name)) for name in ("site", "faq.csv", "catalog.csv")]
    for s in summaries:
        click.echo(f"  {s.location}: " + ", ".join(f"{n} {k}" for k, n in s.counts().items()))
    for query in EXAMPLES:
        show(app, query)
    if sys.stdin.isatty():
        click.echo("\nSearch the agent's knowledge yourself (empty line to quit).")
        while True:
            query = click.prompt("search", default="", show_default=False)
            if not query.strip():
                break
            show(app, query)
    click.echo(f"\nNext: `frontdesk --home {home} search {AGENT} \"your question\" --json`")
    app.close()


def show(app: Frontdesk, query: str) -> None:
    click.echo(f"\n> {query}")
    for hit in app.search(AGENT, query, 3):
        data = hit.to_json()
        if data["kind"] == "product":
            click.echo(f"  [product] {data['title']}: {data['price']} {data['currency']}, {data['availability']}")
        else:
            click.echo(f"  [{Path(data['url']).name}] {data['snippet'][:140]}")


if __name__ == "__main__":
    main()
