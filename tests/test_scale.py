"""Several real `frontdesk serve` processes on one PostgreSQL database (and one Redis).

Each process has its own data directory (as on separate hosts) and runs channel workers. A
burst of WhatsApp deliveries goes to both, one process is killed (SIGKILL) in the middle, and
every customer message must still be answered exactly once and in order. Console sessions and
login throttling hold across the processes; ``/readyz`` reports each; SIGTERM drains.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from frontdesk.store import open_store
from frontdesk.testing.echo import EchoUpstream
from frontdesk.testing.graph import FakeGraph

from . import meta_payloads as m
from .conftest import SAMPLE, ServerThread
from .pg import fresh_schema

FRONTDESK = str(Path(sys.executable).with_name("frontdesk"))
REDIS_URL = os.environ.get("FRONTDESK_TEST_REDIS", "redis://127.0.0.1:6379/13")
QUESTIONS = ["When are you open on Saturday?", "Do you ship to Austria?", "What is your return policy?",
             "Do you have decaf coffee?", "How much is the Ethiopia Yirgacheffe 250 g?"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_ready(url: str, process: subprocess.Popen[bytes], timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert process.poll() is None, f"frontdesk serve exited with {process.returncode}"
        try:
            if httpx.get(url + "/readyz", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise AssertionError(f"{url} never became ready")


class Cluster:
    """N `frontdesk serve` processes against one PostgreSQL schema, the Graph and LLM stand-ins."""

    def __init__(self, tmp: Path, database_url: str, upstream: str, graph: str, **env: str) -> None:
        self.tmp = tmp
        self.database_url = database_url
        self.env = {**os.environ, "FRONTDESK_DATABASE_URL": database_url, "FRONTDESK_LLM_BASE_URL": upstream,
                    "FRONTDESK_MODEL": "echo", "FRONTDESK_FAST_MODEL": "none",
                    "FRONTDESK_GRAPH_BASE_URL": graph + "/v24.0", "FRONTDESK_GRAPH_BACKOFF": "0.05",
                    "FRONTDESK_META_APP_SECRET": m.SECRET, "FRONTDESK_META_VERIFY_TOKEN": m.VERIFY,
                    "FRONTDESK_META_ACCESS_TOKEN": m.TOKEN, "FRONTDESK_CHANNEL_WORKERS": "2",
                    "FRONTDESK_CLAIM_LEASE": "3", "FRONTDESK_REDIS_URL": REDIS_URL, "FRONTDESK_HTTP_TIMEOUT": "5",
                    **env}
        self.processes: list[subprocess.Popen[bytes]] = []
        self.urls: list[str] = []

    def cli(self, *args: str, stdin: str | None = None) -> str:
        result = subprocess.run([FRONTDESK, "--home", str(self.tmp / "admin"), *args], env=self.env, input=stdin,
                                capture_output=True, text=True, timeout=300)
        assert result.returncode == 0, result.stderr
        return result.stdout

    def start(self, n: int) -> None:
        for i in range(len(self.processes), len(self.processes) + n):
            port = free_port()
            process = subprocess.Popen([FRONTDESK, "--home", str(self.tmp / f"host{i}"), "serve", "--port", str(port),
                                        "--no-warm-up"], env=self.env, stdout=subprocess.DEVNULL,
                                       stderr=subprocess.PIPE)
            self.processes.append(process)
            self.urls.append(f"http://127.0.0.1:{port}")
        for url, process in zip(self.urls, self.processes, strict=True):
            wait_ready(url, process)

    def close(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                process.terminate()
        for process in self.processes:
            try:
                process.wait(timeout=40)
            except subprocess.TimeoutExpired:
                process.kill()
            if process.stderr:
                process.stderr.close()


@pytest.fixture
def cluster(tmp_path: Path) -> Iterator[Cluster]:
    import redis

    client = redis.Redis.from_url(REDIS_URL)
    for key in client.scan_iter("frontdesk:rate:*"):  # this test's own database of the local Redis
        client.delete(key)
    graph = FakeGraph()
    with fresh_schema("scale") as url, ServerThread(EchoUpstream(rate=400, first_token_delay=0.0).app) as upstream, \
            ServerThread(graph.app) as graph_server:
        cluster = Cluster(tmp_path, url, upstream.url + "/v1", graph_server.url)
        cluster.graph = graph  # type: ignore[attr-defined]
        cluster.cli("agents", "create", "harbor")
        cluster.cli("sources", "add", "harbor", str(SAMPLE / "faq.csv"))
        cluster.cli("channels", "add", "harbor", "whatsapp", m.PHONE_ID)
        try:
            yield cluster
        finally:
            cluster.close()


def deliver(url: str, payload: dict) -> httpx.Response:
    body = m.encode(payload)
    return httpx.post(url + "/webhooks/meta", content=body, timeout=30,
                      headers={"X-Hub-Signature-256": m.sign(body), "Content-Type": "application/json"})


@pytest.mark.slow
def test_two_processes_answer_each_message_once_and_in_order_when_one_is_killed(cluster: Cluster) -> None:
    cluster.start(2)
    graph: FakeGraph = cluster.graph  # type: ignore[attr-defined]
    for url in cluster.urls:
        ready = httpx.get(url + "/readyz").json()
        assert ready["status"] == "ready" and ready["database"] == "postgresql" and ready["redis_ok"]

    # a console session made on one process is valid on the other (sessions live in the database)
    cluster.cli("users", "create", "ana", "--password-stdin", stdin="correct horse battery\n")
    with httpx.Client(base_url=cluster.urls[0]) as first:
        assert first.post("/console/login", data={"name": "ana", "password": "correct horse battery"}).status_code == 303
        cookies = dict(first.cookies)
    assert httpx.get(cluster.urls[1] + "/console/", cookies=cookies).status_code == 200
    # login throttling is shared (Redis): ten attempts a minute per visitor, whichever process gets them
    statuses = [httpx.post(cluster.urls[n % 2] + "/console/login", data={"name": "ana", "password": "wrong-one!"}
                           ).status_code for n in range(9)]
    assert statuses == [401] * 9  # with the good login above: ten, five on each process
    assert httpx.post(cluster.urls[1] + "/console/login", data={"name": "ana", "password": "wrong-one!"}
                      ).status_code == 429

    customers = [f"4917000000{n:02d}" for n in range(6)]
    messages = [(f"wamid.S{n:03d}", customers[n % 6], QUESTIONS[(n // 6) % len(QUESTIONS)]) for n in range(30)]
    for n, (message_id, customer, text) in enumerate(messages):
        payload = m.wa_delivery([m.wa_value([m.wa_text(message_id, text, customer=customer)], customer=customer)])
        if n == 12:  # the first process dies in the middle of its work, with claims it never finishes
            cluster.processes[0].send_signal(signal.SIGKILL)
            cluster.processes[0].wait()
        targets = [cluster.urls[n % 2]] if n < 12 else [cluster.urls[1]]
        response = deliver(targets[0], payload)
        assert response.status_code == 200, response.text
        if n % 5 == 0:  # Meta's retries of a delivery reach the other process: nothing new
            assert deliver(cluster.urls[1], payload).json()["new"] == 0

    store = open_store(cluster.database_url)
    try:
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline:
            counts = store.event_counts()
            sends = store.list_sends(limit=10_000)
            if not counts.get("pending") and not counts.get("working") and all(
                    s.state in ("sent", "failed") for s in sends):
                break
            time.sleep(0.3)
        counts = store.event_counts()
        assert counts == {"done": 30}, counts
        events = {e.event_key: e for e in store.list_events(limit=100)}
        assert sorted(events) == sorted(mid for mid, _, _ in messages)
        sends = [s for s in store.list_sends(limit=10_000) if s.key.startswith("reply:")]
        assert all(s.state == "sent" for s in sends)
        replied = {int(s.key.split(":")[1]) for s in sends}
        assert replied == {e.id for e in events.values()}  # every message has its reply, none lost
        # no reply went out twice: every successful text post is one outbox row
        posted = graph.sent("text")
        assert len(posted) == len([s for s in sends if s.kind == "text"]), (len(posted), len(sends))
        for customer in customers:  # in order: the customer got the replies in the order of their messages
            conversation = store.find_conversation(1, "whatsapp", f"{m.PHONE_ID}:{customer}")
            assert conversation is not None
            ordered = sorted((s for s in sends if s.conversation_id == conversation.id and s.kind == "text"),
                             key=lambda s: (int(s.key.split(":")[1]), int(s.key.split(":")[2])))
            received = [c.body for c in posted if (c.body or {}).get("to") == customer]
            assert received == [s.body for s in ordered]
        taken_over = [e for e in events.values() if e.attempts > 1]
        assert all(e.state == "done" for e in taken_over)
    finally:
        store.close()


@pytest.mark.slow
def test_sigterm_drains_a_stream_in_flight(tmp_path: Path) -> None:
    with fresh_schema("drain") as url, ServerThread(EchoUpstream(rate=25, first_token_delay=0.0).app) as upstream:
        cluster = Cluster(tmp_path, url, upstream.url + "/v1", "http://127.0.0.1:9", FRONTDESK_REDIS_URL="")
        try:
            cluster.cli("agents", "create", "harbor")
            cluster.cli("sources", "add", "harbor", str(SAMPLE / "faq.csv"))
            key = cluster.cli("keys", "create").strip().splitlines()[0]
            cluster.start(1)
            url0, process = cluster.urls[0], cluster.processes[0]
            chunks: list[str] = []
            with httpx.stream("POST", url0 + "/v1/chat/completions", timeout=60,
                              headers={"Authorization": f"Bearer {key}"},
                              json={"model": "harbor", "stream": True,
                                    "messages": [{"role": "user", "content": "What is your return policy?"}]}
                              ) as response:
                assert response.status_code == 200
                for line in response.iter_lines():
                    if line.startswith("data: ") and not chunks:
                        process.send_signal(signal.SIGTERM)  # mid-stream
                    chunks.append(line)
            assert chunks[-1] == "data: [DONE]" or "data: [DONE]" in chunks
            text = "".join(json.loads(c[6:])["choices"][0]["delta"].get("content") or ""
                           for c in chunks if c.startswith("data: {"))
            assert len(text.split()) > 5  # the whole answer, not a cut-off one
            # after the drain uvicorn re-raises the signal: the exit status says SIGTERM, as systemd expects
            assert process.wait(timeout=40) in (0, -signal.SIGTERM)
            with pytest.raises(httpx.HTTPError):
                httpx.get(url0 + "/healthz", timeout=2)  # gone: nothing new is accepted
        finally:
            cluster.close()
