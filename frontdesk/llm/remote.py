"""Any OpenAI-compatible chat endpoint: vLLM, llama.cpp server, Ollama, hosted APIs."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextvars import ContextVar

import httpx

from ..errors import InfrastructureError

#: Sent as ``X-Request-Id`` with each request, so the inference server's logs (vLLM uses it as its
#: request id) can be matched with frontdesk's conversations. Set per answer by :meth:`Frontdesk.chat`.
request_id: ContextVar[str | None] = ContextVar("frontdesk_request_id", default=None)


class OpenAICompatibleModel:
    """``http``: the HTTP client to send with (for instance one with an ``httpx.MockTransport`` in a
    test; its base URL is not used: requests go to ``base_url``); by default the model makes its own."""

    def __init__(self, base_url: str, model: str, *, api_key: str = "", timeout: float = 120.0,
                 http: httpx.Client | None = None) -> None:
        self.base_url = base_url.rstrip("/")
        self.name = model
        self._headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        # one connection per answer in flight: the server streams many at once (FRONTDESK_MAX_STREAMS)
        self._client = http or httpx.Client(timeout=httpx.Timeout(timeout, connect=10.0),
                                            limits=httpx.Limits(max_connections=1024, max_keepalive_connections=64))

    def stream(self, messages: list[dict[str, str]], *, max_tokens: int, temperature: float = 0.0) -> Iterator[str]:
        body = {"model": self.name, "messages": messages, "max_tokens": max_tokens,
                "temperature": temperature, "stream": True}
        try:
            rid = request_id.get()
            headers = {**self._headers, "X-Request-Id": rid} if rid else self._headers
            with self._client.stream("POST", f"{self.base_url}/chat/completions", json=body,
                                     headers=headers) as response:
                if response.status_code >= 400:
                    response.read()
                    raise InfrastructureError(
                        f"model server {self.base_url} answered {response.status_code}: {_error_text(response)}")
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
                    for choice in chunk.get("choices") or []:
                        text = (choice.get("delta") or {}).get("content")
                        if text:
                            yield text
        except httpx.HTTPError as exc:
            raise InfrastructureError(f"model server {self.base_url} is unreachable: {exc}") from exc


def _error_text(response: httpx.Response) -> str:
    try:
        payload = response.json()
        error = payload.get("error", payload)
        return str(error.get("message", error) if isinstance(error, dict) else error)[:300]
    except (ValueError, AttributeError):
        return response.text[:300]
