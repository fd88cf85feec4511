"""The outbox: Graph API requests queued under idempotent keys, sent in order, their outcome recorded.

A reply's requests are queued in ``channel_outbox`` under keys derived from what they answer
(``reply:<event id>:<n>``), so a retried event queues nothing twice; a worker or the answering
thread claims and sends them (the Graph client retries 429 and 5xx with backoff).
"""

from __future__ import annotations

import os
import secrets
import socket
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from ..domain import Channel, ChannelEvent, Conversation, OutboxItem
from ..errors import GraphError, UserError
from ..log import get_logger
from ..store import Store
from .link import MetaLink

log = get_logger(__name__)
#: Names this process's claims in the shared queue (host, pid, and a nonce for a reused pid).
WORKER_ID = f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"


class Outbox:
    def __init__(self, store: Store, link: MetaLink, wake: Callable[[], None], lease: float = 60.0) -> None:
        self.store = store
        self.lease = lease
        self.link = link
        self.wake = wake

    def queue(self, channel: Channel, conversation: Conversation | None, key: str, bodies: Sequence[dict[str, Any]], *,
              send_now: bool, quiet: bool = False, character_conversation_id: int | None = None) -> list[int]:
        """Queue ``bodies`` (a ``_path`` entry names another endpoint than ``messages``); with ``send_now``
        send them in this thread, raising a failure unless ``quiet``; else wake a worker. A character's
        channel names its character conversation instead of an agent's ``conversation``."""
        sends = []
        for n, body in enumerate(bodies):
            body = dict(body)
            endpoint = body.pop("_path", "messages")
            sends.append({"channel_id": channel.id, "conversation_id": conversation.id if conversation else None,
                          "character_conversation_id": character_conversation_id, "key": f"{key}:{n}",
                          "kind": _kind(body, endpoint), "path": f"{channel.account_id}/{endpoint}", "body": body})
        ids = self.store.enqueue_sends(sends)
        if send_now:
            for send_id in ids:
                claimed = self.store.claim_send(send_id, worker=WORKER_ID, lease=self.lease)
                if claimed is not None:
                    self.send(claimed, raise_errors=not quiet)
        else:
            self.wake()
        return ids

    def resend_queued(self, event: ChannelEvent) -> bool:
        """Send what an earlier attempt at ``event`` queued and did not send; False if it queued nothing."""
        queued = self.store.sends_keyed(f"reply:{event.id}:")
        for send in queued:
            claimed = (self.store.claim_send(send.id, retry_failed=True, worker=WORKER_ID, lease=self.lease)
                       if send.state != "sent" else None)
            if claimed is not None:
                self.send(claimed, raise_errors=True)
        return bool(queued)

    def send(self, send: OutboxItem, raise_errors: bool = False) -> None:
        channel = self.store.get_channel(send.channel_id)
        try:
            token = self.link.secrets.token_for(channel.account_id)
            body = self._uploaded(channel.account_id, send.body, token)
            response = self.link.graph.post(send.path, body, token)
        except (GraphError, UserError) as exc:
            error = self.link.secrets.redact(str(exc))
            self.store.finish_send(send.id, "failed", error=error)
            log.warning("graph send failed", send=send.id, kind=send.kind, error=error)
            if raise_errors:
                raise
            return
        messages = response.get("messages") if isinstance(response.get("messages"), list) else []
        platform_id = (messages[0].get("id") if messages and isinstance(messages[0], dict) else None) \
            or response.get("message_id")
        self.store.finish_send(send.id, "sent", platform_message_id=str(platform_id) if platform_id else None)

    def _uploaded(self, account_id: str, body: dict[str, Any], token: str) -> dict[str, Any]:
        """A body with ``_upload`` (a kept file for a media message) once the file is uploaded, at each
        attempt (a WhatsApp media id lasts 30 days, a Messenger attachment id 90, the queued message once):
        WhatsApp sends it by media id, Messenger and Instagram by ``payload.attachment_id``."""
        upload = body.get("_upload")
        if not upload:
            return body
        path = Path(str(upload["path"]))
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise UserError(f"the file to send is gone: {path.name} ({exc.strerror})") from None
        rest = {k: v for k, v in body.items() if k != "_upload"}
        platform = str(upload.get("platform") or "whatsapp")
        if platform == "whatsapp":
            media_id = self.link.graph.upload(account_id, data, str(upload["mime_type"]), path.name, token)
            kind = str(body["type"])
            return {**rest, kind: {**body.get(kind, {}), "id": media_id}}
        attachment = dict(rest["message"]["attachment"])
        attachment_id = self.link.graph.upload_attachment(account_id, data, str(upload["mime_type"]), path.name,
                                                          token, kind=str(attachment["type"]), platform=platform)
        attachment["payload"] = {"attachment_id": attachment_id}
        return {**rest, "message": {**rest["message"], "attachment": attachment}}


def _kind(body: dict[str, Any], endpoint: str) -> str:
    if endpoint != "messages":
        return endpoint
    if "sender_action" in body:
        return str(body["sender_action"])
    if body.get("status") == "read":
        return "read"
    if body.get("type") == "interactive":
        return str(body["interactive"]["type"])
    if "type" in body:
        return str(body["type"])
    attachment = body.get("message", {}).get("attachment")
    if attachment:
        return "cards" if attachment.get("type") == "template" else str(attachment.get("type"))
    return "quick_replies" if body.get("message", {}).get("quick_replies") else "text"
