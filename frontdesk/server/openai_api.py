"""OpenAI-compatible chat completions: each agent is a model.

Any OpenAI client talks to an agent by setting its base URL to ``http://host:port/v1`` and
``model`` to the agent's name. The answer's citations, products and flags travel in an extra
``frontdesk`` field that standard clients ignore.

OpenAI's API is stateless: clients resend the whole conversation. frontdesk keeps its own
conversation (follow-ups such as "and in 1 kg?" need the products of the previous turn), found
again by a hash of the transcript the client sends, scoped to its API key; ``conversation_id``
in the request body names one directly. The client's system messages are ignored: the
agent's own persona and instructions govern what it says.
"""

from __future__ import annotations

import hashlib
import json
import time
import uuid
from collections.abc import AsyncIterator
from typing import Any, Literal

from fastapi import APIRouter, HTTPException
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from ..answer import Answer
from ..domain import Agent, ApiKey
from ..errors import FrontdeskError, NotFound
from .api import Key, Svc, agent_for
from .app import Services, error_body
from .streaming import iterate_in_thread

router = APIRouter(prefix="/v1", tags=["openai"])


class ContentPart(BaseModel):
    model_config = ConfigDict(extra="allow")
    type: str
    text: str | None = None


class ChatMessage(BaseModel):
    model_config = ConfigDict(extra="allow")
    role: Literal["system", "developer", "user", "assistant", "tool"]
    content: str | list[ContentPart] | None = None

    def text(self) -> str:
        if isinstance(self.content, list):
            return "".join(part.text or "" for part in self.content if part.type == "text")
        return self.content or ""


class ChatRequest(BaseModel):
    model_config = ConfigDict(extra="allow")  # temperature, top_p, user, ...: accepted and ignored
    model: str = Field(min_length=1, max_length=64, description="The agent's name.")
    messages: list[ChatMessage] = Field(min_length=1, max_length=200)
    stream: bool = False
    conversation_id: int | None = Field(None, ge=1, le=2**62,
                                        description="frontdesk extension: continue this conversation.")


def _transcript_key(key: ApiKey, turns: list[tuple[str, str]]) -> str:
    return hashlib.sha256(json.dumps([key.id, turns], ensure_ascii=False).encode()).hexdigest()


def _conversation(svc: Services, key: ApiKey, agent: Agent, request: ChatRequest) -> tuple[int, str, list[tuple[str, str]]]:
    turns = [(m.role, m.text().strip()) for m in request.messages if m.role in ("user", "assistant")]
    if not turns or turns[-1][0] != "user" or not turns[-1][1]:
        raise HTTPException(400, "the last message must be a user message with text")
    history, question = turns[:-1], turns[-1][1]
    if request.conversation_id is not None:
        conversation = svc.frontdesk.conversation(request.conversation_id, agent)
        return conversation.id, question, turns
    if history:
        found = svc.frontdesk.find_conversation(agent, "openai", _transcript_key(key, history))
        if found is not None:
            return found.id, question, turns
    conversation_id = svc.frontdesk.start_conversation(agent.name, "openai")
    svc.frontdesk.record_history(conversation_id, history)  # a transcript frontdesk has not seen: context
    return conversation_id, question, turns


def _extra(answer: Answer | None, conversation_id: int) -> dict[str, Any]:
    if answer is None:
        return {"held": True, "conversation_id": conversation_id}
    data = answer.to_json()
    return {"held": False, "conversation_id": conversation_id,
            **{k: data[k] for k in ("citations", "products", "grounded", "handoff", "language", "mode")}}


@router.get("/models", summary="Agents, as OpenAI models")
def list_models(svc: Svc, key: Key) -> dict[str, Any]:
    from .characters import v1_models

    agents = [a for a in svc.frontdesk.list_agents() if key.agent_id in (None, a.id)]
    return {"object": "list", "data": [_model(a) for a in agents] + v1_models(svc, key)}


@router.get("/models/{model}", summary="One agent, as an OpenAI model")
def get_model(model: str, svc: Svc, key: Key) -> dict[str, Any]:
    from .characters import completion_character, v1_models

    if completion_character(svc, key, model) is not None and not any(a.name == model for a in svc.frontdesk.list_agents()):
        return next(m for m in v1_models(svc, key) if m["id"] == model)
    return _model(_agent(svc, key, model))


def _model(agent: Agent) -> dict[str, Any]:
    return {"id": agent.name, "object": "model", "created": int(agent.created_at.timestamp()),
            "owned_by": "frontdesk"}


def _agent(svc: Services, key: ApiKey, name: str) -> Agent:
    try:
        return agent_for(svc, key, name)
    except (NotFound, HTTPException):
        raise HTTPException(404, f"The model {name!r} does not exist: it must be the name of an agent "
                                 "or a character's handle (GET /v1/models lists them)") from None


@router.post("/chat/completions", summary="Chat with an agent (plain or streamed as server-sent events)")
async def chat_completions(request: ChatRequest, svc: Svc, key: Key) -> Any:
    # the store is synchronous: its calls run in the thread pool, never on the event loop,
    # where waiting for SQLite's lock would stall every stream in flight
    try:
        agent = await run_in_threadpool(_agent, svc, key, request.model)
    except HTTPException:  # not an agent: perhaps a character (docs/characters.md)
        from . import characters

        character = await run_in_threadpool(characters.completion_character, svc, key, request.model)
        if character is None:
            raise
        return await characters.v1_completion(svc, key, character, request, _transcript_key)
    conversation_id, question, turns = await run_in_threadpool(_conversation, svc, key, agent, request)
    completion_id = f"chatcmpl-{uuid.uuid4().hex}"
    created = int(time.time())
    events = iterate_in_thread(lambda: svc.frontdesk.chat(agent, conversation_id, question), svc.slots)

    def remember(answer: Answer | None) -> None:
        if answer is not None and request.conversation_id is None:
            svc.frontdesk.set_conversation_key(
                conversation_id, _transcript_key(key, [*turns, ("assistant", answer.answer)]))

    if not request.stream:
        answer: Answer | None = None
        async for event, value in events:
            if event == "done":
                answer = value
        await run_in_threadpool(remember, answer)
        return {"id": completion_id, "object": "chat.completion", "created": created, "model": agent.name,
                "choices": [{"index": 0, "finish_reason": "stop", "logprobs": None,
                             "message": {"role": "assistant", "content": answer.answer if answer else ""}}],
                "frontdesk": _extra(answer, conversation_id)}

    first = await _first(events)  # errors before the first byte still get a proper status code

    async def sse() -> AsyncIterator[str]:
        def chunk(delta: dict[str, Any], finish: str | None = None, **extra: Any) -> str:
            body = {"id": completion_id, "object": "chat.completion.chunk", "created": created,
                    "model": agent.name, "choices": [{"index": 0, "delta": delta, "finish_reason": finish,
                                                      "logprobs": None}], **extra}
            return f"data: {json.dumps(body, ensure_ascii=False)}\n\n"

        yield chunk({"role": "assistant", "content": ""})
        answer: Answer | None = None
        try:
            pending = [first] if first is not None else []
            async for item in _chain(pending, events):
                event, value = item
                if event == "delta":
                    yield chunk({"content": value})
                elif event == "done":
                    answer = value
            await run_in_threadpool(remember, answer)
            yield chunk({}, "stop", frontdesk=_extra(answer, conversation_id))
        except FrontdeskError as exc:
            yield f"data: {json.dumps(error_body(str(exc), 'server_error'))}\n\n"
        yield "data: [DONE]\n\n"

    return StreamingResponse(sse(), media_type="text/event-stream",
                             headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})


async def _first(events: AsyncIterator[Any]) -> Any:
    try:
        return await anext(events)
    except StopAsyncIteration:
        return None


async def _chain(first: list[Any], rest: AsyncIterator[Any]) -> AsyncIterator[Any]:
    for item in first:
        yield item
    async for item in rest:
        yield item
