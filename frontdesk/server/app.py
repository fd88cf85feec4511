"""The web application: one ASGI app with the REST API, the OpenAI-compatible API, the public
web chat and the owner console, all clients of one :class:`frontdesk.app.Frontdesk`.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated, Any

from fastapi import FastAPI, Path, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .. import __version__
from ..app import Frontdesk
from ..config import Settings
from ..errors import AlreadyExists, Busy, FrontdeskError, InfrastructureError, NotFound, UserError
from ..log import get_logger
from ..safety.hostile import json_body_problem
from ..safety.privacy import redact_access_log
from .jobs import Jobs
from .ratelimit import rate_limiter, redis_client
from .streaming import StreamSlots

log = get_logger(__name__)
#: A database id in a URL: bounded so no request can overflow SQLite's 64-bit integers.
RowId = Annotated[int, Path(ge=1, le=2**62)]
UPLOAD_PATH = re.compile(r"^/api/agents/[^/]+/sources/upload$|^/console/agents/[^/]+/upload$|^/api/characters/import$"
                         r"|^/console/characters/import$"
                         r"|^/v1/audio/transcriptions$|^/widget/[^/]+/conversations/\d+/recordings$")


class Services:
    """What the routes share: the library front, background jobs, stream slots, rate limits."""

    def __init__(self, frontdesk: Frontdesk) -> None:
        self.frontdesk = frontdesk
        settings = frontdesk.settings
        self.settings = settings
        self.jobs = Jobs()
        self.slots = StreamSlots(settings.max_streams)
        self.redis = redis_client(settings)  # None: rate limits per process
        self.visitor_limit = rate_limiter(self.redis, "visitor", settings.widget_rate)
        self.login_limit = rate_limiter(self.redis, "login", 10)
        self.account_login_limit = rate_limiter(self.redis, "login-account", 5, burst=10)  # per account name
        self.draining = False  # SIGTERM: /readyz says no, channel workers claim nothing new
        self.model_state = "not loaded"

    def drain(self) -> None:
        """Stop taking new work (SIGTERM): readiness fails, channel workers claim nothing new;
        requests in flight and the channel work in hand finish."""
        self.draining = True
        self.frontdesk.channels.drain()

    def warm_up(self) -> None:
        """Load the answer model in the background so the first customer does not wait for it."""
        def load() -> None:
            self.model_state = "loading"
            try:
                responder = self.frontdesk.responder()
                agents = self.frontdesk.list_agents()
                if agents:
                    responder.warm_up(agents[0])
                if self.settings.retrieval_process:
                    self.frontdesk.plan_in_worker_process().warm_up(agents[0] if agents else None)
                self.model_state = "ready"
            except FrontdeskError as exc:
                self.model_state = f"failed: {exc}"
                log.error("the answer model could not be loaded: %s", exc)

        threading.Thread(target=load, name="frontdesk-warm-up", daemon=True).start()


class RetentionSweep:
    """Erases conversations past their retention period (agents' and characters'): at start, then hourly."""

    def __init__(self, frontdesk: Frontdesk, every: float = 3600.0) -> None:
        self._stop = threading.Event()
        self._frontdesk = frontdesk
        self._every = every
        self._thread = threading.Thread(target=self._run, name="frontdesk-retention", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                erased = self._frontdesk.expire_conversations()
                if erased:
                    log.info("expired conversations erased", conversations=erased)
            except Exception as exc:  # noqa: BLE001 - the sweep retries next hour
                log.warning("retention sweep failed", error=repr(exc))
            self._stop.wait(self._every)

    def stop(self) -> None:
        self._stop.set()


def services(request: Request) -> Services:
    return request.app.state.services  # type: ignore[no-any-return]


def error_body(message: str, kind: str, code: str | None = None, param: str | None = None) -> dict[str, Any]:
    """OpenAI's error shape, used by every API route."""
    return {"error": {"message": message, "type": kind, "param": param, "code": code}}


def create_app(settings: Settings, frontdesk: Frontdesk | None = None, *, warm_up: bool = True) -> FastAPI:
    from . import (
        api,
        characters,
        console,
        health,
        openai_api,
        privacy,
        voice,
        webhooks,
        widget,
        widget_voice,
    )

    shared = Services(frontdesk or Frontdesk(settings))
    if settings.retrieval_process:
        shared.frontdesk.plan_in_worker_process()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if warm_up:
            shared.warm_up()
        shared.frontdesk.channels.start()
        redact_access_log()
        sweeper = RetentionSweep(shared.frontdesk)
        yield
        sweeper.stop()
        shared.frontdesk.channels.stop()
        shared.jobs.close()
        if settings.retrieval_process:
            shared.frontdesk.plan_in_worker_process().close()

    app = FastAPI(title="frontdesk", version=__version__, lifespan=lifespan,
                  description="Grounded business agents: REST API, OpenAI-compatible chat completions, "
                              "public web chat. Authenticate with `Authorization: Bearer KEY` "
                              "(`frontdesk keys create`).")
    app.state.services = shared
    app.include_router(api.router)
    app.include_router(characters.router)
    app.include_router(openai_api.router)
    app.include_router(voice.router)
    app.include_router(voice.console_router)
    app.include_router(widget.router)
    app.include_router(widget_voice.router)
    app.include_router(console.router)
    app.include_router(webhooks.router)
    app.include_router(privacy.router)
    app.include_router(health.router)
    _error_handlers(app)

    @app.get("/healthz", tags=["health"], summary="Liveness and model state")
    def healthz() -> dict[str, Any]:
        return {"status": "ok", "version": __version__, "model": shared.model_state,
                "streams": shared.slots.active, "channels": shared.frontdesk.channels.status()}

    app.add_middleware(BodyLimit, limit=settings.max_body_kb * 1024, upload_limit=settings.max_file_bytes)
    return app


def _error_handlers(app: FastAPI) -> None:
    def openai_route(request: Request) -> bool:
        return request.url.path.startswith("/v1/")

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        problems = []
        for error in exc.errors()[:5]:
            if error.get("type") == "json_invalid":
                problems.append(f"the request body is not valid JSON ({error.get('ctx', {}).get('error', 'decode error')} "
                                f"at character {error.get('loc', ('', '?'))[-1]})")
                continue
            where = ".".join(str(p) for p in error.get("loc", ()) if p != "body") or "body"
            problems.append(f"{where}: {error.get('msg', 'invalid')}")
        status = 400 if openai_route(request) else 422
        param = ".".join(str(p) for p in exc.errors()[0].get("loc", ())) if exc.errors() else None
        return JSONResponse(error_body("; ".join(problems) or "invalid request", "invalid_request_error",
                                       param=param), status_code=status)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        kinds = {401: "authentication_error", 403: "permission_error", 404: "not_found_error",
                 405: "invalid_request_error", 413: "invalid_request_error", 429: "rate_limit_error"}
        headers = dict(exc.headers or {})
        return JSONResponse(error_body(str(exc.detail), kinds.get(exc.status_code, "invalid_request_error")),
                            status_code=exc.status_code, headers=headers)

    @app.exception_handler(FrontdeskError)
    async def frontdesk_error(request: Request, exc: FrontdeskError) -> JSONResponse:
        if isinstance(exc, NotFound):
            return JSONResponse(error_body(str(exc), "not_found_error"), status_code=404)
        if isinstance(exc, AlreadyExists):
            return JSONResponse(error_body(str(exc), "conflict_error"), status_code=409)
        if isinstance(exc, UserError):
            return JSONResponse(error_body(str(exc), "invalid_request_error"), status_code=400)
        if isinstance(exc, InfrastructureError):
            log.error("%s %s: %s", request.method, request.url.path, exc)
            return JSONResponse(error_body(str(exc), "service_unavailable"), status_code=503)
        raise exc

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> JSONResponse:
        """A bug still answers in OpenAI's shape (clients parse it), and is logged with its traceback."""
        log.error("%s %s failed: %r", request.method, request.url.path, exc, exc_info=exc)
        return JSONResponse(error_body("the server failed to answer this request; it was logged", "server_error"),
                            status_code=500)

    @app.exception_handler(Busy)
    async def busy(request: Request, exc: Busy) -> JSONResponse:
        return JSONResponse(error_body(str(exc), "server_busy"), status_code=503, headers={"Retry-After": "2"})


class BodyLimit:
    """Refuse request bodies over the limit with 413 before the application reads them.

    JSON bodies are read into memory up to ``limit``; uploads may be as large as ``upload_limit``
    and must declare their length.
    """

    def __init__(self, app: ASGIApp, limit: int, upload_limit: int) -> None:
        self.app = app
        self.limit = limit
        self.upload_limit = upload_limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        upload = bool(UPLOAD_PATH.match(scope["path"]))
        limit = self.upload_limit if upload else self.limit
        headers = dict(scope.get("headers") or [])
        length = headers.get(b"content-length")
        if length is not None:
            try:
                declared = int(length)
            except ValueError:
                await _reject(send, 400, "Content-Length is not a number")
                return
            if declared > limit:
                await _reject(send, 413, f"the request body is larger than {limit // 1024} KB")
                return
            if upload:
                await self.app(scope, receive, send)
                return
        elif upload and scope["method"] in ("POST", "PUT"):
            await _reject(send, 411, "uploads must declare their Content-Length")
            return
        body, more = bytearray(), True
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            body += message.get("body", b"")
            more = message.get("more_body", False)
            if len(body) > limit:
                await _reject(send, 413, f"the request body is larger than {limit // 1024} KB")
                return
        content_type = headers.get(b"content-type", b"").lower()
        if body and (not content_type or b"json" in content_type):
            problem = json_body_problem(bytes(body))
            if problem:
                await _reject(send, 400, problem)
                return
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": bytes(body), "more_body": False}
            return await receive()

        await self.app(scope, replay, send)


async def _reject(send: Send, status: int, message: str) -> None:
    body = json.dumps(error_body(message, "invalid_request_error")).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})
