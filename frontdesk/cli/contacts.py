"""``frontdesk contacts``: a customer's data, exported or erased on request, and the retention sweep."""

from __future__ import annotations

import click

from ..domain import Agent
from .main import _app, _echo_json, cli, handled


@cli.group()
def contacts() -> None:
    """A customer's data: by phone number, PSID, web:<conversation id> or character:<conversation id>
    (docs/security.md)."""


def _agent(ctx: click.Context, agent: str | None) -> Agent | None:
    return _app(ctx).agent(agent) if agent else None


@contacts.command("export")
@click.argument("contact")
@click.option("--agent", help="Only this agent's conversations.")
@click.pass_context
@handled
def contacts_export(ctx: click.Context, contact: str, agent: str | None) -> None:
    """Print, as JSON, everything kept about CONTACT: conversations, messages, channel events."""
    _echo_json(_app(ctx).export_contact(contact, _agent(ctx, agent)))


@contacts.command("erase")
@click.argument("contact")
@click.option("--agent", help="Only this agent's conversations.")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@click.pass_context
@handled
def contacts_erase(ctx: click.Context, contact: str, agent: str | None, yes: bool) -> None:
    """Delete everything kept about CONTACT (conversations with agents and characters, messages,
    channel events, media)."""
    if not yes:
        click.confirm(f"erase everything kept about {contact}?", abort=True)
    erased = _app(ctx).erase_contact(contact, _agent(ctx, agent))
    click.echo(f"erased {erased['conversations']} conversations, {erased['character_conversations']} character "
               f"conversations, {erased['messages']} messages and {erased['events']} channel events of {contact}")


@contacts.command("expire")
@click.pass_context
@handled
def contacts_expire(ctx: click.Context) -> None:
    """Erase now the conversations past their agent's retention period (the server does it hourly)."""
    click.echo(f"erased {_app(ctx).expire_conversations()} expired conversations")
