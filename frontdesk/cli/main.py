"""The ``frontdesk`` command. Each command is a few lines over :class:`frontdesk.app.Frontdesk`."""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Callable
from functools import wraps
from typing import Any

import click
from rich.console import Console
from rich.table import Table

from .. import __version__
from ..app import Frontdesk, checked_origins
from ..config import Settings
from ..domain import SOURCE_KINDS, SyncSummary
from ..embed import EMBEDDERS
from ..errors import FrontdeskError
from ..log import configure
from ..views import agent_json, agent_names, source_json
from .progress import TerminalProgress
from .talk import converse, print_sources

err_console = Console(stderr=True, soft_wrap=True)
out_console = Console()


def _app(ctx: click.Context) -> Frontdesk:
    if ctx.obj is None:
        home = ctx.find_root().params.get("home")
        settings = Settings.from_env(home=home)
        configure(settings.log_level)
        ctx.obj = Frontdesk(settings)
        ctx.call_on_close(ctx.obj.close)
    return ctx.obj


def handled(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Map frontdesk's errors to a message on stderr and the documented exit codes."""

    @wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except FrontdeskError as exc:
            err_console.print(f"[red]error:[/red] {exc}", highlight=False)
            sys.exit(exc.exit_code)
        except KeyboardInterrupt:
            err_console.print("interrupted; nothing half-written was kept (run the command again to finish)")
            sys.exit(130)

    return wrapper


def _echo_json(value: Any) -> None:
    click.echo(json.dumps(value, ensure_ascii=False, indent=2, default=str))


def json_flag(text: str = "Print JSON."):  # type: ignore[no-untyped-def]
    """The ``--json`` flag every listing and report command takes."""
    return click.option("--json", "as_json", is_flag=True, help=text)


def parse_interval(text: str | None) -> int | None:
    """'90s', '15m', '6h', '1d' or plain seconds -> seconds."""
    if text is None:
        return None
    match = re.fullmatch(r"\s*(\d+)\s*([smhd]?)\s*", text)
    if not match:
        raise click.BadParameter(f"{text!r} is not an interval such as 30m, 6h or 1d")
    return int(match.group(1)) * {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}[match.group(2)]


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--home", type=click.Path(file_okay=False), envvar="FRONTDESK_HOME",
              help="Data directory (default: $FRONTDESK_HOME or ~/.local/share/frontdesk).")
@click.version_option(__version__, prog_name="frontdesk")
def cli(home: str | None) -> None:
    """frontdesk: self-hosted AI agents for businesses, grounded in your own content and catalog."""


# -- agents -----------------------------------------------------------------------------------

@cli.group()
def agents() -> None:
    """Create, list, show, edit and delete agents."""


def _read_text_option(value: str | None, file: Any) -> str | None:
    return file.read() if file is not None else value


@agents.command("create")
@click.argument("name")
@click.option("--persona", default="", help="Who the agent is and its tone.")
@click.option("--instructions", default="", help="Rules the agent follows (e.g. the shop policy).")
@click.option("--instructions-file", type=click.File("r", encoding="utf-8"), help="Read the instructions from a file.")
@click.option("--embedder", type=click.Choice(EMBEDDERS), help="Embedding model (default: use-multilingual).")
@click.pass_context
@handled
def agents_create(ctx: click.Context, name: str, persona: str, instructions: str, instructions_file: Any,
                  embedder: str | None) -> None:
    """Create the agent NAME."""
    agent = _app(ctx).create_agent(name, persona=persona, instructions=_read_text_option(instructions, instructions_file) or "",
                                   embedder=embedder)
    click.echo(f"created agent {agent.name} (embedder {agent.embedder})")


@agents.command("edit")
@click.argument("name")
@click.option("--persona", help="New persona.")
@click.option("--instructions", help="New instructions.")
@click.option("--instructions-file", type=click.File("r", encoding="utf-8"), help="Read the instructions from a file.")
@click.option("--allow-origin", "allow_origins", multiple=True, metavar="ORIGIN",
              help="A web site that may embed the agent's chat (https://shop.example; * for any). Repeatable; "
                   "replaces the list.")
@click.option("--no-origins", is_flag=True, help="No web site may embed the agent's chat.")
@click.option("--retention-days", type=click.IntRange(0, 36500), default=None,
              help="Erase conversations not updated for this many days (0 keeps them forever).")
@click.option("--public/--private", "public", default=None,
              help="Whether the agent's public web chat answers anyone (default: private; docs/security.md).")
@click.pass_context
@handled
def agents_edit(ctx: click.Context, name: str, persona: str | None, instructions: str | None, instructions_file: Any,
                allow_origins: tuple[str, ...], no_origins: bool, public: bool | None,
                retention_days: int | None) -> None:
    """Change the persona, instructions, allowed web origins or public web chat of NAME."""
    origins = [] if no_origins else (checked_origins(allow_origins) if allow_origins else None)
    agent = _app(ctx).update_agent(name, persona=persona,
                                         instructions=_read_text_option(instructions, instructions_file),
                                         allowed_origins=origins, public=public)
    if retention_days is not None:
        _app(ctx).set_retention(agent, retention_days or None)
    click.echo(f"updated agent {name}")
    if agent.allowed_origins and not agent.public:
        click.echo(f"note: the web chat of {name} stays closed until `frontdesk agents edit {name} --public`")


@agents.command("list")
@json_flag()
@click.pass_context
@handled
def agents_list(ctx: click.Context, as_json: bool) -> None:
    """List agents."""
    app = _app(ctx)
    rows = [agent_json(a, app) for a in app.list_agents()]
    if as_json:
        _echo_json(rows)
        return
    if not rows:
        click.echo("no agents yet; create one with `frontdesk agents create NAME`")
        return
    table = Table("name", "sources", "documents", "products", "embedder", "created")
    for r in rows:
        table.add_row(r["name"], str(r["sources"]), str(r["document"]), str(r["product"]), r["embedder"], r["created_at"][:10])
    out_console.print(table)


@agents.command("show")
@click.argument("name")
@json_flag()
@click.pass_context
@handled
def agents_show(ctx: click.Context, name: str, as_json: bool) -> None:
    """Show an agent: persona, instructions, who may use its web chat, voice replies, knowledge."""
    app = _app(ctx)
    agent = app.agent(name)
    data = {"name": agent.name, "persona": agent.persona, "instructions": agent.instructions,
            "embedder": agent.embedder, "created_at": agent.created_at.isoformat(),
            "public": agent.public, "allowed_origins": list(agent.allowed_origins),
            "voice_replies": agent.voice_replies, "knowledge": app.agent_stats(agent.id)}
    if as_json:
        _echo_json(data)
        return
    for key, value in data.items():
        click.echo(f"{key}: {value}")


@agents.command("delete")
@click.argument("name")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@click.pass_context
@handled
def agents_delete(ctx: click.Context, name: str, yes: bool) -> None:
    """Delete an agent and all its knowledge."""
    app = _app(ctx)
    app.agent(name)
    if not yes and sys.stdin.isatty():
        click.confirm(f"Delete agent {name} and all its knowledge?", abort=True)
    app.delete_agent(name)
    click.echo(f"deleted agent {name}")


# -- sources ----------------------------------------------------------------------------------

@cli.group()
def sources() -> None:
    """Add, list, sync and remove an agent's knowledge sources."""


def _report(summaries: list[SyncSummary], as_json: bool) -> None:
    if as_json:
        _echo_json([{"source_id": s.source_id, "location": s.location, **s.counts(),
                     "seconds": round(s.seconds, 3), "errors": [str(e) for e in s.errors]} for s in summaries])
    else:
        for s in summaries:
            mark = "[green]✓[/green]" if s.ok else "[yellow]![/yellow]"
            counts = ", ".join(f"{n} {k}" for k, n in s.counts().items())
            err_console.print(f"{mark} {s.location}: {counts} ({s.seconds:.1f} s)", highlight=False)
            for error in s.errors[:50]:
                err_console.print(f"  [red]✗[/red] {error}", highlight=False)
            if len(s.errors) > 50:
                err_console.print(f"  … and {len(s.errors) - 50} more (see `frontdesk sources list --json`)")
    if any(not s.ok for s in summaries):
        sys.exit(1)


@sources.command("add")
@click.argument("agent")
@click.argument("locations", nargs=-1, required=True)
@click.option("--kind", type=click.Choice(SOURCE_KINDS), help="Override the detected kind.")
@click.option("--currency", help="Currency of prices that name none (Shopify CSV, plain JSON).")
@click.option("--base-url", help="Shop URL for product links (Shopify CSV).")
@click.option("--language", help="Language of a catalog (ISO code such as en or de; detected if omitted).")
@click.option("--max-pages", type=int, help="Page limit for a web source.")
@click.option("--sync-interval", help="Re-read on `sources sync --due` after this long (30m, 6h, 1d).")
@json_flag("Print the summary as JSON.")
@click.pass_context
@handled
def sources_add(ctx: click.Context, agent: str, locations: tuple[str, ...], kind: Any, currency: str | None,
                base_url: str | None, language: str | None, max_pages: int | None, sync_interval: str | None,
                as_json: bool) -> None:
    """Add files, folders, URLs or sitemaps to AGENT's knowledge and read them."""
    app = _app(ctx)
    options = {k: v for k, v in {"currency": currency and currency.upper(), "base_url": base_url,
                                 "language": language, "max_pages": max_pages}.items() if v}
    interval = parse_interval(sync_interval)
    summaries = []
    with TerminalProgress(err_console) as progress:
        for location in locations:
            try:
                summaries.append(app.add_source(agent, location, kind=kind, options=options,
                                                sync_interval=interval, progress=progress, index=False))
            except FrontdeskError as exc:
                if exc.exit_code != 2 or len(locations) == 1:
                    raise
                err_console.print(f"[red]✗[/red] {exc}", highlight=False)
                summaries.append(SyncSummary(source_id=0, location=location, failed=1))
        progress.stage("building the search index")
        app.build_index(agent)
    _report(summaries, as_json)


@sources.command("list")
@click.argument("agent")
@json_flag()
@click.pass_context
@handled
def sources_list(ctx: click.Context, agent: str, as_json: bool) -> None:
    """List AGENT's sources with their last sync."""
    rows = [source_json(s) for s in _app(ctx).sources(agent)]
    if as_json:
        _echo_json(rows)
        return
    table = Table("id", "kind", "location", "last sync", "status", "items")
    for r in rows:
        summary = r["last_summary"]
        items = summary.get("added", 0) + summary.get("updated", 0) + summary.get("unchanged", 0)
        table.add_row(str(r["id"]), r["kind"], r["location"], (r["last_synced_at"] or "never")[:19],
                      r["last_status"] or "-", str(items))
    out_console.print(table)


@sources.command("sync")
@click.argument("agent", required=False)
@click.argument("refs", nargs=-1)
@click.option("--due", is_flag=True, help="Only sources whose sync interval has passed (of every agent when AGENT is left out).")
@json_flag("Print the summary as JSON.")
@click.pass_context
@handled
def sources_sync(ctx: click.Context, agent: str | None, refs: tuple[str, ...], due: bool, as_json: bool) -> None:
    """Re-read AGENT's sources (all, or those named by id or location); with --due alone, every agent's due sources."""
    if agent is None and not due:
        raise click.UsageError("name an AGENT, or pass --due to sync the due sources of every agent")
    app = _app(ctx)
    names = [agent] if agent is not None else [a.name for a in app.list_agents()]
    summaries: list[SyncSummary] = []
    with TerminalProgress(err_console) as progress:
        for name in names:
            summaries += app.sync(name, list(refs), only_due=due, progress=progress)
    _report(summaries, as_json)


@sources.command("remove")
@click.argument("agent")
@click.argument("ref")
@click.pass_context
@handled
def sources_remove(ctx: click.Context, agent: str, ref: str) -> None:
    """Remove a source (by id or location) and everything read from it."""
    removed = _app(ctx).remove_source(agent, ref)
    click.echo(f"removed source {ref} and its {removed} items")


# -- search -----------------------------------------------------------------------------------

@cli.command()
@click.argument("agent")
@click.argument("query")
@json_flag("Print the hits as JSON.")
@click.option("--limit", type=int, default=10, show_default=True, help="Most hits to show.")
@click.pass_context
@handled
def search(ctx: click.Context, agent: str, query: str, as_json: bool, limit: int) -> None:
    """Hybrid search over AGENT's knowledge."""
    hits = _app(ctx).search(agent, query, limit)
    if as_json:
        _echo_json([h.to_json() for h in hits])
        return
    if not hits:
        click.echo("no results")
    for n, hit in enumerate(hits, start=1):
        data = hit.to_json()
        if data["kind"] == "product":
            click.echo(f"{n}. [product {data['id']}] {data['title']} — {data['price']} {data['currency']}, "
                       f"{data['availability'] or 'availability unknown'}  {data['link'] or ''}")
        else:
            click.echo(f"{n}. {data['title']}  ({data['url']})\n   {data['snippet']}")


@cli.command()
@click.argument("agent")
@click.argument("question")
@json_flag("Print the answer as one JSON object (answer, citations, products, grounded, handoff, ...).")
@click.option("--model", help="Model for this answer (a packaged name or a .gguf path; default FRONTDESK_MODEL).")
@click.option("--conversation", type=int, help="Continue this conversation (its id is in the JSON output).")
@click.pass_context
@handled
def ask(ctx: click.Context, agent: str, question: str, as_json: bool, model: str | None,
        conversation: int | None) -> None:
    """Answer one QUESTION as AGENT would, from its knowledge only."""
    app = _app(ctx)
    if conversation is None:
        conversation = app.start_conversation(agent, "cli")
    answer = app.ask(agent, question, conversation_id=conversation, model=model)
    if as_json:
        _echo_json(answer.to_json())
        return
    click.echo(answer.answer)
    print_sources(answer)


@cli.command()
@click.argument("agent", required=False)
@click.option("--model", help="Model for this chat (a packaged name or a .gguf path; default FRONTDESK_MODEL).")
@click.option("--character", metavar="HANDLE", help="Talk to this AI character instead of an agent (docs/characters.md).")
@click.option("--as", "user", default="User", show_default=True, help="Your name in a character chat ({{user}}).")
@click.pass_context
@handled
def chat(ctx: click.Context, agent: str | None, model: str | None, character: str | None, user: str) -> None:
    """Talk to AGENT (or --character HANDLE) in the terminal: streamed, multi-turn (empty line or Ctrl-D ends)."""
    if character:
        from .characters import chat_with_character

        chat_with_character(ctx, character, user)
        return
    if not agent:
        raise click.UsageError("name an AGENT, or a character with --character HANDLE")
    app = _app(ctx)
    target = app.agent(agent)
    err_console.print(f"loading the model for {agent} …", highlight=False)
    responder = app.responder(model)
    responder.warm_up(target)
    conversation = app.start_conversation(agent, "cli")
    err_console.print(f"chatting with {agent} (conversation {conversation}); an empty line ends", highlight=False)
    while True:
        try:
            question = click.prompt("you", default="", show_default=False, prompt_suffix="> ")
        except (EOFError, click.Abort):
            break
        if not question.strip():
            break
        converse(app, target, question, conversation, prefix=f"{agent}> ", model=model)


@cli.group()
def models() -> None:
    """The answer models that ship in Python packages."""


@models.command("list")
@json_flag()
@click.pass_context
@handled
def models_list(ctx: click.Context, as_json: bool) -> None:
    """Show the packaged models and whether they are installed."""
    from ..llm import fast_model_name
    from ..llm.packaged import MODELS, installed

    settings = _app(ctx).settings
    fast = fast_model_name(settings)
    rows = []
    for model in MODELS.values():
        rows.append({"name": model.name, "installed": installed(model), "size_mb": round(model.size / 1e6),
                     "sha256": model.sha256, "description": model.description, "install": model.pip,
                     "default": model.name == settings.model, "fast": model.name == fast})
    if as_json:
        _echo_json(rows)
        return
    table = Table("name", "installed", "MB", "description")
    for row in rows:
        role = " (default)" if row["default"] else " (fast)" if row["fast"] else ""
        table.add_row(row["name"] + role, "yes" if row["installed"] else "no",
                      str(row["size_mb"]), row["description"])
    out_console.print(table)


@models.command("prepare")
@click.argument("name", required=False)
@click.pass_context
@handled
def models_prepare(ctx: click.Context, name: str | None) -> None:
    """Assemble and verify a packaged model now (otherwise done on first use): NAME, or the
    configured answer model and fast model."""
    from ..llm import fast_model_name
    from ..llm.packaged import resolve_model_path

    settings = _app(ctx).settings
    if settings.llm_base_url and not name:
        click.echo(f"nothing to prepare: the answers come from {settings.llm_base_url} (FRONTDESK_LLM_BASE_URL)")
        return
    for each in filter(None, [name or settings.model, None if name else fast_model_name(settings)]):
        click.echo(f"{each}: {resolve_model_path(each, settings.home / 'models')}")


@cli.command()
@click.option("--host", help="Address to listen on (default 127.0.0.1; FRONTDESK_HOST).")
@click.option("--port", type=click.IntRange(1, 65535), help="Port (default 8000; FRONTDESK_PORT).")
@click.option("--no-warm-up", is_flag=True, help="Load the answer model at the first question, not at start.")
@click.pass_context
@handled
def serve(ctx: click.Context, host: str | None, port: int | None, no_warm_up: bool) -> None:
    """Serve the HTTP API, the OpenAI-compatible API, the web chat and the console."""
    from ..server import create_app
    from ..server.listen import bind_listener
    from ..server.run import serve as serve_app

    app = _app(ctx)
    settings = Settings.from_env(home=str(app.settings.home), host=host, port=port)
    listener = bind_listener(settings.host, settings.port)  # a port in use fails here, before start-up
    web = create_app(settings, app, warm_up=not no_warm_up)
    err_console.print(f"frontdesk {__version__} on http://{settings.host}:{settings.port}  "
                      f"(console: /console/, API docs: /docs, data: {settings.home})", highlight=False)
    serve_app(web, settings, listener)  # SIGTERM drains: frontdesk/server/run.py


@cli.group()
def keys() -> None:
    """API keys for the HTTP API (only their hashes are stored)."""


@keys.command("create")
@click.option("--agent", help="Limit the key to this agent (it sees no other).")
@click.option("--label", default="", help="A note to recognise the key by.")
@click.pass_context
@handled
def keys_create(ctx: click.Context, agent: str | None, label: str) -> None:
    """Make a new API key and print it once."""
    key, record = _app(ctx).create_api_key(agent, label)
    click.echo(key)
    err_console.print(f"key {record.prefix} created{' for agent ' + agent if agent else ''}; it is shown only now: "
                      "send it as Authorization: Bearer KEY", highlight=False)


@keys.command("list")
@json_flag()
@click.pass_context
@handled
def keys_list(ctx: click.Context, as_json: bool) -> None:
    """List API keys (their prefixes, never the keys)."""
    app = _app(ctx)
    names = agent_names(app)
    rows = [{"prefix": k.prefix, "agent": names.get(k.agent_id) if k.agent_id else None, "label": k.label,
             "created_at": k.created_at.isoformat(), "last_used_at": k.last_used_at.isoformat() if k.last_used_at else None,
             "revoked": k.revoked_at is not None} for k in app.api_keys()]
    if as_json:
        _echo_json(rows)
        return
    table = Table("prefix", "agent", "label", "created", "last used", "revoked")
    for r in rows:
        table.add_row(r["prefix"], r["agent"] or "(all)", r["label"], r["created_at"][:19],
                      (r["last_used_at"] or "never")[:19], "yes" if r["revoked"] else "")
    out_console.print(table)


@keys.command("revoke")
@click.argument("prefix")
@click.pass_context
@handled
def keys_revoke(ctx: click.Context, prefix: str) -> None:
    """Revoke the key whose prefix is PREFIX (the part after fd_)."""
    _app(ctx).revoke_api_key(prefix)
    click.echo(f"revoked key {prefix}")


@cli.group()
def users() -> None:
    """People who log in to the owner console."""


def _password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\n")
    return click.prompt("password", hide_input=True, confirmation_prompt=True)


@users.command("create")
@click.argument("name")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
@click.pass_context
@handled
@click.option("--display-name", default="", help="The name customers see on this user's replies "
                                                 "(default: 'a team member'; never the login).")
def users_create(ctx: click.Context, name: str, password_stdin: bool, display_name: str) -> None:
    """Make a console user NAME (asks for a password)."""
    app = _app(ctx)
    app.create_user(name, _password(password_stdin))
    if display_name:
        app.set_display_name(name, display_name.strip()[:100])
    click.echo(f"created user {name}")


@users.command("password")
@click.argument("name")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
@click.pass_context
@handled
def users_password(ctx: click.Context, name: str, password_stdin: bool) -> None:
    """Set a new password for NAME."""
    _app(ctx).set_password(name, _password(password_stdin))
    click.echo(f"changed the password of {name}")


@users.command("delete")
@click.argument("name")
@click.pass_context
@handled
def users_delete(ctx: click.Context, name: str) -> None:
    """Remove console user NAME; their sessions end at once."""
    _app(ctx).delete_user(name)
    click.echo(f"removed user {name} and ended their sessions")


@users.command("list")
@click.pass_context
@handled
def users_list(ctx: click.Context) -> None:
    """List console users."""
    for user in _app(ctx).users():
        click.echo(user.name)


def main() -> None:
    cli(prog_name="frontdesk")


from . import channels as _channels  # noqa: E402,F401  (registers `frontdesk channels`)
from . import characters as _characters  # noqa: E402,F401  (registers `frontdesk characters`)
from . import contacts as _contacts  # noqa: E402,F401  (registers `frontdesk contacts`)
from . import demo as _demo  # noqa: E402,F401  (registers `frontdesk demo`)
from . import evaluation as _evaluation  # noqa: E402,F401  (registers `frontdesk eval`)
from . import inference as _inference  # noqa: E402,F401  (registers `frontdesk models serve`)
from . import voice as _voice  # noqa: E402,F401  (registers `frontdesk transcribe`, `speak`, `voice`)

if __name__ == "__main__":
    main()
