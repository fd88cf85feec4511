"""Characters over HTTP (docs/characters.md): the REST API under ``/api/characters`` (API keys, as
the rest of ``/api``), the public chat page ``/c/HANDLE`` and the routes the widget calls in its
character mode, and the ``/v1/chat/completions`` turn for ``model=<handle>``.

Who sees what: a key made without ``--agent`` sees every character and may create, import,
edit and delete them; a key for one agent sees (and chats with) only the characters grounded in
that agent's knowledge. The public routes answer only for a character its owner made public
(``characters edit HANDLE --public``); a private one and one that does not exist get the same
404. They are protected like the agents' widget routes: the page's origin (the server's own,
or one of the grounding agent's allowed origins), a rate limit per visitor and character, and
a conversation secret kept in the visitor's browser.
"""

from __future__ import annotations

import hmac
import json
from collections.abc import AsyncIterator
from typing import Annotated, Any

from fastapi import (
    APIRouter,
    File,
    Form,
    Header,
    HTTPException,
    Query,
    Request,
    Response,
    UploadFile,
)
from fastapi.responses import HTMLResponse, StreamingResponse
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from .. import auth
from ..characters.card import MAX_FILE_BYTES
from ..characters.domain import RATINGS, Character
from ..characters.views import character_json
from ..domain import ApiKey
from ..errors import FrontdeskError, NotFound
from ..safety.public import public_citations
from ..views import channel_json
from .api import Key, Svc, unscoped
from .app import RowId, Services
from .console import Login, back, csrf_checked, page
from .streaming import event_stream, iterate_in_thread

router = APIRouter(tags=["characters"])
Token = Annotated[str, Header(alias="X-Conversation-Token", min_length=10, max_length=200)]
_HANDLE = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$"
_MEDIA = {"json": "application/json", "png": "image/png", "charx": "application/zip"}


class CardFields(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str | None = Field(None, max_length=200)
    nickname: str | None = Field(None, max_length=200)
    description: str | None = Field(None, max_length=100_000)
    personality: str | None = Field(None, max_length=20_000)
    scenario: str | None = Field(None, max_length=20_000)
    first_mes: str | None = Field(None, max_length=20_000)
    alternate_greetings: list[str] | None = Field(None, max_length=50)
    mes_example: str | None = Field(None, max_length=100_000)
    system_prompt: str | None = Field(None, max_length=50_000)
    post_history_instructions: str | None = Field(None, max_length=20_000)
    tags: list[str] | None = Field(None, max_length=100)
    creator_notes: str | None = Field(None, max_length=20_000)
    creator: str | None = Field(None, max_length=200)
    character_version: str | None = Field(None, max_length=100)
    character_book: dict[str, Any] | None = None
    knowledge: str | None = Field(None, max_length=64, description="The agent whose knowledge grounds the character.")
    rating: str | None = Field(None, description=f"One of {', '.join(RATINGS)}.")
    public: bool | None = None

    def card_fields(self) -> dict[str, Any]:
        return self.model_dump(exclude_none=True, exclude={"knowledge", "rating", "public", "character_book"})


class CharacterIn(CardFields):
    handle: str = Field(min_length=1, max_length=64, pattern=_HANDLE)


class CharacterPatch(CardFields):
    no_knowledge: bool = False
    retention_days: int | None = Field(None, ge=0, le=36500, description=(
        "Erase its conversations not updated for this many days (0: its agent's period, else keep them)."))


class CharacterChannelIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    platform: str = Field(pattern="^(whatsapp|messenger|instagram)$")
    account_id: str = Field(min_length=1, max_length=30, description="Meta's id: page id, Instagram account id, "
                            "WhatsApp phone-number id (WhatsApp: only a character with knowledge).")
    label: str = Field("", max_length=200)


class TextIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    text: str = Field(min_length=1, max_length=4000)
    user: str = Field("User", min_length=1, max_length=64, description="What {{user}} stands for.")


def _visible(svc: Services, key: ApiKey, handle: str) -> Character:
    try:
        character = svc.frontdesk.characters.get(handle)
    except NotFound:
        character = None
    if character is None or (key.agent_id is not None and character.knowledge_agent_id != key.agent_id):
        raise HTTPException(404, f"no character with the handle {handle!r}")
    return character


def _json(svc: Services, character: Character, detail: bool = False) -> dict[str, Any]:
    return character_json(character, svc.frontdesk.characters.knowledge_name(character), detail=detail)


# -- REST ---------------------------------------------------------------------------------------

@router.get("/api/characters", summary="List characters")
def list_characters(svc: Svc, key: Key) -> list[dict[str, Any]]:
    return [_json(svc, c) for c in svc.frontdesk.characters.list_characters(key.agent_id)]


@router.post("/api/characters", status_code=201, summary="Create a character")
def create_character(body: CharacterIn, svc: Svc, key: Key) -> dict[str, Any]:
    unscoped(key)
    fields = body.card_fields()
    fields.pop("handle", None)
    fields.setdefault("name", body.handle)
    if body.character_book is not None:
        fields["character_book"] = body.character_book
    character = svc.frontdesk.characters.create(body.handle, fields, knowledge=body.knowledge,
                                                rating=body.rating or "general", public=bool(body.public))
    return _json(svc, character, detail=True)


@router.post("/api/characters/import", status_code=201, summary="Import a Character Card (JSON, PNG or CHARX)")
def import_character(svc: Svc, key: Key, file: Annotated[UploadFile, File()],
                     handle: Annotated[str | None, Form(max_length=64, pattern=_HANDLE)] = None) -> dict[str, Any]:
    unscoped(key)
    raw = file.file.read(MAX_FILE_BYTES + 1)
    character = svc.frontdesk.characters.import_card(raw, file.filename or "upload", handle)
    return _json(svc, character, detail=True)


@router.get("/api/characters/{handle}", summary="A character and its whole card")
def get_character(handle: str, svc: Svc, key: Key) -> dict[str, Any]:
    return _json(svc, _visible(svc, key, handle), detail=True)


@router.patch("/api/characters/{handle}", summary="Change fields of a character; the rest of its card stays")
def patch_character(handle: str, body: CharacterPatch, svc: Svc, key: Key) -> dict[str, Any]:
    _visible(svc, key, handle)
    if body.knowledge is not None or body.no_knowledge:
        unscoped(key)
    fields = body.card_fields()
    fields.pop("no_knowledge", None)
    fields.pop("retention_days", None)
    character = svc.frontdesk.characters.edit(handle, fields, knowledge=body.knowledge, no_knowledge=body.no_knowledge,
                                              rating=body.rating, book=body.character_book, public=body.public,
                                              retention_days=body.retention_days)
    return _json(svc, character, detail=True)


@router.get("/api/characters/{handle}/channels", summary="The messaging accounts the character answers on")
def character_channels(handle: str, svc: Svc, key: Key) -> list[dict[str, Any]]:
    character = _visible(svc, key, handle)
    return [channel_json(c, None, svc.frontdesk.channel_event_counts(c.id), character=character.handle)
            for c in svc.frontdesk.characters.channels(character)]


@router.post("/api/characters/{handle}/channels", status_code=201,
             summary="Connect a Messenger page or Instagram account (WhatsApp: a character with knowledge only)")
def connect_character(handle: str, body: CharacterChannelIn, svc: Svc, key: Key) -> dict[str, Any]:
    unscoped(key)
    _visible(svc, key, handle)
    channel = svc.frontdesk.characters.connect(handle, body.platform, body.account_id, label=body.label)
    return channel_json(channel, None, character=handle)


@router.delete("/api/characters/{handle}/channels/{channel_id}", summary="Disconnect a channel of the character")
def disconnect_character(handle: str, channel_id: RowId, svc: Svc, key: Key) -> dict[str, Any]:
    unscoped(key)
    character = _visible(svc, key, handle)
    channel = next((c for c in svc.frontdesk.characters.channels(character) if c.id == channel_id), None)
    if channel is None:
        raise HTTPException(404, f"no channel {channel_id}")
    svc.frontdesk.channels.remove(str(channel.id))
    return {"removed": channel_json(channel, None, character=handle)}


@router.delete("/api/characters/{handle}", status_code=204, response_class=Response, summary="Delete a character")
def delete_character(handle: str, svc: Svc, key: Key) -> Response:
    unscoped(key)
    _visible(svc, key, handle)
    svc.frontdesk.characters.delete(handle)
    return Response(status_code=204)


@router.get("/api/characters/{handle}/export", summary="The character as a Character Card file")
def export_character(handle: str, svc: Svc, key: Key,
                     format: Annotated[str, Query(pattern="^(json|png|charx)$")] = "json") -> Response:
    character = _visible(svc, key, handle)
    raw = svc.frontdesk.characters.export(character, format)
    return Response(raw, media_type=_MEDIA[format],
                    headers={"Content-Disposition": f'attachment; filename="{character.handle}.{format}"'})


@router.post("/api/characters/{handle}/conversations", status_code=201, summary="Start a conversation (with the greeting)")
def api_start(handle: str, svc: Svc, key: Key) -> dict[str, Any]:
    character = _visible(svc, key, handle)
    conversation = svc.frontdesk.characters.start(character, "api")
    return {"id": conversation, "messages": _messages(svc, conversation)}


@router.post("/api/characters/{handle}/conversations/{conversation_id}/messages",
             summary="Send a message; the reply comes back whole")
async def api_say(handle: str, conversation_id: RowId, body: TextIn, svc: Svc, key: Key) -> dict[str, Any]:
    def prepare() -> Character:
        character = _visible(svc, key, handle)
        svc.frontdesk.characters.conversation(character, conversation_id, "api")  # 404 if it is not this one's
        return character

    character = await run_in_threadpool(prepare)
    reply = None
    async for event, value in iterate_in_thread(
            lambda: svc.frontdesk.characters.say(character, conversation_id, body.text, body.user), svc.slots):
        if event == "done":
            reply = value
    assert reply is not None
    return reply.to_json()


def _messages(svc: Services, conversation_id: int, after: int = 0) -> list[dict[str, Any]]:
    return [{"id": m.id, "role": m.role, "text": m.text, "created_at": m.created_at.isoformat()}
            for m in svc.frontdesk.characters.messages(conversation_id, after)]


# -- the public chat ------------------------------------------------------------------------------

def _public(svc: Services, request: Request, handle: str) -> tuple[Character, str | None]:
    try:
        character = svc.frontdesk.characters.get(handle)
    except NotFound:
        character = None
    if character is None or not character.public:
        raise HTTPException(404, f"no public character named {handle!r}")
    origin = request.headers.get("origin")
    if origin is not None:
        allowed = [f"{request.url.scheme}://{request.url.netloc}", *svc.frontdesk.characters.allowed_origins(character)]
        if origin not in allowed and "*" not in allowed:
            raise HTTPException(403, f"this site ({origin}) may not embed character {handle!r}")
    return character, origin


def _cors(response: Response, origin: str | None) -> Response:
    if origin:
        response.headers["Access-Control-Allow-Origin"] = origin
        response.headers["Vary"] = "Origin"
    return response


def _limit(svc: Services, request: Request, character: Character) -> None:
    visitor = request.client.host if request.client else "unknown"
    wait = svc.visitor_limit.allow(f"character-{character.id}:{visitor}")
    if wait:
        raise HTTPException(429, "too many messages; please wait a moment", headers={"Retry-After": str(max(1, round(wait)))})


def _visitor_conversation(svc: Services, character: Character, conversation_id: int, token: str) -> int:
    try:
        conversation = svc.frontdesk.characters.conversation(character, conversation_id, "web")
    except NotFound:
        conversation = None
    if conversation is None or not conversation.secret_hash or not hmac.compare_digest(auth.digest(token), conversation.secret_hash):
        raise HTTPException(404, "no such conversation")
    return conversation.id


@router.options("/c/{handle}/{rest:path}", include_in_schema=False)
def preflight(handle: str, rest: str, request: Request, svc: Svc) -> Response:
    _, origin = _public(svc, request, handle)
    response = _cors(Response(status_code=204), origin)
    response.headers["Access-Control-Allow-Methods"] = "GET, POST"
    response.headers["Access-Control-Allow-Headers"] = "content-type, x-conversation-token"
    return response


@router.get("/c/{handle}", include_in_schema=False, response_class=HTMLResponse)
def chat_page(handle: str, request: Request, svc: Svc) -> HTMLResponse:
    """The character's own chat page: the widget in character mode, open."""
    character, _ = _public(svc, request, handle)
    name = _escape(character.name)
    notes = _escape(character.data.get("creator_notes", ""))[:500]
    return HTMLResponse(f"""<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>{name}: chat</title></head>
<body style="font-family: system-ui, sans-serif; margin: 2rem; max-width: 40rem">
<h1>{name}</h1><p>{notes}</p><p><small>{name} is an AI character: the replies are written by a computer program.</small></p>
<script src="/widget.js" data-character="{_escape(character.handle)}" data-open="true" defer></script>
</body></html>""")


@router.get("/c/{handle}/config", summary="What the widget shows in character mode before the first message")
def config(handle: str, request: Request, svc: Svc) -> Response:
    character, origin = _public(svc, request, handle)
    body = {"character": character.handle, "title": character.name,
            "avatar": f"/c/{character.handle}/avatar" if character.has_avatar else None,
            "greeting": svc.frontdesk.characters.greeting(character)}
    return _cors(Response(json.dumps(body, ensure_ascii=False), media_type="application/json"), origin)


@router.get("/c/{handle}/avatar", include_in_schema=False)
def avatar(handle: str, request: Request, svc: Svc) -> Response:
    character, origin = _public(svc, request, handle)
    image = svc.frontdesk.characters.avatar(character)
    if image is None:
        raise HTTPException(404, "this character has no avatar")
    return _cors(Response(image, media_type="image/png", headers={"Cache-Control": "public, max-age=300"}), origin)


@router.post("/c/{handle}/conversations", status_code=201, summary="Start a visitor's conversation with the character")
def start(handle: str, request: Request, svc: Svc) -> Response:
    character, origin = _public(svc, request, handle)
    _limit(svc, request, character)
    token = auth.new_token()
    conversation = svc.frontdesk.characters.start(character, "web", None, auth.digest(token))
    body = {"id": conversation, "token": token, "status": "bot", "messages": _messages(svc, conversation)}
    return _cors(Response(json.dumps(body, ensure_ascii=False), status_code=201, media_type="application/json"), origin)


@router.get("/c/{handle}/conversations/{conversation_id}", summary="A visitor's conversation, for page reloads")
def history(handle: str, conversation_id: RowId, request: Request, svc: Svc, token: Token,
            after: Annotated[int, Query(ge=0, le=2**62)] = 0) -> Response:
    character, origin = _public(svc, request, handle)
    conversation = _visitor_conversation(svc, character, conversation_id, token)
    body = {"id": conversation, "status": "bot", "messages": _messages(svc, conversation, after)}
    return _cors(Response(json.dumps(body, ensure_ascii=False), media_type="application/json"), origin)


@router.post("/c/{handle}/conversations/{conversation_id}/messages", response_class=StreamingResponse,
             summary="Send a visitor's message; the reply streams back as server-sent events")
async def send(handle: str, conversation_id: RowId, body: TextIn, request: Request, svc: Svc,
               token: Token) -> StreamingResponse:
    def prepare() -> tuple[Character, str | None, int]:
        character, origin = _public(svc, request, handle)
        conversation = _visitor_conversation(svc, character, conversation_id, token)
        _limit(svc, request, character)
        return character, origin, conversation

    character, origin, conversation = await run_in_threadpool(prepare)

    def render(kind: str, value: Any) -> tuple[str, dict[str, Any]] | None:
        if kind == "delta":
            return "delta", {"text": value}
        if kind == "done":
            return "done", {"answer": value.text, "citations": public_citations(value.citations), "products": [],
                            "grounded": bool(value.grounded), "handoff": False, "language": value.language,
                            "character": True}
        return None

    return _cors(event_stream(lambda: svc.frontdesk.characters.say(character, conversation, body.text, body.user),
                              svc.slots, render), origin)


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")


# -- /v1/chat/completions with model=<handle> ------------------------------------------------------

def completion_character(svc: Services, key: ApiKey, model: str) -> Character | None:
    """The character ``model`` names, if the key may see one by that handle (agents' names come first)."""
    try:
        return _visible(svc, key, model)
    except HTTPException:
        return None


def v1_turn(svc: Services, key: ApiKey, character: Character, turns: list[tuple[str, str]],
            conversation_id: int | None, transcript_key: Any) -> tuple[int, str]:
    """The conversation for an OpenAI-style request (found again by the transcript it resends) and the new message."""
    characters = svc.frontdesk.characters
    history, message = turns[:-1], turns[-1][1]
    if conversation_id is not None:
        return characters.conversation(character, conversation_id, "openai").id, message
    if history:
        found = characters.find_conversation(character, "openai", transcript_key(key, history))
        if found is not None:
            return found.id, message
    # a transcript frontdesk has not seen (its greeting included): kept for context
    return characters.record_conversation(character, "openai", history), message


async def v1_completion(svc: Services, key: ApiKey, character: Character, request: Any, transcript_key: Any) -> Any:
    """``/v1/chat/completions`` for a character: OpenAI's response shape, plain or streamed.

    Like the agents' turn: the client's system messages are ignored (the character's definition
    and the platform's rules govern), and the conversation is found again by its transcript."""
    import time
    import uuid

    turns = [(m.role, m.text().strip()) for m in request.messages if m.role in ("user", "assistant")]
    if not turns or turns[-1][0] != "user" or not turns[-1][1]:
        raise HTTPException(400, "the last message must be a user message with text")
    user = str(getattr(request, "user", None) or "User")[:64]
    conversation, message = await run_in_threadpool(v1_turn, svc, key, character, turns, request.conversation_id,
                                                    transcript_key)
    completion_id, created = f"chatcmpl-{uuid.uuid4().hex}", int(time.time())
    events = iterate_in_thread(lambda: svc.frontdesk.characters.say(character, conversation, message, user), svc.slots)

    def remember(text: str) -> None:
        if request.conversation_id is None:
            svc.frontdesk.characters.set_conversation_key(conversation, transcript_key(key, [*turns, ("assistant", text)]))

    def extra(reply: Any) -> dict[str, Any]:
        return {"conversation_id": conversation, "character": character.handle, "mode": reply.mode,
                "grounded": reply.grounded, "citations": reply.citations, "language": reply.language}

    if not request.stream:
        reply = None
        async for event, value in events:
            if event == "done":
                reply = value
        assert reply is not None
        await run_in_threadpool(remember, reply.text)
        return {"id": completion_id, "object": "chat.completion", "created": created, "model": character.handle,
                "choices": [{"index": 0, "finish_reason": "stop", "logprobs": None,
                             "message": {"role": "assistant", "content": reply.text}}],
                "frontdesk": extra(reply)}

    async def sse() -> AsyncIterator[str]:
        def chunk(delta: dict[str, Any], finish: str | None = None, **more: Any) -> str:
            body = {"id": completion_id, "object": "chat.completion.chunk", "created": created, "model": character.handle,
                    "choices": [{"index": 0, "delta": delta, "finish_reason": finish, "logprobs": None}], **more}
            return f"data: {json.dumps(body, ensure_ascii=False)}\n\n"

        yield chunk({"role": "assistant", "content": ""})
        try:
            async for event, value in events:
                if event == "delta":
                    yield chunk({"content": value})
                elif event == "done":
                    await run_in_threadpool(remember, value.text)
                    yield chunk({}, "stop", frontdesk=extra(value))
        except FrontdeskError as exc:
            yield f"data: {json.dumps({'error': {'message': str(exc), 'type': 'server_error'}})}\n\n"
        yield "data: [DONE]\n\n"

    return StreamingResponse(sse(), media_type="text/event-stream",
                             headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})


def v1_models(svc: Services, key: ApiKey) -> list[dict[str, Any]]:
    return [{"id": c.handle, "object": "model", "created": int(c.created_at.timestamp()), "owned_by": "frontdesk",
             "frontdesk": {"character": True}}
            for c in svc.frontdesk.characters.list_characters(key.agent_id)]


# -- the owner console ---------------------------------------------------------------------------

_CONSOLE_FIELDS = [("name", "Name", 1), ("nickname", "Nickname ({{char}} stands for it when set)", 1),
                   ("description", "Description", 6), ("personality", "Personality", 2), ("scenario", "Scenario", 2),
                   ("first_mes", "First message (the greeting)", 3),
                   ("mes_example", "Example dialogues (<START> between them)", 5),
                   ("system_prompt", "System prompt ({{original}}: frontdesk's own)", 3),
                   ("post_history_instructions", "Post-history instructions", 2),
                   ("creator_notes", "Creator notes (shown to people, never in the prompt)", 2),
                   ("creator", "Creator", 1), ("character_version", "Version", 1)]


def _form_fields(form: dict[str, Any]) -> dict[str, Any]:
    fields: dict[str, Any] = {k: str(form[k]) for k, _, _ in _CONSOLE_FIELDS if k in form}
    if "nickname" in fields and not fields["nickname"].strip():
        fields.pop("nickname")
    if "alternate_greetings" in form:
        fields["alternate_greetings"] = [g.strip() for g in str(form["alternate_greetings"]).splitlines() if g.strip()]
    if "tags" in form:
        fields["tags"] = [t.strip() for t in str(form["tags"]).split(",") if t.strip()]
    return fields


def _console_list(request: Request, svc: Services, login: Any, flash: str = "", error: str = "",
                  status: int = 200) -> HTMLResponse:
    rows = [_json(svc, c) for c in svc.frontdesk.characters.list_characters()]
    return page("characters.html", request, login, status_code=status, characters=rows, flash=flash, error=error)


def _console_routes() -> None:
    @router.get("/console/characters", include_in_schema=False)
    def console_characters(request: Request, svc: Svc, login: Login, flash: str = "") -> HTMLResponse:
        return _console_list(request, svc, login, flash)

    @router.post("/console/characters", include_in_schema=False)
    async def console_create(request: Request, svc: Svc, login: Login) -> Response:
        form = dict(await request.form())
        csrf_checked(login, str(form.get("csrf", "")))
        handle = str(form.get("handle", "")).strip()
        try:
            await run_in_threadpool(svc.frontdesk.characters.create, handle, _form_fields(form))
        except FrontdeskError as exc:
            return await run_in_threadpool(_console_list, request, svc, login, "", str(exc), 400)
        return back(f"/console/characters/{handle}", "Created.")

    @router.post("/console/characters/import", include_in_schema=False)
    def console_import(request: Request, svc: Svc, login: Login, csrf: Annotated[str, Form()],
                       file: Annotated[UploadFile, File()], handle: Annotated[str, Form(max_length=64)] = "") -> Response:
        csrf_checked(login, csrf)
        try:
            character = svc.frontdesk.characters.import_card(file.file.read(MAX_FILE_BYTES + 1), file.filename or "upload",
                                                             handle.strip() or None)
        except FrontdeskError as exc:
            return _console_list(request, svc, login, "", str(exc), 400)
        return back(f"/console/characters/{character.handle}", "Imported.")

    @router.get("/console/characters/{handle}", include_in_schema=False)
    def console_character(handle: str, request: Request, svc: Svc, login: Login, flash: str = "") -> HTMLResponse:
        characters = svc.frontdesk.characters
        character = characters.get(handle)
        channels = [channel_json(c, None, svc.frontdesk.channel_event_counts(c.id), character=character.handle)
                    for c in characters.channels(character)]
        return page("character.html", request, login, character=character, data=character.data, channels=channels,
                    fields=_CONSOLE_FIELDS, agents=[a.name for a in svc.frontdesk.list_agents()],
                    knowledge=characters.knowledge_name(character), ratings=RATINGS, flash=flash,
                    entries=len((character.data.get("character_book") or {}).get("entries", [])),
                    greeting=characters.greeting(character))

    @router.post("/console/characters/{handle}", include_in_schema=False)
    async def console_save(handle: str, request: Request, svc: Svc, login: Login) -> Response:
        form = dict(await request.form())
        csrf_checked(login, str(form.get("csrf", "")))
        knowledge = str(form.get("knowledge", "")).strip()
        retention = form.get("retention_days")  # absent: unchanged; empty: its agent's period
        try:
            await run_in_threadpool(lambda: svc.frontdesk.characters.edit(
                handle, _form_fields(form), knowledge=knowledge or None, no_knowledge=not knowledge,
                rating=str(form.get("rating") or "general"), public=form.get("public") == "on",
                retention_days=None if retention is None else int(str(retention)) if str(retention).isdigit() else 0))
        except FrontdeskError as exc:
            return back(f"/console/characters/{handle}", str(exc))
        return back(f"/console/characters/{handle}", "Saved.")

    @router.post("/console/characters/{handle}/channels", include_in_schema=False)
    def console_connect(handle: str, svc: Svc, login: Login, csrf: Annotated[str, Form()],
                        platform: Annotated[str, Form(max_length=20)], account_id: Annotated[str, Form(max_length=40)],
                        label: Annotated[str, Form(max_length=200)] = "") -> Response:
        csrf_checked(login, csrf)
        try:
            channel = svc.frontdesk.characters.connect(handle, platform, account_id, label=label.strip())
        except FrontdeskError as exc:
            return back(f"/console/characters/{handle}", str(exc))
        return back(f"/console/characters/{handle}", f"Connected {channel.platform} account {channel.account_id}.")

    @router.post("/console/characters/{handle}/channels/{channel_id}/remove", include_in_schema=False)
    def console_disconnect(handle: str, channel_id: RowId, svc: Svc, login: Login,
                           csrf: Annotated[str, Form()]) -> Response:
        csrf_checked(login, csrf)
        character = svc.frontdesk.characters.get(handle)
        channel = next((c for c in svc.frontdesk.characters.channels(character) if c.id == channel_id), None)
        if channel is None:
            return back(f"/console/characters/{handle}", f"no channel {channel_id}")
        svc.frontdesk.channels.remove(str(channel.id))
        return back(f"/console/characters/{handle}", f"Disconnected {channel.platform} account {channel.account_id}.")

    @router.post("/console/characters/{handle}/delete", include_in_schema=False)
    def console_delete(handle: str, svc: Svc, login: Login, csrf: Annotated[str, Form()]) -> Response:
        csrf_checked(login, csrf)
        svc.frontdesk.characters.delete(handle)
        return back("/console/characters", f"Deleted {handle}.")

    @router.get("/console/characters/{handle}/export", include_in_schema=False)
    def console_export(handle: str, svc: Svc, login: Login,
                       format: Annotated[str, Query(pattern="^(json|png|charx)$")] = "json") -> Response:
        character = svc.frontdesk.characters.get(handle)
        return Response(svc.frontdesk.characters.export(character, format), media_type=_MEDIA[format],
                        headers={"Content-Disposition": f'attachment; filename="{character.handle}.{format}"'})

    @router.post("/console/characters/{handle}/preview", include_in_schema=False, response_class=StreamingResponse)
    async def console_preview(handle: str, body: PreviewIn, svc: Svc, login: Login,
                              csrf: Annotated[str, Header(alias="X-CSRF-Token", max_length=200)]) -> StreamingResponse:
        """The live preview: the form's unsaved definition, the preview's own history, nothing stored."""
        import dataclasses

        from ..characters.card import normalise

        csrf_checked(login, csrf)

        def prepare() -> Character:
            character = svc.frontdesk.characters.get(handle)
            card = json.loads(json.dumps(character.card))
            card["data"].update(_form_fields(body.fields))
            knowledge = str(body.fields.get("knowledge", "")).strip()
            agent_id = svc.frontdesk.agent(knowledge).id if knowledge else None
            rating = str(body.fields.get("rating") or character.rating)
            return dataclasses.replace(character, card=normalise(card), knowledge_agent_id=agent_id,
                                       rating=rating if rating in RATINGS else character.rating)

        character = await run_in_threadpool(prepare)
        history = [(m.role, m.text) for m in body.history if m.role in ("user", "assistant")]
        return event_stream(lambda: svc.frontdesk.characters.chat.preview(character, history, body.text), svc.slots,
                            lambda kind, value: (kind, {"text": value} if kind == "delta"
                                                 else {"answer": value.text, "mode": value.mode}))


class PreviewTurn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    role: str = Field(pattern="^(user|assistant)$")
    text: str = Field(max_length=20_000)


class PreviewIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    fields: dict[str, str] = Field(default_factory=dict, max_length=40)
    history: list[PreviewTurn] = Field(default_factory=list, max_length=200)
    text: str = Field(min_length=1, max_length=4000)


_console_routes()
