"""WhatsApp, Messenger and Instagram over real HTTP: signed webhook deliveries in the shapes Meta
documents go to the running server, and a local stand-in for the Graph API
(:mod:`frontdesk.testing.graph`) records every request frontdesk makes and can answer 429 or 500.
"""

from __future__ import annotations

import contextlib
import hashlib
import html
import json
import logging
import re
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from click.testing import CliRunner

from frontdesk.app import Frontdesk
from frontdesk.channels import outbound as out
from frontdesk.cli.main import cli
from frontdesk.server import create_app
from frontdesk.testing.graph import FakeGraph

from . import meta_payloads as m
from .conftest import AGENT, Served, ServerThread, serve_sample, served_settings

VOICE = b"OggS" + bytes(range(256)) * 8
PHOTO = b"\xff\xd8\xff\xe0" + b"jpeg" * 500
INVOICE = b"%PDF-1.4 fake invoice"


@dataclass
class Meta:
    served: Served
    graph: FakeGraph
    graph_url: str

    @property
    def app(self) -> Frontdesk:
        return self.served.app

    def deliver(self, payload: Any, *, secret: str = m.SECRET, signature: str | None = None,
                raw: bytes | None = None) -> httpx.Response:
        body = raw if raw is not None else m.encode(payload)
        headers = {"Content-Type": "application/json"}
        if secret or signature:
            headers["X-Hub-Signature-256"] = signature or m.sign(body, secret)
        return httpx.post(self.served.url + "/webhooks/meta", content=body, headers=headers, timeout=30)

    def deliver_at_once(self, payloads: list[Any]) -> None:
        """Every payload posted at the same time, each from its own thread, as Meta's retries arrive."""
        threads = [threading.Thread(target=self.deliver, args=(payload,)) for payload in payloads]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

    def settle(self, timeout: float = 30) -> None:
        """Wait until every recorded event is in a final state and nothing waits to be sent."""
        store = self.app.store
        wait_until(lambda: not ({"pending", "working"} & set(store.event_counts()))
                   and not store.list_sends(state="pending") and not store.list_sends(state="sending"), timeout)

    def conversation(self, platform: str, account: str, sender: str) -> Any:
        return self.app.store.find_conversation(self.app.agent(AGENT).id, platform, f"{account}:{sender}")

    def replies_to(self, recipient: str) -> list[dict[str, Any]]:
        """The bodies of messages sent to ``recipient`` (read receipts and sender actions left out)."""
        bodies = [c.body or {} for c in self.graph.sent()]
        return [b for b in bodies if (b.get("to") == recipient or (b.get("recipient") or {}).get("id") == recipient)
                and b.get("status") != "read" and "sender_action" not in b]


def wait_until(check: Callable[[], bool], timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting")
        time.sleep(0.05)


def text_of(body: dict[str, Any]) -> str:
    if body.get("type") == "text":
        return str(body["text"]["body"])
    if body.get("type") == "interactive":
        return str(body["interactive"].get("body", {}).get("text", ""))
    return str((body.get("message") or {}).get("text", ""))


@contextlib.contextmanager
def fake_graph() -> Iterator[tuple[FakeGraph, str]]:
    graph = FakeGraph(media={"media-voice-1": (VOICE, "audio/ogg"), "media-photo-1": (PHOTO, "image/jpeg"),
                             "media-invoice-1": (INVOICE, "application/pdf")})
    with ServerThread(graph.app) as server:
        yield graph, server.url


def meta_settings(graph_url: str) -> dict[str, Any]:
    return {"graph_base_url": graph_url + "/v24.0", "meta_app_secret": m.SECRET, "meta_verify_token": m.VERIFY,
            "meta_access_token": m.TOKEN, "graph_backoff": 0.02, "channel_workers": 3}


@pytest.fixture
def meta(built_home: Path, tmp_path: Path, upstream: ServerThread) -> Iterator[Meta]:
    with fake_graph() as (graph, graph_url), \
            serve_sample(built_home, tmp_path / "home", upstream, **meta_settings(graph_url)) as served:
        served.app.channels.connect(AGENT, "whatsapp", m.PHONE_ID, catalog_id=m.CATALOG, label="shop number")
        served.app.channels.connect(AGENT, "messenger", m.PAGE_ID, handover_app_id=m.INBOX_APP)
        served.app.channels.connect(AGENT, "instagram", m.IG_ID)
        yield Meta(served, graph, graph_url)


# -- the handshake and signatures ---------------------------------------------------------------

def test_subscription_handshake(meta: Meta) -> None:
    url = meta.served.url + "/webhooks/meta"
    ok = httpx.get(url, params={"hub.mode": "subscribe", "hub.verify_token": m.VERIFY, "hub.challenge": "1158201444"})
    assert ok.status_code == 200 and ok.text == "1158201444"
    for params in ({"hub.mode": "subscribe", "hub.verify_token": "wrong", "hub.challenge": "1"},
                   {"hub.mode": "unsubscribe", "hub.verify_token": m.VERIFY, "hub.challenge": "1"},
                   {"hub.verify_token": m.VERIFY, "hub.challenge": "1"}, {}):
        refused = httpx.get(url, params=params)
        assert refused.status_code == 403 and "1" != refused.text


def test_forged_or_missing_signatures_are_refused_and_nothing_is_kept(meta: Meta) -> None:
    payload = m.wa_delivery([m.wa_value([m.wa_text("wamid.FORGED1", "Do you sell gift cards?")])])
    body = m.encode(payload)
    attempts = [meta.deliver(payload, secret=""),  # no header at all
                meta.deliver(payload, secret="not-the-app-secret"),
                meta.deliver(payload, signature=m.sign(body + b" ")),  # another body's signature
                meta.deliver(payload, signature="sha1=" + m.sign(body)[7:]),
                meta.deliver(payload, signature="sha256=zz")]
    assert [r.status_code for r in attempts] == [401] * 5
    assert "X-Hub-Signature-256" in attempts[0].json()["error"]["message"]
    time.sleep(0.3)
    assert meta.app.store.event_counts() == {} and meta.app.store.list_conversations() == []
    assert meta.graph.calls == []


# -- WhatsApp ------------------------------------------------------------------------------------

@pytest.mark.slow
def test_whatsapp_delivery_with_every_message_type(meta: Meta) -> None:
    other, buyer, photographer = "4917099988877", "4915200000001", "4915200000002"
    delivery = m.wa_delivery(
        [m.wa_value([m.wa_text("wamid.T1", "How much is the Ethiopia Yirgacheffe 250 g?")]),
         m.wa_value([m.wa_audio("wamid.A1", "media-voice-1", customer=other),
                     m.wa_document("wamid.D1", "media-invoice-1", "invoice.pdf", customer=other)], customer=other)],
        [m.wa_value([m.wa_order("wamid.O1", [("HC-ETH-250", 2, "0.01"), ("NOT-OURS", 1, "5.00")], customer=buyer),
                     m.wa_message("wamid.L1", "location", {"latitude": 53.55, "longitude": 9.99}, customer=buyer),
                     m.wa_message("wamid.U1", "some_future_type", {"x": 1}, customer=buyer),
                     {"id": "wamid.NOFROM", "type": "text", "text": {"body": "who am I?"}}], customer=buyer),
         m.wa_value([m.wa_image("wamid.I1", "media-photo-1", caption="Is this grinder in stock?",
                                customer=photographer)], customer=photographer)])
    response = meta.deliver(delivery)
    assert response.status_code == 200 and response.json() == {"received": 8, "new": 8}
    meta.settle()
    store = meta.app.store
    events = {e.event_key: e for e in store.list_events(limit=100)}
    assert {k: e.state for k, e in events.items()} == {
        "wamid.T1": "done", "wamid.A1": "done", "wamid.D1": "done", "wamid.O1": "done", "wamid.I1": "done",
        "wamid.L1": "skipped", "wamid.U1": "skipped", next(k for k in events if k.startswith("unknown:")): "skipped"}
    assert "some_future_type" in str(events["wamid.U1"].error)

    # the text question: read receipt with typing indicator, then a grounded answer with its source and date
    reads = [c.body for c in meta.graph.sent("read")]
    assert {"messaging_product": "whatsapp", "status": "read", "message_id": "wamid.T1",
            "typing_indicator": {"type": "text"}} in reads
    replies = meta.replies_to(m.CUSTOMER)
    answer = text_of(replies[0])
    assert "12.90" in answer and "as of" in answer
    # the catalog is connected, so the product goes out as a product message from the agent's own catalog
    product_messages = [b for b in replies if b.get("type") == "interactive"
                        and b["interactive"]["type"] in ("product", "product_list")]
    assert product_messages
    action = product_messages[0]["interactive"]["action"]
    retailer_ids = [action["product_retailer_id"]] if "product_retailer_id" in action else \
        [i["product_retailer_id"] for s in action["sections"] for i in s["product_items"]]
    assert action["catalog_id"] == m.CATALOG and "HC-ETH-250" in retailer_ids
    assert set(retailer_ids) <= {p.key for p in store.items_of_agent(meta.app.agent(AGENT).id, "product")}

    # voice note and document: fetched through the Graph API with the token, stored, acknowledged
    media = [c for c in meta.graph.calls if c.method == "GET"]
    assert {c.path for c in media} >= {"/v24.0/media-voice-1", "/media-files/media-voice-1",
                                       "/v24.0/media-invoice-1", "/media-files/media-invoice-1"}
    assert all(c.token == m.TOKEN for c in media)
    kept = list(store.media_of(events["wamid.A1"].id))
    assert kept[0]["sha256"] == hashlib.sha256(VOICE).hexdigest() and Path(kept[0]["path"]).read_bytes() == VOICE
    assert Path(next(iter(store.media_of(events["wamid.D1"].id)))["path"]).read_bytes() == INVOICE
    acks = [text_of(b) for b in meta.replies_to(other)]
    assert any("voice message" in a for a in acks) and any("document" in a for a in acks)

    # an image with a caption: the picture is kept and the caption is answered
    assert next(iter(store.media_of(events["wamid.I1"].id)))["size"] == len(PHOTO)
    assert meta.replies_to(photographer)

    # the order: our catalog's title and price, never the price in the order; a person confirms it
    order_reply = text_of(meta.replies_to(buyer)[0])
    assert "2 × Ethiopia Yirgacheffe Filter Roast 250 g: 12.90 EUR" in order_reply
    assert "0.01" not in order_reply and "NOT-OURS" in order_reply
    assert meta.conversation("whatsapp", m.PHONE_ID, buyer).status == "waiting"

    # statuses of what was sent are recorded per message
    sent_id = next(s.platform_message_id for s in store.list_sends(state="sent") if s.kind == "text")
    statuses = [m.wa_status(sent_id, "sent"), m.wa_status(sent_id, "delivered"), m.wa_status(sent_id, "read")]
    assert meta.deliver(m.wa_delivery([m.wa_value(statuses=statuses)])).json()["new"] == 3
    meta.settle()
    assert next(s for s in store.list_sends() if s.platform_message_id == sent_id).delivery == "read"
    failed = m.wa_status(sent_id, "failed", [{"code": 131047, "title": "Re-engagement message"}])
    meta.deliver(m.wa_delivery([m.wa_value(statuses=[failed])]))
    meta.settle()
    send = next(s for s in store.list_sends() if s.platform_message_id == sent_id)
    assert send.delivery == "failed" and send.error == "Re-engagement message"


@pytest.mark.slow
def test_each_message_is_answered_once_across_retries_and_a_restart(meta: Meta, upstream: ServerThread) -> None:
    customers = [f"49151000000{n:02d}" for n in range(12)]
    deliveries = [m.wa_delivery([m.wa_value([m.wa_text(f"wamid.R{n}", "When are you open on Saturday?",
                                                       customer=c)], customer=c)])
                  for n, c in enumerate(customers)]
    meta.deliver_at_once(deliveries * 3)  # Meta's retries, at once
    meta.settle()
    assert sorted((c.body or {})["to"] for c in meta.graph.sent("text")) == sorted(customers)

    # the same deliveries after a restart of the server on the same data: nothing new is sent
    meta.served.server.__exit__(None, None, None)
    meta.app.channels.stop()
    fresh = Frontdesk(served_settings(meta.app.settings.home, upstream, **meta_settings(meta.graph_url)))
    try:
        with ServerThread(create_app(fresh.settings, fresh, warm_up=False)) as again:
            for d in deliveries:
                body = m.encode(d)
                r = httpx.post(again.url + "/webhooks/meta", content=body,
                               headers={"X-Hub-Signature-256": m.sign(body), "Content-Type": "application/json"})
                assert r.json() == {"received": 1, "new": 0}
            time.sleep(0.5)
    finally:
        fresh.close()
    assert len(meta.graph.sent("text")) == len(customers)


@pytest.mark.slow
def test_graph_errors_are_retried_without_sending_twice(meta: Meta) -> None:
    meta.graph.fail(2, 500)
    meta.graph.fail(1, 429, retry_after=0.05)
    meta.deliver(m.wa_delivery([m.wa_value([m.wa_text("wamid.E1", "Do you ship to Austria?")])]))
    meta.settle()
    assert [c.status for c in meta.graph.calls[:4]] == [500, 500, 429, 200]
    assert len(meta.replies_to(m.CUSTOMER)) >= 1
    texts = [text_of(b) for b in meta.replies_to(m.CUSTOMER)]
    assert len(texts) == len(set(texts))  # no reply went out twice

    # every attempt of the reply fails (the read receipt's five, then the reply's five): the message is
    # tried again later, and the queued reply goes out then, without asking the agent a second time
    meta.graph.fail(10, 503)
    meta.deliver(m.wa_delivery([m.wa_value([m.wa_text("wamid.E3", "When are you open on Saturday?")])]))
    meta.settle()
    event = next(e for e in meta.app.store.list_events() if e.event_key == "wamid.E3")
    assert event.state == "done" and event.attempts == 2
    replies = [text_of(b) for b in meta.replies_to(m.CUSTOMER)]
    assert "9:00" in replies[-1] and replies.count(replies[-1]) == 1
    transcript = meta.app.store.messages(event.conversation_id)
    assert [t.text for t in transcript].count("When are you open on Saturday?") == 1

    # a final error (400) is recorded against the message, without the token
    meta.graph.fail(10, 400)
    meta.deliver(m.wa_delivery([m.wa_value([m.wa_text("wamid.E2", "And to Switzerland?")])]))
    meta.settle()
    event = next(e for e in meta.app.store.list_events() if e.event_key == "wamid.E2")
    assert event.state == "failed" and "HTTP 400" in str(event.error) and m.TOKEN not in str(event.error)


@pytest.mark.slow
def test_handoff_button_takeover_silence_and_a_persons_reply(meta: Meta) -> None:
    api = meta.served.http
    meta.deliver(m.wa_delivery([m.wa_value([m.wa_text("wamid.H1", "Who won yesterday's football match?")])]))
    meta.settle()
    decline = meta.replies_to(m.CUSTOMER)[-1]
    assert decline["type"] == "interactive" and decline["interactive"]["type"] == "button"
    button = decline["interactive"]["action"]["buttons"][0]["reply"]
    assert button["id"] == "frontdesk:human" and len(button["title"]) <= 20
    meta.deliver(m.wa_delivery([m.wa_value([m.wa_button_reply("wamid.H2", button["id"], button["title"])])]))
    meta.settle()
    conversation = meta.conversation("whatsapp", m.PHONE_ID, m.CUSTOMER)
    assert conversation.status == "waiting" and "Someone from our team" in text_of(meta.replies_to(m.CUSTOMER)[-1])

    base = f"/api/agents/{AGENT}/conversations/{conversation.id}"
    assert api.post(base + "/takeover", json={"person": "ana"}).status_code == 200
    before = len(meta.replies_to(m.CUSTOMER))
    meta.deliver(m.wa_delivery([m.wa_value([m.wa_text("wamid.H3", "Hello? Anyone there?")])]))
    meta.settle()
    assert len(meta.replies_to(m.CUSTOMER)) == before  # the agent stays silent while ana owns it
    assert next(e for e in meta.app.store.list_events() if e.event_key == "wamid.H3").state == "held"
    assert api.post(base + "/reply", json={"person": "ana", "text": "Ana here: how can I help?"}).status_code == 201
    meta.settle()
    assert text_of(meta.replies_to(m.CUSTOMER)[-1]) == "Ana here: how can I help?"
    api.post(base + "/release")
    meta.deliver(m.wa_delivery([m.wa_value([m.wa_text("wamid.H4", "When are you open on Saturday?")])]))
    meta.settle()
    assert "9:00" in text_of(meta.replies_to(m.CUSTOMER)[-1])


def test_outside_the_24_hour_window_only_templates_go_out(meta: Meta) -> None:
    old = time.time() - 25 * 3600
    meta.deliver(m.wa_delivery([m.wa_value([m.wa_text("wamid.W1", "Are you open today?", timestamp=old)])]))
    meta.settle()
    event = next(e for e in meta.app.store.list_events() if e.event_key == "wamid.W1")
    assert event.state == "failed" and "24-hour" in str(event.error) and meta.replies_to(m.CUSTOMER) == []
    conversation = meta.conversation("whatsapp", m.PHONE_ID, m.CUSTOMER)
    base = f"/api/agents/{AGENT}/conversations/{conversation.id}"
    meta.served.http.post(base + "/takeover", json={"person": "ana"})
    refused = meta.served.http.post(base + "/reply", json={"person": "ana", "text": "Sorry for the wait!"})
    assert refused.status_code == 400 and "template" in refused.json()["error"]["message"]
    assert all(m["text"] != "Sorry for the wait!" for m in
               meta.served.http.get(base).json()["transcript"])  # not stored as if it had gone out
    sent = meta.app.channels.send_template(f"whatsapp:{m.PHONE_ID}", m.CUSTOMER, "order_update", "en_US", ["A-1001"])
    assert sent.state == "sent" and sent.platform_message_id
    template = meta.graph.sent("template")[-1].body["template"]
    assert template == {"name": "order_update", "language": {"code": "en_US"},
                        "components": [{"type": "body", "parameters": [{"type": "text", "text": "A-1001"}]}]}


# -- Messenger and Instagram --------------------------------------------------------------------

@pytest.mark.slow
def test_messenger_and_instagram_messages_handover_and_standby(meta: Meta) -> None:
    psid, igsid = "6254089081311000", "1489652281106000"
    meta.deliver(m.messaging_delivery("messenger", m.PAGE_ID, [
        m.ms_text("m_1", "When are you open on Saturday?", psid),
        m.ms_item(psid, m.PAGE_ID, message={"mid": "m_2", "attachments": [
            {"type": "image", "payload": {"url": meta.graph_url + "/media-files/media-photo-1"}}]}),
        m.ms_item(m.PAGE_ID, psid, message={"mid": "m_echo", "is_echo": True, "app_id": 1, "text": "hi"}),
        m.ms_item(psid, m.PAGE_ID, delivery={"mids": ["m_x"], "watermark": 1458668856253}),
        m.ms_item(psid, m.PAGE_ID, reaction={"mid": "m_1", "action": "react", "emoji": "👍"})]))
    meta.deliver(m.messaging_delivery("instagram", m.IG_ID, [m.ms_text("ig_1", "Do you ship to Austria?", igsid,
                                                                        account=m.IG_ID)]))
    meta.settle()
    page_replies = meta.replies_to(psid)
    assert "9:00" in text_of(page_replies[0]) and page_replies[0]["messaging_type"] == "RESPONSE"
    assert {c.path for c in meta.graph.sent() if (c.body or {}).get("recipient", {}).get("id") == psid} == \
        {f"/v24.0/{m.PAGE_ID}/messages"}
    actions = [c.body["sender_action"] for c in meta.graph.sent() if "sender_action" in (c.body or {})]
    assert "mark_seen" in actions and "typing_on" in actions
    assert any("picture" in text_of(b) for b in page_replies)  # the attachment is stored and acknowledged
    assert meta.replies_to(igsid) and meta.graph.sent()[-1].path.startswith("/v24.0/")
    states = {e.event_key: e.state for e in meta.app.store.list_events(limit=50)}
    assert states["echo:m_echo"] == "skipped" and states["m_2"] == "done"
    assert any(k.startswith("unknown:") and v == "skipped" for k, v in states.items())  # the reaction

    # the Page inbox takes the thread: the agent stays silent; standby messages are kept, not answered
    meta.deliver(m.messaging_delivery("messenger", m.PAGE_ID, [m.ms_item(psid, m.PAGE_ID, take_thread_control={
        "previous_owner_app_id": "1517776481860111", "new_owner_app_id": m.INBOX_APP, "metadata": ""})],
        standby=[m.ms_text("m_3", "Are you still there?", psid)]))
    meta.settle()
    conversation = meta.conversation("messenger", m.PAGE_ID, psid)
    assert conversation.status == "human" and len(meta.replies_to(psid)) == len(page_replies)
    transcript = meta.served.http.get(f"/api/agents/{AGENT}/conversations/{conversation.id}").json()["transcript"]
    assert any(t["text"] == "Are you still there?" for t in transcript)
    meta.deliver(m.messaging_delivery("messenger", m.PAGE_ID, [m.ms_item(psid, m.PAGE_ID, pass_thread_control={
        "new_owner_app_id": "1517776481860111", "metadata": "back to the bot"})]))
    meta.settle()
    assert meta.conversation("messenger", m.PAGE_ID, psid).status == "bot"

    # a console takeover passes the thread to the Page inbox; handing back takes it again
    base = f"/api/agents/{AGENT}/conversations/{conversation.id}"
    meta.served.http.post(base + "/takeover", json={"person": "ana"})
    meta.served.http.post(base + "/release")
    meta.settle()
    handover = [(c.path.rsplit("/", 1)[1], c.body) for c in meta.graph.calls if "thread_control" in c.path]
    assert handover[0] == ("pass_thread_control", {"recipient": {"id": psid}, "target_app_id": m.INBOX_APP,
                                                   "metadata": "frontdesk console: human"})
    assert handover[1][0] == "take_thread_control"


# -- bad input, secrets, limits, commands ---------------------------------------------------------

def test_bad_deliveries_get_clear_answers_and_never_crash(meta: Meta) -> None:
    huge = m.encode({"object": "page", "entry": [], "pad": "x" * (1100 * 1024)})
    assert meta.deliver(None, raw=huge).status_code == 413
    broken = meta.deliver(None, raw=b'{"object": "page", "entry": [')
    assert broken.status_code == 400 and "not valid JSON" in broken.json()["error"]["message"]
    odd = [["a list"], {"object": "something_else", "entry": []}, {"object": "page"},
           {"object": "whatsapp_business_account", "entry": [{"id": "1", "changes": [{"field": "account_update",
                                                                                       "value": {}}]}]},
           {"object": "whatsapp_business_account", "entry": [{"id": "1", "changes": [{"field": "messages",
                                                                                       "value": {"metadata": {}}}]}]},
           m.wa_delivery([m.wa_value([m.wa_text("wamid.NOCHANNEL", "hi")], phone_id="999")]),
           m.wa_delivery([m.wa_value([m.wa_message("wamid.EMPTYINT", "interactive", {"type": "nfm_reply"})])])]
    for payload in odd:
        assert meta.deliver(payload).status_code == 200
    meta.settle()
    events = meta.app.store.list_events(limit=50)
    assert len(events) == len(odd) and {e.state for e in events} == {"skipped"}
    assert any("no agent is connected to whatsapp account 999" in str(e.error) for e in events)
    assert meta.graph.sent() == []
    assert meta.served.http.get("/healthz").json()["status"] == "ok"


@pytest.mark.slow
def test_secrets_never_reach_logs_exports_or_errors(meta: Meta, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    meta.graph.fail(10, 401)
    meta.deliver(m.wa_delivery([m.wa_value([m.wa_text("wamid.S1", "Do you sell gift cards?")])]))
    meta.deliver({"object": "page"}, secret="wrong")
    meta.settle()
    for method in ("GET", "DELETE"):  # another agent's channel does not exist for it
        path = "/api/agents/other/channels/1" + ("/events" if method == "GET" else "")
        assert meta.served.http.request(method, path).status_code == 404
    assert meta.app.store.get_channel(1).account_id == m.PHONE_ID
    exported = meta.served.http.get(f"/api/agents/{AGENT}/channels").text
    events = meta.served.http.get(f"/api/agents/{AGENT}/channels/1/events").text
    result = CliRunner().invoke(cli, ["--home", str(meta.app.settings.home), "channels", "list", "--json"])
    shown = " ".join([caplog.text, exported, events, result.output, repr(meta.app.settings),
                      repr(meta.app.channels.secrets)])
    assert "HTTP 401" in events and json.loads(exported)[0]["account_id"] == m.PHONE_ID
    for secret in (m.SECRET, m.VERIFY, m.TOKEN):
        assert secret not in shown
    assert all(c.token == m.TOKEN for c in meta.graph.calls)  # it was used, only in the header


@pytest.mark.slow
def test_secrets_file_and_per_account_tokens(built_home: Path, tmp_path: Path, upstream: ServerThread) -> None:
    secrets = tmp_path / "secrets.toml"
    secrets.write_text(f'[meta]\napp_secret = "{m.SECRET}"\nverify_token = "{m.VERIFY}"\n'
                       f'[meta.access_tokens]\n"{m.PAGE_ID}" = "{m.PAGE_TOKEN}"\n')
    secrets.chmod(0o600)
    with fake_graph() as (graph, url), serve_sample(built_home, tmp_path / "home", upstream, secrets_file=str(secrets),
                                                     graph_base_url=url + "/v24.0", graph_backoff=0.02) as served:
        served.app.channels.connect(AGENT, "messenger", m.PAGE_ID)
        meta = Meta(served, graph, url)
        assert meta.deliver(m.messaging_delivery("messenger", m.PAGE_ID, [
            m.ms_text("m_f1", "When are you open on Saturday?", "777")])).status_code == 200
        meta.settle()
        assert {c.token for c in graph.calls} == {m.PAGE_TOKEN}
    bad = tmp_path / "bad.toml"
    bad.write_text("[meta\n")
    from frontdesk.channels.secrets import MetaSecrets
    from frontdesk.config import Settings
    from frontdesk.errors import InvalidInput

    with pytest.raises(InvalidInput, match="bad.toml is not valid TOML"):
        MetaSecrets.load(Settings.from_env({}, home=tmp_path, secrets_file=str(bad)))


def test_send_bodies_stay_within_metas_limits() -> None:
    buttons = out.wa_buttons("1", "b" * 2000, [(f"id{n}", f"A very long button title {n}") for n in range(5)])
    action = buttons["interactive"]["action"]["buttons"]
    assert len(action) == 3 and all(len(b["reply"]["title"]) <= 20 for b in action)
    assert len(buttons["interactive"]["body"]["text"]) <= 1024
    rows = out.wa_list("1", "Pick one", "See all the products please", "A section title that is long",
                       [(f"r{n}", f"Product with a long name {n}", "d" * 100) for n in range(15)])
    section = rows["interactive"]["action"]["sections"][0]
    assert len(section["rows"]) == 10 and len(section["title"]) <= 24
    assert all(len(r["title"]) <= 24 and len(r["description"]) <= 72 for r in section["rows"])
    assert len(rows["interactive"]["action"]["button"]) <= 20
    products = out.wa_product_list("1", "c", "h" * 100, "body", "s", [f"p{n}" for n in range(40)])
    assert len(products["interactive"]["action"]["sections"][0]["product_items"]) == 30
    assert len(products["interactive"]["header"]["text"]) <= 60
    quick = out.ms_text("1", "hi", [(f"p{n}", f"Quick reply number {n}") for n in range(20)])
    assert len(quick["message"]["quick_replies"]) == 13
    assert all(len(q["title"]) <= 20 for q in quick["message"]["quick_replies"])
    cards = out.ms_cards("1", [{"title": "t" * 100, "subtitle": "s", "url": "https://x.example"}] * 12, "View")
    assert len(cards["message"]["attachment"]["payload"]["elements"]) == 10
    pieces = out.split_text(("word " * 2000).strip(), 4096)
    assert len(pieces) == 3 and all(len(p) <= 4096 for p in pieces) and " ".join(pieces) == ("word " * 2000).strip()


def test_channels_commands(app: Frontdesk, tmp_path: Path) -> None:
    app.create_agent("shop")
    app.close()
    home = str(app.settings.home)
    run = CliRunner().invoke
    added = run(cli, ["--home", home, "channels", "add", "shop", "whatsapp", m.PHONE_ID, "--catalog-id", m.CATALOG])
    assert added.exit_code == 0 and "channel 1" in added.output
    assert "FRONTDESK_META_APP_SECRET" in added.output  # it says what is still to set
    again = run(cli, ["--home", home, "channels", "add", "shop", "whatsapp", m.PHONE_ID])
    assert again.exit_code == 2 and f"whatsapp account {m.PHONE_ID} cannot be connected: it is already taken" in again.output
    phone = run(cli, ["--home", home, "channels", "add", "shop", "whatsapp", "+49 151 1234"])
    assert phone.exit_code == 2 and "not the phone number" in phone.output
    wrong = run(cli, ["--home", home, "channels", "add", "shop", "messenger", m.PAGE_ID, "--catalog-id", "1"])
    assert wrong.exit_code == 2 and "WhatsApp only" in wrong.output
    listed = json.loads(run(cli, ["--home", home, "channels", "list", "--json"]).output)
    assert [(c["platform"], c["account_id"], c["catalog_id"]) for c in listed] == [("whatsapp", m.PHONE_ID, m.CATALOG)]
    assert run(cli, ["--home", home, "channels", "remove", f"whatsapp:{m.PHONE_ID}"]).exit_code == 0
    assert json.loads(run(cli, ["--home", home, "channels", "list", "--json"]).output) == []
    missing = run(cli, ["--home", home, "channels", "remove", "whatsapp:1"])
    assert missing.exit_code == 2 and "no channel 'whatsapp:1'" in missing.output


def test_console_connects_and_disconnects_channels_and_a_person_replies_on_whatsapp(meta: Meta) -> None:
    meta.app.create_user("ana", "correct horse battery")
    with httpx.Client(base_url=meta.served.url) as browser:
        browser.post("/console/login", data={"name": "ana", "password": "correct horse battery"})
        page = browser.get(f"/console/agents/{AGENT}").text
        csrf = re.search(r'name="csrf" value="([^"]+)"', page).group(1)
        assert f"{meta.served.url}/webhooks/meta" in page and m.PHONE_ID in page and "shop number" in page
        assert m.SECRET not in page and m.TOKEN not in page
        added = browser.post(f"/console/agents/{AGENT}/channels", data={
            "csrf": csrf, "platform": "whatsapp", "account_id": "200300400500600"}, follow_redirects=True)
        assert "Connected whatsapp account 200300400500600" in added.text
        refused = browser.post(f"/console/agents/{AGENT}/channels", data={
            "csrf": csrf, "platform": "whatsapp", "account_id": "+49 40 123"}, follow_redirects=True)
        assert "not the phone number" in html.unescape(refused.text)
        forged = browser.post(f"/console/agents/{AGENT}/channels", data={
            "csrf": "forged", "platform": "whatsapp", "account_id": "1"})
        assert forged.status_code == 403
        channel = meta.app.channels.channel("whatsapp:200300400500600")
        removed = browser.post(f"/console/agents/{AGENT}/channels/{channel.id}/remove", data={"csrf": csrf},
                               follow_redirects=True)
        assert "Disconnected whatsapp account 200300400500600" in removed.text

        # the handoff queue holds the WhatsApp customer who asked for a person; ana answers from the console
        meta.deliver(m.wa_delivery([m.wa_value([m.wa_button_reply("wamid.C1", "frontdesk:human", "Talk to a person")])]))
        meta.settle()
        conversation = meta.conversation("whatsapp", m.PHONE_ID, m.CUSTOMER)
        assert f"/console/conversations/{conversation.id}" in browser.get("/console/queue").text
        browser.post(f"/console/conversations/{conversation.id}/takeover", data={"csrf": csrf})
        browser.post(f"/console/conversations/{conversation.id}/reply", data={"csrf": csrf, "text": "Hi, Ana here."})
        meta.settle()
        assert text_of(meta.replies_to(m.CUSTOMER)[-1]) == "Hi, Ana here."


def test_an_unconfigured_server_refuses_deliveries_with_503(built_home: Path, tmp_path: Path,
                                                           upstream: ServerThread) -> None:
    with serve_sample(built_home, tmp_path / "home", upstream) as served:
        body = m.encode(m.wa_delivery([m.wa_value([m.wa_text("wamid.X", "hi")])]))
        refused = httpx.post(served.url + "/webhooks/meta", content=body, headers={"X-Hub-Signature-256": m.sign(body)})
        assert refused.status_code == 503 and "FRONTDESK_META_APP_SECRET" in refused.json()["error"]["message"]
        handshake = httpx.get(served.url + "/webhooks/meta", params={"hub.mode": "subscribe", "hub.verify_token": "",
                                                                     "hub.challenge": "5"})
        assert handshake.status_code == 403
        assert served.app.store.event_counts() == {}


@pytest.mark.slow
def test_list_message_without_a_catalog_and_replies_from_buttons_quick_replies_and_postbacks(meta: Meta) -> None:
    plain = "106540352242999"
    meta.app.channels.connect(AGENT, "whatsapp", plain)
    delivery = m.wa_delivery([m.wa_value([m.wa_text("wamid.P1", "Which filter roasts do you have?")], phone_id=plain)])
    meta.deliver(delivery)
    meta.settle()
    listed = [b for b in meta.replies_to(m.CUSTOMER) if b.get("type") == "interactive"
              and b["interactive"]["type"] == "list"]
    assert listed, meta.replies_to(m.CUSTOMER)
    rows = listed[0]["interactive"]["action"]["sections"][0]["rows"]
    assert 2 <= len(rows) <= 10 and all(r["id"].startswith("frontdesk:product:HC-") for r in rows)
    assert all("EUR" in r["description"] for r in rows)
    chosen = rows[0]
    meta.deliver(m.wa_delivery([m.wa_value([m.wa_list_reply("wamid.P2", chosen["id"], chosen["title"])],
                                           phone_id=plain)]))
    meta.settle()
    product = meta.app.store.products_by_key(meta.app.agent(AGENT).id, [chosen["id"].rsplit(":", 1)[1]])
    title = next(iter(product.values())).title
    transcript = meta.app.store.messages(meta.conversation("whatsapp", plain, m.CUSTOMER).id)
    assert transcript[-2].role == "user" and transcript[-2].text == title  # the row asked about that product

    psid = "6254089081311999"
    meta.deliver(m.messaging_delivery("messenger", m.PAGE_ID, [
        m.ms_text("m_q1", "Talk to a person", psid, quick_reply={"payload": "frontdesk:human"})]))
    meta.settle()
    assert meta.conversation("messenger", m.PAGE_ID, psid).status == "waiting"
    assert any(c.path.endswith("/pass_thread_control") and c.body["recipient"]["id"] == psid for c in meta.graph.calls)
    meta.app.hand_back(meta.conversation("messenger", m.PAGE_ID, psid).id)
    meta.deliver(m.messaging_delivery("messenger", m.PAGE_ID, [m.ms_item(psid, m.PAGE_ID, postback={
        "mid": "m_pb1", "title": "Opening hours", "payload": "HOURS"})]))
    meta.settle()
    assert next(e for e in meta.app.store.list_events() if e.event_key == "m_pb1").state == "done"
    assert "9:00" in text_of(meta.replies_to(psid)[-1])


def test_media_acknowledgements_are_good_german() -> None:
    from frontdesk.answer import phrases

    assert "ich habe Ihre Sprachnachricht erhalten" in phrases.media_received("de", "audio")
    assert "ich habe Ihr Bild erhalten" in phrases.media_received("de", "image")
    assert "ich habe Ihren Sticker erhalten" in phrases.media_received("de", "sticker")
    assert "I received your voice message" in phrases.media_received("en", "audio")


def test_retry_after_in_seconds_or_as_an_http_date() -> None:
    from datetime import UTC, datetime

    from frontdesk.retry import retry_after

    now = datetime(2026, 12, 2, 6, 0, 0, tzinfo=UTC)
    assert retry_after("7", now) == 7.0 and retry_after("0.3", now) == 0.3 and retry_after("-5", now) == 0.0
    assert retry_after("Wed, 02 Dec 2026 06:00:30 GMT", now) == 30.0
    assert retry_after("Wed, 02 Dec 2026 05:59:00 GMT", now) == 0.0  # already past: go now
    assert retry_after("soon", now) is None and retry_after("", now) is None and retry_after(None, now) is None
    assert retry_after("nan", now) is None
