"""Request bodies for the Graph API send endpoints, within the limits Meta documents.

Every builder clips what Meta would refuse (a button title over 20 characters, a fourth button,
an eleventh list row, a 31st product) instead of letting a send fail, so a reply always goes out.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

WHATSAPP_TEXT = 4096
WHATSAPP_INTERACTIVE_BODY = 1024
MESSENGER_TEXT = 2000
BUTTONS = 3
BUTTON_TITLE = 20
LIST_ROWS = 10
ROW_TITLE = 24
ROW_DESCRIPTION = 72
SECTION_TITLE = 24
PRODUCT_LIST_ITEMS = 30
HEADER = 60
QUICK_REPLIES = 13
CARDS = 10
CARD_TEXT = 80


def clip(text: str, limit: int) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def split_text(text: str, limit: int) -> list[str]:
    """``text`` in pieces of at most ``limit`` characters, cut between paragraphs, lines or words."""
    pieces: list[str] = []
    rest = text.strip()
    while len(rest) > limit:
        cut = max(rest.rfind("\n\n", 0, limit), rest.rfind("\n", 0, limit), rest.rfind(" ", 0, limit))
        cut = cut if cut > limit // 2 else limit
        pieces.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip()
    return [*pieces, rest] if rest else pieces


# -- WhatsApp Cloud API: POST /{phone-number-id}/messages -------------------------------------

def _whatsapp(to: str, kind: str, content: dict[str, Any]) -> dict[str, Any]:
    return {"messaging_product": "whatsapp", "recipient_type": "individual", "to": to, "type": kind, kind: content}


def wa_text(to: str, body: str) -> dict[str, Any]:
    return _whatsapp(to, "text", {"preview_url": False, "body": body[:WHATSAPP_TEXT]})


def wa_audio_upload(to: str, path: str, mime_type: str = "audio/ogg") -> dict[str, Any]:
    """An audio message whose file is uploaded (``POST /{phone-number-id}/media``) when it is sent:
    the outbox replaces ``_upload`` with the media id. OGG/Opus plays as a voice message."""
    return {**_whatsapp(to, "audio", {}), "_upload": {"path": path, "mime_type": mime_type, "platform": "whatsapp"}}


def wa_buttons(to: str, body: str, buttons: Sequence[tuple[str, str]]) -> dict[str, Any]:
    """Reply buttons: at most 3, titles of at most 20 characters, ids unique."""
    return _whatsapp(to, "interactive", {
        "type": "button", "body": {"text": clip(body, WHATSAPP_INTERACTIVE_BODY)},
        "action": {"buttons": [{"type": "reply", "reply": {"id": button_id[:256], "title": clip(title, BUTTON_TITLE)}}
                               for button_id, title in buttons[:BUTTONS]]}})


def wa_list(to: str, body: str, button: str, section: str, rows: Sequence[tuple[str, str, str]]) -> dict[str, Any]:
    """A list message: one section of at most 10 rows (id, title ≤ 24, description ≤ 72)."""
    return _whatsapp(to, "interactive", {
        "type": "list", "body": {"text": clip(body, WHATSAPP_TEXT)},
        "action": {"button": clip(button, BUTTON_TITLE), "sections": [{
            "title": clip(section, SECTION_TITLE),
            "rows": [{"id": row_id[:200], "title": clip(title, ROW_TITLE),
                      **({"description": clip(description, ROW_DESCRIPTION)} if description else {})}
                     for row_id, title, description in rows[:LIST_ROWS]]}]}})


def wa_product(to: str, catalog_id: str, retailer_id: str, body: str = "") -> dict[str, Any]:
    content: dict[str, Any] = {"type": "product", "action": {"catalog_id": catalog_id, "product_retailer_id": retailer_id}}
    if body:
        content["body"] = {"text": clip(body, WHATSAPP_INTERACTIVE_BODY)}
    return _whatsapp(to, "interactive", content)


def wa_product_list(to: str, catalog_id: str, header: str, body: str, section: str,
                    retailer_ids: Sequence[str]) -> dict[str, Any]:
    """A multi-product message: a header, a body, one section of at most 30 products."""
    return _whatsapp(to, "interactive", {
        "type": "product_list", "header": {"type": "text", "text": clip(header, HEADER)},
        "body": {"text": clip(body, WHATSAPP_INTERACTIVE_BODY)},
        "action": {"catalog_id": catalog_id, "sections": [{
            "title": clip(section, SECTION_TITLE),
            "product_items": [{"product_retailer_id": r} for r in list(dict.fromkeys(retailer_ids))[:PRODUCT_LIST_ITEMS]]}]}})


def wa_template(to: str, name: str, language: str, parameters: Sequence[str] = ()) -> dict[str, Any]:
    template: dict[str, Any] = {"name": name, "language": {"code": language}}
    if parameters:
        template["components"] = [{"type": "body", "parameters": [{"type": "text", "text": p} for p in parameters]}]
    return _whatsapp(to, "template", template)


def wa_read(message_id: str, typing: bool = True) -> dict[str, Any]:
    """Mark the customer's message read and, while the answer is written, show the typing indicator."""
    body: dict[str, Any] = {"messaging_product": "whatsapp", "status": "read", "message_id": message_id}
    if typing:
        body["typing_indicator"] = {"type": "text"}
    return body


# -- Messenger and Instagram: POST /{page-or-account-id}/messages -----------------------------

def ms_text(recipient: str, text: str, quick_replies: Sequence[tuple[str, str]] = (),
            tag: str | None = None) -> dict[str, Any]:
    message: dict[str, Any] = {"text": text[:MESSENGER_TEXT]}
    if quick_replies:
        message["quick_replies"] = [{"content_type": "text", "title": clip(title, BUTTON_TITLE), "payload": payload[:1000]}
                                    for payload, title in quick_replies[:QUICK_REPLIES]]
    return _messenger(recipient, {"message": message}, tag)


def ms_cards(recipient: str, cards: Sequence[dict[str, str]], button: str, tag: str | None = None) -> dict[str, Any]:
    """Product cards as a generic template: at most 10, title and subtitle ≤ 80, a link button each."""
    elements = []
    for card in cards[:CARDS]:
        element: dict[str, Any] = {"title": clip(card["title"], CARD_TEXT)}
        if card.get("subtitle"):
            element["subtitle"] = clip(card["subtitle"], CARD_TEXT)
        if card.get("image_url"):
            element["image_url"] = card["image_url"]
        if card.get("url"):
            element["buttons"] = [{"type": "web_url", "url": card["url"], "title": clip(button, BUTTON_TITLE)}]
        elements.append(element)
    attachment = {"type": "template", "payload": {"template_type": "generic", "elements": elements}}
    return _messenger(recipient, {"message": {"attachment": attachment}}, tag)


def ms_audio_upload(recipient: str, path: str, mime_type: str = "audio/mp4", platform: str = "messenger",
                    tag: str | None = None) -> dict[str, Any]:
    """An audio attachment whose file is uploaded through the Attachment Upload API when it is sent
    (``POST /{page-id}/message_attachments``, or ``/me/message_attachments`` with ``platform=instagram``):
    the outbox then sends it by ``payload.attachment_id``. MP4/AAC plays on Messenger and Instagram
    (Instagram takes AAC, M4A, WAV and MP4 audio only, at most 25 MB)."""
    attachment = {"type": "audio", "payload": {}}
    return {**_messenger(recipient, {"message": {"attachment": attachment}}, tag),
            "_upload": {"path": path, "mime_type": mime_type, "platform": platform}}


def ms_action(recipient: str, action: str) -> dict[str, Any]:
    """``mark_seen``, ``typing_on`` or ``typing_off``."""
    return {"recipient": {"id": recipient}, "sender_action": action}


def ms_handover(recipient: str, action: str, target_app_id: str | None = None, metadata: str = "") -> dict[str, Any]:
    body: dict[str, Any] = {"recipient": {"id": recipient}}
    if action == "pass_thread_control" and target_app_id:
        body["target_app_id"] = target_app_id
    if metadata:
        body["metadata"] = metadata[:1000]
    return body


def _messenger(recipient: str, content: dict[str, Any], tag: str | None) -> dict[str, Any]:
    kind = {"messaging_type": "MESSAGE_TAG", "tag": tag} if tag else {"messaging_type": "RESPONSE"}
    return {"recipient": {"id": recipient}, **kind, **content}
