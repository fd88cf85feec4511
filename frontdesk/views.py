"""The JSON shapes of agents, sources, conversations and messages, shared by the CLI and the HTTP API."""

from __future__ import annotations

from typing import Any, Protocol

from .domain import Agent, Channel, ChannelEvent, Conversation, Source
from .store.base import Message


class Agents(Protocol):
    """What the listings read: :class:`frontdesk.app.Frontdesk` (or a store) has both."""

    def list_agents(self) -> list[Agent]: ...
    def agent_stats(self, agent_id: int) -> dict[str, int]: ...


def agent_names(agents: Agents) -> dict[int, str]:
    """Agent names by id, for listings that say whose each row is."""
    return {a.id: a.name for a in agents.list_agents()}


def agent_json(agent: Agent, agents: Agents, *, detail: bool = False) -> dict[str, Any]:
    data: dict[str, Any] = {"name": agent.name, "embedder": agent.embedder,
                            "created_at": agent.created_at.isoformat(), **agents.agent_stats(agent.id)}
    if detail:
        data.update(persona=agent.persona, instructions=agent.instructions,
                    allowed_origins=list(agent.allowed_origins), public=agent.public,
                    voice_replies=agent.voice_replies)
    return data


def source_json(source: Source) -> dict[str, Any]:
    return {"id": source.id, "kind": source.kind, "location": source.location, "options": source.options,
            "sync_interval": source.sync_interval,
            "last_synced_at": source.last_synced_at.isoformat() if source.last_synced_at else None,
            "last_status": source.last_status, "last_summary": source.last_summary,
            "last_errors": source.last_errors}


def conversation_json(conversation: Conversation, agent_name: str) -> dict[str, Any]:
    return {"id": conversation.id, "agent": agent_name, "channel": conversation.channel,
            "status": conversation.status, "owner": conversation.owner,
            "created_at": conversation.created_at.isoformat(), "updated_at": conversation.updated_at.isoformat(),
            "messages": conversation.messages, "preview": conversation.preview}


def message_json(message: Message, *, evidence: bool = False) -> dict[str, Any]:
    """A message as a transcript shows it; ``evidence`` adds what the agent's answer rested on."""
    payload = message.payload
    data: dict[str, Any] = {"id": message.id, "role": message.role, "text": message.text,
                            "created_at": message.created_at.isoformat()}
    voice = payload.get("voice")
    if message.role == "user" and isinstance(voice, dict):  # a recording: what was heard (never its file path)
        data["voice"] = {k: voice.get(k) for k in ("transcript", "language", "confidence", "unsure", "seconds", "error")}
        data["voice"]["recording"] = bool((voice.get("media") or {}).get("path"))
    if message.role == "assistant":
        data.update(citations=payload.get("citations", []), products=payload.get("products", []),
                    grounded=payload.get("grounded"), handoff=payload.get("handoff"))
        if evidence:
            data.update(evidence=payload.get("evidence", []), mode=payload.get("mode"),
                        problems=payload.get("problems", []), model=payload.get("model"))
    elif message.role == "human":
        data["by"] = payload.get("by")
    return data


def channel_json(channel: Channel, agent_name: str | None, counts: dict[str, int] | None = None, *,
                 character: str | None = None) -> dict[str, Any]:
    """A connected messaging account, answering as an agent or as a character (its handle). It never
    carries a secret: none is stored."""
    data: dict[str, Any] = {"id": channel.id, "agent": agent_name, "character": character, "platform": channel.platform,
                            "account_id": channel.account_id, "catalog_id": channel.catalog_id,
                            "handover_app_id": channel.handover_app_id, "label": channel.label,
                            "created_at": channel.created_at.isoformat(),
                            "webhook_path": "/webhooks/meta"}
    if counts is not None:
        data["events"] = counts
    return data


def event_json(event: ChannelEvent) -> dict[str, Any]:
    return {"id": event.id, "platform": event.platform, "kind": event.kind, "key": event.event_key,
            "sender": event.sender, "state": event.state, "attempts": event.attempts, "error": event.error,
            "conversation_id": event.conversation_id, "received_at": event.received_at.isoformat(),
            "text": event.payload.get("text")}
