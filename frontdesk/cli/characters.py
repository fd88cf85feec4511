"""``frontdesk characters``: create, edit, import and export AI characters (docs/characters.md)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click
from rich.table import Table

from ..characters.domain import RATINGS
from ..characters.views import character_json
from ..domain import PLATFORMS
from ..errors import InvalidInput
from .main import _app, _echo_json, cli, err_console, handled, json_flag, out_console


@cli.group()
def characters() -> None:
    """AI characters: personas with greetings, example dialogues and a lorebook; Character Cards V2/V3."""


def _text(value: str | None, file: Any) -> str | None:
    return file.read() if file is not None else value


def card_options(fn: Any) -> Any:
    """The character's fields, as create and edit take them (the Character Card's own field names in brackets)."""
    options = [
        click.option("--display-name", "name", help="The character's name (name); defaults to the handle on create."),
        click.option("--nickname", help="What {{char}} stands for instead of the name (V3 nickname)."),
        click.option("--description", help="Who the character is (description)."),
        click.option("--description-file", type=click.File("r", encoding="utf-8"), help="Read the description from a file."),
        click.option("--personality", help="A short summary of the personality (personality)."),
        click.option("--scenario", help="The situation of the chat (scenario)."),
        click.option("--first-message", "first_mes", help="The greeting that opens every chat (first_mes)."),
        click.option("--greeting", "alternate_greetings", multiple=True,
                     help="An alternate greeting (alternate_greetings). Repeatable; replaces the list."),
        click.option("--examples", "mes_example", help="Example dialogues, <START> between them (mes_example)."),
        click.option("--examples-file", type=click.File("r", encoding="utf-8"), help="Read the example dialogues from a file."),
        click.option("--system-prompt", help="The character's own system prompt; {{original}} stands for frontdesk's."),
        click.option("--post-history", "post_history_instructions",
                     help="Instructions placed after the conversation (post_history_instructions)."),
        click.option("--tag", "tags", multiple=True, help="A tag. Repeatable; replaces the list."),
        click.option("--creator-notes", help="Notes for people using the card (creator_notes); never in the prompt."),
        click.option("--creator", help="Who made the card."),
        click.option("--version", "character_version", help="The card's version (character_version)."),
        click.option("--avatar", type=click.Path(exists=True, dir_okay=False), help="An image file (PNG, JPEG, WebP)."),
        click.option("--knowledge", metavar="AGENT", help="Ground factual answers in this agent's knowledge."),
        click.option("--rating", type=click.Choice(RATINGS), help="Content rating set by the owner (default general)."),
        click.option("--public/--private", "public", default=None,
                     help="Whether the character's web chat (/c/HANDLE) answers visitors (default private)."),
        click.option("--lorebook", type=click.File("r", encoding="utf-8"),
                     help="A lorebook as JSON: a character_book object, or {\"spec\": \"lorebook_v3\", \"data\": {...}}."),
    ]
    for option in reversed(options):
        fn = option(fn)
    return fn


def _fields(values: dict[str, Any]) -> dict[str, Any]:
    fields: dict[str, Any] = {}
    for key in ("name", "nickname", "personality", "scenario", "first_mes", "system_prompt",
                "post_history_instructions", "creator_notes", "creator", "character_version"):
        if values.get(key) is not None:
            fields[key] = values[key]
    description = _text(values.get("description"), values.get("description_file"))
    if description is not None:
        fields["description"] = description
    examples = _text(values.get("mes_example"), values.get("examples_file"))
    if examples is not None:
        fields["mes_example"] = examples
    for key in ("alternate_greetings", "tags"):
        if values.get(key):
            fields[key] = list(values[key])
    return fields


def _book(file: Any) -> dict[str, Any] | None:
    if file is None:
        return None
    try:
        book = json.load(file)
    except json.JSONDecodeError as exc:
        raise InvalidInput(f"--lorebook: not valid JSON ({exc})") from None
    if isinstance(book, dict) and book.get("spec") == "lorebook_v3":
        book = book.get("data")
    return book  # type: ignore[no-any-return]


@characters.command("create")
@click.argument("handle")
@card_options
@click.pass_context
@handled
def characters_create(ctx: click.Context, handle: str, avatar: str | None, knowledge: str | None,
                      rating: str | None, lorebook: Any, public: bool | None, **values: Any) -> None:
    """Create the character HANDLE (its name on the web, on /v1 as a model, and in these commands)."""
    fields = _fields(values)
    fields.setdefault("name", handle)
    book = _book(lorebook)
    if book is not None:
        fields["character_book"] = book
    character = _app(ctx).characters.create(handle, fields, avatar=Path(avatar).read_bytes() if avatar else None,
                                            knowledge=knowledge, rating=rating or "general", public=bool(public))
    click.echo(f"created character {character.handle} ({character.data['name']})")


@characters.command("edit")
@click.argument("handle")
@card_options
@click.option("--no-knowledge", is_flag=True, help="Detach the character from its agent's knowledge.")
@click.option("--no-avatar", is_flag=True, help="Remove the avatar.")
@click.option("--rename", metavar="NEW_HANDLE", help="A new handle.")
@click.option("--retention-days", type=click.IntRange(0, 36500), default=None,
              help="Erase its conversations not updated for N days (0: its agent's period, else keep them).")
@click.pass_context
@handled
def characters_edit(ctx: click.Context, handle: str, avatar: str | None, knowledge: str | None, rating: str | None,
                    lorebook: Any, public: bool | None, no_knowledge: bool, no_avatar: bool, rename: str | None,
                    retention_days: int | None, **values: Any) -> None:
    """Change fields of HANDLE; everything not named stays as it is (unknown card fields included)."""
    character = _app(ctx).characters.edit(handle, _fields(values), avatar=Path(avatar).read_bytes() if avatar else None,
                                          remove_avatar=no_avatar, knowledge=knowledge, no_knowledge=no_knowledge,
                                          rating=rating, book=_book(lorebook), new_handle=rename, public=public,
                                          retention_days=retention_days)
    click.echo(f"updated character {character.handle}")


@characters.command("connect")
@click.argument("handle")
@click.argument("platform", type=click.Choice(PLATFORMS))
@click.argument("account_id")
@click.option("--label", default="", help="A note to recognise the channel by.")
@click.pass_context
@handled
def characters_connect(ctx: click.Context, handle: str, platform: str, account_id: str, label: str) -> None:
    """Connect ACCOUNT_ID (a page id, an Instagram account id; a WhatsApp phone-number id only for a
    character with knowledge) to HANDLE: the character answers the messages sent there.

    `frontdesk channels list` shows it, `frontdesk channels remove` disconnects it.
    """
    channel = _app(ctx).characters.connect(handle, platform, account_id, label=label)
    click.echo(f"connected {platform} account {channel.account_id} to character {handle} (channel {channel.id}); "
               "point Meta's webhook at https://YOUR-HOST/webhooks/meta")


@characters.command("list")
@json_flag()
@click.pass_context
@handled
def characters_list(ctx: click.Context, as_json: bool) -> None:
    """List the characters."""
    app = _app(ctx)
    rows = [character_json(c, app.characters.knowledge_name(c)) for c in app.characters.list_characters()]
    if as_json:
        _echo_json(rows)
        return
    table = Table("handle", "name", "knowledge", "rating", "lorebook", "tags")
    for row in rows:
        table.add_row(row["handle"], row["name"], row["knowledge"] or "-", row["rating"],
                      str(row["lorebook_entries"]), ", ".join(row["tags"]))
    out_console.print(table)


@characters.command("show")
@click.argument("handle")
@json_flag("Print the whole card and its settings as JSON.")
@click.pass_context
@handled
def characters_show(ctx: click.Context, handle: str, as_json: bool) -> None:
    """Show HANDLE's card."""
    app = _app(ctx)
    character = app.characters.get(handle)
    row = character_json(character, app.characters.knowledge_name(character), detail=True)
    if as_json:
        _echo_json(row)
        return
    data = character.data
    click.echo(f"{character.handle}: {data['name']} ({character.card['spec']}, rating {character.rating}, "
               f"knowledge {row['knowledge'] or 'none'})")
    for key in ("nickname", "description", "personality", "scenario", "first_mes", "mes_example", "system_prompt",
                "post_history_instructions", "creator_notes", "creator", "character_version"):
        if data.get(key):
            click.echo(f"\n[{key}]\n{data[key]}")
    for key in ("alternate_greetings", "tags"):
        if data.get(key):
            click.echo(f"\n[{key}]\n" + "\n".join(f"- {v}" for v in data[key]))
    click.echo(f"\n[character_book] {row['lorebook_entries']} entries")
    channels = app.characters.channels(character)
    if channels:
        click.echo("\n[channels]\n" + "\n".join(f"- {c.platform}:{c.account_id} (channel {c.id})" for c in channels))


@characters.command("delete")
@click.argument("handle")
@click.option("--yes", is_flag=True, help="Do not ask.")
@click.pass_context
@handled
def characters_delete(ctx: click.Context, handle: str, yes: bool) -> None:
    """Delete HANDLE and its conversations."""
    app = _app(ctx)
    app.characters.get(handle)
    if not yes:
        click.confirm(f"delete character {handle} and its conversations?", abort=True)
    app.characters.delete(handle)
    click.echo(f"deleted character {handle}")


@characters.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--name", "handle", help="The handle (default: made from the card's name).")
@click.option("--knowledge", metavar="AGENT", help="Ground factual answers in this agent's knowledge.")
@click.option("--rating", type=click.Choice(RATINGS), default="general", show_default=True)
@click.option("--public", is_flag=True, help="The character's web chat answers visitors.")
@click.pass_context
@handled
def characters_import(ctx: click.Context, file: str, handle: str | None, knowledge: str | None, rating: str,
                      public: bool) -> None:
    """Import a Character Card: V2 or V3, as .json, .png (chara/ccv3 chunk) or .charx."""
    character = _app(ctx).characters.import_file(file, handle, knowledge=knowledge, rating=rating, public=public)
    click.echo(f"imported {character.data['name']} as {character.handle} ({character.card['spec']})")


@characters.command("export")
@click.argument("handle")
@click.option("--format", "fmt", type=click.Choice(["json", "png", "charx"]), default="json", show_default=True)
@click.option("--out", type=click.Path(dir_okay=False), required=True, help="The file to write ('-': stdout, json only).")
@click.pass_context
@handled
def characters_export(ctx: click.Context, handle: str, fmt: str, out: str) -> None:
    """Export HANDLE as a Character Card (json keeps its spec; png has chara + ccv3 chunks; charx is V3)."""
    app = _app(ctx)
    raw = app.characters.export(app.characters.get(handle), fmt)
    if out == "-":
        if fmt != "json":
            raise InvalidInput("--out -: only the json format goes to stdout")
        click.echo(raw.decode())
        return
    Path(out).write_bytes(raw)
    err_console.print(f"wrote {out} ({len(raw)} bytes)", highlight=False)


def chat_with_character(ctx: click.Context, handle: str, user: str) -> None:
    """`frontdesk chat --character HANDLE`: the terminal conversation."""
    app = _app(ctx)
    character = app.characters.get(handle)
    err_console.print(f"loading the model for {handle} …", highlight=False)
    app.characters.chat.warm_up(character, user)
    conversation = app.characters.start(character, "cli", user=user)
    for message in app.characters.messages(conversation):
        click.echo(f"{character.name}> {message.text}")
    err_console.print(f"chatting with {character.name} (conversation {conversation}); an empty line ends",
                      highlight=False)
    while True:
        try:
            text = click.prompt("you", default="", show_default=False, prompt_suffix="> ")
        except (EOFError, click.Abort):
            break
        if not text.strip():
            break
        click.echo(f"{character.name}> ", nl=False)
        for event, value in app.characters.say(character, conversation, text, user):
            if event == "delta":
                click.echo(value, nl=False)
            elif event == "done":
                click.echo()
                for citation in value.citations:
                    click.secho(f"    [{citation['n']}] {citation['title']} — {citation['url']} (as of {citation['as_of']})",
                                dim=True)
