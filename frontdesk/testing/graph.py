"""A local stand-in for Meta's Graph API: it records what frontdesk sends and answers like Meta.

For the channel tests and the webhook burst benchmark, and for trying a channel end to end
without a Meta account: ``python -m frontdesk.testing.graph --port 8100``, then
``FRONTDESK_GRAPH_BASE_URL=http://127.0.0.1:8100/v24.0``.

- ``POST /{version}/{account}/messages`` answers as the WhatsApp Cloud API does
  (``{"messages": [{"id": "wamid..."}]}``), or as Messenger does for Messenger bodies;
- ``POST /{version}/{account}/pass_thread_control`` (take, release) answers ``{"success": true}``;
- ``GET /{version}/{media-id}`` gives a download URL on this server; that URL serves the bytes;
- ``POST /{version}/{account}/media`` (multipart) takes an upload and answers its media id;
- ``POST /{version}/{page-or-me}/message_attachments`` (multipart ``message`` + ``filedata``, and
  ``platform=instagram`` for Instagram) takes an upload as Messenger's Attachment Upload API does and
  answers its ``attachment_id``; a Messenger send naming an attachment id it does not hold is a 400;
- every call needs ``Authorization: Bearer ...`` (401 in Graph's error shape otherwise);
- :meth:`FakeGraph.fail` makes the next calls (of one endpoint, if named) answer 429 or 5xx, to exercise retries.
"""

from __future__ import annotations

import argparse
import hashlib
import itertools
import json
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
        #: Messenger/Instagram attachments uploaded: attachment id -> (bytes, MIME type, platform, type).
        self.attachments: dict[str, tuple[bytes, str, str, str]] = {}
        self._failures: list[tuple[int, float | None, str | None]] = []
        self._random_failures = 0.0
        self._random = random.Random(0)
        self._ids = itertools.count(1)
        self._lock = threading.Lock()
        self.app = Starlette(routes=[Route("/media-files/{media_id}", self._download),
                                     Route("/{path:path}", self._api, methods=["GET", "POST", "DELETE"])])

    # -- what tests use ---------------------------------------------------------------------

    def fail(self, times: int, status: int = 500, retry_after: float | None = None,
             endpoint: str | None = None) -> None:
        """The next ``times`` API calls (to ``endpoint``, the last path segment, if given: ``messages``,
        ``media``, ``message_attachments``) answer ``status`` (429 and 5xx are what frontdesk retries)."""
        with self._lock:
            self._failures.extend([(status, retry_after, endpoint)] * times)

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
        if request.method == "POST" and request.url.path.endswith("/message_attachments"):
            return await self._attachment_upload(request)
        if request.method == "POST":
            try:
                body = await request.json()
            except ValueError:
                return self._record(request, None, _error(400, "Invalid JSON", 100))
        refused = self._refusal(request, body)
        if refused is not None:
            return refused
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
        attachment = (body.get("message") or {}).get("attachment") or {}
        attachment_id = (attachment.get("payload") or {}).get("attachment_id")
        if attachment_id is not None and attachment_id not in self.attachments:
            return self._record(request, body, _error(400, f"(#100) No matching attachment for id {attachment_id}", 100))
        if "sender_action" in body:
            return self._record(request, body, JSONResponse({"recipient_id": recipient}))
        return self._record(request, body, JSONResponse({"recipient_id": recipient,
                                                         "message_id": f"m_FAKE{next(self._ids):08d}"}))

    def _refusal(self, request: Request, body: Any) -> Response | None:
        """Graph's answer to a call without an access token, or the failure scheduled for it; None to go on."""
        auth = request.headers.get("authorization", "")
        if not auth.removeprefix("Bearer ").strip() or not auth.startswith("Bearer "):
            return self._record(request, body, _error(401, "An access token is required to request this resource.", 104))
        failed = self._failure(request)
        return None if failed is None else self._record(request, body, failed)

    def _failure(self, request: Request) -> Response | None:
        """The error the next scheduled (or random) failure answers for this call, if any."""
        endpoint = request.url.path.rstrip("/").rsplit("/", 1)[-1]
        with self._lock:
            failure = next((f for f in self._failures if f[2] in (None, endpoint)), None)
            if failure is not None:
                self._failures.remove(failure)
            elif self._random_failures and self._random.random() < self._random_failures:
                failure = (self._random.choice((429, 500)), 0.05, None)
        if failure is None:
            return None
        status, retry_after, _ = failure
        response = _error(status, "(#4) Application request limit reached" if status == 429
                          else "An unexpected error has occurred. Please retry your request later.",
                          4 if status == 429 else 2)
        if retry_after is not None:
            response.headers["Retry-After"] = str(retry_after)
        return response

    async def _upload(self, request: Request) -> Response:
        """``POST /{phone-number-id}/media`` (multipart: messaging_product, type, file): the media id.
        The bytes are kept in :attr:`uploads` and served back like a customer's media."""
        refused = self._refusal(request, None)
        if refused is not None:
            return refused
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

    async def _attachment_upload(self, request: Request) -> Response:
        """Messenger's Attachment Upload API: ``message`` (JSON: the attachment's type and payload),
        ``filedata`` (the file), ``platform=instagram`` for Instagram, which takes AAC, M4A, WAV and MP4
        audio only. Answers ``{"attachment_id": ...}``; the bytes are kept in :attr:`attachments`."""
        refused = self._refusal(request, None)
        if refused is not None:
            return refused
        try:
            async with request.form() as form:
                message = json.loads(str(form.get("message") or "{}"))
                upload = form.get("filedata")
                platform = str(form.get("platform") or "messenger")
                attachment = message.get("attachment") or {}
                kind = attachment.get("type")
                if kind not in ("image", "audio", "video", "file") or not isinstance(upload, UploadFile):
                    return self._record(request, {"message": message}, _error(
                        400, "(#100) message.attachment.type (image, audio, video, file) and filedata are required.",
                        100))
                data = await upload.read()
                mime = str(upload.content_type or "application/octet-stream")
                filename = upload.filename
        except Exception:  # noqa: BLE001 - any unreadable form is Graph's error 100
            return self._record(request, None, _error(400, "(#100) The parameter filedata is required.", 100))
        fields = {"message": message, "platform": platform, "filename": filename, "mime_type": mime, "size": len(data)}
        if kind == "audio" and not mime.startswith("audio/"):
            return self._record(request, fields, _error(400, "(#100) An audio attachment needs an audio/* type.", 100))
        if platform == "instagram" and kind == "audio" and mime.split(";")[0] not in INSTAGRAM_AUDIO:
            return self._record(request, fields, _error(
                400, "(#100) Instagram audio must be AAC, M4A, WAV or MP4.", 100))
        attachment_id = f"{next(self._ids):016d}"
        with self._lock:
            self.attachments[attachment_id] = (data, mime, platform, str(kind))
        return self._record(request, fields, JSONResponse({"attachment_id": attachment_id}))

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


#: The audio types Instagram messaging takes (its docs: AAC, M4A, WAV, MP4).
INSTAGRAM_AUDIO = {"audio/aac", "audio/mp4", "audio/m4a", "audio/x-m4a", "audio/wav", "audio/x-wav", "audio/wave"}


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
