"""The reference deployment in deploy/: what can be checked on this machine is checked here.

There is no container engine on the build machine, so the compose file is parsed and its
wiring checked, not started; the systemd units go through ``systemd-analyze verify`` (when it
is installed) and every frontdesk command they run is parsed by the real CLI.
"""

from __future__ import annotations

import configparser
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from frontdesk.cli.main import cli
from frontdesk.config import Settings

ROOT = Path(__file__).resolve().parent.parent
DEPLOY = ROOT / "deploy"
UNITS = DEPLOY / "systemd"

pytestmark = pytest.mark.slow


def _unit(path: Path) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(strict=False, interpolation=None, delimiters=("=",))
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    parser.read_string(path.read_text())
    return parser


def _frontdesk_args(command: str) -> list[str]:
    argv = shlex.split(command.replace("%i", "8001"))
    assert Path(argv[0]).name == "frontdesk", command
    return argv[1:]


def _parses(args: list[str]) -> None:
    """The CLI has this command and accepts these options and arguments (parsed, not run)."""
    command: click.Command = cli
    rest = list(args)
    while isinstance(command, click.Group) and rest and rest[0] in command.commands:
        command = command.commands[rest.pop(0)]
    assert not isinstance(command, click.Group), f"{args}: no such command"
    command.make_context(command.name or "frontdesk", rest)  # raises on an unknown option or a missing argument


def test_every_unit_runs_a_command_the_cli_has() -> None:
    seen = []
    for path in sorted(UNITS.glob("*.service")):
        unit = _unit(path)
        assert unit["Service"]["User"] == "frontdesk"
        args = _frontdesk_args(unit["Service"]["ExecStart"])
        _parses(args)
        seen.append(args[:2])
    assert ["serve", "--port"] in seen and ["sources", "sync"] in seen


def test_the_server_unit_is_a_template_whose_instance_is_the_port() -> None:
    unit = _unit(UNITS / "frontdesk@.service")
    assert "--port %i" in unit["Service"]["ExecStart"]
    assert unit["Service"]["EnvironmentFile"] == "/etc/frontdesk/frontdesk.env"
    assert unit["Service"]["KillSignal"] == "SIGTERM"
    timer = _unit(UNITS / "frontdesk-sync.timer")
    assert timer["Timer"]["OnUnitActiveSec"] and timer["Install"]["WantedBy"] == "timers.target"


def test_the_env_example_names_only_real_settings() -> None:
    names = {f"FRONTDESK_{f.upper()}" for f in Settings.__dataclass_fields__}
    seen = set()
    for line in (DEPLOY / "frontdesk.env.example").read_text().splitlines():
        line = line.strip().lstrip("#").strip()
        if line.startswith("FRONTDESK_") and "=" in line:
            key, value = line.split("=", 1)
            assert key in names, f"{key} is not a frontdesk setting"
            seen.add(key)
            env = {key: value} if value else {}
            Settings.from_env(env)  # every example value is valid
    assert {"FRONTDESK_HOME", "FRONTDESK_LLM_BASE_URL", "FRONTDESK_TRUSTED_PROXIES"} <= seen


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze is not installed")
def test_systemd_analyze_verifies_the_units(tmp_path: Path) -> None:
    """The units as installed, with the ExecStart pointing at this checkout's frontdesk executable."""
    executable = Path(sys.executable).parent / "frontdesk"
    if not executable.exists():
        pytest.skip("no frontdesk executable beside this Python")
    names = []
    for path in sorted(UNITS.iterdir()):
        name = "frontdesk@8001.service" if path.name == "frontdesk@.service" else path.name
        (tmp_path / name).write_text(path.read_text().replace("/opt/frontdesk/venv/bin/frontdesk", str(executable)))
        names.append(str(tmp_path / name))
    result = subprocess.run(["systemd-analyze", "verify", *names], capture_output=True, text=True, timeout=60)
    ours = [line for line in (result.stdout + result.stderr).splitlines() if "frontdesk" in line]
    assert result.returncode == 0 and not ours, result.stdout + result.stderr


def test_sources_sync_due_without_an_agent_syncs_every_agent(tmp_path: Path) -> None:
    home = tmp_path / "home"
    faq = tmp_path / "faq.csv"
    faq.write_text("question,answer\nDo you open on Sundays?,No we are closed on Sundays.\n")
    runner = CliRunner()
    for name in ("one", "two"):
        assert runner.invoke(cli, ["--home", str(home), "agents", "create", name]).exit_code == 0
        assert runner.invoke(cli, ["--home", str(home), "sources", "add", name, str(faq)]).exit_code == 0
    result = runner.invoke(cli, ["--home", str(home), "sources", "sync", "--due", "--json"])
    assert result.exit_code == 0, result.output
    refused = runner.invoke(cli, ["--home", str(home), "sources", "sync"])
    assert refused.exit_code == 2 and "--due" in refused.output
