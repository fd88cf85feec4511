"""The owner console under ``/console``: server-rendered pages behind a login.

Agents and their persona/instructions/allowed origins; sources with sync status, errors,
"sync now", add URL and upload; conversations (search, transcripts with the evidence behind
each answer); the questions the knowledge could not answer; the handoff queue where a person
takes a conversation over, replies, and hands it back.

Users are made with ``frontdesk users create NAME``. Sessions are random tokens in an
HttpOnly, SameSite=Lax cookie (only their hash is stored); every form carries the session's
CSRF token.
"""

from __future__ import annotations

import hmac
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, File, Form, HTTPException, Query, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from jinja2 import Environment, PackageLoader, select_autoescape

from ..app import checked_origins
from ..domain import Agent, User
from ..errors import AlreadyExists, FrontdeskError, InvalidInput, NotFound
from ..safety.privacy import mask_id, mask_phones
from ..views import agent_names, channel_json, conversation_json, message_json, source_json
from .api import keep_upload, sync_job
from .app import RowId, Services, services

router = APIRouter(prefix="/console", include_in_schema=False)
Svc = Annotated[Services, Depends(services)]
COOKIE = "frontdesk_session"
_templates = Environment(loader=PackageLoader("frontdesk.server", "templates"),
                         autoescape=select_autoescape(["html"]), trim_blocks=True, lstrip_blocks=True)


class Session:
    def __init__(self, user: User, csrf: str) -> None:
        self.user = user
        self.csrf = csrf


def session(request: Request, svc: Svc) -> Session:
    found = svc.frontdesk.session(request.cookies.get(COOKIE, ""))
    if found is None:
        target = quote(request.url.path + (f"?{request.url.query}" if request.url.query else ""))
        raise HTTPException(303, "log in first", headers={"Location": f"/console/login?next={target}"})
    return Session(*found)


Login = Annotated[Session, Depends(session)]


def csrf_checked(login: Session, token: str) -> None:
    if not hmac.compare_digest(login.csrf.encode(), token.encode("utf-8", "replace")):
        raise HTTPException(403, "the form has expired; reload the page and try again")


def page(template: str, request: Request, login: Session | None, status_code: int = 200, **values: Any) -> HTMLResponse:
    html = _templates.get_template(template).render(request=request, login=login, **values)
    return HTMLResponse(html, status_code=status_code, headers={"Cache-Control": "no-store",
                                                           "X-Frame-Options": "DENY",
                                                           "Referrer-Policy": "same-origin"})


def back(url: str, message: str = "") -> RedirectResponse:
    return RedirectResponse(url + (f"?flash={quote(message)}" if message else ""), status_code=303)


# -- login ----------------------------------------------------------------------------------------

@router.get("/login")
def login_form(request: Request, next: str = "/console/") -> HTMLResponse:
    return page("login.html", request, None, next=_local(next), error="")


@router.post("/login")
def login(request: Request, svc: Svc, name: Annotated[str, Form(max_length=100)],
          password: Annotated[str, Form(max_length=1000)], next: Annotated[str, Form(max_length=500)] = "/console/") -> Response:
    visitor = request.client.host if request.client else "unknown"
    # per address and per account: many addresses guessing one account's password are slowed too
    if svc.login_limit.allow(visitor) or svc.account_login_limit.allow(name.strip().lower()):
        return page("login.html", request, None, status_code=429, next=_local(next), error="Too many attempts; wait a minute.")
    tokens = svc.frontdesk.login(name, password)
    if tokens is None:
        return page("login.html", request, None, status_code=401, next=_local(next), error="Wrong name or password.")
    response = RedirectResponse(_local(next), status_code=303)
    response.set_cookie(COOKIE, tokens[0], httponly=True, samesite="lax", path="/",
                        secure=request.url.scheme == "https", max_age=12 * 3600)
    return response


@router.post("/logout")
def logout(request: Request, svc: Svc, login: Login, csrf: Annotated[str, Form()]) -> Response:
    csrf_checked(login, csrf)
    svc.frontdesk.logout(request.cookies.get(COOKIE, ""))
    response = RedirectResponse("/console/login", status_code=303)
    response.delete_cookie(COOKIE, path="/")
    return response


def _local(target: str) -> str:
    """Only paths of this console: never an open redirect."""
    return target if target.startswith("/console") and "//" not in target and "\\" not in target else "/console/"


# -- agents and sources ----------------------------------------------------------------------------

@router.get("/")
def home(request: Request, svc: Svc, login: Login) -> HTMLResponse:
    app = svc.frontdesk
    agents = [{"agent": a, "stats": app.agent_stats(a.id), "conversations": app.conversation_counts(a)}
              for a in app.list_agents()]
    return page("home.html", request, login, agents=agents)


def _agent(svc: Services, name: str) -> Agent:
    return svc.frontdesk.agent(name)


@router.get("/agents/{name}")
def agent_page(name: str, request: Request, svc: Svc, login: Login, flash: str = "") -> HTMLResponse:
    agent = _agent(svc, name)
    app = svc.frontdesk
    secrets = app.channels.secrets
    channels = [channel_json(c, agent.name, app.channel_event_counts(c.id)) for c in app.list_channels(agent)]
    return page("agent.html", request, login, agent=agent, stats=app.agent_stats(agent.id),
                sources=[source_json(s) for s in app.sources(agent.name)], flash=flash,
                snippet=f'<script src="{request.base_url}widget.js" data-agent="{agent.name}" defer></script>',
                channels=channels, webhook_url=f"{request.base_url}webhooks/meta",
                secrets_ready=bool(secrets.app_secret and secrets.verify_token))


@router.post("/agents/{name}")
def agent_save(name: str, svc: Svc, login: Login, csrf: Annotated[str, Form()],
               persona: Annotated[str, Form(max_length=20_000)] = "",
               instructions: Annotated[str, Form(max_length=100_000)] = "",
               allowed_origins: Annotated[str, Form(max_length=5000)] = "",
               public: Annotated[str, Form(max_length=10)] = "") -> Response:
    csrf_checked(login, csrf)
    origins = checked_origins([o for o in allowed_origins.split() if o])
    svc.frontdesk.update_agent(_agent(svc, name).name, persona=persona, instructions=instructions,
                                     allowed_origins=origins, public=public == "on")
    return back(f"/console/agents/{name}", "Saved.")


@router.post("/agents/{name}/sources")
def source_add(name: str, svc: Svc, login: Login, csrf: Annotated[str, Form()],
               url: Annotated[str, Form(max_length=2000)]) -> Response:
    csrf_checked(login, csrf)
    agent = _agent(svc, name)
    if not url.lower().startswith(("http://", "https://")):
        return back(f"/console/agents/{name}", "Only http(s) URLs can be added here; upload files instead.")
    try:
        source = svc.frontdesk.ingestor().register(agent, url.strip())
    except AlreadyExists:
        return back(f"/console/agents/{name}", "That URL is already a source.")
    sync_job(svc, agent, [source.id])
    return back(f"/console/agents/{name}", "Added; reading it now. Reload to see its status.")


@router.post("/agents/{name}/upload")
def source_upload(name: str, svc: Svc, login: Login, csrf: Annotated[str, Form()],
                  file: Annotated[UploadFile, File()]) -> Response:
    csrf_checked(login, csrf)
    agent = _agent(svc, name)
    try:
        source = keep_upload(svc, agent, file)
    except InvalidInput:
        return back(f"/console/agents/{name}", "Choose a file to upload.")
    sync_job(svc, agent, [source.id])
    return back(f"/console/agents/{name}", f"Uploaded {Path(source.location).name}; reading it now.")


@router.post("/agents/{name}/sources/{source_id}/sync")
def source_sync(name: str, source_id: RowId, svc: Svc, login: Login, csrf: Annotated[str, Form()]) -> Response:
    csrf_checked(login, csrf)
    agent = _agent(svc, name)
    sync_job(svc, agent, [svc.frontdesk.source(agent.name, str(source_id)).id])
    return back(f"/console/agents/{name}", "Sync started.")


@router.post("/agents/{name}/sources/{source_id}/remove")
def source_remove(name: str, source_id: RowId, svc: Svc, login: Login, csrf: Annotated[str, Form()]) -> Response:
    csrf_checked(login, csrf)
    agent = _agent(svc, name)
    removed = svc.frontdesk.remove_source(agent.name, str(source_id))
    return back(f"/console/agents/{name}", f"Removed the source and its {removed} items.")


@router.post("/agents/{name}/channels")
def channel_add(name: str, svc: Svc, login: Login, csrf: Annotated[str, Form()],
                platform: Annotated[str, Form(max_length=20)], account_id: Annotated[str, Form(max_length=40)],
                catalog_id: Annotated[str, Form(max_length=40)] = "",
                handover_app_id: Annotated[str, Form(max_length=40)] = "") -> Response:
    csrf_checked(login, csrf)
    agent = _agent(svc, name)
    try:
        channel = svc.frontdesk.channels.connect(agent.name, platform, account_id, catalog_id=catalog_id.strip() or None,
                                                 handover_app_id=handover_app_id.strip() or None)
    except FrontdeskError as exc:
        return back(f"/console/agents/{name}", str(exc))
    return back(f"/console/agents/{name}", f"Connected {channel.platform} account {channel.account_id}.")


@router.post("/agents/{name}/channels/{channel_id}/remove")
def channel_remove(name: str, channel_id: RowId, svc: Svc, login: Login, csrf: Annotated[str, Form()]) -> Response:
    csrf_checked(login, csrf)
    try:
        channel = svc.frontdesk.channels.of_agent(_agent(svc, name), channel_id)
    except NotFound as exc:
        return back(f"/console/agents/{name}", str(exc))
    svc.frontdesk.channels.remove(str(channel.id))
    return back(f"/console/agents/{name}", f"Disconnected {channel.platform} account {channel.account_id}.")


# -- conversations, gaps, handoff queue ---------------------------------------------------------------

@router.get("/agents/{name}/conversations")
def conversations(name: str, request: Request, svc: Svc, login: Login, q: str = "", status: str = "",
                  page_number: Annotated[int, Query(alias="page", ge=1, le=100_000)] = 1) -> HTMLResponse:
    agent = _agent(svc, name)
    status = status if status in ("bot", "waiting", "human") else ""
    rows = svc.frontdesk.conversations(agent, query=q[:200], status=status or None, limit=50,
                                                  offset=max(0, page_number - 1) * 50)
    return page("conversations.html", request, login, agent=agent, q=q, status=status,
                conversations=[conversation_json(c, agent.name) for c in rows])


@router.get("/conversations/{conversation_id}")
def conversation(conversation_id: RowId, request: Request, svc: Svc, login: Login, flash: str = "",
                 reveal: bool = False) -> HTMLResponse:
    found = svc.frontdesk.conversation(conversation_id)
    agent = svc.frontdesk.agent_by_id(found.agent_id)
    transcript = [message_json(m, evidence=True) for m in svc.frontdesk.transcript(found.id)]
    contact = found.external_id.partition(":")[2] if found.external_id and found.channel != "web" else f"web:{found.id}"
    if not reveal:  # phone numbers stay masked until the person asks to see them (and it is in the URL)
        transcript = [{**m, "text": mask_phones(m["text"])} for m in transcript]
    return page("conversation.html", request, login, agent=agent, conversation=conversation_json(found, agent.name),
                transcript=transcript, flash=flash, reveal=reveal,
                contact=contact if reveal or contact.startswith("web:") else mask_id(contact))


@router.post("/conversations/{conversation_id}/takeover")
def takeover(conversation_id: RowId, svc: Svc, login: Login, csrf: Annotated[str, Form()]) -> Response:
    csrf_checked(login, csrf)
    try:
        svc.frontdesk.take_over(conversation_id, login.user.name)
    except FrontdeskError as exc:
        return back(f"/console/conversations/{conversation_id}", str(exc))
    return back(f"/console/conversations/{conversation_id}", "You have the conversation; the agent is silent.")


@router.post("/conversations/{conversation_id}/reply")
def reply(conversation_id: RowId, svc: Svc, login: Login, csrf: Annotated[str, Form()],
          text: Annotated[str, Form(max_length=4000)]) -> Response:
    csrf_checked(login, csrf)
    try:
        svc.frontdesk.reply_as(conversation_id, login.user.name, text)
    except FrontdeskError as exc:
        return back(f"/console/conversations/{conversation_id}", str(exc))
    return back(f"/console/conversations/{conversation_id}")


@router.post("/conversations/{conversation_id}/release")
def release(conversation_id: RowId, svc: Svc, login: Login, csrf: Annotated[str, Form()]) -> Response:
    csrf_checked(login, csrf)
    svc.frontdesk.hand_back(conversation_id)
    return back(f"/console/conversations/{conversation_id}", "Handed back to the agent.")


@router.get("/agents/{name}/gaps")
def gaps(name: str, request: Request, svc: Svc, login: Login) -> HTMLResponse:
    agent = _agent(svc, name)
    return page("gaps.html", request, login, agent=agent, gaps=svc.frontdesk.gaps(agent, 500),
                signals=svc.frontdesk.signals(agent.name, 30))


@router.get("/agents/{name}/evals")
def eval_runs(name: str, request: Request, svc: Svc, login: Login) -> HTMLResponse:
    agent = _agent(svc, name)
    runs = svc.frontdesk.eval_runs(agent.name, limit=200)
    return page("evals.html", request, login, agent=agent, runs=runs, history=list(reversed(runs[:50])))


@router.get("/evals/{run_id}")
def eval_run(run_id: RowId, request: Request, svc: Svc, login: Login) -> HTMLResponse:
    run = svc.frontdesk.eval_run(run_id)
    agent = svc.frontdesk.agent_by_id(run["agent_id"])
    return page("eval.html", request, login, agent=agent, run=run, report=run["report"])


@router.get("/evals/{run_id}/report.html")
def eval_report(run_id: RowId, svc: Svc, login: Login) -> HTMLResponse:
    return HTMLResponse(svc.frontdesk.eval_html(run_id))


@router.get("/queue")
def queue(request: Request, svc: Svc, login: Login) -> HTMLResponse:
    names = agent_names(svc.frontdesk)
    rows = [conversation_json(c, names.get(c.agent_id, "?"))
            for status in ("waiting", "human") for c in svc.frontdesk.conversations(status=status, limit=200)]
    return page("queue.html", request, login, conversations=rows)
