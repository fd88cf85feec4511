"""The REST API under ``/api``: agents, sources, search, conversations and handoff, content gaps.

Every route takes an API key (``Authorization: Bearer KEY``). A key made with
``frontdesk keys create --agent NAME`` sees that agent only; other agents do not exist for it.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import (
    APIRouter,
    Depends,
    File,
    Form,
    HTTPException,
    Query,
    Request,
    Response,
    UploadFile,
)
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from ..app import checked_origins
from ..domain import Agent, ApiKey, Source, SourceKind
from ..errors import AlreadyExists, InvalidInput
from ..ingest.sources import is_url
from ..views import (
    agent_json,
    channel_json,
    conversation_json,
    event_json,
    message_json,
    source_json,
)
from .app import RowId, Services, services
from .jobs import Job
from .schemas import (
    AgentDetail,
    AgentOut,
    AnswerOut,
    ChannelOut,
    ConversationOut,
    HitOut,
    JobOut,
    JobRef,
    RemovedItems,
    ReplyOut,
    SourceJob,
    SourceOut,
    SourcesJob,
    TranscriptOut,
)
from .streaming import iterate_in_thread

bearer = HTTPBearer(auto_error=False, description="An API key from `frontdesk keys create`.")
_FILENAME = re.compile(r"[^A-Za-z0-9._-]+")


def api_key(request: Request,
            credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]) -> ApiKey:
    if credentials is None:
        raise HTTPException(401, "missing API key: send the header Authorization: Bearer KEY",
                            headers={"WWW-Authenticate": "Bearer"})
    key = services(request).frontdesk.authenticate(credentials.credentials)
    if key is None:
        raise HTTPException(401, "invalid or revoked API key", headers={"WWW-Authenticate": "Bearer"})
    return key


Key = Annotated[ApiKey, Depends(api_key)]
Svc = Annotated[Services, Depends(services)]
router = APIRouter(prefix="/api", tags=["api"])


def agent_for(svc: Services, key: ApiKey, name: str) -> Agent:
    """The agent ``name`` if ``key`` may see it; an agent outside a key's scope does not exist for it."""
    agent = svc.frontdesk.agent(name)
    if key.agent_id is not None and key.agent_id != agent.id:
        raise HTTPException(404, f"no agent named {name!r}")
    return agent


def unscoped(key: ApiKey) -> None:
    if key.agent_id is not None:
        raise HTTPException(403, "this API key is limited to one agent; creating or deleting agents "
                                 "needs a key made without --agent")


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class AgentIn(Strict):
    name: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
    persona: str = Field("", max_length=20_000)
    instructions: str = Field("", max_length=100_000)
    embedder: str | None = None
    allowed_origins: list[str] = Field(default_factory=list, max_length=50)
    public: bool = Field(False, description="Whether the agent's public web chat answers anyone (docs/security.md).")


class AgentPatch(Strict):
    persona: str | None = Field(None, max_length=20_000)
    instructions: str | None = Field(None, max_length=100_000)
    allowed_origins: list[str] | None = Field(None, max_length=50)
    public: bool | None = Field(None, description="Whether the agent's public web chat answers anyone.")
    retention_days: int | None = Field(None, ge=0, le=36500,
                                       description="Erase conversations not updated for this many days (0: keep).")


class SourceIn(Strict):
    url: str = Field(min_length=1, max_length=2000, description="An http(s) URL: a page, a site or a sitemap.xml. "
                                                                "Files are sent to /sources/upload.")
    kind: Literal["docs", "faq", "catalog"] | None = None
    sync_interval: int | None = Field(None, ge=60, le=365 * 86400, description="Seconds between automatic syncs.")


class MessageIn(Strict):
    text: str = Field(min_length=1, max_length=4000)


class PersonIn(Strict):
    person: str = Field(min_length=1, max_length=100)


class ReplyIn(PersonIn):
    text: str = Field(min_length=1, max_length=4000)


# -- agents ---------------------------------------------------------------------------------------

@router.get("/agents", summary="List agents", response_model=list[AgentOut])
def list_agents(svc: Svc, key: Key) -> list[dict[str, Any]]:
    app = svc.frontdesk
    return [agent_json(a, app) for a in app.list_agents() if key.agent_id in (None, a.id)]


@router.post("/agents", status_code=201, summary="Create an agent", response_model=AgentDetail)
def create_agent(body: AgentIn, svc: Svc, key: Key) -> dict[str, Any]:
    unscoped(key)
    agent = svc.frontdesk.create_agent(body.name, persona=body.persona, instructions=body.instructions,
                                       embedder=body.embedder)
    if body.allowed_origins or body.public:
        agent = svc.frontdesk.update_agent(agent.name, allowed_origins=checked_origins(body.allowed_origins),
                                                 public=body.public)
    return agent_json(agent, svc.frontdesk, detail=True)


@router.get("/agents/{name}", summary="An agent, its persona, instructions and knowledge", response_model=AgentDetail)
def get_agent(name: str, svc: Svc, key: Key) -> dict[str, Any]:
    return agent_json(agent_for(svc, key, name), svc.frontdesk, detail=True)


@router.patch("/agents/{name}", summary="Change an agent's persona, instructions or allowed origins", response_model=AgentDetail)
def patch_agent(name: str, body: AgentPatch, svc: Svc, key: Key) -> dict[str, Any]:
    agent = agent_for(svc, key, name)
    origins = checked_origins(body.allowed_origins) if body.allowed_origins is not None else None
    agent = svc.frontdesk.update_agent(agent.name, persona=body.persona, instructions=body.instructions,
                                             allowed_origins=origins, public=body.public)
    if body.retention_days is not None:
        svc.frontdesk.set_retention(agent, body.retention_days or None)
    return agent_json(agent, svc.frontdesk, detail=True)


@router.delete("/agents/{name}", status_code=204, summary="Delete an agent and all it knows")
def delete_agent(name: str, svc: Svc, key: Key) -> None:
    agent = agent_for(svc, key, name)
    unscoped(key)
    svc.frontdesk.delete_agent(agent.name)


# -- sources ---------------------------------------------------------------------------------------

@router.get("/agents/{name}/sources", summary="An agent's sources with their sync status and errors", response_model=list[SourceOut])
def list_sources(name: str, svc: Svc, key: Key) -> list[dict[str, Any]]:
    agent = agent_for(svc, key, name)
    return [source_json(s) for s in svc.frontdesk.sources(agent.name)]


@router.post("/agents/{name}/sources", status_code=202, summary="Add a web source and start reading it", response_model=SourceJob)
def add_source(name: str, body: SourceIn, svc: Svc, key: Key) -> dict[str, Any]:
    agent = agent_for(svc, key, name)
    if not is_url(body.url) or not body.url.lower().startswith(("http://", "https://")):
        raise InvalidInput(f"{body.url!r} is not an http(s) URL; upload files to /api/agents/{name}/sources/upload")
    source = svc.frontdesk.ingestor().register(agent, body.url, kind=body.kind, sync_interval=body.sync_interval)
    return {"source": source_json(source), "job": sync_job(svc, agent, [source.id]).to_json()}


@router.post("/agents/{name}/sources/upload", status_code=202,
             summary="Upload files (documents, FAQ or catalog) and read them; a file of the same name is replaced", response_model=SourcesJob)
def upload_sources(name: str, svc: Svc, key: Key, files: Annotated[list[UploadFile], File()],
                   kind: Annotated[Literal["docs", "faq", "catalog"] | None, Form()] = None) -> dict[str, Any]:
    agent = agent_for(svc, key, name)
    sources = [keep_upload(svc, agent, upload, kind) for upload in files]
    return {"sources": [source_json(s) for s in sources],
            "job": sync_job(svc, agent, [s.id for s in sources]).to_json()}


def keep_upload(svc: Services, agent: Agent, upload: UploadFile, kind: SourceKind | None = None) -> Source:
    """Store an uploaded file as a source of ``agent`` (not read yet). One file per name and agent:
    uploading the same name again replaces the file and keeps its source."""
    stem = _FILENAME.sub("_", Path(upload.filename or "").name).strip("._")[:120]
    if not stem:
        raise InvalidInput(f"upload {upload.filename!r} has no usable file name")
    folder = svc.settings.home / "uploads" / str(agent.id)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / stem
    _save(upload, path, svc.settings.max_file_bytes)
    try:
        return svc.frontdesk.ingestor().register(agent, str(path), kind=kind)
    except AlreadyExists:
        return svc.frontdesk.source(agent.name, str(path))


def _save(upload: UploadFile, path: Path, limit: int) -> None:
    partial = path.with_name(path.name + ".part")
    size = 0
    with partial.open("wb") as out:
        while chunk := upload.file.read(1 << 20):
            size += len(chunk)
            if size > limit:
                out.close()
                partial.unlink()
                raise HTTPException(413, f"{upload.filename} is larger than {limit // (1 << 20)} MB")
            out.write(chunk)
    partial.replace(path)


@router.get("/agents/{name}/sources/{source_id}", summary="One source: status, last sync, errors", response_model=SourceOut)
def get_source(name: str, source_id: RowId, svc: Svc, key: Key) -> dict[str, Any]:
    agent = agent_for(svc, key, name)
    return source_json(svc.frontdesk.source(agent.name, str(source_id)))


@router.post("/agents/{name}/sources/{source_id}/sync", status_code=202, summary="Sync one source now", response_model=JobRef)
def sync_source(name: str, source_id: RowId, svc: Svc, key: Key) -> dict[str, Any]:
    agent = agent_for(svc, key, name)
    source = svc.frontdesk.source(agent.name, str(source_id))
    return {"job": sync_job(svc, agent, [source.id]).to_json()}


@router.delete("/agents/{name}/sources/{source_id}", summary="Remove a source and its items", response_model=RemovedItems)
def remove_source(name: str, source_id: RowId, svc: Svc, key: Key) -> dict[str, int]:
    agent = agent_for(svc, key, name)
    return {"removed_items": svc.frontdesk.remove_source(agent.name, str(source_id))}


@router.get("/jobs/{job_id}", summary="A background job (ingestion, sync) and its summary", response_model=JobOut)
def get_job(job_id: RowId, svc: Svc, key: Key) -> dict[str, Any]:
    job = svc.jobs.get(job_id)
    if job is None or key.agent_id not in (None, job.agent_id):
        raise HTTPException(404, f"no job {job_id}")
    return job.to_json()


def sync_job(svc: Services, agent: Agent, source_ids: list[int]) -> Job:
    """Sync these sources of ``agent`` in the background."""
    refs = [str(i) for i in source_ids]
    return svc.jobs.submit(agent.id, f"sync {agent.name} sources {', '.join(refs)}",
                           lambda: svc.frontdesk.sync(agent.name, refs))


# -- search, conversations, content gaps --------------------------------------------------------------

@router.get("/agents/{name}/search", summary="Hybrid search over an agent's knowledge", response_model=list[HitOut])
def search(name: str, svc: Svc, key: Key, q: Annotated[str, Query(min_length=1, max_length=1000)],
           limit: Annotated[int, Query(ge=1, le=100)] = 10) -> list[dict[str, Any]]:
    agent = agent_for(svc, key, name)
    return [hit.to_json() for hit in svc.frontdesk.search(agent.name, q, limit)]


@router.get("/agents/{name}/conversations", summary="Conversations, newest first; q searches their messages", response_model=list[ConversationOut])
def list_conversations(name: str, svc: Svc, key: Key, q: Annotated[str, Query(max_length=200)] = "",
                       status: Literal["bot", "waiting", "human"] | None = None,
                       limit: Annotated[int, Query(ge=1, le=200)] = 50,
                       offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0) -> list[dict[str, Any]]:
    agent = agent_for(svc, key, name)
    return [conversation_json(c, agent.name) for c in
            svc.frontdesk.conversations(agent, query=q, status=status, limit=limit, offset=offset)]


@router.post("/agents/{name}/conversations", status_code=201, summary="Start a conversation", response_model=ConversationOut)
def start_conversation(name: str, svc: Svc, key: Key) -> dict[str, Any]:
    agent = agent_for(svc, key, name)
    conversation_id = svc.frontdesk.start_conversation(agent.name, "api")
    return conversation_json(svc.frontdesk.conversation(conversation_id), agent.name)


@router.get("/agents/{name}/conversations/{conversation_id}",
            summary="A transcript, with the evidence behind each answer", response_model=TranscriptOut)
def get_conversation(name: str, conversation_id: RowId, svc: Svc, key: Key) -> dict[str, Any]:
    agent = agent_for(svc, key, name)
    conversation = svc.frontdesk.conversation(conversation_id, agent)
    return {**conversation_json(conversation, agent.name),
            "transcript": [message_json(m, evidence=True) for m in svc.frontdesk.transcript(conversation.id)]}


@router.post("/agents/{name}/conversations/{conversation_id}/messages",
             summary="Send a customer message and get the agent's answer (nothing while a person owns it)", response_model=AnswerOut)
async def send_message(name: str, conversation_id: RowId, body: MessageIn, svc: Svc, key: Key) -> dict[str, Any]:
    agent = await run_in_threadpool(agent_for, svc, key, name)
    async for event, value in iterate_in_thread(
            lambda: svc.frontdesk.chat(agent, conversation_id, body.text), svc.slots):
        if event == "held":
            return {"held": True, "status": "human", "answer": None}
        if event == "done":
            return {"held": False, **value.to_json()}
    raise HTTPException(500, "the answer ended without a result")


@router.post("/agents/{name}/conversations/{conversation_id}/takeover",
             summary="A person takes the conversation over; the agent stays silent", response_model=ConversationOut)
def take_over(name: str, conversation_id: RowId, body: PersonIn, svc: Svc, key: Key) -> dict[str, Any]:
    agent = agent_for(svc, key, name)
    return conversation_json(svc.frontdesk.take_over(conversation_id, body.person, agent), agent.name)


@router.post("/agents/{name}/conversations/{conversation_id}/reply", status_code=201,
             summary="The person who took over replies", response_model=ReplyOut)
def reply(name: str, conversation_id: RowId, body: ReplyIn, svc: Svc, key: Key) -> dict[str, Any]:
    agent = agent_for(svc, key, name)
    message_id = svc.frontdesk.reply_as(conversation_id, body.person, body.text, agent)
    return {"message_id": message_id}


@router.post("/agents/{name}/conversations/{conversation_id}/release",
             summary="Hand the conversation back to the agent", response_model=ConversationOut)
def release(name: str, conversation_id: RowId, svc: Svc, key: Key) -> dict[str, Any]:
    agent = agent_for(svc, key, name)
    return conversation_json(svc.frontdesk.hand_back(conversation_id, agent), agent.name)


@router.get("/agents/{name}/gaps", summary="Questions the knowledge could not answer, newest first")
def gaps(name: str, svc: Svc, key: Key,
         limit: Annotated[int, Query(ge=1, le=1000)] = 100) -> list[dict[str, Any]]:
    agent = agent_for(svc, key, name)
    return svc.frontdesk.gaps(agent, limit)


# -- messaging channels ---------------------------------------------------------------------------

class ChannelIn(Strict):
    platform: Literal["whatsapp", "messenger", "instagram"]
    account_id: str = Field(min_length=1, max_length=30, pattern=r"^\d+$",
                            description="WhatsApp phone-number id, Facebook page id or Instagram account id.")
    catalog_id: str | None = Field(None, max_length=30, pattern=r"^\d+$",
                                   description="WhatsApp only: the Meta catalog for product messages.")
    handover_app_id: str | None = Field(None, max_length=30, pattern=r"^\d+$",
                                        description="Messenger/Instagram: the app a person answers in "
                                                    "(the Page inbox is 263902037430900).")
    label: str = Field("", max_length=200)


@router.get("/agents/{name}/channels", summary="The agent's messaging channels (no secrets: none are stored)", response_model=list[ChannelOut])
def list_channels(name: str, svc: Svc, key: Key) -> list[dict[str, Any]]:
    agent = agent_for(svc, key, name)
    app = svc.frontdesk
    return [channel_json(c, agent.name, app.channel_event_counts(c.id)) for c in app.list_channels(agent)]


@router.post("/agents/{name}/channels", status_code=201, summary="Connect a WhatsApp number, page or Instagram account", response_model=ChannelOut)
def connect_channel(name: str, body: ChannelIn, svc: Svc, key: Key) -> dict[str, Any]:
    agent = agent_for(svc, key, name)
    if key.agent_id is not None:  # which agent a platform account's messages reach is the operator's choice
        raise HTTPException(403, "this API key is limited to one agent; connecting a messaging account needs a key "
                                 "made without --agent (the account's messages would reach this agent)")
    channel = svc.frontdesk.channels.connect(agent.name, body.platform, body.account_id, catalog_id=body.catalog_id,
                                             handover_app_id=body.handover_app_id, label=body.label)
    return channel_json(channel, agent.name)


@router.get("/agents/{name}/channels/{channel_id}/events", summary="Recent inbound messages and events")
def channel_events(name: str, channel_id: RowId, svc: Svc, key: Key,
                   state: Annotated[str | None, Query(max_length=20)] = None,
                   limit: Annotated[int, Query(ge=1, le=1000)] = 100) -> list[dict[str, Any]]:
    agent = agent_for(svc, key, name)
    channel = svc.frontdesk.channels.of_agent(agent, channel_id)
    return [event_json(e) for e in svc.frontdesk.channel_events(channel.id, state=state, limit=limit)]


@router.delete("/agents/{name}/channels/{channel_id}", summary="Disconnect a channel")
def remove_channel(name: str, channel_id: RowId, svc: Svc, key: Key) -> dict[str, Any]:
    agent = agent_for(svc, key, name)
    channel = svc.frontdesk.channels.of_agent(agent, channel_id)
    svc.frontdesk.channels.remove(str(channel.id))
    return {"removed": channel_json(channel, agent.name)}


# -- evaluation and production signals ------------------------------------------------------------

class FeedbackIn(Strict):
    helpful: bool


@router.post("/agents/{name}/conversations/{conversation_id}/feedback", status_code=204, response_class=Response,
             summary="Record whether the conversation helped the customer (a confirmed resolution)")
def conversation_feedback(name: str, conversation_id: RowId, body: FeedbackIn, svc: Svc, key: Key) -> Response:
    agent = agent_for(svc, key, name)
    svc.frontdesk.feedback(conversation_id, body.helpful, agent)
    return Response(status_code=204)


@router.get("/agents/{name}/signals", summary="Production signals: unanswered questions, handoff rate, resolutions")
def signals(name: str, svc: Svc, key: Key, days: Annotated[int, Query(ge=1, le=3650)] = 30) -> dict[str, Any]:
    agent = agent_for(svc, key, name)
    return svc.frontdesk.signals(agent.name, days)


@router.get("/agents/{name}/evals", summary="The agent's kept evaluation runs, newest first")
def eval_runs(name: str, svc: Svc, key: Key) -> list[dict[str, Any]]:
    agent = agent_for(svc, key, name)
    return svc.frontdesk.eval_runs(agent.name)


@router.get("/agents/{name}/evals/{run_id}", summary="One evaluation run with its full report")
def eval_run(name: str, run_id: RowId, svc: Svc, key: Key) -> dict[str, Any]:
    agent = agent_for(svc, key, name)
    run = svc.frontdesk.eval_run(run_id)
    if run["agent_id"] != agent.id:
        raise HTTPException(404, f"no evaluation run {run_id}")
    return run
