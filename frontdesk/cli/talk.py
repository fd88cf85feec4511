"""Printing a streamed answer in a terminal, shared by `frontdesk chat` and the demo."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from ..answer import Answer
from ..domain import Agent

if TYPE_CHECKING:
    from ..app import Frontdesk


def print_sources(answer: Answer) -> None:
    for citation in answer.citations:
        click.secho(f"    [{citation['n']}] {citation['title']} — {citation['url']} (as of {citation['as_of']})",
                    dim=True)
    if answer.handoff:
        click.secho("    (a person from the team is offered)", fg="yellow")


def converse(app: Frontdesk, agent: Agent, question: str, conversation: int | None,
             prefix: str = "", model: str | None = None) -> Answer | None:
    """Stream one answer to stdout as its checked sentences arrive, then its sources. In a
    conversation it goes through :meth:`Frontdesk.chat`: None while a person owns it."""
    click.echo(prefix, nl=False)
    answer = None
    events = (app.chat(agent, conversation, question, model=model) if conversation is not None
              else app.responder(model).stream(agent, question, None))
    for event, value in events:
        if event == "delta":
            click.echo(value, nl=False)
        elif event == "held":
            click.echo()
            click.secho(f"    ({value.owner} owns this conversation: the agent stays silent, "
                        "your message is kept for them)", fg="yellow")
        else:
            answer = value
            click.echo()
            print_sources(value)
    return answer
