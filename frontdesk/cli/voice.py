"""``frontdesk transcribe``, ``frontdesk speak`` and ``frontdesk voice``: voice notes in, spoken answers out."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from ..errors import InvalidInput
from ..voice import REPLY_MODES, check_reply_mode
from ..voice.audio import FORMATS
from .main import _app, _echo_json, cli, err_console, handled, json_flag


@cli.command("transcribe")
@click.argument("file", type=click.Path(dir_okay=False, allow_dash=True))
@click.option("--language", help="The spoken language (de, en, ...); detected from the audio when not given.")
@click.option("--prompt", help="Words the speaker is likely to use (product names), to help recognition.")
@click.option("--agent", help="Hear it as AGENT's voice notes are heard: told the agent's product names first.")
@json_flag("Print text, language, confidence and segments as JSON.")
@click.pass_context
@handled
def transcribe(ctx: click.Context, file: str, language: str | None, prompt: str | None, agent: str | None,
               as_json: bool) -> None:
    """What the recording FILE says (OGG/Opus voice notes, MP3, M4A, WAV, WebM; - reads stdin)."""
    data = sys.stdin.buffer.read() if file == "-" else _read(Path(file))
    app = _app(ctx)
    if agent and not prompt:
        prompt = app.voice.business_prompt(app.store, app.agent(agent).id) or None

    def progress(done: float, total: float) -> None:
        if total > 30 and err_console.is_terminal:
            err_console.print(f"heard {done:.0f} of {total:.0f} s", highlight=False)

    transcript = app.voice.hear(data, language=language, prompt=prompt, progress=progress)
    if as_json:
        _echo_json(transcript.as_dict())
    else:
        click.echo(transcript.text)


@cli.command("speak")
@click.argument("text")
@click.option("--language", default="en", show_default=True, help="The language to speak in (de, en, ...).")
@click.option("--format", "fmt", type=click.Choice(list(FORMATS)), default="opus", show_default=True,
              help="Audio format (opus is OGG/Opus, what WhatsApp plays as a voice message).")
@click.option("-o", "--output", type=click.Path(dir_okay=False, writable=True), required=True,
              help="Where to write the audio (- for stdout).")
@click.pass_context
@handled
def speak(ctx: click.Context, text: str, language: str, fmt: str, output: str) -> None:
    """Say TEXT as the agent would (prices, dates and times written out for the voice)."""
    spoken = _app(ctx).voice.speak(text, language, fmt)
    if output == "-":
        sys.stdout.buffer.write(spoken.data)
    else:
        Path(output).write_bytes(spoken.data)
        err_console.print(f"wrote {len(spoken.data)} bytes, {spoken.speech.duration:.1f} s "
                          f"({spoken.speech.voice}) to {output}", highlight=False)


@cli.group("voice")
def voice() -> None:
    """An agent's voice replies (see docs/voice.md)."""


@voice.command("replies")
@click.argument("agent")
@click.argument("mode", type=click.Choice(REPLY_MODES), required=False)
@click.pass_context
@handled
def voice_replies(ctx: click.Context, agent: str, mode: str | None) -> None:
    """Show or set whether AGENT also speaks its answers: off, spoken (when the customer sent a recording), always."""
    app = _app(ctx)
    if mode is None:
        click.echo(app.agent(agent).voice_replies)
        return
    updated = app.update_agent(agent, voice_replies=check_reply_mode(mode))
    click.echo(f"{agent}: voice replies {updated.voice_replies}")


def _read(path: Path) -> bytes:
    if not path.is_file():
        raise InvalidInput(f"{path} does not exist")
    return path.read_bytes()
