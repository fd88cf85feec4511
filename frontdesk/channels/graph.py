"""A small client of Meta's Graph API: JSON posts and media downloads, retried with backoff.

429, 5xx and connection failures are retried (``graph_attempts`` in all, waits doubling from
``graph_backoff`` seconds; a Retry-After header wins, capped at 60 s). Any other 4xx is final.
The access token travels in the Authorization header only, so no URL, log line or error
message ever carries it.
"""

from __future__ import annotations

import json
import threading
from typing import Any

import httpx

from ..config import Settings
from ..errors import GraphError
from ..log import get_logger
from ..retry import retry_after

log = get_logger(__name__)
RETRYABLE = {429, 500, 502, 503, 504}


class GraphClient:
    """``http``: the HTTP client to use (for instance one with an ``httpx.MockTransport`` in a test);
    by default the Graph client makes its own and closes it in :meth:`close`."""

    def __init__(self, settings: Settings, stopping: threading.Event | None = None, *,
                 http: httpx.Client | None = None) -> None:
        self.base_url = settings.graph_base_url.rstrip("/")
        self.attempts = max(1, settings.graph_attempts)
        self.backoff = settings.graph_backoff
        self.max_bytes = settings.max_file_bytes
        self._stopping = stopping or threading.Event()
        self._owns_http = http is None
        self._http = http or httpx.Client(timeout=settings.http_timeout, follow_redirects=True,
                                          limits=httpx.Limits(max_connections=64))

    def close(self) -> None:
        if self._owns_http:
            self._http.close()

    def post(self, path: str, body: dict[str, Any], token: str) -> dict[str, Any]:
        response = self._request("POST", f"{self.base_url}/{path.lstrip('/')}", token, json=body)
        try:
            data = response.json()
        except ValueError:
            data = {}
        return data if isinstance(data, dict) else {}

    def upload(self, account_id: str, data: bytes, mime_type: str, filename: str, token: str) -> str:
        """Upload a file for a WhatsApp media message (``POST /{phone-number-id}/media``); its media id."""
        response = self._request("POST", f"{self.base_url}/{account_id}/media", token,
                                 data={"messaging_product": "whatsapp", "type": mime_type},
                                 files={"file": (filename, data, mime_type)})
        try:
            media_id = response.json().get("id")
        except (ValueError, AttributeError):
            media_id = None
        if not media_id:
            raise GraphError(f"media upload to {account_id}: the Graph API gave no media id")
        return str(media_id)

    def upload_attachment(self, account_id: str, data: bytes, mime_type: str, filename: str, token: str, *,
                          kind: str = "audio", platform: str = "messenger") -> str:
        """Upload a file for a Messenger or Instagram message with the Attachment Upload API; its attachment id.

        Multipart, as Meta documents it: ``message`` (the attachment's type, reusable so a retried send
        can use it) and ``filedata``. Messenger uploads to the page (``/{page-id}/message_attachments``);
        Instagram to the page of the token (``/me/message_attachments``) with ``platform=instagram``.
        """
        fields = {"message": json.dumps({"attachment": {"type": kind, "payload": {"is_reusable": True}}})}
        owner = account_id
        if platform == "instagram":
            fields["platform"], owner = "instagram", "me"
        response = self._request("POST", f"{self.base_url}/{owner}/message_attachments", token,
                                 data=fields, files={"filedata": (filename, data, mime_type)})
        try:
            attachment_id = response.json().get("attachment_id")
        except (ValueError, AttributeError):
            attachment_id = None
        if not attachment_id:
            raise GraphError(f"attachment upload for {account_id}: the Graph API gave no attachment id")
        return str(attachment_id)

    def media(self, media_id: str, token: str) -> tuple[bytes, str]:
        """A WhatsApp media object: its URL from ``GET /{media-id}``, then the bytes (same token)."""
        info = self._request("GET", f"{self.base_url}/{media_id}", token).json()
        if not isinstance(info, dict) or not info.get("url"):
            raise GraphError(f"media {media_id}: the Graph API gave no download URL")
        return self.download(str(info["url"]), token)

    def download(self, url: str, token: str | None = None) -> tuple[bytes, str]:
        response = self._request("GET", url, token)
        if len(response.content) > self.max_bytes:
            raise GraphError(f"the attachment is larger than {self.max_bytes // 2**20} MB")
        return response.content, response.headers.get("content-type", "")

    def _request(self, method: str, url: str, token: str | None, **kwargs: Any) -> httpx.Response:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        where = url.split("?", 1)[0]
        for attempt in range(1, self.attempts + 1):
            wait = self.backoff * 2 ** (attempt - 1)
            try:
                response = self._http.request(method, url, headers=headers, **kwargs)
            except httpx.HTTPError as exc:
                problem = GraphError(f"{method} {where}: {type(exc).__name__}", retryable=True)
            else:
                if response.status_code < 400:
                    return response
                problem = GraphError(f"{method} {where}: HTTP {response.status_code}: {_message(response)}",
                                     response.status_code, response.status_code in RETRYABLE)
                wait = _retry_after(response) or wait
            if not problem.retryable or attempt == self.attempts:
                raise problem
            log.info("graph request retried", url=where, attempt=attempt, reason=str(problem), wait=wait)
            if self._stopping.wait(min(wait, 60.0)):
                raise problem
        raise AssertionError("unreachable")


def _message(response: httpx.Response) -> str:
    try:
        error = response.json().get("error", {})
        return str(error.get("message") or error)[:300]
    except (ValueError, AttributeError):
        return response.text[:200] or response.reason_phrase


def _retry_after(response: httpx.Response) -> float | None:
    return retry_after(response.headers.get("retry-after"))
