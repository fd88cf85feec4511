"""The public web chat: the embeddable ``/widget.js`` and the unauthenticated routes it calls.

A page embeds an agent with ``<script src="https://HOST/widget.js" data-agent="NAME" defer></script>``.
What protects these routes:

* the agent must be public (``agents edit NAME --public``): a private agent and an agent that does not
  exist get the same 404, so these routes do not tell which agents exist;
* the page's ``Origin`` must be one of the agent's allowed origins (``agents edit --allow-origin``),
  or the server's own; requests without an ``Origin`` (not from a browser) reach a public agent, since
  any non-browser client could forge one anyway, and stay subject to
* a rate limit per visitor address and agent (``FRONTDESK_WIDGET_RATE`` messages per minute), and
* a conversation secret: creating a conversation returns a token the widget keeps in the
  visitor's browser; reading or writing the conversation needs it (only its hash is stored).
"""

from __future__ import annotations

import hmac
from importlib import resources
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, HTTPException, Query, Request, Response
from fastapi.responses import HTMLResponse, StreamingResponse
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from .. import auth
from ..domain import Agent, Conversation
from ..errors import NotFound
from ..safety.public import visitor_answer, visitor_message
from ..views import message_json
from .app import RowId, Services, services
from .streaming import event_stream

router = APIRouter(tags=["widget"])
Svc = Annotated[Services, Depends(services)]
Token = Annotated[str, Header(alias="X-Conversation-Token", min_length=10, max_length=200,
                              description="The token returned when the conversation was created.")]
_CORS_HEADERS = "content-type, x-conversation-token"


class WidgetMessage(BaseModel):
    model_config = ConfigDict(extra="forbid")
    text: str = Field(min_length=1, max_length=2000)


def _origin_allowed(request: Request, agent: Agent) -> str | None:
    """The origin to echo in CORS headers; raises 403 for a page the business did not allow."""
    origin = request.headers.get("origin")
    if origin is None:
        return None
    own = f"{request.url.scheme}://{request.url.netloc}"
    if origin == own or origin in agent.allowed_origins or "*" in agent.allowed_origins:
        return origin
    raise HTTPException(403, f"this site ({origin}) may not embed agent {agent.name!r}; the owner can "
                             f"allow it with: frontdesk agents edit {agent.name} --allow-origin {origin}")


def _cors(response: Response, origin: str | None) -> None:
    if origin:
        response.headers["Access-Control-Allow-Origin"] = origin
        response.headers["Vary"] = "Origin"


def _public_agent(svc: Services, request: Request, name: str, response: Response | None = None) -> tuple[Agent, str | None]:
    try:
        agent = svc.frontdesk.agent(name)
    except NotFound:
        agent = None
    if agent is None or not agent.public:  # one answer for both: the routes do not reveal which agents exist
        raise HTTPException(404, f"no public chat named {name!r}")
    origin = _origin_allowed(request, agent)
    if response is not None:
        _cors(response, origin)
    return agent, origin


def _cors_headers(origin: str | None) -> dict[str, str]:
    """Errors carry the CORS headers too, so the page's script can read them."""
    return {"Access-Control-Allow-Origin": origin, "Vary": "Origin"} if origin else {}


def _limit(svc: Services, request: Request, agent: Agent, origin: str | None) -> None:
    visitor = request.client.host if request.client else "unknown"
    wait = svc.visitor_limit.allow(f"{agent.id}:{visitor}")
    if wait:
        raise HTTPException(429, "too many messages; please wait a moment",
                            headers={"Retry-After": str(max(1, round(wait))), **_cors_headers(origin)})


def _visitor_conversation(svc: Services, agent: Agent, conversation_id: int, token: str,
                          origin: str | None) -> Conversation:
    try:
        conversation = svc.frontdesk.conversation(conversation_id, agent)
    except NotFound:
        conversation = None
    if conversation is None or conversation.channel != "web" or not conversation.secret_hash or \
            not hmac.compare_digest(auth.digest(token), conversation.secret_hash):
        raise HTTPException(404, "no such conversation", headers=_cors_headers(origin))
    return conversation


@router.get("/widget.js", include_in_schema=False)
def widget_script() -> Response:
    script = (resources.files("frontdesk.server") / "static" / "widget.js").read_text()
    return Response(script, media_type="text/javascript; charset=utf-8",
                    headers={"Cache-Control": "public, max-age=300", "Access-Control-Allow-Origin": "*"})


@router.options("/widget/{name}/{rest:path}", include_in_schema=False)
def preflight(name: str, rest: str, request: Request, svc: Svc) -> Response:
    response = Response(status_code=204)
    _public_agent(svc, request, name, response)
    response.headers["Access-Control-Allow-Methods"] = "GET, POST"
    response.headers["Access-Control-Allow-Headers"] = _CORS_HEADERS
    response.headers["Access-Control-Max-Age"] = "600"
    return response


@router.get("/widget/{name}/config", summary="What the widget shows before the first message")
def widget_config(name: str, request: Request, response: Response, svc: Svc) -> dict[str, Any]:
    agent, _ = _public_agent(svc, request, name, response)
    return {"agent": agent.name, "title": agent.name.replace("-", " ").replace("_", " ").title()}


@router.post("/widget/{name}/conversations", status_code=201, summary="Start a visitor's conversation")
def start(name: str, request: Request, response: Response, svc: Svc) -> dict[str, Any]:
    agent, origin = _public_agent(svc, request, name, response)
    _limit(svc, request, agent, origin)
    token = auth.new_token()
    conversation_id = svc.frontdesk.start_conversation(agent.name, "web", None, auth.digest(token))
    return {"id": conversation_id, "token": token, "status": "bot"}


@router.get("/widget/{name}/conversations/{conversation_id}", summary="A visitor's conversation, for reloads and replies from a person")
def history(name: str, conversation_id: RowId, request: Request, response: Response, svc: Svc, token: Token,
            after: Annotated[int, Query(ge=0, le=2**62)] = 0) -> dict[str, Any]:
    agent, origin = _public_agent(svc, request, name, response)
    conversation = _visitor_conversation(svc, agent, conversation_id, token, origin)
    messages = svc.frontdesk.transcript(conversation.id, after_id=after)
    return {"id": conversation.id, "status": conversation.status,
            "messages": [visitor_message({**message_json(m), "by_display": m.payload.get("by_display")})
                         for m in messages]}


@router.post("/widget/{name}/conversations/{conversation_id}/messages",
             summary="Send a visitor's message; the answer streams back as server-sent events",
             response_class=StreamingResponse)
async def send(name: str, conversation_id: RowId, body: WidgetMessage, request: Request, svc: Svc,
               token: Token) -> StreamingResponse:
    def prepare() -> tuple[Agent, str | None, Conversation]:  # store calls: off the event loop
        agent, origin = _public_agent(svc, request, name)
        conversation = _visitor_conversation(svc, agent, conversation_id, token, origin)
        _limit(svc, request, agent, origin)
        return agent, origin, conversation

    agent, origin, conversation = await run_in_threadpool(prepare)
    response = event_stream(lambda: svc.frontdesk.chat(agent, conversation.id, body.text), svc.slots, answer_event)
    _cors(response, origin)
    return response


def answer_event(kind: str, value: Any) -> tuple[str, dict[str, Any]] | None:
    """An answer's piece as the visitor's stream sends it (the typed and the spoken turn's)."""
    if kind == "delta":
        return "delta", {"text": value}
    if kind == "held":
        return "held", {"status": "human"}
    if kind == "done":
        return "done", visitor_answer(value.to_json())
    return None


class WidgetFeedback(BaseModel):
    model_config = ConfigDict(extra="forbid")
    helpful: bool


@router.post("/widget/{name}/conversations/{conversation_id}/feedback", status_code=204,
             summary="The visitor's answer to 'did this help?'", response_class=Response)
def feedback(name: str, conversation_id: RowId, body: WidgetFeedback, request: Request, svc: Svc,
             token: Token) -> Response:
    agent, origin = _public_agent(svc, request, name)
    conversation = _visitor_conversation(svc, agent, conversation_id, token, origin)
    _limit(svc, request, agent, origin)
    svc.frontdesk.feedback(conversation.id, body.helpful, agent)
    response = Response(status_code=204)
    _cors(response, origin)
    return response


@router.get("/widget/{name}/demo", include_in_schema=False, response_class=HTMLResponse)
def demo_page(name: str, request: Request, svc: Svc) -> HTMLResponse:
    """A bare page with the agent's widget, for trying it out."""
    agent, _ = _public_agent(svc, request, name)
    snippet = f'<script src="/widget.js" data-agent="{agent.name}" data-open="true" defer></script>'
    return HTMLResponse(f"""<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>{agent.name}: chat demo</title></head>
<body style="font-family: system-ui, sans-serif; margin: 2rem; max-width: 40rem">
<h1>{agent.name}</h1><p>This page embeds the agent's chat with one tag:</p>
<pre style="white-space: pre-wrap; background: #f4f4f4; padding: 1rem">{_escape(snippet)}</pre>
{snippet}</body></html>""")


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
