"""What differs between the messaging platforms, behind one small protocol.

:class:`PlatformRules` is everything frontdesk does differently on WhatsApp and on Messenger /
Instagram (which share the Messenger Platform's send API): the request bodies of a text, a
"talk to a person" offer, a read receipt, product results; the handover protocol; the messaging
window's exceptions; templates; which account options exist. The rest of the channels package
never asks which platform it talks to: it asks :func:`rules_for`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

from ..answer import phrases
from ..domain import Channel, ChannelEvent
from ..errors import InvalidInput
from . import outbound as out

Body = dict[str, Any]
#: The reply id of the "talk to a person" button.
HUMAN = "frontdesk:human"
#: The prefix of a product row's reply id (WhatsApp lists): the product's catalog id follows.
PRODUCT = "frontdesk:product:"


class PlatformRules(Protocol):
    #: Messenger's message tag that lets a person answer after the 24-hour window, if the platform has one.
    human_agent_tag: str | None
    #: The format a spoken answer is sent in (a key of :data:`frontdesk.voice.audio.FORMATS`).
    audio_format: str

    def check_account(self, catalog_id: str | None, handover_app_id: str | None) -> None:
        """Raise :class:`InvalidInput` for an account option the platform does not have."""

    def text(self, to: str, text: str, tag: str | None = None) -> list[Body]:
        """``text`` in as many messages as the platform's length limit needs."""

    def offer_person(self, to: str, text: str, language: str) -> list[Body]:
        """``text`` ending with a "talk to a person" button."""

    def audio(self, to: str, path: str) -> list[Body]:
        """A spoken answer (the file at ``path``, in :attr:`audio_format`), uploaded when it is sent."""

    def seen(self, event: ChannelEvent) -> list[Body]:
        """Mark the customer's message read and show that a reply is coming."""

    def products(self, channel: Channel, to: str, products: list[dict[str, Any]], language: str,
                 answer_text: str) -> list[Body]:
        """The products an answer names, as the platform shows products (may be none)."""

    def handover(self, channel: Channel, to: str, action: str, why: str) -> list[Body]:
        """A handover-protocol request (``pass_thread_control``/``take_thread_control``), if the channel has one."""

    def window_closed(self, channel: Channel, conversation_id: int, since: str) -> str:
        """The error message when the messaging window of a conversation is closed."""

    def template(self, to: str, name: str, language: str, parameters: Sequence[str]) -> Body:
        """An approved message template (sent outside the window), or :class:`InvalidInput`."""


class WhatsApp:
    human_agent_tag: str | None = None
    audio_format = "opus"  # OGG/Opus: WhatsApp plays it as a voice message

    def check_account(self, catalog_id: str | None, handover_app_id: str | None) -> None:
        if handover_app_id:
            raise InvalidInput("the handover protocol belongs to Messenger and Instagram; drop --handover-app-id")

    def text(self, to: str, text: str, tag: str | None = None) -> list[Body]:
        return [out.wa_text(to, piece) for piece in out.split_text(text, out.WHATSAPP_TEXT)]

    def offer_person(self, to: str, text: str, language: str) -> list[Body]:
        button = (HUMAN, phrases.talk_to_person(language))
        if len(text) <= out.WHATSAPP_INTERACTIVE_BODY:
            return [out.wa_buttons(to, text, [button])]
        return [*self.text(to, text)[:-1], out.wa_buttons(to, out.split_text(text, 1000)[-1], [button])]

    def audio(self, to: str, path: str) -> list[Body]:
        return [out.wa_audio_upload(to, path, "audio/ogg")]

    def seen(self, event: ChannelEvent) -> list[Body]:
        return [out.wa_read(event.event_key)]

    def products(self, channel: Channel, to: str, products: list[dict[str, Any]], language: str,
                 answer_text: str) -> list[Body]:
        heading = phrases.matching_products(language)
        if channel.catalog_id and len(products) == 1:
            return [out.wa_product(to, channel.catalog_id, products[0]["id"])]
        if channel.catalog_id and products:
            return [out.wa_product_list(to, channel.catalog_id, heading, answer_text, heading,
                                        [p["id"] for p in products])]
        if len(products) > 1:
            rows = [(PRODUCT + p["id"], p["title"], price_line(p)) for p in products]
            return [out.wa_list(to, heading, phrases.see_products(language), heading, rows)]
        return []

    def handover(self, channel: Channel, to: str, action: str, why: str) -> list[Body]:
        return []

    def window_closed(self, channel: Channel, conversation_id: int, since: str) -> str:
        return (f"the 24-hour customer service window of conversation {conversation_id} is closed ({since}); "
                f"only an approved template may be sent: frontdesk channels template whatsapp:{channel.account_id} TO NAME")

    def template(self, to: str, name: str, language: str, parameters: Sequence[str]) -> Body:
        if not to.isdigit():
            raise InvalidInput(f"recipient {to!r} is not a WhatsApp id (digits, with country code)")
        return out.wa_template(to, name, language, parameters)


class Messenger:
    """Messenger and Instagram messaging: the Messenger Platform's send API."""

    human_agent_tag: str | None = "HUMAN_AGENT"
    audio_format = "m4a"  # MP4/AAC: Messenger plays it, and it is one of the four Instagram takes

    def __init__(self, platform: str = "messenger") -> None:
        self.platform = platform

    def check_account(self, catalog_id: str | None, handover_app_id: str | None) -> None:
        if catalog_id:
            raise InvalidInput("product messages from a catalog exist on WhatsApp only; drop --catalog-id")

    def text(self, to: str, text: str, tag: str | None = None) -> list[Body]:
        return [out.ms_text(to, piece, tag=tag) for piece in out.split_text(text, out.MESSENGER_TEXT)]

    def offer_person(self, to: str, text: str, language: str) -> list[Body]:
        button = (HUMAN, phrases.talk_to_person(language))
        pieces = out.split_text(text, out.MESSENGER_TEXT)
        return [*[out.ms_text(to, p) for p in pieces[:-1]], out.ms_text(to, pieces[-1], [button])]

    def audio(self, to: str, path: str) -> list[Body]:
        return [out.ms_audio_upload(to, path, "audio/mp4", self.platform)]

    def seen(self, event: ChannelEvent) -> list[Body]:
        return [out.ms_action(str(event.sender), "mark_seen"), out.ms_action(str(event.sender), "typing_on")]

    def products(self, channel: Channel, to: str, products: list[dict[str, Any]], language: str,
                 answer_text: str) -> list[Body]:
        if not products:
            return []
        cards = [{"title": p["title"], "subtitle": price_line(p), "image_url": p.get("image_link") or "",
                  "url": p.get("link") or ""} for p in products]
        return [out.ms_cards(to, cards, phrases.view_product(language))]

    def handover(self, channel: Channel, to: str, action: str, why: str) -> list[Body]:
        if not channel.handover_app_id:
            return []
        return [{"_path": action, **out.ms_handover(to, action, channel.handover_app_id, why)}]

    def window_closed(self, channel: Channel, conversation_id: int, since: str) -> str:
        return f"the messaging window of conversation {conversation_id} is closed ({since})"

    def template(self, to: str, name: str, language: str, parameters: Sequence[str]) -> Body:
        raise InvalidInput("templates are a WhatsApp feature; Messenger uses message tags")


_RULES: dict[str, PlatformRules] = {"whatsapp": WhatsApp(), "messenger": Messenger("messenger"),
                                 "instagram": Messenger("instagram")}


def rules_for(platform: str) -> PlatformRules:
    try:
        return _RULES[platform]
    except KeyError:
        raise InvalidInput(f"unknown platform {platform!r}; choose one of: {', '.join(_RULES)}") from None


def price_line(product: dict[str, Any]) -> str:
    parts = []
    if product.get("price"):
        parts.append(f"{product['price']} {product.get('currency') or ''}".strip())
    if product.get("availability"):
        parts.append(str(product["availability"]))
    return ", ".join(parts)
