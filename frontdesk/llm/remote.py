"""Any OpenAI-compatible chat endpoint: vLLM, llama.cpp server, Ollama, hosted APIs.

Failures, and what the customer gets (tests/test_remote.py runs each against a real server):

- No server, or 429/502/503/504, before the first piece: asked again, ``attempts`` times in
  all, waiting ``backoff`` seconds and doubling (a ``Retry-After`` header wins, up to 30 s);
  then :class:`InfrastructureError` naming the URL (the HTTP API answers 503, never 500).
- The server goes away (or stops sending for ``timeout`` seconds) after the answer began:
  the stream ends there, as when the answer reaches ``max_tokens``. Nothing is asked again
  (the text so far has been streamed to the customer); the responder checks what arrived
  like any other reply, so the customer gets the checked part or the decline and a person.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from contextvars import ContextVar

import httpx

from ..errors import InfrastructureError
from ..log import get_logger
from ..retry import retry_after as parse_retry_after

log = get_logger(__name__)

#: Sent as ``X-Request-Id`` with each request, so the inference server's logs (vLLM uses it as its
#: request id) can be matched with frontdesk's conversations. Set per answer by :meth:`Frontdesk.chat`.
request_id: ContextVar[str | None] = ContextVar("frontdesk_request_id", default=None)

#: Statuses that mean "busy or restarting, ask again" (a load balancer without a healthy backend: 502-504).
RETRY_STATUSES = frozenset({429, 502, 503, 504})
_MAX_RETRY_AFTER = 30.0


class OpenAICompatibleModel:
    """``http``: the HTTP client to send with (for instance one with an ``httpx.MockTransport`` in a
    test; its base URL is not used: requests go to ``base_url``); by default the model makes its own."""

    def __init__(self, base_url: str, model: str, *, api_key: str = "", timeout: float = 120.0,
                 connect_timeout: float = 10.0, attempts: int = 3, backoff: float = 0.5,
                 http: httpx.Client | None = None) -> None:
        self.base_url = base_url.rstrip("/")
        self.name = model
        self.attempts = max(1, attempts)
        self.backoff = max(0.0, backoff)
        self._headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        # one connection per answer in flight: the server streams many at once (FRONTDESK_MAX_STREAMS)
        self._own_client = http is None
        self._client = http or httpx.Client(timeout=httpx.Timeout(timeout, connect=connect_timeout),
                                            limits=httpx.Limits(max_connections=1024, max_keepalive_connections=64))

    def stream(self, messages: list[dict[str, str]], *, max_tokens: int, temperature: float = 0.0) -> Iterator[str]:
        body = {"model": self.name, "messages": messages, "max_tokens": max_tokens,
                "temperature": temperature, "stream": True}
        rid = request_id.get()
        headers = {**self._headers, "X-Request-Id": rid} if rid else self._headers
        url = f"{self.base_url}/chat/completions"
        pieces = 0
        for attempt in range(1, self.attempts + 1):
            last = attempt == self.attempts
            try:
                with self._client.stream("POST", url, json=body, headers=headers) as response:
                    if response.status_code >= 400:
                        response.read()
                        if response.status_code in RETRY_STATUSES and not last:
                            self._wait(attempt, f"status {response.status_code}", response.headers.get("retry-after"))
                            continue
                        raise InfrastructureError(
                            f"model server {self.base_url} answered {response.status_code}: {_error_text(response)}")
                    for text in self._pieces(response):
                        pieces += 1
                        yield text
                    return
            except httpx.HTTPError as exc:
                if pieces:
                    log.warning("model stream broken off", url=self.base_url, pieces=pieces,
                                error=f"{type(exc).__name__}: {exc}", request_id=rid or "")
                    return
                if not last and isinstance(exc, httpx.TransportError):
                    self._wait(attempt, f"{type(exc).__name__}: {exc}", None)
                    continue
                tried = f" ({attempt} attempts)" if attempt > 1 else ""
                what = "did not answer in time" if isinstance(exc, httpx.TimeoutException) else "is unreachable"
                raise InfrastructureError(f"model server {self.base_url} {what}{tried}: "
                                          f"{type(exc).__name__}: {exc}") from exc

    def close(self) -> None:
        """Close the connections this model opened (an injected client stays the caller's)."""
        if self._own_client:
            self._client.close()

    def _pieces(self, response: httpx.Response) -> Iterator[str]:
        for line in response.iter_lines():
            if not line.startswith("data:"):
                continue
            data = line[5:].strip()
            if data == "[DONE]":
                return
            try:
                chunk = json.loads(data)
            except json.JSONDecodeError:
                raise InfrastructureError(f"model server {self.base_url} sent a malformed event: {data[:80]}") from None
            if isinstance(chunk, dict) and chunk.get("error"):
                raise InfrastructureError(f"model server {self.base_url} failed mid-answer: {_message(chunk['error'])}")
            for choice in (chunk.get("choices") if isinstance(chunk, dict) else None) or []:
                text = (choice.get("delta") or {}).get("content")
                if text:
                    yield text

    def _wait(self, attempt: int, reason: str, retry_after: str | None) -> None:
        delay = self.backoff * 2 ** (attempt - 1)
        asked = parse_retry_after(retry_after)
        if asked is not None:
            delay = min(asked, _MAX_RETRY_AFTER)
        log.warning("model server not ready, asking again", url=self.base_url, attempt=attempt,
                    reason=reason, wait_s=round(delay, 2))
        time.sleep(delay)


def _message(error: object) -> str:
    return str(error.get("message", error) if isinstance(error, dict) else error)[:300]


def _error_text(response: httpx.Response) -> str:
    try:
        payload = response.json()
        return _message(payload.get("error", payload))
    except (ValueError, AttributeError):
        return response.text[:300]
