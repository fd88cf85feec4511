"""Webhook deliveries from Meta: the signature check, and the shapes Meta documents turned into events.

One delivery carries ``entry[]``; a WhatsApp entry carries ``changes[].value`` with ``messages[]``
and ``statuses[]``; a Messenger or Instagram entry carries ``messaging[]`` (or ``standby[]`` while
another app owns the thread). Each message or event becomes one event dict for
:meth:`frontdesk.store.Store.record_events`, keyed by the platform's own id so a retried
delivery adds nothing. Anything not understood is kept as ``unknown`` and skipped.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

from ..domain import Channel

#: Message kinds the agent answers, and what each becomes.
WHATSAPP_KINDS = {"text": "text", "interactive": "text", "button": "text", "audio": "media", "image": "media",
                  "document": "media", "video": "media", "sticker": "media", "order": "order"}
OBJECTS = {"whatsapp_business_account": "whatsapp", "page": "messenger", "instagram": "instagram"}
HANDOVER = ("pass_thread_control", "take_thread_control", "request_thread_control", "release_thread_control")

FindChannel = Callable[[str, str], Channel | None]


def signature_matches(body: bytes, header: str | None, app_secret: str) -> bool:
    """``X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of the raw body>``, compared in constant time."""
    if not header or not app_secret or not header.startswith("sha256="):
        return False
    expected = hmac.new(app_secret.encode(), body, hashlib.sha256).hexdigest()
    presented = header.removeprefix("sha256=").strip().lower()
    # bytes, not str: compare_digest refuses a str with non-ASCII characters (a hostile header)
    return hmac.compare_digest(expected.encode(), presented.encode("utf-8", "replace"))


def parse_delivery(delivery: Any, find_channel: FindChannel) -> list[dict[str, Any]]:
    """Every event of one delivery, each with the channel it arrived on (or an error naming the account)."""
    if not isinstance(delivery, dict):
        return [_unknown("unknown", delivery, "the delivery is not a JSON object")]
    platform = OBJECTS.get(str(delivery.get("object")))
    entries = delivery.get("entry")
    if platform is None or not isinstance(entries, list):
        return [_unknown(platform or "unknown", delivery,
                         f"unknown object {delivery.get('object')!r}" if platform is None else "no entry list")]
    events: list[dict[str, Any]] = []
    for entry in entries:
        if not isinstance(entry, dict):
            events.append(_unknown(platform, entry, "an entry is not an object"))
        elif platform == "whatsapp":
            events.extend(_whatsapp_entry(entry, find_channel))
        else:
            events.extend(_messaging_entry(platform, entry, find_channel))
    return events


# -- WhatsApp Cloud API -----------------------------------------------------------------------

def _whatsapp_entry(entry: dict[str, Any], find_channel: FindChannel) -> Iterator[dict[str, Any]]:
    for change in _list(entry.get("changes")):
        value = change.get("value") if isinstance(change, dict) else None
        if not isinstance(value, dict) or change.get("field") != "messages":
            yield _unknown("whatsapp", change, f"unhandled change field {change.get('field') if isinstance(change, dict) else None!r}")
            continue
        account = str((value.get("metadata") or {}).get("phone_number_id") or "")
        channel = find_channel("whatsapp", account) if account else None
        names = {str(c.get("wa_id")): (c.get("profile") or {}).get("name")
                 for c in _list(value.get("contacts")) if isinstance(c, dict)}
        for message in _list(value.get("messages")):
            yield _whatsapp_message(message, account, channel, names)
        for status in _list(value.get("statuses")):
            yield _whatsapp_status(status, account, channel)
        if not value.get("messages") and not value.get("statuses"):
            yield _unknown("whatsapp", value, "a change with neither messages nor statuses", channel)


def _whatsapp_message(message: Any, account: str, channel: Channel | None,
                      names: dict[str, Any]) -> dict[str, Any]:
    if not isinstance(message, dict) or not message.get("id") or not message.get("from"):
        return _unknown("whatsapp", message, "a message without id or from", channel)
    wa_type = str(message.get("type", "unknown"))
    kind = WHATSAPP_KINDS.get(wa_type, "unknown")
    sender = str(message["from"])
    payload: dict[str, Any] = {"type": wa_type, "raw": message, "name": names.get(sender)}
    content = message.get(wa_type)
    body: dict[str, Any] = content if isinstance(content, dict) else {}
    if wa_type == "text":
        payload["text"] = str(body.get("body", ""))
    elif wa_type == "interactive":
        reply = body.get("button_reply") or body.get("list_reply") or {}
        if not isinstance(reply, dict) or not reply.get("title"):
            kind = "unknown"
        else:
            payload.update(text=str(reply.get("title", "")), reply_id=str(reply.get("id", "")))
    elif wa_type == "button":
        payload.update(text=str(body.get("text", "")), reply_id=str(body.get("payload", "")))
    elif kind == "media":
        if not body.get("id"):
            kind = "unknown"
        payload["media"] = [{"id": body.get("id"), "mime_type": body.get("mime_type", ""), "kind": wa_type,
                             "voice": bool(body.get("voice")), "filename": body.get("filename")}]
        payload["text"] = str(body.get("caption") or "")
    elif wa_type == "order":
        items = [i for i in _list(body.get("product_items")) if isinstance(i, dict)]
        payload["order"] = {"catalog_id": body.get("catalog_id"), "text": body.get("text", ""),
                            "items": [{"retailer_id": str(i.get("product_retailer_id", "")),
                                       "quantity": i.get("quantity", 1)} for i in items]}
        if not items:
            kind = "unknown"
    return _event("whatsapp", channel, account, str(message["id"]), kind, sender, payload,
                  _seconds(message.get("timestamp")), None if kind != "unknown" else f"unhandled message type {wa_type!r}")


def _whatsapp_status(status: Any, account: str, channel: Channel | None) -> dict[str, Any]:
    if not isinstance(status, dict) or not status.get("id") or not status.get("status"):
        return _unknown("whatsapp", status, "a status without id or status", channel)
    errors = [e.get("title") or e.get("message") for e in _list(status.get("errors")) if isinstance(e, dict)]
    payload = {"message_id": str(status["id"]), "status": str(status["status"]),
               "error": "; ".join(str(e) for e in errors if e) or None, "raw": status}
    event = _event("whatsapp", channel, account, f"status:{status['id']}:{status['status']}", "status",
                   None, payload, _seconds(status.get("timestamp")))
    event["thread"] = f"whatsapp:{account}:statuses"
    return event


# -- Messenger and Instagram ------------------------------------------------------------------

def _messaging_entry(platform: str, entry: dict[str, Any], find_channel: FindChannel) -> Iterator[dict[str, Any]]:
    account = str(entry.get("id") or "")
    channel = find_channel(platform, account) if account else None
    for standby, items in ((False, entry.get("messaging")), (True, entry.get("standby"))):
        for item in _list(items):
            yield _messaging_item(platform, item, account, channel, standby)
    if entry.get("messaging") is None and entry.get("standby") is None:
        yield _unknown(platform, entry, "an entry with neither messaging nor standby", channel)


def _messaging_item(platform: str, item: Any, account: str, channel: Channel | None,
                    standby: bool) -> dict[str, Any]:
    if not isinstance(item, dict) or not isinstance(item.get("sender"), dict) or not item["sender"].get("id"):
        return _unknown(platform, item, "a messaging event without sender", channel)
    sender = str(item["sender"]["id"])
    sent_at = _millis(item.get("timestamp"))
    message = item.get("message")
    if isinstance(message, dict) and message.get("mid"):
        if message.get("is_echo"):
            return _event(platform, channel, account, f"echo:{message['mid']}", "echo", None,
                          {"raw": item, "text": message.get("text", "")}, sent_at, "an echo of a page message")
        attachments = [a for a in _list(message.get("attachments")) if isinstance(a, dict)]
        payload: dict[str, Any] = {"type": "message", "raw": item, "text": str(message.get("text") or "")}
        quick = message.get("quick_reply")
        if isinstance(quick, dict):
            payload["reply_id"] = str(quick.get("payload", ""))
        media = [{"url": (a.get("payload") or {}).get("url"), "kind": a.get("type", "file"), "mime_type": ""}
                 for a in attachments if isinstance(a.get("payload"), dict) and a["payload"].get("url")]
        if media:
            payload["media"] = media
        kind = "text" if payload["text"] else ("media" if media else "unknown")
        if standby:
            kind = "standby"
        key = f"standby:{message['mid']}" if standby else str(message["mid"])
        return _event(platform, channel, account, key, kind, sender, payload, sent_at,
                      "a message without text or attachments" if kind == "unknown" else None)
    postback = item.get("postback")
    if isinstance(postback, dict):
        key = str(postback.get("mid") or f"postback:{sender}:{item.get('timestamp')}")
        payload = {"type": "postback", "raw": item, "text": str(postback.get("title") or ""),
                   "reply_id": str(postback.get("payload") or "")}
        return _event(platform, channel, account, key, "standby" if standby else "text", sender, payload, sent_at)
    for name in HANDOVER:
        if isinstance(item.get(name), dict):
            return _event(platform, channel, account, f"{name}:{sender}:{item.get('timestamp')}", "handover",
                          sender, {"type": name, "raw": item, **item[name]}, sent_at)
    if isinstance(item.get("delivery"), dict):
        mids = [str(m) for m in _list(item["delivery"].get("mids"))]
        return _event(platform, channel, account, f"delivery:{sender}:{item['delivery'].get('watermark')}",
                      "status", None, {"status": "delivered", "message_ids": mids, "raw": item}, sent_at)
    if isinstance(item.get("read"), dict):
        return _event(platform, channel, account, f"read:{sender}:{item['read'].get('watermark')}", "status",
                      None, {"status": "read", "message_ids": [], "raw": item}, sent_at)
    return _unknown(platform, item, "an unhandled messaging event", channel)


# -- helpers ----------------------------------------------------------------------------------

def _event(platform: str, channel: Channel | None, account: str, key: str, kind: str, sender: str | None,
           payload: dict[str, Any], sent_at: datetime | None, error: str | None = None) -> dict[str, Any]:
    if channel is None and kind != "unknown":
        error = error or f"no agent is connected to {platform} account {account or '(none)'}"
    state = "pending" if channel is not None and kind in ("text", "media", "order", "handover", "standby", "status") \
        and error is None else "skipped"
    return {"channel_id": channel.id if channel else None, "platform": platform, "event_key": key[:300],
            "kind": kind, "sender": sender, "thread": f"{platform}:{account}:{sender or '-'}",
            "payload": payload, "state": state, "error": error, "sent_at": sent_at}


def _unknown(platform: str, raw: Any, why: str, channel: Channel | None = None) -> dict[str, Any]:
    digest = hashlib.sha256(json.dumps(raw, sort_keys=True, default=str).encode()).hexdigest()[:32]
    event = _event(platform, channel, "", f"unknown:{digest}", "unknown", None, {"raw": raw}, None, why)
    event["thread"] = f"{platform}:unknown"
    return event


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _seconds(value: Any) -> datetime | None:
    try:
        return datetime.fromtimestamp(int(value), UTC)
    except (TypeError, ValueError, OverflowError, OSError):
        return None


def _millis(value: Any) -> datetime | None:
    try:
        return datetime.fromtimestamp(int(value) / 1000, UTC)
    except (TypeError, ValueError, OverflowError, OSError):
        return None
