"""The OpenAI-compatible client's failure handling against real HTTP servers on 127.0.0.1:
retries before the first piece, timeouts, a stream broken off, a server that is not there.

The same failures against llama.cpp's real server, killed mid-answer: tests/test_remote.py."""

from __future__ import annotations

import asyncio
import json
import socket
import time
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from frontdesk.errors import InfrastructureError
from frontdesk.llm.remote import OpenAICompatibleModel

from .conftest import ServerThread

ASK = [{"role": "user", "content": "Hi"}]


def _chunk(text: str) -> str:
    return "data: " + json.dumps({"choices": [{"index": 0, "delta": {"content": text}}]}) + "\n\n"


class Flaky:
    """An OpenAI-compatible stand-in that fails the first ``failures`` requests with ``status``,
    then streams ``words``; ``hang_after`` words in, it stops sending (and keeps the connection)."""

    def __init__(self, *, failures: int = 0, status: int = 503, retry_after: str | None = None,
                 words: tuple[str, ...] = ("Vouchers ", "are ", "valid ", "3 ", "years."),
                 hang_after: int | None = None, hang_before_headers: bool = False) -> None:
        self.failures, self.status, self.retry_after = failures, status, retry_after
        self.words, self.hang_after, self.hang_before_headers = words, hang_after, hang_before_headers
        self.requests: list[float] = []
        self.app = Starlette(routes=[Route("/v1/chat/completions", self.completions, methods=["POST"])])

    async def completions(self, request: Request) -> Response:
        await request.json()
        self.requests.append(time.monotonic())
        if len(self.requests) <= self.failures:
            headers = {"Retry-After": self.retry_after} if self.retry_after else None
            return JSONResponse({"error": {"message": "Loading model"}}, status_code=self.status, headers=headers)
        if self.hang_before_headers:  # until the client gives up (so the server stops at once), 4 s at most
            for _ in range(80):
                if await request.is_disconnected():
                    break
                await asyncio.sleep(0.05)

        async def events() -> AsyncIterator[str]:
            for n, word in enumerate(self.words):
                if self.hang_after is not None and n == self.hang_after:
                    await asyncio.sleep(4)
                yield _chunk(word)
            yield "data: [DONE]\n\n"

        return StreamingResponse(events(), media_type="text/event-stream")


@pytest.fixture
def models() -> Iterator[list[OpenAICompatibleModel]]:
    made: list[OpenAICompatibleModel] = []
    yield made
    for model in made:
        model.close()


@pytest.fixture
def model(models: list[OpenAICompatibleModel]) -> Callable[..., OpenAICompatibleModel]:
    def make(url: str, **options: Any) -> OpenAICompatibleModel:
        models.append(OpenAICompatibleModel(f"{url}/v1", "served", **{"attempts": 3, "backoff": 0.05, **options}))
        return models[-1]

    return make


def test_busy_and_restarting_answers_are_asked_again(model: Callable[..., OpenAICompatibleModel]) -> None:
    flaky = Flaky(failures=2, status=503)
    with ServerThread(flaky.app) as server:
        assert "".join(model(server.url, backoff=0.3).stream(ASK, max_tokens=20)) == "Vouchers are valid 3 years."
    assert len(flaky.requests) == 3
    first, second = (b - a for a, b in zip(flaky.requests, flaky.requests[1:], strict=False))
    assert first >= 0.29 and second >= 0.59  # the backoff doubles


def test_retry_after_is_obeyed_and_attempts_are_bounded(model: Callable[..., OpenAICompatibleModel]) -> None:
    flaky = Flaky(failures=5, status=429, retry_after="1")
    with ServerThread(flaky.app) as server:
        with pytest.raises(InfrastructureError, match=r"answered 429: Loading model"):
            list(model(server.url, attempts=2).stream(ASK, max_tokens=20))
    assert len(flaky.requests) == 2  # 2 attempts, no more (of the 5 it would refuse)
    assert flaky.requests[1] - flaky.requests[0] >= 0.9  # Retry-After: 1, not the 0.05 s backoff


def test_a_client_error_is_not_asked_again(model: Callable[..., OpenAICompatibleModel]) -> None:
    flaky = Flaky(failures=1, status=400)
    with ServerThread(flaky.app) as server:
        with pytest.raises(InfrastructureError, match="answered 400"):
            list(model(server.url).stream(ASK, max_tokens=20))
    assert len(flaky.requests) == 1


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_a_server_that_is_not_there_is_named_after_bounded_attempts(model: Callable[..., OpenAICompatibleModel]) -> None:
    url = f"http://127.0.0.1:{_free_port()}"
    started = time.monotonic()
    with pytest.raises(InfrastructureError) as caught:
        list(model(url, attempts=3, backoff=0.1).stream(ASK, max_tokens=20))
    assert f"model server {url}/v1 is unreachable (3 attempts): ConnectError" in str(caught.value)
    assert 0.25 <= time.monotonic() - started < 10  # 0.1 + 0.2 s of backoff


def test_a_stream_that_stops_sending_ends_at_the_timeout_with_the_text_so_far(model: Callable[..., OpenAICompatibleModel], caplog: pytest.LogCaptureFixture) -> None:
    flaky = Flaky(hang_after=2)
    with ServerThread(flaky.app) as server:
        started = time.monotonic()
        pieces = list(model(server.url, timeout=1.0).stream(ASK, max_tokens=20))
    assert pieces == ["Vouchers ", "are "]
    assert time.monotonic() - started < 10
    assert len(flaky.requests) == 1  # begun answers are never asked again
    assert "model stream broken off" in caplog.text and "ReadTimeout" in caplog.text


def test_a_server_that_never_answers_times_out_with_the_url(model: Callable[..., OpenAICompatibleModel]) -> None:
    flaky = Flaky(hang_before_headers=True)
    with ServerThread(flaky.app) as server:
        with pytest.raises(InfrastructureError, match=rf"model server {server.url}/v1 did not answer in time: ReadTimeout"):
            list(model(server.url, timeout=0.5, attempts=1).stream(ASK, max_tokens=20))
