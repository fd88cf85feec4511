"""The REST API's response shapes, for /openapi.json and the docs at /docs.

The routes build their JSON with :mod:`frontdesk.views` (the CLI prints the same shapes); these
models describe it. Each allows extra fields, so a field added to a view reaches clients before
it is described here, and fields whose content varies (a product's fields, a job's summaries) are
typed loosely rather than risk refusing a real response.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class Shape(BaseModel):
    model_config = ConfigDict(extra="allow")


class AgentOut(Shape):
    name: str
    embedder: str
    created_at: str
    document: int = Field(description="Passages of documents and FAQ entries")
    product: int = Field(description="Catalog items (one per variant)")
    sources: int


class AgentDetail(AgentOut):
    persona: str
    instructions: str
    allowed_origins: list[str]
    public: bool = Field(description="Whether the public web chat answers anyone")


class SourceOut(Shape):
    id: int
    kind: str
    location: str
    options: dict[str, Any]
    sync_interval: int | None
    last_synced_at: str | None
    last_status: str | None
    last_summary: Any
    last_errors: Any


class JobOut(Shape):
    id: int
    description: str
    state: str = Field(description="queued, running, done or failed")
    created_at: Any
    finished_at: Any
    summaries: Any
    error: str | None


class JobRef(Shape):
    job: JobOut


class SourceJob(JobRef):
    source: SourceOut


class SourcesJob(JobRef):
    sources: list[SourceOut]


class RemovedItems(Shape):
    removed_items: int


class HitOut(Shape):
    kind: str = Field(description="document, faq or product; a product carries its price, availability, options")
    id: str
    title: str
    score: float
    as_of: str
    source_id: int


class ConversationOut(Shape):
    id: int
    agent: str
    channel: str
    status: str = Field(description="bot, waiting or human")
    owner: str | None
    created_at: str
    updated_at: str
    messages: int
    preview: str


class MessageOut(Shape):
    id: int
    role: str
    text: str
    created_at: str


class TranscriptOut(ConversationOut):
    transcript: list[MessageOut]


class AnswerOut(Shape):
    """The agent's answer (with ``citations``, ``products``, ``grounded``, ``handoff``, ``language``
    and the rest of the answer's fields), or ``held`` with ``status`` while a person owns the conversation."""

    held: bool = Field(description="True while a person owns the conversation: then there is no answer")
    answer: str | None


class ReplyOut(Shape):
    message_id: int


class ChannelOut(Shape):
    id: int
    agent: str | None
    character: str | None = None
    platform: str
    account_id: str
    catalog_id: str | None
    handover_app_id: str | None
    label: str
    created_at: str
    webhook_path: str
