"""Shared fixtures: an isolated data directory, the app, a local web server, and a network guard."""

from __future__ import annotations

import asyncio
import contextlib
import http.server
import json
import os
import shutil
import socket
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
import uvicorn

from frontdesk.app import Frontdesk
from frontdesk.config import Settings
from frontdesk.testing.echo import EchoUpstream

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "frontdesk" / "examples" / "harbor-coffee"
SHARED = ROOT.parent / "shared" / "data"
TAU2_DB = SHARED / "tau2-retail" / "db.json"

RAM_DISK = Path("/dev/shm")


def pytest_configure(config: pytest.Config) -> None:
    """Test data (``tmp_path`` and every temporary file) on the RAM disk when there is a roomy one
    and neither ``--basetemp`` nor ``TMPDIR`` says otherwise: the stores the tests open wait for
    the disk at every fsync (about four per test, measured), which proves nothing in a test."""
    if config.option.basetemp or os.environ.get("TMPDIR") or not os.access(RAM_DISK, os.W_OK):
        return
    disk = os.statvfs(RAM_DISK)
    if disk.f_bavail * disk.f_frsize >= 4 * 2**30:
        os.environ["TMPDIR"] = str(RAM_DISK)  # the processes the tests start too
        tempfile.tempdir = None  # read TMPDIR again


_real_connect = socket.socket.connect


def _guarded_connect(self: socket.socket, address: object) -> None:
    host = address[0] if isinstance(address, tuple) else address
    if isinstance(host, str) and not (host.startswith("127.") or host in ("::1", "localhost")) and self.family != socket.AF_UNIX:
        raise RuntimeError(f"tests must not reach the network (tried {address})")
    _real_connect(self, address)


@pytest.fixture(autouse=True)
def no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(socket.socket, "connect", _guarded_connect)


@pytest.fixture(scope="session")
def tau2_db() -> Path:
    """The tau2 retail catalog from the shared data beside the repository; the test skips, saying
    where it looked, on a clone without it."""
    if not TAU2_DB.is_file():
        pytest.skip(f"needs the tau2 retail catalog at {TAU2_DB} (../shared/data beside the repository)")
    return TAU2_DB


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    # the tests crawl LocalSite on 127.0.0.1: allowed explicitly (tests/test_security.py covers the default)
    return Settings.from_env({"FRONTDESK_HOME": str(tmp_path / "home")}, crawl_delay=0.0, http_timeout=2.0,
                             allow_private_urls=True)


@pytest.fixture
def app(settings: Settings) -> Iterator[Frontdesk]:
    frontdesk = Frontdesk(settings)
    yield frontdesk
    frontdesk.close()


Route = Callable[[http.server.BaseHTTPRequestHandler], None]


class LocalSite:
    """A real HTTP server on 127.0.0.1 serving a folder, plus routes a test adds."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.routes: dict[str, Route] = {}
        self.requests: list[str] = []
        site = self

        class Handler(http.server.SimpleHTTPRequestHandler):
            def __init__(self, *args: object, **kwargs: object) -> None:
                super().__init__(*args, directory=str(site.folder), **kwargs)  # type: ignore[arg-type]

            def do_GET(self) -> None:  # noqa: N802
                site.requests.append(self.path)
                route = site.routes.get(self.path)
                if route is not None:
                    route(self)
                    return
                if self.path.endswith("sitemap.xml"):
                    body = (site.folder / "sitemap.xml").read_bytes().replace(b"BASE", site.url.encode())
                    self.send_response(200)
                    self.send_header("Content-Type", "application/xml")
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                    return
                super().do_GET()

            def log_message(self, *args: object) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        # it checks for shutdown every poll_interval: the default 0.5 s was paid at every test's end
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def local_site() -> Iterator[Callable[[Path], LocalSite]]:
    sites: list[LocalSite] = []

    def serve(folder: Path) -> LocalSite:
        site = LocalSite(folder)
        sites.append(site)
        return site

    yield serve
    for site in sites:
        site.close()


def respond(status: int, body: bytes = b"", headers: dict[str, str] | None = None, delay: float = 0.0) -> Route:
    def route(handler: http.server.BaseHTTPRequestHandler) -> None:
        if delay:
            time.sleep(delay)
        handler.send_response(status)
        for key, value in (headers or {}).items():
            handler.send_header(key, value)
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        try:
            handler.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass

    return route


class PromptServer(uvicorn.Server):
    """uvicorn's server, stopping as soon as it is told to. uvicorn looks at ``should_exit`` every
    0.1 s and, stopping, sleeps 0.1 s before it waits for the open connections: 0.2 s per test
    server, some forty of them per run. This one looks every 10 ms and waits only for the
    connections and tasks still open; the rest (the lifespan's shutdown included) is uvicorn's."""

    async def main_loop(self) -> None:
        ticks = 0
        while not await self.on_tick(ticks):  # on_tick renews the Date header every tenth tick
            await asyncio.sleep(0.01)
            ticks += 1

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        for server in self.servers:
            server.close()
        for sock in sockets or []:
            sock.close()
        for connection in list(self.server_state.connections):
            connection.shutdown()
        while self.server_state.connections or self.server_state.tasks:
            await asyncio.sleep(0.01)
        for server in self.servers:
            await server.wait_closed()
        await self.lifespan.shutdown()


class ServerThread:
    """An ASGI app served by uvicorn on 127.0.0.1 in a background thread: real HTTP for the tests."""

    def __init__(self, app: object, port: int = 0) -> None:
        sock = socket.socket()
        sock.bind(("127.0.0.1", port))
        self.port = sock.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self._sock = sock
        self.server = PromptServer(uvicorn.Config(app, log_level="warning", lifespan="on"))
        self.thread = threading.Thread(target=self.server.run, kwargs={"sockets": [sock]}, daemon=True)

    def __enter__(self) -> ServerThread:
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("the test server did not start")
            time.sleep(0.005)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=15)
        self._sock.close()


# -- the sample business behind a server, with a model stand-in that echoes the evidence --------------

AGENT = "harbor"


@pytest.fixture(scope="session")
def upstream() -> Iterator[ServerThread]:
    with ServerThread(EchoUpstream(rate=2000, first_token_delay=0.0).app) as server:
        yield server


@pytest.fixture(scope="session")
def built_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample business ingested once; each test copies it."""
    home = tmp_path_factory.mktemp("served")
    app = Frontdesk(Settings.from_env({"FRONTDESK_HOME": str(home)}))
    app.create_agent(AGENT, persona="Harbor Coffee's barista.")
    for name in ("site", "faq.csv", "catalog.csv"):
        assert app.add_source(AGENT, str(SAMPLE / name)).ok
    app.create_agent("other")
    app.close()
    return home


def served_settings(home: Path, upstream: ServerThread, **overrides: object) -> Settings:
    """The settings of a served sample. Answers are planned in the server's process: the retrieval
    worker (a new interpreter that loads the search models, about 2.5 s of CPU for every served
    test that answers) has tests of its own (test_search, test_security's item 9, test_deploy)."""
    return Settings.from_env({"FRONTDESK_HOME": str(home)}, llm_base_url=upstream.url + "/v1", model="echo",
                             crawl_delay=0.0, http_timeout=2.0,
                             **{"allow_private_urls": True, "retrieval_process": False, **overrides})




class Served:
    """The sample business behind a running server, with an API key and a client that sends it."""

    def __init__(self, app: Frontdesk, server: ServerThread, key: str, http: httpx.Client) -> None:
        self.app = app
        self.server = server
        self.url = server.url
        self.key = key
        self.http = http


@contextlib.contextmanager
def serve_sample(built_home: Path, home: Path, upstream: ServerThread, **overrides: object) -> Iterator[Served]:
    """A copy of ``built_home`` at ``home``, served over real HTTP until the block ends."""
    from frontdesk.server import create_app

    shutil.copytree(built_home, home)
    app = Frontdesk(served_settings(home, upstream, **overrides))
    key, _ = app.create_api_key(label="tests")
    try:
        with ServerThread(create_app(app.settings, app, warm_up=False)) as server, \
                httpx.Client(base_url=server.url, headers={"Authorization": f"Bearer {key}"}, timeout=30) as http:
            yield Served(app, server, key, http)
    finally:
        app.close()


def sse_events(response: httpx.Response) -> list[tuple[str, dict]]:
    """The (event, data) pairs of a server-sent event stream (``event`` defaults to ``message``)."""
    events = []
    for block in response.text.split("\n\n"):
        lines = dict(line.split(": ", 1) for line in block.splitlines() if ": " in line)
        if "data" in lines:
            events.append((lines.get("event", "message"), json.loads(lines["data"])))
    return events
