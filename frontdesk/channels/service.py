"""Messaging channels: connect accounts to agents, take webhook deliveries, answer in the background.

The flow of one customer message:

1. the webhook checks the signature, parses the delivery and records each message once
   (``channel_events``; a retried delivery adds nothing) and answers 200 at once;
2. a worker (:mod:`.workers`) claims the oldest pending event of a customer with nothing else in
   work (so one customer's messages are answered in order, several customers at once);
3. it marks the message read (typing indicator), asks the agent through :meth:`Frontdesk.chat`
   (silent while a person owns the conversation) and queues the reply's Graph API requests in
   ``channel_outbox`` under keys derived from the event, so a reply is queued once (:mod:`.events`);
4. it sends them in order, retrying 429 and 5xx with backoff, and records what Meta answered
   (:mod:`.outbox`).

After a restart, events and sends that were in work go back to the queue. The parts, by concern:
:mod:`.accounts` (connected accounts), :mod:`.events` (one event), :mod:`.workers`, :mod:`.outbox`,
:mod:`.media`, :mod:`.window` (the 24-hour window), :mod:`.people` (a person's replies, handover,
templates), :mod:`.platforms` (everything that differs between WhatsApp and Messenger/Instagram).
:class:`Channels` puts them together behind the methods the CLI, the server and the console call.
"""

from __future__ import annotations

import hmac
import json
import threading
from typing import Any

import httpx

from ..config import Settings
from ..errors import InvalidInput
from ..store import Store
from .accounts import Accounts
from .events import CharacterLine, Chat, EventProcessor, Voice
from .graph import GraphClient
from .inbound import parse_delivery, signature_matches
from .link import MetaLink
from .media import MediaKeeper
from .outbox import Outbox
from .people import People
from .secrets import MetaSecrets
from .workers import Workers


class Channels:
    """WhatsApp, Messenger and Instagram for one store. ``chat`` answers a customer message
    (:meth:`frontdesk.app.Frontdesk.chat`); ``http`` is the Graph API's HTTP client (tests pass one
    with an ``httpx.MockTransport``; by default the Graph client makes its own); ``voice`` hears
    voice notes and speaks answers (:class:`frontdesk.voice.turn.ChannelVoice`; without it a voice
    note is acknowledged only); ``characters`` answers on the accounts connected to AI characters
    (:class:`frontdesk.characters.service.Characters`)."""

    def __init__(self, store: Store, settings: Settings, chat: Chat, *, http: httpx.Client | None = None,
                 voice: Voice | None = None, characters: CharacterLine | None = None) -> None:
        self.store = store
        self.settings = settings
        self.link = MetaLink(settings, threading.Event(), http)
        self.accounts = Accounts(store)
        self.outbox = Outbox(store, self.link, lambda: self.workers.wake(), settings.claim_lease)
        self.media = MediaKeeper(store, self.link, settings.home)
        self.processor = EventProcessor(store, chat, self.outbox, self.media, voice, characters)
        self.workers = Workers(store, settings, self.link, self.processor, self.outbox)
        self.people = People(store, self.accounts, self.outbox)
        # the methods callers use, each where its concern lives
        self.connect = self.accounts.connect
        self.connect_character = self.accounts.connect_character
        self.channel = self.accounts.channel
        self.of_agent = self.accounts.of_agent
        self.remove = self.accounts.remove
        self.start = self.workers.start
        self.drain = self.workers.drain
        self.step = self.workers.step
        self.wake = self.workers.wake
        self.is_channel_conversation = self.people.is_channel_conversation
        self.check_human_reply = self.people.check_human_reply
        self.deliver_human_reply = self.people.deliver_human_reply
        self.thread_control = self.people.thread_control
        self.send_template = self.people.send_template

    @property
    def secrets(self) -> MetaSecrets:
        return self.link.secrets

    @property
    def graph(self) -> GraphClient:
        return self.link.graph

    def stop(self) -> None:
        self.workers.stop()
        self.link.close()

    # -- webhooks ---------------------------------------------------------------------------

    def verify_subscription(self, mode: str | None, token: str | None, challenge: str | None) -> str | None:
        """The challenge to echo when Meta subscribes with our verify token; None otherwise."""
        expected = self.secrets.verify_token
        if mode != "subscribe" or not expected or token is None or challenge is None:
            return None
        return challenge if hmac.compare_digest(token.encode(), expected.encode()) else None

    def signature_ok(self, body: bytes, header: str | None) -> bool:
        return signature_matches(body, header, self.secrets.app_secret)

    def accept(self, body: bytes) -> tuple[int, int]:
        """Record a delivery whose signature was checked: (events in it, events new). Wakes the workers."""
        try:
            delivery = json.loads(body)
        except (ValueError, UnicodeDecodeError) as exc:
            raise InvalidInput(f"the delivery is not valid JSON: {exc}") from None
        events = parse_delivery(delivery, self.store.find_channel)
        new = self.store.record_events(events)
        if new:
            self.workers.wake()
        return len(events), new

    def status(self) -> dict[str, Any]:
        """For /healthz, which load balancers poll: no database work here (`channels events` shows the queue)."""
        return {"workers": len(self.workers)}
