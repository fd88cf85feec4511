"""The README's main job: set up the sample business as an agent and let it answer questions.

``make demo`` runs this. It keeps its data in ``$FRONTDESK_HOME`` if set, else in
``./.frontdesk-demo``, so trying the demo never touches a real installation.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from .app import Frontdesk
from .cli.talk import converse
from .config import Settings
from .errors import NotFound

SAMPLE = Path(__file__).resolve().parent.parent / "examples" / "harbor-coffee"
AGENT = "harbor-coffee"
EXAMPLES = (
    "Do you have an espresso machine under 500 euros?",
    "How much is the Colombia Huila 250 g?",
    "Habt ihr am 25. Dezember geöffnet?",
    "When is the next barista course?",
    "Who won yesterday's football match?",
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
        summaries = [app.add_source(AGENT, str(SAMPLE / name), index=False) for name in ("site", "faq.csv", "catalog.csv")]
        app.build_index(AGENT)
    for s in summaries:
        click.echo(f"  {s.location}: " + ", ".join(f"{n} {k}" for k, n in s.counts().items()))
    click.echo(f"Loading the answer model {app.settings.model} (first run assembles it from its packages) …")
    responder = app.responder()
    if responder.fast_model is not None:
        click.echo(f"  {responder.fast_model.name} phrases the plain questions (FRONTDESK_FAST_MODEL)")
    agent = app.agent(AGENT)
    responder.warm_up(agent)
    for question in EXAMPLES:
        converse(responder, agent, question, None, prefix=f"\n> {question}\n")
    if sys.stdin.isatty():
        conversation = app.start_conversation(AGENT, "demo")
        click.echo("\nNow ask the agent yourself, in English or German (empty line to quit).")
        while True:
            question = click.prompt("you", default="", show_default=False)
            if not question.strip():
                break
            converse(responder, agent, question, conversation, prefix=f"{AGENT}> ")
    click.echo(f"\nNext: `frontdesk --home {home} chat {AGENT}` or `frontdesk --home {home} ask {AGENT} \"...\" --json`")
    click.echo(f"In the browser: `frontdesk --home {home} serve`, then open http://127.0.0.1:8000/widget/{AGENT}/demo")
    app.close()


if __name__ == "__main__":
    main()
