"""Printing a streamed answer in a terminal, shared by `frontdesk chat` and the demo."""

from __future__ import annotations

import click

from ..answer import Answer, Responder
from ..domain import Agent


def print_sources(answer: Answer) -> None:
    for citation in answer.citations:
        click.secho(f"    [{citation['n']}] {citation['title']} — {citation['url']} (as of {citation['as_of']})",
                    dim=True)
    if answer.handoff:
        click.secho("    (a person from the team is offered)", fg="yellow")


def converse(responder: Responder, agent: Agent, question: str, conversation: int | None,
             prefix: str = "") -> Answer:
    """Stream one answer to stdout as its checked sentences arrive, then its sources."""
    click.echo(prefix, nl=False)
    answer = None
    for event, value in responder.stream(agent, question, conversation):
        if event == "delta":
            click.echo(value, nl=False)
        else:
            answer = value
            click.echo()
            print_sources(value)
    assert answer is not None
    return answer
