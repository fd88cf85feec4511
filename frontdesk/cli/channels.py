"""``frontdesk channels``: connect WhatsApp numbers, Facebook pages and Instagram accounts to agents."""

from __future__ import annotations

import click
from rich.table import Table

from ..domain import PLATFORMS
from ..views import agent_names, channel_json, event_json
from .main import _app, _echo_json, cli, handled, json_flag, out_console


@cli.group()
def channels() -> None:
    """Messaging channels: WhatsApp, Messenger, Instagram (see docs/channels.md)."""


@channels.command("add")
@click.argument("agent")
@click.argument("platform", type=click.Choice(PLATFORMS))
@click.argument("account_id")
@click.option("--catalog-id", help="WhatsApp: the Meta catalog whose products the agent may send as product messages.")
@click.option("--handover-app-id", help="Messenger/Instagram: the app a person answers in when the agent hands over "
                                        "(the Page inbox is 263902037430900).")
@click.option("--label", default="", help="A note to recognise the channel by.")
@click.pass_context
@handled
def channels_add(ctx: click.Context, agent: str, platform: str, account_id: str, catalog_id: str | None,
                 handover_app_id: str | None, label: str) -> None:
    """Connect ACCOUNT_ID (WhatsApp phone-number id, page id, Instagram account id) to AGENT.

    No secret is given here: set FRONTDESK_META_APP_SECRET, FRONTDESK_META_VERIFY_TOKEN and
    FRONTDESK_META_ACCESS_TOKEN, or the secrets file.
    """
    app = _app(ctx)
    channel = app.channels.connect(agent, platform, account_id, catalog_id=catalog_id,
                                   handover_app_id=handover_app_id, label=label)
    click.echo(f"connected {platform} account {channel.account_id} to {agent} (channel {channel.id}); "
               f"point Meta's webhook at https://YOUR-HOST/webhooks/meta")
    secrets = app.channels.secrets
    missing = [name for name, value in (("FRONTDESK_META_APP_SECRET", secrets.app_secret),
                                        ("FRONTDESK_META_VERIFY_TOKEN", secrets.verify_token)) if not value]
    try:
        secrets.token_for(channel.account_id)
    except Exception:
        missing.append("FRONTDESK_META_ACCESS_TOKEN (or [meta.access_tokens] in the secrets file)")
    if missing:
        click.echo("still to set before it can work: " + ", ".join(missing), err=True)


@channels.command("list")
@click.argument("agent", required=False)
@json_flag()
@click.pass_context
@handled
def channels_list(ctx: click.Context, agent: str | None, as_json: bool) -> None:
    """List connected channels (of AGENT, or all) with their message counts."""
    app = _app(ctx)
    names = agent_names(app)
    handles = {c.id: c.handle for c in app.characters.list_characters()} if agent is None else {}
    rows = [channel_json(c, names.get(c.agent_id, "?") if c.agent_id is not None else None, app.channel_event_counts(c.id),
                         character=handles.get(c.character_id, "?") if c.character_id is not None else None)
            for c in app.list_channels(app.agent(agent) if agent else None)]
    if as_json:
        _echo_json(rows)
        return
    table = Table("id", "agent", "platform", "account", "catalog", "handover app", "label", "messages")
    for r in rows:
        counts = ", ".join(f"{k} {v}" for k, v in sorted(r["events"].items())) or "none yet"
        table.add_row(str(r["id"]), r["agent"] or f"character {r['character']}", r["platform"], r["account_id"], r["catalog_id"] or "",
                      r["handover_app_id"] or "", r["label"], counts)
    out_console.print(table)


@channels.command("remove")
@click.argument("channel")
@click.pass_context
@handled
def channels_remove(ctx: click.Context, channel: str) -> None:
    """Disconnect CHANNEL (its id, or platform:account such as whatsapp:106540352242922)."""
    removed = _app(ctx).channels.remove(channel)
    click.echo(f"disconnected {removed.platform} account {removed.account_id}")


@channels.command("events")
@click.argument("channel")
@click.option("--state", type=click.Choice(["pending", "working", "done", "held", "skipped", "failed"]))
@click.option("--limit", default=50, show_default=True)
@json_flag()
@click.pass_context
@handled
def channels_events(ctx: click.Context, channel: str, state: str | None, limit: int, as_json: bool) -> None:
    """Recent inbound messages and events of CHANNEL, newest first, with what became of each."""
    app = _app(ctx)
    found = app.channels.channel(channel)
    rows = [event_json(e) for e in app.channel_events(found.id, state=state, limit=limit)]
    if as_json:
        _echo_json(rows)
        return
    table = Table("id", "received", "kind", "sender", "state", "text / error")
    for r in rows:
        table.add_row(str(r["id"]), r["received_at"][:19], r["kind"], r["sender"] or "", r["state"],
                      r["error"] or (r["text"] or "")[:60])
    out_console.print(table)


@channels.command("template")
@click.argument("channel")
@click.argument("to")
@click.argument("name")
@click.option("--language", default="en_US", show_default=True, help="The template's language code.")
@click.option("--param", "params", multiple=True, help="A body parameter, in order (repeat the option).")
@click.pass_context
@handled
def channels_template(ctx: click.Context, channel: str, to: str, name: str, language: str,
                      params: tuple[str, ...]) -> None:
    """Send the approved WhatsApp template NAME to TO (allowed outside the 24-hour window)."""
    send = _app(ctx).channels.send_template(channel, to, name, language, params)
    click.echo(f"template {name} sent to {to} (message {send.platform_message_id})")
