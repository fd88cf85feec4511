"""``frontdesk contacts``: a customer's data, exported or erased on request, and the retention sweep."""

from __future__ import annotations

import click

from ..safety.privacy import erase_contact, expire_conversations, export_contact
from .main import _app, _echo_json, cli, handled


@cli.group()
def contacts() -> None:
    """A customer's data: by phone number, PSID or web:<conversation id> (docs/security.md)."""


def _agent_id(ctx: click.Context, agent: str | None) -> int | None:
    return _app(ctx).agent(agent).id if agent else None


@contacts.command("export")
@click.argument("contact")
@click.option("--agent", help="Only this agent's conversations.")
@click.pass_context
@handled
def contacts_export(ctx: click.Context, contact: str, agent: str | None) -> None:
    """Print, as JSON, everything kept about CONTACT: conversations, messages, channel events."""
    _echo_json(export_contact(_app(ctx).store, contact, _agent_id(ctx, agent)))


@contacts.command("erase")
@click.argument("contact")
@click.option("--agent", help="Only this agent's conversations.")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@click.pass_context
@handled
def contacts_erase(ctx: click.Context, contact: str, agent: str | None, yes: bool) -> None:
    """Delete everything kept about CONTACT (conversations, messages, channel events, media)."""
    if not yes:
        click.confirm(f"erase everything kept about {contact}?", abort=True)
    app = _app(ctx)
    erased = erase_contact(app.store, app.settings.home, contact, _agent_id(ctx, agent))
    click.echo(f"erased {erased['conversations']} conversations, {erased['messages']} messages and "
               f"{erased['events']} channel events of {contact}")


@contacts.command("expire")
@click.pass_context
@handled
def contacts_expire(ctx: click.Context) -> None:
    """Erase now the conversations past their agent's retention period (the server does it hourly)."""
    app = _app(ctx)
    click.echo(f"erased {expire_conversations(app.store, app.settings.home)} expired conversations")
