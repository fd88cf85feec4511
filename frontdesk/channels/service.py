"""Messaging channels: connect accounts to agents, take webhook deliveries, answer in the background.

The flow of one customer message:

1. the webhook checks the signature, parses the delivery and records each message once
   (``channel_events``; a retried delivery adds nothing) and answers 200 at once;
2. a worker claims the oldest pending event of a customer with nothing else in work (so one
   customer's messages are answered in order, several customers at once);
3. it marks the message read (typing indicator), asks the agent through :meth:`Frontdesk.chat`
   (silent while a person owns the conversation), and queues the reply's Graph API requests in
   ``channel_outbox`` under keys derived from the event, so a reply is queued once;
4. it sends them in order, retrying 429 and 5xx with backoff, and records what Meta answered.

After a restart, events and sends that were in work go back to the queue.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import mimetypes
import threading
from collections.abc import Sequence
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from ..answer import Answer, phrases
from ..domain import (
    PLATFORMS,
    Agent,
    Channel,
    ChannelEvent,
    Conversation,
    OutboxItem,
    product_fields,
    utcnow,
)
from ..errors import FrontdeskError, InvalidInput, NotFound, UserError
from ..log import get_logger
from . import outbound as out
from .graph import GraphClient, GraphError
from .inbound import parse_delivery, signature_matches
from .secrets import MetaSecrets

if TYPE_CHECKING:
    from ..app import Frontdesk

log = get_logger(__name__)
WINDOW = timedelta(hours=24)
#: Messenger's HUMAN_AGENT tag lets a person answer for 7 days after the customer's last message.
HUMAN_AGENT_WINDOW = timedelta(days=7)
HUMAN = "frontdesk:human"
PRODUCT = "frontdesk:product:"
MAX_EVENT_ATTEMPTS = 5


class WindowClosed(UserError):
    pass


class Channels:
    def __init__(self, frontdesk: Frontdesk) -> None:
        self.frontdesk = frontdesk
        self.store = frontdesk.store
        self.settings = frontdesk.settings
        self._secrets: MetaSecrets | None = None
        self._stopping = threading.Event()
        self._wake = threading.Condition()
        self._workers: list[threading.Thread] = []
        self._graph: GraphClient | None = None
        self._graph_lock = threading.Lock()

    @property
    def secrets(self) -> MetaSecrets:
        if self._secrets is None:
            self._secrets = MetaSecrets.load(self.settings)
        return self._secrets

    @property
    def graph(self) -> GraphClient:
        with self._graph_lock:
            if self._graph is None:
                self._graph = GraphClient(self.settings, self._stopping)
            return self._graph

    # -- connecting accounts ----------------------------------------------------------------

    def connect(self, agent_name: str, platform: str, account_id: str, *, catalog_id: str | None = None,
                handover_app_id: str | None = None, label: str = "") -> Channel:
        if platform not in PLATFORMS:
            raise InvalidInput(f"unknown platform {platform!r}; choose one of: {', '.join(PLATFORMS)}")
        account_id = account_id.strip()
        if not account_id.isdigit() or len(account_id) > 30:
            raise InvalidInput(f"{platform} account id {account_id!r} is not valid: Meta's ids are digits "
                               f"(the phone-number id, page id or Instagram account id, not the phone number)")
        if catalog_id is not None and not catalog_id.strip().isdigit():
            raise InvalidInput(f"catalog id {catalog_id!r} is not valid: Meta's catalog ids are digits")
        if catalog_id and platform != "whatsapp":
            raise InvalidInput("product messages from a catalog exist on WhatsApp only; drop --catalog-id")
        if handover_app_id and platform == "whatsapp":
            raise InvalidInput("the handover protocol belongs to Messenger and Instagram; drop --handover-app-id")
        agent = self.frontdesk.agent(agent_name)
        return self.store.create_channel(agent.id, platform, account_id, catalog_id=catalog_id or None,
                                         handover_app_id=handover_app_id or None, label=label)

    def channel(self, ref: str) -> Channel:
        """A channel by id, or by ``platform:account`` (``whatsapp:106540352242922``)."""
        if ref.isdigit():
            return self.store.get_channel(int(ref))
        platform, _, account = ref.partition(":")
        found = self.store.find_channel(platform, account) if account else None
        if found is None:
            raise NotFound(f"no channel {ref!r} (see `frontdesk channels list`)")
        return found

    def of_agent(self, agent: Agent, channel_id: int) -> Channel:
        """Channel ``channel_id``, which must be ``agent``'s (another agent's channel does not exist for it)."""
        channel = self.store.get_channel(channel_id)
        if channel.agent_id != agent.id:
            raise NotFound(f"no channel {channel_id}")
        return channel

    def remove(self, ref: str) -> Channel:
        channel = self.channel(ref)
        self.store.remove_channel(channel.id)
        return channel

    # -- webhooks ---------------------------------------------------------------------------

    def verify_subscription(self, mode: str | None, token: str | None, challenge: str | None) -> str | None:
        """The challenge to echo when Meta subscribes with our verify token; None otherwise."""
        expected = self.secrets.verify_token
        if mode != "subscribe" or not expected or token is None or challenge is None:
            return None
        return challenge if _same(token, expected) else None

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
            with self._wake:
                self._wake.notify_all()
        return len(events), new

    # -- workers ----------------------------------------------------------------------------

    def start(self) -> None:
        if self._workers or self.settings.channel_workers <= 0:
            return  # 0: another process of the same database runs the channel workers
        events, sends = self.store.resume_channel_work()
        if events or sends:
            log.warning("resuming channel work left by the last run", events=events, sends=sends)
        self._stopping.clear()
        for n in range(self.settings.channel_workers):
            worker = threading.Thread(target=self._work, name=f"frontdesk-channel-{n}", daemon=True)
            worker.start()
            self._workers.append(worker)

    def stop(self) -> None:
        self._stopping.set()
        with self._wake:
            self._wake.notify_all()
        for worker in self._workers:
            worker.join(timeout=10)
        self._workers.clear()
        with self._graph_lock:
            if self._graph is not None:
                self._graph.close()
                self._graph = None

    def wake(self) -> None:
        with self._wake:
            self._wake.notify_all()

    def _work(self) -> None:
        while not self._stopping.is_set():
            try:
                busy = self.step()
            except Exception:  # a worker must outlive any one message
                log.exception("channel worker error")
                busy = False
            if not busy:
                with self._wake:
                    self._wake.wait(timeout=1.0)

    def step(self) -> bool:
        """Handle one pending event or send; False when there was nothing to do."""
        event = self.store.claim_event()
        if event is not None:
            self._handle(event)
            return True
        send = self.store.claim_send()
        if send is not None:
            self._send(send)
            return True
        return False

    def _handle(self, event: ChannelEvent) -> None:
        try:
            state, conversation_id = self._process(event)
        except GraphError as exc:
            self._failed(event, self.secrets.redact(str(exc)), exc.retryable)
        except FrontdeskError as exc:
            self._failed(event, self.secrets.redact(str(exc)), not isinstance(exc, UserError))
        except Exception as exc:
            log.exception("channel event failed", event=event.id)
            self._failed(event, self.secrets.redact(f"{type(exc).__name__}: {exc}"), True)
        else:
            self.store.finish_event(event.id, state, conversation_id=conversation_id)

    def _failed(self, event: ChannelEvent, error: str, retryable: bool) -> None:
        log.warning("channel event failed", event=event.id, kind=event.kind, error=error, attempt=event.attempts)
        if retryable and event.attempts < MAX_EVENT_ATTEMPTS:
            wait = self.settings.graph_backoff * 4 ** event.attempts
            self.store.retry_event(event.id, error, utcnow() + timedelta(seconds=min(wait, 300)))
        else:
            self.store.finish_event(event.id, "failed", error=error)

    # -- one event --------------------------------------------------------------------------

    def _process(self, event: ChannelEvent) -> tuple[str, int | None]:
        if event.channel_id is None:
            return "skipped", None
        channel = self.store.get_channel(event.channel_id)
        if event.kind == "status":
            for message_id in event.payload.get("message_ids") or [event.payload.get("message_id")]:
                if message_id:
                    self.store.record_delivery(message_id, event.payload["status"], event.payload.get("error"))
            return "done", None
        assert event.sender is not None
        conversation = self._conversation(channel, event.sender)
        self.store.set_event_conversation(event.id, conversation.id)
        if event.kind == "handover":
            return self._handover(event, conversation), conversation.id
        if event.kind == "standby" or conversation.status == "human":
            self.store.add_message(conversation.id, "user", _customer_text(event),
                                   {"held": True, "channel_event": event.id, "standby": event.kind == "standby"})
            return "held", conversation.id
        if self._resend_queued(event):  # an earlier attempt got as far as queueing its reply
            return "done", conversation.id
        self._check_window(channel, conversation, human=False)
        self._queue(channel, conversation, f"seen:{event.id}", self._seen(channel, event), send_now=True, quiet=True)
        replies = self._reply(channel, conversation, event)
        self._queue(channel, conversation, f"reply:{event.id}", replies, send_now=True)
        return "done", conversation.id

    def _conversation(self, channel: Channel, sender: str) -> Conversation:
        external = f"{channel.account_id}:{sender}"
        found = self.store.find_conversation(channel.agent_id, channel.platform, external)
        if found is not None:
            return found
        return self.store.get_conversation(
            self.store.create_conversation(channel.agent_id, channel.platform, external))

    def _handover(self, event: ChannelEvent, conversation: Conversation) -> str:
        kind = event.payload.get("type")
        if kind == "pass_thread_control":  # the thread was passed to this app: the agent answers again
            self.store.set_conversation_status(conversation.id, "bot", None)
        elif kind == "take_thread_control":  # another app (e.g. the Page inbox) took it: stay silent
            owner = f"app {event.payload.get('new_owner_app_id') or 'inbox'}"
            self.store.set_conversation_status(conversation.id, "human", owner)
        elif kind == "request_thread_control" and conversation.status != "human":
            self.store.set_conversation_status(conversation.id, "waiting", None)
        self.store.add_message(conversation.id, "system", f"{kind.replace('_', ' ')}" if kind else "handover",
                               {"channel_event": event.id, "handover": event.payload.get("raw", {})})
        return "done"

    def _reply(self, channel: Channel, conversation: Conversation, event: ChannelEvent) -> list[dict[str, Any]]:
        """The Graph API request bodies that answer ``event``, in order."""
        agent = self.store.get_agent_by_id(channel.agent_id)
        reply_id = str(event.payload.get("reply_id") or "")
        to = str(event.sender)
        if reply_id == HUMAN:
            language = self._language(conversation)
            self.store.add_message(conversation.id, "user", _customer_text(event), {"channel_event": event.id})
            self.store.set_conversation_status(conversation.id, "waiting", None)
            text = phrases.person_will_reply(language)
            self.store.add_message(conversation.id, "assistant", text, {"handoff": True, "grounded": True})
            return [*self._text(channel, to, text), *self._pass_thread(channel, to, "customer asked for a person")]
        if event.kind == "order":
            return self._order(channel, agent.id, conversation, event)
        question = str(event.payload.get("text") or "").strip()
        if reply_id.startswith(PRODUCT):
            product = self.store.products_by_key(agent.id, [reply_id.removeprefix(PRODUCT)])
            question = next((p.title for p in product.values()), question)
        media = self._store_media(channel, event) if event.kind == "media" else []
        if not question:
            language = self._language(conversation)
            kind = media[0]["kind"] if media else "file"
            self.store.add_message(conversation.id, "user", _customer_text(event),
                                   {"channel_event": event.id, "media": media})
            text = phrases.media_received(language, kind)
            self.store.add_message(conversation.id, "assistant", text, {"grounded": True, "handoff": False})
            return self._text(channel, to, text)
        answer: Answer | None = None
        for kind, value in self.frontdesk.chat(agent, conversation.id, question):
            if kind == "done":
                answer = value
            elif kind == "held":
                return []
        assert answer is not None
        return self._answer(channel, to, answer)

    def _answer(self, channel: Channel, to: str, answer: Answer) -> list[dict[str, Any]]:
        language = answer.language
        text = answer.answer.strip()
        if answer.citations:
            lines = [f"{c['title']} ({phrases.as_of(language)} {c['as_of']})" + (f": {c['url']}" if c.get("url") else "")
                     for c in answer.citations[:3]]
            text += f"\n\n{phrases.sources_label(language)}:\n" + "\n".join(lines)
        bodies: list[dict[str, Any]] = []
        if answer.handoff:
            bodies += self._offer_person(channel, to, text, language)
        else:
            bodies += self._text(channel, to, text)
        products = [p for p in answer.products if p.get("id")]
        if channel.platform == "whatsapp":
            if channel.catalog_id and len(products) == 1:
                bodies.append(out.wa_product(to, channel.catalog_id, products[0]["id"]))
            elif channel.catalog_id and products:
                bodies.append(out.wa_product_list(to, channel.catalog_id, phrases.matching_products(language),
                                                  answer.answer, phrases.matching_products(language),
                                                  [p["id"] for p in products]))
            elif len(products) > 1:
                rows = [(PRODUCT + p["id"], p["title"], _price_line(p)) for p in products]
                bodies.append(out.wa_list(to, phrases.matching_products(language), phrases.see_products(language),
                                          phrases.matching_products(language), rows))
        elif products:
            cards = [{"title": p["title"], "subtitle": _price_line(p), "image_url": p.get("image_link") or "",
                      "url": p.get("link") or ""} for p in products]
            bodies.append(out.ms_cards(to, cards, phrases.view_product(language)))
        return bodies

    def _order(self, channel: Channel, agent_id: int, conversation: Conversation,
               event: ChannelEvent) -> list[dict[str, Any]]:
        """An order from the catalog: confirm what it holds at our catalog's prices, and ask a person to take it."""
        order = event.payload["order"]
        language = self._language(conversation)
        products = self.store.products_by_key(agent_id, [i["retailer_id"] for i in order["items"]])
        lines, missing = [], []
        for item in order["items"]:
            product = products.get(item["retailer_id"])
            if product is None:
                missing.append(item["retailer_id"])
                continue
            lines.append(f"{item['quantity']} × {product.title}" + (f": {_price_line(_fields(product))}"))
        text = phrases.order_received(language, lines, missing)
        self.store.add_message(conversation.id, "user", _customer_text(event), {"channel_event": event.id, "order": order})
        self.store.add_message(conversation.id, "assistant", text, {"grounded": True, "handoff": True, "order": order})
        self.store.set_conversation_status(conversation.id, "waiting", None)
        return self._text(channel, str(event.sender), text)

    def _text(self, channel: Channel, to: str, text: str, tag: str | None = None) -> list[dict[str, Any]]:
        if channel.platform == "whatsapp":
            return [out.wa_text(to, piece) for piece in out.split_text(text, out.WHATSAPP_TEXT)]
        return [out.ms_text(to, piece, tag=tag) for piece in out.split_text(text, out.MESSENGER_TEXT)]

    def _offer_person(self, channel: Channel, to: str, text: str, language: str) -> list[dict[str, Any]]:
        button = (HUMAN, phrases.talk_to_person(language))
        if channel.platform == "whatsapp":
            if len(text) <= out.WHATSAPP_INTERACTIVE_BODY:
                return [out.wa_buttons(to, text, [button])]
            return [*self._text(channel, to, text)[:-1], out.wa_buttons(to, out.split_text(text, 1000)[-1], [button])]
        pieces = out.split_text(text, out.MESSENGER_TEXT)
        return [*[out.ms_text(to, p) for p in pieces[:-1]], out.ms_text(to, pieces[-1], [button])]

    def _seen(self, channel: Channel, event: ChannelEvent) -> list[dict[str, Any]]:
        if channel.platform == "whatsapp":
            return [out.wa_read(event.event_key)]
        return [out.ms_action(str(event.sender), "mark_seen"), out.ms_action(str(event.sender), "typing_on")]

    def _pass_thread(self, channel: Channel, to: str, why: str) -> list[dict[str, Any]]:
        if channel.platform == "whatsapp" or not channel.handover_app_id:
            return []
        return [{"_path": "pass_thread_control",
                 **out.ms_handover(to, "pass_thread_control", channel.handover_app_id, why)}]

    # -- sending ----------------------------------------------------------------------------

    def _queue(self, channel: Channel, conversation: Conversation, key: str, bodies: Sequence[dict[str, Any]], *,
               send_now: bool, quiet: bool = False) -> list[int]:
        sends = []
        for n, body in enumerate(bodies):
            body = dict(body)
            endpoint = body.pop("_path", "messages")
            sends.append({"channel_id": channel.id, "conversation_id": conversation.id, "key": f"{key}:{n}",
                          "kind": _kind(body, endpoint), "path": f"{channel.account_id}/{endpoint}", "body": body})
        ids = self.store.enqueue_sends(sends)
        if send_now:
            for send_id in ids:
                claimed = self.store.claim_send(send_id)
                if claimed is not None:
                    self._send(claimed, raise_errors=not quiet)
        else:
            self.wake()
        return ids

    def _resend_queued(self, event: ChannelEvent) -> bool:
        """Send what an earlier attempt at ``event`` queued and did not send; False if it queued nothing."""
        queued = self.store.sends_keyed(f"reply:{event.id}:")
        for send in queued:
            claimed = self.store.claim_send(send.id, retry_failed=True) if send.state != "sent" else None
            if claimed is not None:
                self._send(claimed, raise_errors=True)
        return bool(queued)

    def _send(self, send: OutboxItem, raise_errors: bool = False) -> None:
        channel = self.store.get_channel(send.channel_id)
        try:
            response = self.graph.post(send.path, send.body, self.secrets.token_for(channel.account_id))
        except (GraphError, UserError) as exc:
            error = self.secrets.redact(str(exc))
            self.store.finish_send(send.id, "failed", error=error)
            log.warning("graph send failed", send=send.id, kind=send.kind, error=error)
            if raise_errors:
                raise
            return
        messages = response.get("messages") if isinstance(response.get("messages"), list) else []
        platform_id = (messages[0].get("id") if messages and isinstance(messages[0], dict) else None) \
            or response.get("message_id")
        self.store.finish_send(send.id, "sent", platform_message_id=str(platform_id) if platform_id else None)

    def _store_media(self, channel: Channel, event: ChannelEvent) -> list[dict[str, Any]]:
        """Download the event's media (WhatsApp through ``GET /{media-id}``, Messenger from its URL) and keep it."""
        kept = []
        for media in event.payload.get("media", []):
            if media.get("id"):
                data, mime = self.graph.media(str(media["id"]), self.secrets.token_for(channel.account_id))
            else:
                data, mime = self.graph.download(str(media["url"]))
            mime = media.get("mime_type") or mime
            digest = hashlib.sha256(data).hexdigest()
            extension = mimetypes.guess_extension(mime.split(";")[0].strip()) or ".bin"
            folder = self.settings.home / "media" / channel.platform
            folder.mkdir(parents=True, exist_ok=True)
            path = folder / f"{digest}{extension}"
            if not path.exists():
                tmp = path.with_suffix(".part")
                tmp.write_bytes(data)
                tmp.replace(path)
            self.store.add_media(event.id, str(media.get("id") or media.get("url")), mime, digest, len(data), str(path))
            kept.append({"kind": media.get("kind", "file"), "mime_type": mime, "sha256": digest, "size": len(data),
                         "path": str(path)})
        return kept

    # -- people: replies from the console, templates, handover ------------------------------

    def is_channel_conversation(self, conversation: Conversation) -> bool:
        return conversation.channel in PLATFORMS and bool(conversation.external_id)

    def _route(self, conversation: Conversation) -> tuple[Channel, str]:
        account, _, recipient = str(conversation.external_id).partition(":")
        channel = self.store.find_channel(conversation.channel, account)
        if channel is None:
            raise UserError(f"the {conversation.channel} account {account} of conversation {conversation.id} "
                            "is no longer connected")
        return channel, recipient

    def _check_window(self, channel: Channel, conversation: Conversation, *, human: bool) -> str | None:
        """None inside the 24-hour window, Messenger's HUMAN_AGENT tag for a person within 7 days, else an error."""
        last = self.store.last_customer_message_at(conversation.id)
        age = utcnow() - last if last else None
        if age is not None and age <= WINDOW:
            return None
        if human and channel.platform != "whatsapp" and age is not None and age <= HUMAN_AGENT_WINDOW:
            return "HUMAN_AGENT"
        since = f"the customer last wrote {last:%Y-%m-%d %H:%M} UTC" if last else "the customer has not written"
        if channel.platform == "whatsapp":
            raise WindowClosed(f"the 24-hour customer service window of conversation {conversation.id} is closed "
                               f"({since}); only an approved template may be sent: "
                               f"frontdesk channels template whatsapp:{channel.account_id} TO NAME")
        raise WindowClosed(f"the messaging window of conversation {conversation.id} is closed ({since})")

    def check_human_reply(self, conversation: Conversation) -> None:
        """Raise before a person's reply is stored if the platform would not deliver it."""
        if self.is_channel_conversation(conversation):
            channel, _ = self._route(conversation)
            self._check_window(channel, conversation, human=True)

    def deliver_human_reply(self, conversation: Conversation, text: str, message_id: int) -> None:
        channel, recipient = self._route(conversation)
        tag = self._check_window(channel, conversation, human=True)
        self._queue(channel, conversation, f"human:{message_id}", self._text(channel, recipient, text, tag),
                    send_now=False)

    def thread_control(self, conversation: Conversation, owner: str) -> None:
        """Follow a console takeover (``human``) or hand-back (``bot``) with Messenger's handover protocol."""
        if not self.is_channel_conversation(conversation):
            return
        channel, recipient = self._route(conversation)
        if channel.platform == "whatsapp" or not channel.handover_app_id:
            return
        action = "pass_thread_control" if owner == "human" else "take_thread_control"
        body = out.ms_handover(recipient, action, channel.handover_app_id, f"frontdesk console: {owner}")
        stamp = utcnow().isoformat()
        self._queue(channel, conversation, f"{action}:{conversation.id}:{stamp}", [{"_path": action, **body}],
                    send_now=False)

    def send_template(self, ref: str, to: str, name: str, language: str, parameters: Sequence[str] = ()) -> OutboxItem:
        """Send an approved WhatsApp template (allowed outside the 24-hour window); waits for Meta's answer."""
        channel = self.channel(ref)
        if channel.platform != "whatsapp":
            raise InvalidInput("templates are a WhatsApp feature; Messenger uses message tags")
        if not to.isdigit():
            raise InvalidInput(f"recipient {to!r} is not a WhatsApp id (digits, with country code)")
        external = f"{channel.account_id}:{to}"
        conversation = self.store.find_conversation(channel.agent_id, "whatsapp", external) or \
            self.store.get_conversation(self.store.create_conversation(channel.agent_id, "whatsapp", external))
        key = f"template:{conversation.id}:{utcnow().isoformat()}:{name}"
        self._queue(channel, conversation, key, [out.wa_template(to, name, language, parameters)], send_now=True)
        self.store.add_message(conversation.id, "human", f"[template {name}]", {"template": name})
        return self.store.sends_keyed(f"{key}:")[0]

    def _language(self, conversation: Conversation) -> str:
        for message in reversed(self.store.recent_messages(conversation.id, 10)):
            if message.payload.get("language"):
                return str(message.payload["language"])
        return "en"

    def status(self) -> dict[str, Any]:
        """For /healthz, which load balancers poll: no database work here (`channels events` shows the queue)."""
        return {"workers": len(self._workers)}


def _same(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode(), b.encode())


def _customer_text(event: ChannelEvent) -> str:
    text = str(event.payload.get("text") or "").strip()
    if text:
        return text
    if event.kind == "media":
        kinds = ", ".join(str(m.get("kind")) for m in event.payload.get("media", []))
        return f"[{kinds}]"
    if event.kind == "order":
        return "[order] " + ", ".join(f"{i['quantity']} × {i['retailer_id']}" for i in event.payload["order"]["items"])
    return f"[{event.kind}]"


def _fields(item: Any) -> dict[str, Any]:
    return product_fields(item.fields, utcnow())


def _price_line(product: dict[str, Any]) -> str:
    parts = []
    if product.get("price"):
        parts.append(f"{product['price']} {product.get('currency') or ''}".strip())
    if product.get("availability"):
        parts.append(str(product["availability"]))
    return ", ".join(parts)


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
        return "cards"
    return "quick_replies" if body.get("message", {}).get("quick_replies") else "text"
