"""The reference deployment in deploy/: what can be checked on this machine is checked here.

There is no container engine on the build machine, so the compose file is parsed and its
wiring checked, not started; the systemd units go through ``systemd-analyze verify`` (when it
is installed) and every frontdesk command they run is parsed by the real CLI.
"""

from __future__ import annotations

import configparser
import contextlib
import os
import re
import shlex
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import click
import httpx
import pytest
import yaml
from click.testing import CliRunner

from frontdesk.cli.main import cli
from frontdesk.config import Settings
from frontdesk.testing.echo import EchoUpstream

from . import meta_payloads as m
from .conftest import AGENT, ServerThread, serve_sample

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


# -- the compose file ---------------------------------------------------------------------------

def test_the_compose_file_wires_postgres_redis_inference_frontdesk_and_caddy() -> None:
    """Parsed, not started: there is no container engine on the build machine."""
    compose = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
    services = compose["services"]
    assert {"postgres", "redis", "inference", "frontdesk", "caddy"} <= set(services)
    assert services["postgres"]["image"] == "postgres:15"
    assert set(services["caddy"]["ports"]) == {"80:80", "443:443"}
    assert all("ports" not in s for name, s in services.items() if name != "caddy")  # only the proxy is exposed
    web = services["frontdesk"]
    env = web["environment"]
    assert env["FRONTDESK_DATABASE_URL"].startswith("postgresql://frontdesk:") and "@postgres:5432/" in env["FRONTDESK_DATABASE_URL"]
    assert env["FRONTDESK_LLM_BASE_URL"] == "http://inference:8080/v1"
    assert web["deploy"]["replicas"] >= 2
    assert web["depends_on"]["postgres"]["condition"] == "service_healthy"
    names = {f"FRONTDESK_{f.upper()}" for f in Settings.__dataclass_fields__}
    for name, service in services.items():
        for key in (service.get("environment") or {}):
            assert not key.startswith("FRONTDESK_") or key in names or name == "caddy", f"{name}: {key}"
        if "command" in service and service["command"][0] == "frontdesk":
            _parses(service["command"][1:])
    # the network Caddy talks from is the one frontdesk trusts for X-Forwarded-For
    subnet = compose["networks"]["default"]["ipam"]["config"][0]["subnet"]
    assert env["FRONTDESK_TRUSTED_PROXIES"] == subnet
    assert yaml.safe_load((DEPLOY / "compose.yaml").read_text().replace("${POSTGRES_PASSWORD}", "x"))


# -- the reverse proxies, run for real in front of a frontdesk server ---------------------------------

def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_for(url: str, process: subprocess.Popen[bytes], **options: object) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        assert process.poll() is None, process.stderr.read().decode() if process.stderr else ""
        try:
            httpx.get(url, timeout=2, **options)  # type: ignore[arg-type]
            return
        except httpx.HTTPError:
            time.sleep(0.2)
    raise AssertionError(f"{url} did not come up")


@contextlib.contextmanager
def _caddy(tmp_path: Path, upstream_port: int) -> Iterator[str]:
    port = _free_port()
    env = {**os.environ, "FRONTDESK_DOMAIN": f"http://127.0.0.1:{port}", "FRONTDESK_UPSTREAM": "localhost",
           "FRONTDESK_UPSTREAM_PORT": str(upstream_port), "CADDY_ADMIN": "off", "HOME": str(tmp_path),
           "XDG_DATA_HOME": str(tmp_path / "data"), "XDG_CONFIG_HOME": str(tmp_path / "config")}
    process = subprocess.Popen(["caddy", "run", "--config", str(DEPLOY / "Caddyfile"), "--adapter", "caddyfile"],
                               env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        _wait_for(f"http://127.0.0.1:{port}/healthz", process)
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(timeout=30)
        if process.stderr:
            process.stderr.close()


@contextlib.contextmanager
def _nginx(tmp_path: Path, upstream_port: int) -> Iterator[str]:
    """deploy/nginx/frontdesk.conf with free ports, this server as the upstream and a throwaway certificate."""
    http_port, https_port = _free_port(), _free_port()
    tmp_path.mkdir(parents=True, exist_ok=True)
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(tmp_path / "key.pem"),
                    "-out", str(tmp_path / "cert.pem"), "-days", "1", "-subj", "/CN=localhost"],
                   check=True, capture_output=True, timeout=60)
    site = (DEPLOY / "nginx" / "frontdesk.conf").read_text()
    site = site.replace("/etc/letsencrypt/live/frontdesk.example.com/fullchain.pem", str(tmp_path / "cert.pem"))
    site = site.replace("/etc/letsencrypt/live/frontdesk.example.com/privkey.pem", str(tmp_path / "key.pem"))
    site = site.replace("listen 80;", f"listen 127.0.0.1:{http_port};").replace("listen 443 ", f"listen 127.0.0.1:{https_port} ")
    site = re.sub(r"server 127\.0\.0\.1:800\d ", f"server 127.0.0.1:{upstream_port} ", site)
    (tmp_path / "site.conf").write_text(site)
    (tmp_path / "nginx.conf").write_text(
        f"pid {tmp_path}/nginx.pid;\nerror_log {tmp_path}/error.log;\ndaemon off;\nevents {{}}\n"
        f"http {{\n access_log off;\n client_body_temp_path {tmp_path}/body;\n proxy_temp_path {tmp_path}/proxy;\n"
        f" include {tmp_path}/site.conf;\n}}\n")
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    checked = subprocess.run([nginx, "-t", "-p", str(tmp_path), "-c", str(tmp_path / "nginx.conf")],
                             capture_output=True, text=True, timeout=60)
    assert checked.returncode == 0, checked.stderr
    process = subprocess.Popen([nginx, "-p", str(tmp_path), "-c", str(tmp_path / "nginx.conf")],
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        _wait_for(f"https://127.0.0.1:{https_port}/healthz", process, verify=False)
        yield f"https://127.0.0.1:{https_port}"
    finally:
        process.terminate()
        process.wait(timeout=30)
        if process.stderr:
            process.stderr.close()


def _arrivals(client: httpx.Client) -> list[float]:
    """When each content piece of a streamed answer arrived, in seconds."""
    arrivals = []
    started = time.monotonic()
    with client.stream("POST", "/v1/chat/completions", json={
            "model": AGENT, "stream": True,
            "messages": [{"role": "user", "content": QUESTION}]}) as response:
        assert response.status_code == 200 and response.headers["content-type"].startswith("text/event-stream")
        for line in response.iter_lines():
            if line.startswith("data: {") and '"content": "' in line and '"content": ""' not in line:
                arrivals.append(time.monotonic() - started)
    assert len(arrivals) >= 2, arrivals
    return arrivals


QUESTION = "Do you offer barista courses?"  # answered in two sentences, seconds apart at 8 words a second
PROXIES = {"caddy": (_caddy, "caddy"), "nginx": (_nginx, "nginx")}


@pytest.mark.parametrize("proxy", sorted(PROXIES))
def test_the_proxy_streams_answers_unbuffered_and_passes_webhooks_intact(
        proxy: str, built_home: Path, tmp_path: Path) -> None:
    """Through the shipped proxy configuration: an answer's pieces arrive as the upstream writes
    them (not all at the end), a signed webhook delivery keeps its signature valid, a tampered one does not."""
    start, program = PROXIES[proxy]
    if shutil.which(program) is None and not Path(f"/usr/sbin/{program}").exists():
        if os.environ.get("CI"):
            pytest.fail(f"{program} is not installed: .ci/run installs it")
        pytest.skip(f"{program} is not installed (.ci/run installs it)")
    slow = EchoUpstream(rate=8, first_token_delay=0.0)  # about 8 words a second: an answer takes seconds
    with ServerThread(slow.app) as model, \
            serve_sample(built_home, tmp_path / "home", model, meta_app_secret=m.SECRET,
                         meta_verify_token=m.VERIFY, channel_workers=0) as served, \
            start(tmp_path / proxy, served.server.port) as url, \
            httpx.Client(base_url=url, verify=False, timeout=60,
                         headers={"Authorization": f"Bearer {served.key}"}) as client:
        direct = _arrivals(served.http)
        proxied = _arrivals(client)
        # the pieces of the answer leave frontdesk spread over seconds (8 words a second); through
        # the proxy they must arrive as spread, not together at the end as a buffering proxy sends them
        assert direct[-1] - direct[0] > 0.5, direct
        assert proxied[-1] - proxied[0] > 0.5 * (direct[-1] - direct[0]), (direct, proxied)

        body = m.encode(m.wa_delivery([m.wa_value([m.wa_text("wamid.PROXY1", "hi")])]))
        signed = client.post("/webhooks/meta", content=body, headers={
            "X-Hub-Signature-256": m.sign(body), "Content-Type": "application/json"})
        assert signed.status_code == 200, signed.text
        tampered = client.post("/webhooks/meta", content=body + b" ", headers={
            "X-Hub-Signature-256": m.sign(body), "Content-Type": "application/json"})
        assert tampered.status_code in (401, 403), tampered.text
