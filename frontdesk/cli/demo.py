"""``frontdesk demo``: set up a sample business as an agent and let it answer questions.

The sample business ships inside the package (``frontdesk/examples/harbor-coffee``, package
data), so the demo works from a wheel as well as from a checkout; ``--path`` points it at
another business folder with a ``business.yaml`` manifest (``examples/businesses/*/*`` in the
repository: name, persona, instructions file, sources, questions file; ``demo`` lists what to ask,
else the first five questions of the questions file). Its data goes to
``--home``/``$FRONTDESK_HOME`` if given, else to ``./.frontdesk-demo``, so trying the demo never
touches a real installation.
"""

from __future__ import annotations

import sys
from contextlib import ExitStack, closing
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import click
import yaml

from ..app import Frontdesk
from ..config import Settings
from ..errors import InvalidInput, NotFound
from ..log import configure
from .main import cli, handled
from .talk import converse

SAMPLE_NAME = "harbor-coffee"


@dataclass(frozen=True)
class Business:
    """What ``business.yaml`` says about a sample business, paths resolved against its folder."""

    folder: Path
    name: str
    persona: str
    instructions: str
    sources: list[Path]
    questions: list[str]


def sample_path(stack: ExitStack) -> Path:
    """The sample business shipped as package data, as a folder on disk while ``stack`` is open."""
    return stack.enter_context(resources.as_file(resources.files("frontdesk") / "examples" / SAMPLE_NAME))


def load_business(folder: Path) -> Business:
    manifest = folder / "business.yaml"
    if not manifest.is_file():
        raise InvalidInput(f"{folder} has no business.yaml (see frontdesk/examples/{SAMPLE_NAME}/business.yaml)")
    try:
        spec: Any = yaml.safe_load(manifest.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise InvalidInput(f"{manifest}: not valid YAML: {exc}") from None
    if not isinstance(spec, dict) or not isinstance(spec.get("sources"), list) or not spec["sources"]:
        raise InvalidInput(f"{manifest}: needs a mapping with a list of sources")
    sources = [folder / str(s["path"] if isinstance(s, dict) else s) for s in spec["sources"]]
    missing = [str(p) for p in sources if not p.exists()]
    if missing:
        raise InvalidInput(f"{manifest}: sources not found: {', '.join(missing)}")
    instructions = ""
    if spec.get("instructions"):
        instructions = (folder / str(spec["instructions"])).read_text(encoding="utf-8")
    questions = [str(q) for q in spec.get("demo") or []]
    if not questions and spec.get("questions"):
        cases = yaml.safe_load((folder / str(spec["questions"])).read_text(encoding="utf-8")) or []
        questions = [str(c["question"]) for c in cases if isinstance(c, dict) and c.get("question")][:5]
    return Business(folder, str(spec.get("name") or folder.name), str(spec.get("persona") or ""),
                    instructions, sources, questions)


@cli.command()
@click.option("--path", "folder", type=click.Path(exists=True, file_okay=False, path_type=Path),
              help="A business folder with a business.yaml (default: the sample shipped with frontdesk).")
@click.option("--ask", "questions", multiple=True, metavar="QUESTION",
              help="Ask this instead of the business's demo questions (repeatable).")
@click.pass_context
@handled
def demo(ctx: click.Context, folder: Path | None, questions: tuple[str, ...]) -> None:
    """Build the demo agent from the sample business and let it answer (what `make demo` runs)."""
    home = ctx.find_root().params.get("home") or str(Path.cwd() / ".frontdesk-demo")
    settings = Settings.from_env(home=home)
    configure(settings.log_level)
    with ExitStack() as stack:
        business = load_business(folder or sample_path(stack))
        app = stack.enter_context(closing(Frontdesk(settings)))
        run_demo(app, business, list(questions) or business.questions)


def run_demo(app: Frontdesk, business: Business, questions: list[str]) -> None:
    home, name = app.settings.home, business.name
    try:
        app.agent(name)
        click.echo(f"Re-syncing the demo agent {name!r} (data in {home}) …")
        summaries = app.sync(name)
    except NotFound:
        click.echo(f"Creating the demo agent {name!r} from {business.folder} (data in {home}) …")
        app.create_agent(name, persona=business.persona, instructions=business.instructions)
        summaries = [app.add_source(name, str(path), index=False) for path in business.sources]
        app.build_index(name)
    # the demo's point is to be talked to, in the terminal and in the browser: its widget page
    # answers only a public agent (docs/serving.md); `frontdesk serve` listens on 127.0.0.1
    app.update_agent(name, public=True)
    for s in summaries:
        click.echo(f"  {s.location}: " + ", ".join(f"{n} {k}" for k, n in s.counts().items()))
    click.echo(f"Loading the answer model {app.settings.model} (first run assembles it from its packages) …")
    responder = app.responder()
    if responder.fast_model is not None:
        click.echo(f"  {responder.fast_model.name} phrases the plain questions (FRONTDESK_FAST_MODEL)")
    agent = app.agent(name)
    responder.warm_up(agent)
    for question in questions:
        converse(app, agent, question, None, prefix=f"\n> {question}\n")
    if sys.stdin.isatty():
        conversation = app.start_conversation(name, "demo")
        click.echo("\nNow ask the agent yourself, in English or German (empty line to quit).")
        while True:
            question = click.prompt("you", default="", show_default=False)
            if not question.strip():
                break
            converse(app, agent, question, conversation, prefix=f"{name}> ")
    click.echo(f"\nNext: `frontdesk --home {home} chat {name}` or `frontdesk --home {home} ask {name} \"...\" --json`")
    click.echo(f"In the browser: `frontdesk --home {home} serve`, then open http://127.0.0.1:8000/widget/{name}/demo")
