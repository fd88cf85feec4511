"""A local stand-in for Meta's Graph API: it records what frontdesk sends and answers like Meta.

For the channel tests and the webhook burst benchmark, and for trying a channel end to end
without a Meta account: ``python -m frontdesk.testing.graph --port 8100``, then
``FRONTDESK_GRAPH_BASE_URL=http://127.0.0.1:8100/v24.0``.

- ``POST /{version}/{account}/messages`` answers as the WhatsApp Cloud API does
  (``{"messages": [{"id": "wamid..."}]}``), or as Messenger does for Messenger bodies;
- ``POST /{version}/{account}/pass_thread_control`` (take, release) answers ``{"success": true}``;
- ``GET /{version}/{media-id}`` gives a download URL on this server; that URL serves the bytes;
- ``POST /{version}/{account}/media`` (multipart) takes an upload and answers its media id;
- every call needs ``Authorization: Bearer ...`` (401 in Graph's error shape otherwise);
- :meth:`FakeGraph.fail` makes the next calls answer 429 or 5xx, to exercise retries.
"""

from __future__ import annotations

import argparse
import hashlib
import itertools
import random
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from starlette.applications import Starlette
from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route


@dataclass
class Call:
    method: str
    path: str
    token: str | None
    body: dict[str, Any] | None
    status: int
    at: float = field(default_factory=time.monotonic)


class FakeGraph:
    def __init__(self, media: dict[str, tuple[bytes, str]] | None = None) -> None:
        self.calls: list[Call] = []
        self.media = dict(media or {})
        #: Files frontdesk uploaded (``POST /{account}/media``): media id -> (bytes, MIME type).
        self.uploads: dict[str, tuple[bytes, str]] = {}
        self._failures: list[tuple[int, float | None]] = []
        self._random_failures = 0.0
        self._random = random.Random(0)
        self._ids = itertools.count(1)
        self._lock = threading.Lock()
        self.app = Starlette(routes=[Route("/media-files/{media_id}", self._download),
                                     Route("/{path:path}", self._api, methods=["GET", "POST", "DELETE"])])

    # -- what tests use ---------------------------------------------------------------------

    def fail(self, times: int, status: int = 500, retry_after: float | None = None) -> None:
        """The next ``times`` API calls answer ``status`` (429 and 5xx are what frontdesk retries)."""
        with self._lock:
            self._failures.extend([(status, retry_after)] * times)

    def fail_randomly(self, share: float, seed: int = 0) -> None:
        """From now on, answer this share of API calls with 500 or 429 (half each), at random."""
        with self._lock:
            self._random_failures, self._random = share, random.Random(seed)

    def sent(self, kind: str | None = None) -> list[Call]:
        """Successful POSTs to a ``messages`` endpoint (optionally of one WhatsApp ``type`` or
        ``read``/``sender_action``)."""
        with self._lock:
            calls = [c for c in self.calls if c.method == "POST" and c.status == 200 and c.path.endswith("/messages")]
        return [c for c in calls if kind is None or _kind(c.body or {}) == kind]

    def reset(self) -> None:
        with self._lock:
            self.calls.clear()
            self._failures.clear()

    # -- the API ----------------------------------------------------------------------------

    async def _api(self, request: Request) -> Response:
        body = None
        if request.method == "POST" and request.url.path.endswith("/media"):
            return await self._upload(request)
        if request.method == "POST":
            try:
                body = await request.json()
            except ValueError:
                return self._record(request, None, _error(400, "Invalid JSON", 100))
        auth = request.headers.get("authorization", "")
        token = auth.removeprefix("Bearer ") if auth.startswith("Bearer ") else None
        if not token:
            return self._record(request, body, _error(401, "An access token is required to request this resource.", 104))
        with self._lock:
            failure = self._failures.pop(0) if self._failures else None
            if failure is None and self._random_failures and self._random.random() < self._random_failures:
                failure = (self._random.choice((429, 500)), 0.05)
        if failure is not None:
            status, retry_after = failure
            response = _error(status, "(#4) Application request limit reached" if status == 429
                              else "An unexpected error has occurred. Please retry your request later.",
                              4 if status == 429 else 2)
            if retry_after is not None:
                response.headers["Retry-After"] = str(retry_after)
            return self._record(request, body, response)
        path = request.path_params["path"]
        segments = path.strip("/").split("/")
        if request.method == "GET" and segments:
            media_id = segments[-1]
            if media_id not in self.media:
                return self._record(request, body, _error(404, f"Unsupported get request. Object with ID '{media_id}' "
                                                               "does not exist", 100))
            data, mime = self.media[media_id]
            return self._record(request, body, JSONResponse({
                "messaging_product": "whatsapp", "url": f"{request.base_url}media-files/{media_id}",
                "mime_type": mime, "sha256": hashlib.sha256(data).hexdigest(), "file_size": len(data), "id": media_id}))
        if request.method != "POST" or body is None:
            return self._record(request, body, _error(400, "Unsupported request", 100))
        endpoint = segments[-1]
        if endpoint in ("pass_thread_control", "take_thread_control", "release_thread_control"):
            return self._record(request, body, JSONResponse({"success": True}))
        if endpoint != "messages":
            return self._record(request, body, _error(400, f"Unknown path components: /{endpoint}", 2500))
        if body.get("messaging_product") == "whatsapp":
            if body.get("status") == "read":
                return self._record(request, body, JSONResponse({"success": True}))
            if not body.get("to") or not body.get("type"):
                return self._record(request, body, _error(400, "(#100) The parameter to is required.", 100))
            return self._record(request, body, JSONResponse({
                "messaging_product": "whatsapp", "contacts": [{"input": body["to"], "wa_id": body["to"]}],
                "messages": [{"id": f"wamid.FAKE{next(self._ids):08d}"}]}))
        recipient = (body.get("recipient") or {}).get("id")
        if not recipient:
            return self._record(request, body, _error(400, "(#100) param recipient must be non-empty.", 100))
        if "sender_action" in body:
            return self._record(request, body, JSONResponse({"recipient_id": recipient}))
        return self._record(request, body, JSONResponse({"recipient_id": recipient,
                                                         "message_id": f"m_FAKE{next(self._ids):08d}"}))

    async def _upload(self, request: Request) -> Response:
        """``POST /{phone-number-id}/media`` (multipart: messaging_product, type, file): the media id.
        The bytes are kept in :attr:`uploads` and served back like a customer's media."""
        auth = request.headers.get("authorization", "")
        if not auth.startswith("Bearer "):
            return self._record(request, None, _error(401, "An access token is required to request this resource.", 104))
        try:
            async with request.form() as form:
                upload = form.get("file")
                fields = {"messaging_product": form.get("messaging_product"), "type": form.get("type")}
                if fields["messaging_product"] != "whatsapp" or not isinstance(upload, UploadFile):
                    return self._record(request, fields, _error(
                        400, "(#100) messaging_product whatsapp and a file are required.", 100))
                data = await upload.read()
                filename = upload.filename
                content_type = upload.content_type
        except Exception:  # noqa: BLE001 - any unreadable form is Graph's error 100
            return self._record(request, None, _error(400, "(#100) The parameter file is required.", 100))
        media_id = f"upload-{next(self._ids):08d}"
        mime = str(fields["type"] or content_type or "application/octet-stream")
        with self._lock:
            self.media[media_id] = (data, mime)
            self.uploads[media_id] = (data, mime)
        return self._record(request, {**fields, "filename": filename, "size": len(data)},
                            JSONResponse({"id": media_id}))

    async def _download(self, request: Request) -> Response:
        media_id = request.path_params["media_id"]
        if media_id not in self.media:
            return self._record(request, None, _error(404, "not found", 100))
        data, mime = self.media[media_id]
        return self._record(request, None, Response(data, media_type=mime))

    def _record(self, request: Request, body: dict[str, Any] | None, response: Response) -> Response:
        auth = request.headers.get("authorization", "")
        with self._lock:
            self.calls.append(Call(request.method, request.url.path, auth.removeprefix("Bearer ") or None,
                                   body, response.status_code))
        return response


def _error(status: int, message: str, code: int) -> JSONResponse:
    return JSONResponse({"error": {"message": message, "type": "OAuthException", "code": code,
                                   "fbtrace_id": "AfakeTraceId"}}, status_code=status)


def _kind(body: dict[str, Any]) -> str:
    if body.get("status") == "read":
        return "read"
    if "sender_action" in body:
        return str(body["sender_action"])
    if body.get("type") == "interactive":
        return str(body["interactive"]["type"])
    if "type" in body:
        return str(body["type"])
    return "attachment" if "attachment" in body.get("message", {}) else "text"


def main() -> None:
    import uvicorn

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8100)
    args = parser.parse_args()
    uvicorn.run(FakeGraph().app, host=args.host, port=args.port, log_level="warning")


if __name__ == "__main__":
    main()
