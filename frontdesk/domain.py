"""Domain types: plain dataclasses with no I/O.

Storage rows live only in ``frontdesk.store``; HTTP schemas will live next to their routes.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

SourceKind = Literal["docs", "faq", "catalog"]
SOURCE_KINDS: tuple[SourceKind, ...] = ("docs", "faq", "catalog")
ItemKind = Literal["document", "product"]


def utcnow() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


def effective_price(fields: dict[str, Any], now: datetime) -> str | None:
    """The price a customer pays at ``now``: the sale price while its period runs (or if it has none)."""
    sale: str | None = fields.get("sale_price")
    if sale is not None and _within(now, fields.get("sale_start"), fields.get("sale_end")):
        return sale
    price: str | None = fields.get("price")
    return price


def product_fields(fields: dict[str, Any], now: datetime) -> dict[str, Any]:
    """A product's structured fields as search hits and answers show them; ``price`` is the effective one."""
    return {
        "price": effective_price(fields, now),
        "regular_price": fields.get("price"),
        "sale_price": fields.get("sale_price"),
        "currency": fields.get("currency"),
        "availability": fields.get("availability"),
        "link": fields.get("link"),
        "image_link": fields.get("image_link"),
        "brand": fields.get("brand"),
        "item_group_id": fields.get("item_group_id"),
        "options": fields.get("options", {}),
    }


def _within(now: datetime, start: str | None, end: str | None) -> bool:
    def parse(value: str) -> datetime:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
        return moment if moment.tzinfo else moment.replace(tzinfo=now.tzinfo)

    return (not start or parse(start) <= now) and (not end or now <= parse(end))


@dataclass(frozen=True)
class Agent:
    id: int
    name: str
    persona: str
    instructions: str
    embedder: str
    created_at: datetime
    #: Web origins (``https://shop.example``) whose pages may embed the agent's public chat; ``*`` allows any.
    allowed_origins: tuple[str, ...] = ()
    #: Whether the owner made the agent's public web chat (the widget routes) answer anyone.
    public: bool = False
    #: Whether answers are also spoken: ``off``, ``spoken`` (when the customer sent a recording), ``always``.
    voice_replies: str = "off"


@dataclass(frozen=True)
class Source:
    id: int
    agent_id: int
    kind: SourceKind
    location: str
    options: dict[str, Any]
    sync_interval: int | None  # seconds; None means "only when asked"
    created_at: datetime
    last_synced_at: datetime | None = None
    last_status: str | None = None  # "ok", "partial", "failed"
    last_summary: dict[str, int] = field(default_factory=dict)
    last_errors: list[str] = field(default_factory=list)

    def is_due(self, now: datetime) -> bool:
        if self.sync_interval is None:
            return False
        if self.last_synced_at is None:
            return True
        return (now - self.last_synced_at).total_seconds() >= self.sync_interval


@dataclass
class Record:
    """One searchable unit read from a source: a document passage, an FAQ pair or a product.

    ``key`` is stable within its source (the catalog id for products, ``url#n`` for passages),
    so a re-sync can tell added, changed, unchanged and removed items apart.
    """

    key: str
    kind: ItemKind
    title: str
    text: str
    url: str | None = None
    language: str | None = None
    fields: dict[str, Any] = field(default_factory=dict)

    def content_hash(self) -> str:
        payload = json.dumps(
            [self.kind, self.title, self.text, self.url, self.fields], sort_keys=True, default=str
        )
        return hashlib.sha256(payload.encode()).hexdigest()


@dataclass(frozen=True)
class ItemError:
    """A problem with one item of a batch: where it is and why it was refused."""

    location: str  # file path or URL
    reason: str
    where: str | None = None  # "row 12", "line 3", "page 2"
    key: str | None = None  # the item's id when it is known (its old version is then kept)

    def __str__(self) -> str:
        place = f"{self.location}, {self.where}" if self.where else self.location
        return f"{place}: {self.reason}"


@dataclass
class SyncSummary:
    source_id: int
    location: str
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    removed: int = 0
    failed: int = 0
    errors: list[ItemError] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return self.failed == 0 and not self.errors

    def counts(self) -> dict[str, int]:
        return {
            "added": self.added,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "removed": self.removed,
            "failed": self.failed,
        }


@dataclass(frozen=True)
class StoredItem:
    """An item as the knowledge store holds it, with its provenance dates."""

    id: int
    agent_id: int
    source_id: int
    key: str
    kind: ItemKind
    title: str
    text: str
    url: str | None
    language: str | None
    fields: dict[str, Any]
    first_seen: datetime
    last_seen: datetime
    updated_at: datetime


@dataclass(frozen=True)
class Hit:
    """One search result, best first in a list."""

    item: StoredItem
    score: float
    snippet: str = ""

    def to_json(self) -> dict[str, Any]:
        item = self.item
        out: dict[str, Any] = {
            "kind": item.kind,
            "id": item.key,
            "title": item.title,
            "score": round(self.score, 6),
            "as_of": item.last_seen.isoformat(),
            "source_id": item.source_id,
        }
        if item.kind == "product":
            out.update(product_fields(item.fields, utcnow()))
        else:
            out.update({"url": item.url, "snippet": self.snippet})
        return out


ConversationStatus = Literal["bot", "waiting", "human"]


@dataclass(frozen=True)
class Conversation:
    """A conversation with one customer on one channel.

    ``status``: ``bot`` (the agent answers), ``waiting`` (the customer asked for a person or the
    agent could not help; it still answers), ``human`` (``owner`` has taken over; the agent is silent).
    """

    id: int
    agent_id: int
    channel: str
    external_id: str | None
    status: ConversationStatus
    owner: str | None
    created_at: datetime
    updated_at: datetime
    secret_hash: str | None = None
    messages: int = 0
    preview: str = ""


@dataclass(frozen=True)
class ApiKey:
    id: int
    prefix: str
    hash: str
    agent_id: int | None
    label: str
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


@dataclass(frozen=True)
class User:
    id: int
    name: str
    password_hash: str


Platform = Literal["whatsapp", "messenger", "instagram"]
PLATFORMS: tuple[Platform, ...] = ("whatsapp", "messenger", "instagram")


@dataclass(frozen=True)
class Channel:
    """A messaging account connected to an agent or to an AI character (exactly one of
    ``agent_id`` and ``character_id``): a WhatsApp phone-number id, a Facebook page id or an
    Instagram account id. Its secrets are never here (see :mod:`frontdesk.channels.secrets`)."""

    id: int
    agent_id: int | None
    platform: Platform
    account_id: str
    catalog_id: str | None
    handover_app_id: str | None
    label: str
    created_at: datetime
    character_id: int | None = None


@dataclass(frozen=True)
class ChannelEvent:
    """One inbound message or event from a channel, kept once per platform id."""

    id: int
    channel_id: int | None
    platform: Platform
    event_key: str
    kind: str
    sender: str | None
    thread: str
    payload: dict[str, Any]
    state: str  # pending, working, done, held, skipped, failed
    attempts: int
    error: str | None
    conversation_id: int | None
    sent_at: datetime | None
    received_at: datetime


@dataclass(frozen=True)
class OutboxItem:
    """One request to the Graph API that a reply, a read receipt or a handover needs."""

    id: int
    channel_id: int
    conversation_id: int | None
    key: str
    kind: str
    path: str
    body: dict[str, Any]
    state: str  # pending, sending, sent, failed
    attempts: int
    platform_message_id: str | None
    delivery: str | None
    error: str | None
    created_at: datetime
    sent_at: datetime | None
