"""The library's front: one object that owns the store and the services built on it.

The CLI, the HTTP server and the messaging webhooks are thin clients of this: they reach
state only through its methods (and :attr:`Frontdesk.channels`), never through the store.
"""

from __future__ import annotations

import functools
import hashlib
import re
import secrets
from collections.abc import Callable, Iterable, Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import auth
from .answer import Answer, Responder
from .channels import Channels
from .config import Settings
from .domain import (
    Agent,
    ApiKey,
    Channel,
    ChannelEvent,
    Conversation,
    Hit,
    Source,
    SourceKind,
    SyncSummary,
    User,
    utcnow,
)
from .embed import Embedder, get_embedder, known_embedders
from .errors import InvalidInput, NotFound, UserError
from .ingest.pipeline import Ingestor, Progress
from .llm import ChatModel, get_fast_model, get_model
from .llm.remote import request_id
from .search.engine import SearchEngine
from .store import Store, open_store
from .store.base import Message
from .transcript import TurnInProgress

if TYPE_CHECKING:
    from .answer.planning import ProcessPlanner
    from .characters.service import Characters
    from .voice import Voice


class Frontdesk:
    """``store``, ``model`` and ``embedders`` replace what ``settings`` would choose: a store already
    open, the chat model that phrases every answer (no fast model beside it), embedders by their
    names (consulted before the packaged ones). Tests pass the doubles of :mod:`frontdesk.testing`."""

    def __init__(self, settings: Settings, store: Store | None = None, *, model: ChatModel | None = None,
                 embedders: Iterable[Embedder] = ()) -> None:
        self.settings = settings
        self.store = store or open_store(settings.resolved_database_url)
        self._model = model
        self._embedders = {embedder.name: embedder for embedder in embedders}
        self.search_engine = SearchEngine.for_settings(self.store, settings, self.embedder)
        self._responders: dict[str | None, Responder] = {}
        self._channels: Channels | None = None
        self._planner: ProcessPlanner | None = None
        self._characters: Characters | None = None
        self._voice: Voice | None = None

    @property
    def database_backend(self) -> str:
        """``sqlite`` or ``postgresql``."""
        return self.store.backend

    def ping(self) -> None:
        """Raise :class:`~frontdesk.errors.StoreUnavailable` when the database does not answer."""
        self.store.ping()

    def close(self) -> None:
        if self._channels is not None:
            self._channels.stop()
        if self._planner is not None:
            self._planner.close()
        if self._voice is not None:
            self._voice.close()
        self.store.close()

    def plan_in_worker_process(self) -> ProcessPlanner:
        """Make every answer's plan (retrieval) in a worker process from now on (a server's choice)."""
        if self._planner is None:
            from .answer.planning import ProcessPlanner

            self._planner = ProcessPlanner(self.settings)
            for responder in self._responders.values():
                responder.planner = self._planner
        return self._planner

    @property
    def channels(self) -> Channels:
        """WhatsApp, Messenger and Instagram: connected accounts, webhooks, replies (created on first use)."""
        if self._channels is None:
            from .voice.turn import ChannelVoice

            self._channels = Channels(self.store, self.settings, self.chat, voice=ChannelVoice(self),
                                      characters=self.characters)
        return self._channels

    @property
    def characters(self) -> Characters:
        """AI characters: cards, lorebooks, chat (docs/characters.md; created on first use)."""
        if self._characters is None:
            from .characters.service import Characters

            self._characters = Characters(self)
        return self._characters

    @property
    def voice(self) -> Voice:
        """Voice notes in, spoken answers out (docs/voice.md); the models load on first use."""
        if self._voice is None:
            from .voice import Voice

            self._voice = Voice(self.settings)
        return self._voice

    @voice.setter
    def voice(self, voice: Voice) -> None:
        self._voice = voice

    def embedder(self, name: str) -> Embedder:
        """The embedder called ``name``: one handed to this instance, else the shared packaged one."""
        return self._embedders.get(name) or get_embedder(name)

    # agents
    def create_agent(self, name: str, *, persona: str = "", instructions: str = "",
                     embedder: str | None = None) -> Agent:
        embedder = embedder or self.settings.embedder
        names = (*known_embedders(), *self._embedders)
        if embedder not in names:
            raise InvalidInput(f"unknown embedder {embedder!r}; choose one of: {', '.join(dict.fromkeys(names))}")
        return self.store.create_agent(name, persona=persona, instructions=instructions, embedder=embedder)

    def agent(self, name: str) -> Agent:
        return self.store.get_agent(name)

    def agent_by_id(self, agent_id: int) -> Agent:
        return self.store.get_agent_by_id(agent_id)

    def list_agents(self) -> list[Agent]:
        return self.store.list_agents()

    def agent_stats(self, agent_id: int) -> dict[str, int]:
        """How many documents, products and sources the agent has."""
        return self.store.agent_stats(agent_id)

    def update_agent(self, name: str, **changes: Any) -> Agent:
        """Change ``persona``, ``instructions`` or ``allowed_origins`` (None leaves one as it is)."""
        if changes.get("allowed_origins") is not None:
            changes["allowed_origins"] = checked_origins(changes["allowed_origins"])
        return self.store.update_agent(name, **changes)

    def delete_agent(self, name: str) -> None:
        agent = self.agent(name)
        self.store.delete_agent(name)
        self.search_engine.indexes.forget(agent)

    # sources
    def ingestor(self, progress: Progress | None = None) -> Ingestor:
        return Ingestor(self.store, self.settings, progress, embedders=self.embedder)

    def add_source(self, agent_name: str, location: str, *, kind: SourceKind | None = None,
                   options: dict[str, Any] | None = None, sync_interval: int | None = None,
                   progress: Progress | None = None, index: bool = True) -> SyncSummary:
        """Add and read one source. ``index=False`` leaves the search index to :meth:`build_index`
        (several sources in a row need it built once, after the last)."""
        agent = self.agent(agent_name)
        summary = self.ingestor(progress).add(agent, location, kind=kind, options=options,
                                              sync_interval=sync_interval)
        if index:
            self.build_index(agent_name)
        return summary

    def build_index(self, agent_name: str) -> None:
        """Bring the agent's search index up to date now, so that the next search need not."""
        self.search_engine.view(self.agent(agent_name))

    def sync(self, agent_name: str, refs: list[str] | None = None, *, only_due: bool = False,
             progress: Progress | None = None) -> list[SyncSummary]:
        agent = self.agent(agent_name)
        ingestor = self.ingestor(progress)
        if refs:
            summaries = [ingestor.sync(agent, self.store.get_source(agent.id, ref)) for ref in refs]
        else:
            summaries = ingestor.sync_all(agent, only_due=only_due)
        self.search_engine.view(agent)
        return summaries

    def sources(self, agent_name: str) -> list[Source]:
        return self.store.list_sources(self.agent(agent_name).id)

    def source(self, agent_name: str, ref: str) -> Source:
        """One of the agent's sources, by id or location."""
        return self.store.get_source(self.agent(agent_name).id, ref)

    def remove_source(self, agent_name: str, ref: str) -> int:
        agent = self.agent(agent_name)
        return self.store.remove_source(self.store.get_source(agent.id, ref))

    # search
    def search(self, agent_name: str, query: str, limit: int = 10) -> list[Hit]:
        if not query.strip():
            raise InvalidInput("the query is empty")
        if limit < 1:
            raise InvalidInput("--limit must be at least 1")
        return self.search_engine.search(self.agent(agent_name), query, limit)

    # answers
    def responder(self, model: str | None = None) -> Responder:
        """The responder for ``model``, loading models once. By default the configured model with
        the fast model beside it for plain questions; a model asked for by name phrases everything."""
        if model not in self._responders:
            if model is None and self._model is not None:
                chat_model, fast = self._model, None
            else:
                fast = get_fast_model(self.settings) if model is None else None
                chat_model = get_model(self.settings, model or self.settings.model)
            responder = Responder(self.store, self.search_engine, self.settings, chat_model, fast_model=fast)
            responder.planner = self._planner
            self._responders[model] = responder
        return self._responders[model]

    def start_conversation(self, agent_name: str, channel: str = "cli", external_id: str | None = None,
                           secret_hash: str | None = None) -> int:
        return self.store.create_conversation(self.agent(agent_name).id, channel, external_id, secret_hash)

    def ask(self, agent_name: str, question: str, *, conversation_id: int | None = None,
            model: str | None = None) -> Answer:
        """One answer. In a conversation it goes through :meth:`chat`: while a person owns the
        conversation the agent does not answer (the message is kept for them) and this raises."""
        agent = self.agent(agent_name)
        if conversation_id is None:
            return self.responder(model).answer(agent, question, None)
        for event, value in self.chat(agent, conversation_id, question, model=model):
            if event == "held":
                raise UserError(f"{value.owner or 'a person'} owns conversation {conversation_id}: the agent "
                                "stays silent there (the message is kept for them); hand it back first")
            if event == "done":
                return value
        raise UserError(f"no answer in conversation {conversation_id}")  # chat always ends in done or held

    # evaluation
    def evaluate(self, agent_name: str, cases_file: str | Path, *, cases: list[Any] | None = None,
                 model: str | None = None, label: str = "", on_case: Callable[[Any], None] | None = None,
                 store_run: bool = True) -> dict[str, Any]:
        """Run the cases of ``cases_file`` (``cases``: already loaded from it), keep the run (unless
        ``store_run`` is false) and return its report with ``run_id``."""
        from .evaluation.cases import evaluate, load_cases

        path = Path(cases_file)
        cases = cases if cases is not None else load_cases(path)
        agent = self.agent(agent_name)
        responder = self.responder(model)
        responder.warm_up(agent)
        report = evaluate(responder, self.store, agent, cases, self.settings.timezone, on_case)
        report["run_id"] = None
        if store_run:
            digest = hashlib.sha256(path.read_bytes()).hexdigest()[:16]
            report["run_id"] = self.store.create_eval_run(agent.id, report["model"], label, str(path), digest, report)
        return report

    def eval_run(self, run_id: int) -> dict[str, Any]:
        return self.store.get_eval_run(run_id)

    def eval_runs(self, agent_name: str | None = None, limit: int = 100) -> list[dict[str, Any]]:
        """The kept evaluation runs, newest first (of one agent, or of all)."""
        return self.store.list_eval_runs(self.agent(agent_name).id if agent_name else None, limit)

    def compare_runs(self, run_a: int, run_b: int) -> dict[str, Any]:
        from .evaluation.report import compare

        return compare(self.eval_run(run_a), self.eval_run(run_b))

    def suggest_cases(self, agent_name: str, limit: int = 40) -> str:
        from .evaluation.suggest import as_yaml, suggest

        agent = self.agent(agent_name)
        return as_yaml(agent, suggest(self.store, agent, limit))

    def eval_html(self, run_id: int) -> str:
        from .evaluation.report import html_report

        run = self.eval_run(run_id)
        agent = self.store.get_agent_by_id(run["agent_id"])
        return html_report(run, agent.name, self.store.list_eval_runs(agent.id, limit=50))

    def signals(self, agent_name: str, days: int = 30) -> dict[str, Any]:
        """Production signals: unanswered questions, handoff rate, resolutions confirmed and assumed."""
        return self.store.agent_signals(self.agent(agent_name).id, days=days)

    def feedback(self, conversation_id: int, helpful: bool, agent: Agent | None = None) -> None:
        """The customer's answer to "did this help?"."""
        self.store.set_feedback(self.conversation(conversation_id, agent).id, helpful)

    # conversations with customers, and the people who take them over
    def conversation(self, conversation_id: int, agent: Agent | None = None) -> Conversation:
        """The conversation, which must belong to ``agent`` when one is given (tenant isolation)."""
        conversation = self.store.get_conversation(conversation_id)
        if agent is not None and conversation.agent_id != agent.id:
            raise NotFound(f"no conversation {conversation_id}")
        return conversation

    def conversations(self, agent: Agent | None = None, *, query: str = "", status: str | None = None,
                      limit: int = 50, offset: int = 0) -> list[Conversation]:
        """Conversations, most recently active first (of one agent, or of all for the console's queue)."""
        return self.store.list_conversations(agent.id if agent else None, query=query, status=status,
                                             limit=limit, offset=offset)

    def conversation_counts(self, agent: Agent) -> dict[str, int]:
        return self.store.conversation_counts(agent.id)

    def find_conversation(self, agent: Agent, channel: str, external_id: str) -> Conversation | None:
        return self.store.find_conversation(agent.id, channel, external_id)

    def set_conversation_activity(self, conversation_id: int, at: datetime) -> None:
        """When the conversation was last active (an imported older conversation; tests of idle rules)."""
        self.store.set_conversation_activity(self.conversation(conversation_id).id, at)

    def set_conversation_key(self, conversation_id: int, external_id: str) -> None:
        """Name the conversation by a client's own key (the OpenAI-compatible API's transcript digest)."""
        self.store.set_conversation_external_id(conversation_id, external_id)

    def record_history(self, conversation_id: int, turns: list[tuple[str, str]]) -> None:
        """Keep turns a client had before this conversation (role "user" or "assistant", text) for context."""
        previous = ""
        for role, text in turns:
            self.store.add_message(conversation_id, role, text, {"question": previous} if role == "assistant" else {})
            previous = text if role == "user" else previous

    def transcript(self, conversation_id: int, agent: Agent | None = None, after_id: int = 0,
                   limit: int = 500) -> list[Message]:
        """The conversation's messages after ``after_id`` (the conversation must be ``agent``'s)."""
        return self.store.messages(self.conversation(conversation_id, agent).id, after_id, limit)

    def gaps(self, agent: Agent, limit: int = 100) -> list[dict[str, Any]]:
        """The questions the agent declined, newest first: the business's content gaps."""
        return self.store.unanswered_questions(agent.id, limit)

    # messaging channels: the accounts and their queues (the service itself is :attr:`channels`)
    def list_channels(self, agent: Agent | None = None) -> list[Channel]:
        return self.store.list_channels(agent.id if agent else None)

    def channel_event_counts(self, channel_id: int) -> dict[str, int]:
        return self.store.event_counts(channel_id)

    def channel_events(self, channel_id: int, *, state: str | None = None, limit: int = 100) -> list[ChannelEvent]:
        return self.store.list_events(channel_id=channel_id, state=state, limit=limit)

    def chat(self, agent: Agent, conversation_id: int, text: str, *,
             model: str | None = None, payload: dict[str, Any] | None = None) -> Iterator[tuple[str, Any]]:
        """One customer message: ``("delta", text)``... then ``("done", Answer)`` from the agent,
        or only ``("held", Conversation)`` while a person owns the conversation (the agent is silent).
        ``payload`` is kept with the customer's message (a voice note: its recording and transcript)."""
        conversation = self.conversation(conversation_id, agent)
        if conversation.status == "human":
            if not text.strip():
                raise InvalidInput("the message is empty")
            self.store.add_message(conversation.id, "user", text.strip(), {**(payload or {}), "held": True})
            yield "held", conversation
            return
        token = request_id.set(f"frontdesk-{conversation.id}-{secrets.token_hex(4)}")
        turn = TurnInProgress(self.store, conversation.id, text, payload) if 0 < len(text.strip()) <= 4000 else None
        try:
            for event, value in self.responder(model).stream(agent, text, conversation.id, user_payload=payload):
                if turn is not None and event == "delta":
                    turn.shown(value)
                elif turn is not None and event == "done":
                    turn.finished()
                if event == "done" and value.handoff and conversation.status == "bot":
                    self.store.set_conversation_status(conversation.id, "waiting", None)
                yield event, value
        finally:
            request_id.reset(token)

    def take_over(self, conversation_id: int, person: str, agent: Agent | None = None) -> Conversation:
        conversation = self.conversation(conversation_id, agent)
        if conversation.status == "human" and conversation.owner != person:
            raise UserError(f"{conversation.owner} already owns conversation {conversation_id}")
        self.store.set_conversation_status(conversation.id, "human", person)
        if conversation.status != "human":
            self.channels.thread_control(conversation, "human")
        return self.conversation(conversation_id)

    def reply_as(self, conversation_id: int, person: str, text: str, agent: Agent | None = None) -> int:
        conversation = self.conversation(conversation_id, agent)
        if conversation.status != "human" or conversation.owner != person:
            raise UserError(f"take over conversation {conversation_id} before replying in it")
        if not text.strip():
            raise InvalidInput("the reply is empty")
        channel = self.channels.is_channel_conversation(conversation)
        if channel:
            self.channels.check_human_reply(conversation)  # the platform's messaging window, before storing
        message_id = self.store.add_message(conversation.id, "human", text.strip(),
                                            {"by": person, "by_display": self.store.user_display_name(person)})
        if channel:
            self.channels.deliver_human_reply(conversation, text.strip(), message_id)
        return message_id

    def hand_back(self, conversation_id: int, agent: Agent | None = None) -> Conversation:
        conversation = self.conversation(conversation_id, agent)
        self.store.set_conversation_status(conversation.id, "bot", None)
        if conversation.status == "human":
            self.channels.thread_control(conversation, "bot")
        return self.conversation(conversation_id)

    # API keys and console users
    def create_api_key(self, agent_name: str | None = None, label: str = "") -> tuple[str, ApiKey]:
        """A new key, returned once in clear; only its hash is stored."""
        agent_id = self.agent(agent_name).id if agent_name else None
        new = auth.new_api_key()
        return new.key, self.store.create_api_key(new.prefix, new.hash, agent_id, label)

    def authenticate(self, presented: str) -> ApiKey | None:
        prefix = auth.key_prefix(presented)
        key = self.store.find_api_key(prefix) if prefix else None
        if key is None or key.revoked_at is not None or not auth.key_matches(presented, key.hash):
            return None
        if key.last_used_at is None or utcnow() - key.last_used_at > timedelta(minutes=1):
            self.store.touch_api_key(key.id)
        return key

    def set_retention(self, agent: Agent, days: int | None) -> None:
        """Keep the agent's conversations ``days`` days (None: keep them)."""
        self.store.set_retention_days(agent.id, days)

    # a customer's data (docs/security.md): export and erasure on request, the retention sweep
    def export_contact(self, contact: str, agent: Agent | None = None) -> dict[str, Any]:
        """Everything kept about ``contact`` (of ``agent``'s conversations only, when one is given),
        conversations with characters included."""
        from .safety.privacy import export_contact

        return export_contact(self.store, contact, agent.id if agent else None)

    def erase_contact(self, contact: str, agent: Agent | None = None) -> dict[str, Any]:
        """Delete everything kept about ``contact`` (conversations with agents and characters, channel
        events, sends, media files); counts of what went."""
        from .safety.privacy import erase_contact

        return erase_contact(self.store, self.settings.home, contact, agent.id if agent else None)

    def expire_conversations(self) -> int:
        """Erase now the conversations past their retention period; how many went."""
        from .safety.privacy import expire_conversations

        return expire_conversations(self.store, self.settings.home)

    def set_display_name(self, user: str, display_name: str) -> None:
        """The name a console user's replies show the customer (empty: "a team member")."""
        self.store.set_user_display_name(user, display_name)

    def api_keys(self) -> list[ApiKey]:
        return self.store.list_api_keys()

    def revoke_api_key(self, prefix: str) -> None:
        self.store.revoke_api_key(prefix)

    def users(self) -> list[User]:
        return self.store.list_users()

    def create_user(self, name: str, password: str) -> User:
        if not re.match(r"^[\w.@+-]{1,100}$", name):
            raise InvalidInput(f"user name {name!r} is not valid: 1-100 letters, digits or . @ + - _")
        return self.store.create_user(name, auth.hash_password(_checked_password(password)))

    def set_password(self, name: str, password: str) -> None:
        """A new password for ``name``; every session they had ends (a stolen cookie stops working)."""
        self.store.set_user_password(name, auth.hash_password(_checked_password(password)))
        self.store.delete_user_sessions(self.store.get_user(name).id)

    def delete_user(self, name: str) -> None:
        """Remove console user ``name``; their sessions end with them."""
        self.store.delete_user(name)

    def login(self, name: str, password: str, hours: int = 12) -> tuple[str, str] | None:
        """A new session token and its CSRF token, or None for a wrong name or password."""
        try:
            user = self.store.get_user(name)
        except NotFound:
            auth.verify_password(password, _dummy_hash())  # same work either way: no user enumeration by timing
            return None
        if not auth.verify_password(password, user.password_hash):
            return None
        token, csrf = auth.new_token(), auth.new_token()
        self.store.create_session(auth.digest(token), user.id, csrf, utcnow() + timedelta(hours=hours))
        return token, csrf

    def session(self, token: str) -> tuple[User, str] | None:
        return self.store.get_session(auth.digest(token)) if token else None

    def logout(self, token: str) -> None:
        self.store.delete_session(auth.digest(token))


def _checked_password(password: str) -> str:
    if len(password) < 8:
        raise InvalidInput("the password must have at least 8 characters")
    return password


def checked_origins(origins: list[str] | tuple[str, ...]) -> list[str]:
    """Web origins as an agent's ``allowed_origins`` keeps them; anything else is an error naming it."""
    clean = []
    for origin in origins:
        origin = origin.strip().rstrip("/")
        if origin != "*" and not _ORIGIN.match(origin):
            raise InvalidInput(f"allowed origin {origin!r} is not an origin like https://shop.example "
                               "(scheme, host and optional port, no path) or *")
        clean.append(origin)
    return clean


_ORIGIN = re.compile(r"^https?://[A-Za-z0-9.-]+(:\d{1,5})?$")


@functools.cache
def _dummy_hash() -> str:
    return auth.hash_password("not a real password")
