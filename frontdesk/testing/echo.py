"""An OpenAI-compatible server that answers from the evidence in frontdesk's prompt at a fixed rate.

It stands in for a real inference server (vLLM, llama.cpp server) where the figure to
measure is frontdesk's own: load tests (``bench/serve_load.py``) and tests of the server
that must not wait for a model. It streams the first sentences of the first source in
the prompt word by word, one every ``1/rate`` seconds, and records when it sent each word,
keyed by the request's ``X-Request-Id`` (frontdesk sends ``frontdesk-<conversation>-<n>``), so
the delay frontdesk adds to every word can be measured. Run it alone with ``python -m frontdesk.testing.echo``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import time
from collections.abc import AsyncIterator
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, StreamingResponse
from starlette.routing import Route

_SOURCE = re.compile(r"^\[\d+\] (?:[^:\n]{1,200}: )?(.+)$", re.M)
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")


def reply_for(prompt: str, sentences: int = 2) -> str:
    """The first ``sentences`` sentences of the prompt's first source, or NO_ANSWER without one."""
    if "SOURCES:" not in prompt:
        return "Hello."
    match = _SOURCE.search(prompt.split("SOURCES:", 1)[1])
    if not match:
        return "NO_ANSWER"
    return " ".join(_SENTENCE_END.split(match.group(1).strip())[:sentences])


class EchoUpstream:
    def __init__(self, rate: float = 25.0, first_token_delay: float = 0.05) -> None:
        self.interval = 1.0 / rate
        self.first_token_delay = first_token_delay
        self.sent: dict[str, list[float]] = {}  # tag -> monotonic time each word was sent
        self.requests = 0
        self.app = Starlette(routes=[Route("/v1/chat/completions", self.completions, methods=["POST"]),
                                     Route("/v1/models", self.models, methods=["GET"]),
                                     Route("/sent", self.sent_times, methods=["GET"])])

    async def sent_times(self, request: Request) -> JSONResponse:
        """When each word of each tagged request was sent (``time.monotonic()``, shared by local processes)."""
        return JSONResponse({"requests": self.requests, "sent": self.sent})

    async def models(self, request: Request) -> JSONResponse:
        return JSONResponse({"object": "list", "data": [{"id": "echo", "object": "model", "owned_by": "test"}]})

    async def completions(self, request: Request) -> Any:
        body = await request.json()
        self.requests += 1
        messages = body.get("messages") or []
        prompt = "\n".join(str(m.get("content", "")) for m in messages if m.get("role") == "user")
        words = reply_for(prompt).split(" ")[: int(body.get("max_tokens") or 200)]
        tag = request.headers.get("x-request-id")
        times = self.sent.setdefault(tag, []) if tag else []
        if not body.get("stream"):
            await asyncio.sleep(self.first_token_delay + self.interval * len(words))
            return JSONResponse({"id": "echo", "object": "chat.completion", "model": body.get("model", "echo"),
                                 "choices": [{"index": 0, "finish_reason": "stop",
                                              "message": {"role": "assistant", "content": " ".join(words)}}]})

        async def events() -> AsyncIterator[str]:
            await asyncio.sleep(self.first_token_delay)
            start = time.monotonic()
            for n, word in enumerate(words):
                delay = start + n * self.interval - time.monotonic()
                if delay > 0:
                    await asyncio.sleep(delay)
                piece = word if n == 0 else " " + word
                chunk = {"id": "echo", "object": "chat.completion.chunk", "model": "echo",
                         "choices": [{"index": 0, "delta": {"content": piece}, "finish_reason": None}]}
                yield f"data: {json.dumps(chunk)}\n\n"
                times.append(time.monotonic())
            done = {"id": "echo", "object": "chat.completion.chunk", "model": "echo",
                    "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]}
            yield f"data: {json.dumps(done)}\n\ndata: [DONE]\n\n"

        return StreamingResponse(events(), media_type="text/event-stream")


def main() -> None:
    import uvicorn

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=8090)
    parser.add_argument("--rate", type=float, default=25.0, help="words per second per stream")
    args = parser.parse_args()
    uvicorn.run(EchoUpstream(args.rate).app, host="127.0.0.1", port=args.port, log_level="warning")


if __name__ == "__main__":
    main()
