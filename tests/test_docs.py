"""The docs describe what exists: every command the README shows is a real command with the
options it shows, and every FRONTDESK_* setting the code reads is in docs/configuration.md (and
every one documented there is read somewhere). Failures say exactly what to add or remove."""

from __future__ import annotations

import re
import shlex
from dataclasses import MISSING, fields
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from frontdesk.cli.main import cli
from frontdesk.config import Settings, setting_names

ROOT = Path(__file__).resolve().parent.parent
CONFIGURATION = ROOT / "docs" / "configuration.md"
SETTING = re.compile(r"\bFRONTDESK_[A-Z0-9_]*[A-Z0-9]\b")


def readme_commands() -> list[tuple[int, str]]:
    """(line number, command) of every ``frontdesk ...`` line inside the README's code blocks."""
    found, fenced = [], False
    for number, line in enumerate((ROOT / "README.md").read_text().splitlines(), 1):
        if line.lstrip().startswith("```"):
            fenced = not fenced
            continue
        text = line.strip().removeprefix("$ ")
        if fenced and re.match(r"(\.venv/bin/)?frontdesk\s", text):
            found.append((number, text.split("  #", 1)[0].split(" # ", 1)[0].strip()))
    return found


def resolve(words: list[str]) -> tuple[list[str], click.Command]:
    """The command path the words name and the command at its end, parsed the way click parses
    them (so a group that rewrites its arguments, like ``eval --compare``, resolves as it runs)."""
    ctx = cli.make_context("frontdesk", list(words), resilient_parsing=True)
    path: list[str] = []
    command: click.Command = cli
    while isinstance(command, click.Group):
        rest = [*ctx._protected_args, *ctx.args]
        if not rest:
            break
        try:
            name, sub, rest = command.resolve_command(ctx, rest)
        except click.UsageError:
            break
        assert name is not None and sub is not None
        path.append(name)
        ctx = sub.make_context(name, rest, parent=ctx, resilient_parsing=True)
        command = sub
    return path, command


def test_the_readme_shows_commands() -> None:
    assert len(readme_commands()) >= 10


@pytest.mark.parametrize(("line", "text"), readme_commands(), ids=[t for _, t in readme_commands()])
def test_every_readme_command_exists_with_its_options(line: int, text: str) -> None:
    words = [w.strip("[]") for w in shlex.split(text)][1:]
    path, command = resolve(words)
    where = f"README.md line {line}: `{text}`"
    assert path, f"{where}: {words[0]!r} is not a frontdesk command (there are: {', '.join(sorted(cli.commands))})"
    result = CliRunner().invoke(cli, [*path, "--help"])
    assert result.exit_code == 0, f"{where}: `frontdesk {' '.join(path)} --help` failed: {result.output}"
    known = {opt for p in [*command.params, *cli.params] for opt in getattr(p, "opts", [])} | {"--help", "-h"}
    known |= {f"--{name}" for name in path}  # a group may take its subcommand as a flag (eval --compare)
    unknown = [w.split("=", 1)[0] for w in words if w.startswith("--") and w.split("=", 1)[0] not in known]
    assert not unknown, f"{where}: `frontdesk {' '.join(path)}` has no option {', '.join(unknown)}"


def code_settings() -> set[str]:
    """Every FRONTDESK_* name the package reads: the Settings fields and any name its code spells out."""
    names = set(setting_names())
    for path in (ROOT / "frontdesk").rglob("*.py"):
        names |= set(SETTING.findall(path.read_text(encoding="utf-8")))
    return names


def documented_settings() -> set[str]:
    return set(SETTING.findall(CONFIGURATION.read_text()))


def test_every_setting_the_code_reads_is_documented() -> None:
    missing = sorted(code_settings() - documented_settings())
    defaults = {f"FRONTDESK_{f.name.upper()}": f.default for f in fields(Settings) if f.default is not MISSING}
    rows = "\n".join(f"| `{name}` | `{defaults.get(name, '…')}` | what it does |" for name in missing)
    assert not missing, f"add these rows to the table in docs/configuration.md:\n{rows}"


def test_every_documented_setting_exists() -> None:
    stale = sorted(documented_settings() - code_settings())
    assert not stale, ("docs/configuration.md names settings no code reads (remove them, or add the "
                       f"field to frontdesk/config.py Settings): {', '.join(stale)}")
