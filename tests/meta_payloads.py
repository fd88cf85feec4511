"""Webhook payloads in the shapes Meta documents (WhatsApp Cloud API, Messenger Platform, Instagram).

Written from Meta's webhook references: a delivery is ``{"object": ..., "entry": [...]}``; WhatsApp
entries carry ``changes[].value`` with ``metadata.phone_number_id``, ``contacts``, ``messages`` and
``statuses``; Messenger and Instagram entries carry ``messaging[]`` or ``standby[]`` items with
``sender``, ``recipient`` and ``timestamp`` (milliseconds).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from typing import Any

SECRET = "app-secret-5b1f0c2e9d"
VERIFY = "verify-token-81c2aa"
TOKEN = "EAAGtest-access-token-77aa19"
PAGE_TOKEN = "EAAGpage-token-3c4d5e"
PHONE_ID = "106540352242922"
WABA_ID = "102290129340398"
PAGE_ID = "112233445566778"
IG_ID = "17841400000000001"
CATALOG = "987654321012345"
CUSTOMER = "4915112345678"
INBOX_APP = "263902037430900"


def sign(body: bytes, secret: str = SECRET) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def encode(payload: Any) -> bytes:
    return json.dumps(payload).encode()


# -- WhatsApp ---------------------------------------------------------------------------------

def wa_delivery(*entries: list[dict[str, Any]]) -> dict[str, Any]:
    """``entries``: each a list of change values."""
    return {"object": "whatsapp_business_account",
            "entry": [{"id": WABA_ID, "changes": [{"value": v, "field": "messages"} for v in values]}
                      for values in entries]}


def wa_value(messages: list[dict[str, Any]] = (), statuses: list[dict[str, Any]] = (),  # type: ignore[assignment]
             phone_id: str = PHONE_ID, customer: str = CUSTOMER) -> dict[str, Any]:
    value: dict[str, Any] = {"messaging_product": "whatsapp",
                             "metadata": {"display_phone_number": "15550783881", "phone_number_id": phone_id}}
    if messages:
        value["contacts"] = [{"profile": {"name": "Kerry Fisher"}, "wa_id": customer}]
        value["messages"] = list(messages)
    if statuses:
        value["statuses"] = list(statuses)
    return value


def wa_message(message_id: str, kind: str, content: dict[str, Any] | None, customer: str = CUSTOMER,
               timestamp: float | None = None) -> dict[str, Any]:
    message = {"from": customer, "id": message_id, "timestamp": str(int(timestamp or time.time())), "type": kind}
    if content is not None:
        message[kind] = content
    return message


def wa_text(message_id: str, text: str, **kw: Any) -> dict[str, Any]:
    return wa_message(message_id, "text", {"body": text}, **kw)


def wa_button_reply(message_id: str, reply_id: str, title: str, **kw: Any) -> dict[str, Any]:
    return wa_message(message_id, "interactive", {"type": "button_reply",
                                                  "button_reply": {"id": reply_id, "title": title}}, **kw)


def wa_list_reply(message_id: str, reply_id: str, title: str, **kw: Any) -> dict[str, Any]:
    return wa_message(message_id, "interactive", {"type": "list_reply", "list_reply": {
        "id": reply_id, "title": title, "description": ""}}, **kw)


def wa_audio(message_id: str, media_id: str, **kw: Any) -> dict[str, Any]:
    return wa_message(message_id, "audio", {"mime_type": "audio/ogg; codecs=opus", "sha256": "x", "id": media_id,
                                            "voice": True}, **kw)


def wa_image(message_id: str, media_id: str, caption: str = "", **kw: Any) -> dict[str, Any]:
    content = {"mime_type": "image/jpeg", "sha256": "x", "id": media_id}
    if caption:
        content["caption"] = caption
    return wa_message(message_id, "image", content, **kw)


def wa_document(message_id: str, media_id: str, filename: str, **kw: Any) -> dict[str, Any]:
    return wa_message(message_id, "document", {"filename": filename, "mime_type": "application/pdf",
                                               "sha256": "x", "id": media_id}, **kw)


def wa_order(message_id: str, items: list[tuple[str, int, str]], **kw: Any) -> dict[str, Any]:
    return wa_message(message_id, "order", {"catalog_id": CATALOG, "text": "", "product_items": [
        {"product_retailer_id": rid, "quantity": qty, "item_price": price, "currency": "EUR"}
        for rid, qty, price in items]}, **kw)


def wa_status(message_id: str, status: str, errors: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    value: dict[str, Any] = {"id": message_id, "status": status, "timestamp": str(int(time.time())),
                             "recipient_id": CUSTOMER}
    if errors:
        value["errors"] = errors
    return value


# -- Messenger and Instagram -------------------------------------------------------------------

def messaging_delivery(platform: str, account: str, items: list[dict[str, Any]],
                       standby: list[dict[str, Any]] = ()) -> dict[str, Any]:  # type: ignore[assignment]
    entry: dict[str, Any] = {"id": account, "time": int(time.time() * 1000)}
    if items:
        entry["messaging"] = list(items)
    if standby:
        entry["standby"] = list(standby)
    return {"object": "page" if platform == "messenger" else "instagram", "entry": [entry]}


def ms_item(sender: str, account: str, **event: Any) -> dict[str, Any]:
    return {"sender": {"id": sender}, "recipient": {"id": account}, "timestamp": int(time.time() * 1000), **event}


def ms_text(mid: str, text: str, sender: str, account: str = PAGE_ID, **extra: Any) -> dict[str, Any]:
    return ms_item(sender, account, message={"mid": mid, "text": text, **extra})
