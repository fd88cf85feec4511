"""The store conformance suite: every backend behaves the same through the protocols of
``frontdesk/store/base.py`` (the pattern of haystack's ``testing/document_store.py``).

Each test runs once per backend: SQLite (a file in a temp dir) and PostgreSQL (a fresh schema
of the machine's server, ``tests/pg.py``). No test reads or writes SQL of its own.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from frontdesk.domain import Record, utcnow
from frontdesk.errors import AlreadyExists, InvalidInput, NotFound
from frontdesk.store import PreparedItem, Store, SyncPlan, open_store
from frontdesk.store.sql import migrations

from .pg import fresh_schema

BACKENDS = ["sqlite", "postgresql"]


@pytest.fixture(params=BACKENDS)
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    if request.param == "sqlite":
        opened = open_store(f"sqlite:///{tmp_path / 'conformance.db'}")
        yield opened
        opened.close()
        return
    with fresh_schema("conf") as url:
        opened = open_store(url)
        yield opened
        opened.close()


def prepared(key: str, title: str, text: str, *, kind: str = "document", fields: dict[str, Any] | None = None,
             language: str = "en", version: str = "1") -> PreparedItem:
    record = Record(key=key, kind=kind, title=title, text=text, url=f"https://shop.example/{key}",  # type: ignore[arg-type]
                    language=language, fields=fields or {})
    return PreparedItem(record, hash=f"h-{key}-{version}", embed_hash=f"e-{key}-{version}",
                        title_terms=title.lower(), body_terms=text.lower())


def sync(store: Store, source_id: int, upserts: list[PreparedItem], *, seen: list[str] = (),  # type: ignore[assignment]
         removed: list[str] = ()) -> None:  # type: ignore[assignment]
    store.apply_sync(SyncPlan(source_id, upserts, list(seen), list(removed), utcnow(), "ok",
                              {"added": len(upserts)}, []))


class TestKnowledge:
    def test_agents(self, store: Store) -> None:
        agent = store.create_agent("harbor", persona="barista", instructions="be kind", embedder="bow")
        assert store.get_agent("harbor") == agent == store.get_agent_by_id(agent.id)
        with pytest.raises(AlreadyExists):
            store.create_agent("harbor", persona="", instructions="", embedder="bow")
        with pytest.raises(InvalidInput, match="not valid"):
            store.create_agent("bad name!", persona="", instructions="", embedder="bow")
        changed = store.update_agent("harbor", persona="roaster", allowed_origins=["https://shop.example"], public=True)
        assert (changed.persona, changed.instructions, changed.allowed_origins, changed.public) == (
            "roaster", "be kind", ("https://shop.example",), True)
        assert not agent.public
        with pytest.raises(InvalidInput):
            store.update_agent("harbor", embedder="other")
        store.create_agent("alpine", persona="", instructions="", embedder="bow")
        assert [a.name for a in store.list_agents()] == ["alpine", "harbor"]
        store.delete_agent("alpine")
        with pytest.raises(NotFound):
            store.get_agent("alpine")
        with pytest.raises(NotFound):
            store.get_agent_by_id(10_000)

    def test_a_sync_writes_items_terms_vectors_and_moves_the_revision(self, store: Store) -> None:
        agent = store.create_agent("harbor", persona="", instructions="", embedder="bow")
        source = store.add_source(agent.id, "file", "/data/faq.csv", {"delimiter": ";"}, 3600)
        assert store.get_source(agent.id, str(source.id)) == source == store.get_source(agent.id, "/data/faq.csv")
        with pytest.raises(AlreadyExists):
            store.add_source(agent.id, "file", "/data/faq.csv", {}, None)
        revision = store.agent_revision(agent.id)
        mug = prepared("mug", "Blue Mug", "A blue mug", kind="product",
                       fields={"price": 12.5, "availability": "in stock", "brand": "Harbor",
                               "options": {"color": "Blue", "size": "L"}})
        hours = prepared("hours", "Opening hours", "Open Monday to Friday", language="de")
        sync(store, source.id, [mug, hours])
        assert store.agent_revision(agent.id) == revision + 1
        items = store.items_of_agent(agent.id)
        assert [i.key for i in items] == ["mug", "hours"]
        assert [i.key for i in store.items_of_agent(agent.id, "product")] == ["mug"]
        assert store.item_hashes(source.id) == {"mug": "h-mug-1", "hours": "h-hours-1"}
        assert sorted(store.agent_terms(agent.id)) == sorted(
            [(items[0].id, "blue mug", "a blue mug"), (items[1].id, "opening hours", "open monday to friday")])
        assert store.products_by_key(agent.id, ["mug", "hours", "nope"])["mug"].fields["price"] == 12.5
        assert set(store.products_by_key(agent.id, ["mug", "hours"])) == {"mug"}
        assert sorted(store.option_postings(agent.id)) == sorted(
            [("color", "blue", items[0].id), ("size", "l", items[0].id), ("brand", "harbor", items[0].id)])
        assert set(store.agent_languages(agent.id)) == {"en", "de"}
        assert [i.key for i in store.get_items([items[1].id, items[0].id, 999_999])] == ["hours", "mug"]
        assert store.agent_stats(agent.id) == {"document": 1, "product": 1, "sources": 1}

        vectors = {"e-mug-1": np.arange(4, dtype=np.float32), "e-hours-1": np.ones(4, dtype=np.float32)}
        store.cache_embeddings("bow", vectors)
        store.cache_embeddings("bow", {"e-mug-1": np.full(4, 2, dtype=np.float32)})  # replaced
        cached = store.cached_embeddings("bow", ["e-mug-1", "e-hours-1", "missing"])
        assert set(cached) == {"e-mug-1", "e-hours-1"} and cached["e-mug-1"].tolist() == [2, 2, 2, 2]
        ids, matrix = store.agent_vectors(agent.id, "bow")
        assert ids.tolist() == [items[0].id, items[1].id] and matrix.shape == (2, 4)
        assert store.agent_vectors(agent.id, "other")[1].shape[0] == 0

        # a changed item, an unchanged one, nothing removed: the change replaces terms and frees its old vector
        sync(store, source.id, [prepared("mug", "Red Mug", "A red mug", kind="product", version="2")], seen=["hours"])
        assert store.item_hashes(source.id)["mug"] == "h-mug-2"
        assert (items[0].id, "red mug", "a red mug") in store.agent_terms(agent.id)
        assert store.embedding_count() == 1
        store.record_failed_sync(source.id, utcnow(), ["the file went missing"])
        failed = store.get_source(agent.id, str(source.id))
        assert failed.last_status == "failed" and failed.last_errors == ["the file went missing"]
        assert len(store.items_of_agent(agent.id)) == 2  # a failed sync keeps the items
        sync(store, source.id, [], removed=["hours"])
        assert [i.key for i in store.items_of_agent(agent.id)] == ["mug"]
        assert store.embedding_count() == 0
        assert store.remove_source(source) == 1
        assert store.items_of_agent(agent.id) == [] and store.agent_terms(agent.id) == []
        assert store.list_sources(agent.id) == []

    def test_no_agent_sees_another_agents_knowledge(self, store: Store) -> None:
        one = store.create_agent("one", persona="", instructions="", embedder="bow")
        two = store.create_agent("two", persona="", instructions="", embedder="bow")
        sync(store, store.add_source(one.id, "file", "/a", {}, None).id, [prepared("x", "Secret", "one's secret")])
        sync(store, store.add_source(two.id, "file", "/b", {}, None).id, [prepared("y", "Public", "two's page")])
        assert [t[1] for t in store.agent_terms(two.id)] == ["public"]
        assert [i.key for i in store.items_of_agent(two.id)] == ["y"]
        assert store.products_by_key(two.id, ["x"]) == {}
        store.delete_agent("one")
        assert store.agent_terms(one.id) == [] and [t[1] for t in store.agent_terms(two.id)] == ["public"]

    def test_one_worker_syncs_a_source_at_a_time(self, store: Store) -> None:
        agent = store.create_agent("harbor", persona="", instructions="", embedder="bow")
        source = store.add_source(agent.id, "file", "/a", {}, 60)
        assert store.claim_sync(source.id, "host-a:1")
        assert not store.claim_sync(source.id, "host-b:2")
        assert store.claim_sync(source.id, "host-a:1")  # its own claim, renewed
        store.release_sync(source.id, "host-a:1")
        assert store.claim_sync(source.id, "host-b:2", lease=0.05)
        time.sleep(0.1)
        assert store.claim_sync(source.id, "host-a:1")  # host b's lease ran out


class TestConversations:
    def test_conversations_and_messages(self, store: Store) -> None:
        agent = store.create_agent("harbor", persona="", instructions="", embedder="bow")
        first = store.create_conversation(agent.id, "web", None, "secret-hash")
        second = store.create_conversation(agent.id, "whatsapp", "123:456")
        assert store.get_conversation(first).secret_hash == "secret-hash"
        assert store.find_conversation(agent.id, "whatsapp", "123:456").id == second  # type: ignore[union-attr]
        assert store.find_conversation(agent.id, "whatsapp", "nobody") is None
        store.set_conversation_external_id(first, "digest")
        assert store.find_conversation(agent.id, "web", "digest").id == first  # type: ignore[union-attr]
        ids = [store.add_message(first, "user", "Do you ship to Austria?"),
               store.add_message(first, "assistant", "I cannot say.", {"grounded": False,
                                                                      "question": "Do you ship to Austria?"}),
               store.add_message(second, "user", "Opening hours?"),
               store.add_message(second, "assistant", "9 to 5.", {"grounded": True})]
        assert ids == sorted(ids)
        assert [m.text for m in store.messages(first)] == ["Do you ship to Austria?", "I cannot say."]
        assert [m.text for m in store.messages(first, after_id=ids[0])] == ["I cannot say."]
        assert [m.role for m in store.recent_messages(first, 1)] == ["assistant"]
        assert store.messages(first)[1].payload["grounded"] is False
        assert store.unanswered_questions(agent.id) == [
            {"conversation_id": first, "question": "Do you ship to Austria?",
             "asked_at": store.messages(first)[1].created_at.isoformat(), "channel": "web"}]
        store.set_conversation_status(second, "human", "ana")
        assert (store.get_conversation(second).status, store.get_conversation(second).owner) == ("human", "ana")
        assert store.conversation_counts(agent.id) == {"bot": 1, "waiting": 0, "human": 1}
        found = store.list_conversations(agent.id, query="AUSTRIA")  # case-insensitive
        assert [c.id for c in found] == [first] and found[0].messages == 2
        assert found[0].preview == "Do you ship to Austria?"
        assert store.list_conversations(agent.id, query="100%") == []  # a wildcard is a character
        assert [c.id for c in store.list_conversations(status="human")] == [second]
        assert len(store.list_conversations(agent.id, limit=1, offset=1)) == 1
        with pytest.raises(NotFound):
            store.get_conversation(999_999)


class TestAccounts:
    def test_keys_users_and_sessions(self, store: Store) -> None:
        agent = store.create_agent("harbor", persona="", instructions="", embedder="bow")
        key = store.create_api_key("fd_abc", "hash1", agent.id, "website")
        assert store.find_api_key("fd_abc") == key and store.find_api_key("fd_nope") is None
        store.touch_api_key(key.id)
        assert store.find_api_key("fd_abc").last_used_at is not None  # type: ignore[union-attr]
        store.revoke_api_key("fd_abc")
        assert store.find_api_key("fd_abc").revoked_at is not None  # type: ignore[union-attr]
        with pytest.raises(NotFound):
            store.revoke_api_key("fd_abc")
        assert [k.prefix for k in store.list_api_keys()] == ["fd_abc"]

        ana = store.create_user("ana", "pw-hash")
        with pytest.raises(AlreadyExists):
            store.create_user("ana", "other")
        store.set_user_password("ana", "new-hash")
        assert store.get_user("ana").password_hash == "new-hash"
        with pytest.raises(NotFound):
            store.set_user_password("bob", "x")
        with pytest.raises(NotFound):
            store.get_user("bob")
        assert [u.name for u in store.list_users()] == ["ana"]
        store.create_session("s1", ana.id, "csrf1", utcnow() + timedelta(hours=1))
        store.create_session("s-old", ana.id, "csrf2", utcnow() - timedelta(seconds=1))
        user, csrf = store.get_session("s1")  # type: ignore[misc]
        assert (user.name, csrf) == ("ana", "csrf1")
        assert store.get_session("s-old") is None
        store.delete_session("s1")
        assert store.get_session("s1") is None


def event(channel_id: int, key: str, thread: str, text: str = "hi") -> dict[str, Any]:
    return {"channel_id": channel_id, "platform": "whatsapp", "event_key": key, "kind": "text",
            "sender": thread, "thread": thread, "payload": {"text": text}, "state": "pending"}


class TestChannelQueue:
    def test_channels(self, store: Store) -> None:
        agent = store.create_agent("harbor", persona="", instructions="", embedder="bow")
        channel = store.create_channel(agent.id, "whatsapp", "1065", catalog_id="cat", label="shop")
        assert store.get_channel(channel.id) == channel == store.find_channel("whatsapp", "1065")
        with pytest.raises(AlreadyExists):
            store.create_channel(agent.id, "whatsapp", "1065")
        assert store.list_channels(agent.id) == [channel] == store.list_channels()
        store.remove_channel(channel.id)
        with pytest.raises(NotFound):
            store.remove_channel(channel.id)

    def test_events_once_in_order_per_customer_and_leases(self, store: Store) -> None:
        agent = store.create_agent("harbor", persona="", instructions="", embedder="bow")
        channel = store.create_channel(agent.id, "whatsapp", "1065")
        batch = [event(channel.id, "m1", "ana"), event(channel.id, "m2", "ana"), event(channel.id, "m3", "bo")]
        assert store.record_events(batch) == 3
        assert store.record_events(batch) == 0  # Meta's retries
        first = store.claim_event("w1")
        second = store.claim_event("w2")
        assert (first.event_key, second.event_key) == ("m1", "m3")  # type: ignore[union-attr]
        assert store.claim_event("w3") is None  # ana's m2 waits for m1
        assert store.event_counts(channel.id) == {"pending": 1, "working": 2}
        conversation = store.create_conversation(agent.id, "whatsapp", "1065:ana")
        store.set_event_conversation(first.id, conversation)  # type: ignore[union-attr]
        store.finish_event(first.id, "done")  # type: ignore[union-attr]
        assert store.get_event(first.id).conversation_id == conversation  # type: ignore[union-attr]
        assert store.last_customer_message_at(conversation) is not None
        third = store.claim_event("w1", lease=0.05)
        assert third.event_key == "m2" and third.attempts == 1  # type: ignore[union-attr]
        time.sleep(0.1)  # w1 died: its lease runs out, and the event is claimable again
        again = store.claim_event("w3")
        assert again.event_key == "m2" and again.attempts == 2  # type: ignore[union-attr]
        assert store.renew_leases("w3") == 1 and store.renew_leases("w1") == 0
        assert store.resume_channel_work() == (0, 0)  # live leases are left to their workers
        store.retry_event(again.id, "Graph API 500", utcnow() + timedelta(hours=1))  # type: ignore[union-attr]
        assert store.claim_event("w1") is None  # not before its time
        assert [e.event_key for e in store.list_events(channel_id=channel.id, state="working")] == ["m3"]
        assert [e.event_key for e in store.list_events(kind="text", limit=2)] == ["m3", "m2"]
        store.finish_event(second.id, "failed", error="bad")  # type: ignore[union-attr]
        assert store.get_event(second.id).error == "bad"  # type: ignore[union-attr]
        with pytest.raises(NotFound):
            store.get_event(999_999)

    def test_a_dead_workers_claims_go_back_on_resume(self, store: Store) -> None:
        agent = store.create_agent("harbor", persona="", instructions="", embedder="bow")
        channel = store.create_channel(agent.id, "whatsapp", "1065")
        store.record_events([event(channel.id, "m1", "ana")])
        store.enqueue_sends([{"channel_id": channel.id, "key": "k1", "kind": "text", "path": "/x", "body": {}}])
        assert store.claim_event("dead", lease=0.01) and store.claim_send(worker="dead", lease=0.01)
        time.sleep(0.05)
        assert store.resume_channel_work() == (1, 1)
        assert store.event_counts(channel.id) == {"pending": 1}

    def test_outbox(self, store: Store) -> None:
        agent = store.create_agent("harbor", persona="", instructions="", embedder="bow")
        channel = store.create_channel(agent.id, "whatsapp", "1065")
        conversation = store.create_conversation(agent.id, "whatsapp", "1065:ana")

        def send(key: str) -> dict[str, Any]:
            return {"channel_id": channel.id, "conversation_id": conversation, "key": key, "kind": "text",
                    "path": "/1065/messages", "body": {"text": key}}

        ids = store.enqueue_sends([send("reply:7:0"), send("reply:7:1"), send("reply:70:0")])
        assert store.enqueue_sends([send("reply:7:0")]) == ids[:1]  # a key queued before is kept
        assert [s.key for s in store.sends_keyed("reply:7:")] == ["reply:7:0", "reply:7:1"]
        first = store.claim_send(worker="w1")
        assert first.key == "reply:7:0" and store.claim_send(worker="w2") is None  # type: ignore[union-attr]
        store.finish_send(first.id, "sent", platform_message_id="wamid.1")  # type: ignore[union-attr]
        second = store.claim_send(worker="w1")
        store.finish_send(second.id, "failed", error="400")  # type: ignore[union-attr]
        assert store.claim_send(second.id, worker="w1") is None  # type: ignore[union-attr]
        assert store.claim_send(second.id, retry_failed=True, worker="w1").attempts == 2  # type: ignore[union-attr]
        assert store.record_delivery("wamid.1", "read")
        assert not store.record_delivery("wamid.unknown", "read")
        store.record_delivery("wamid.1", "delivered")  # late and lower: the later status stays
        sent = store.list_sends(conversation_id=conversation, state="sent")
        assert [(s.key, s.delivery) for s in sent] == [("reply:7:0", "read")]
        assert len(store.list_sends(channel_id=channel.id)) == 3

    def test_a_characters_sends_go_out_in_order_too(self, store: Store) -> None:
        """A character's channel names character conversations: their sends keep their order as well,
        and wait while an event of that conversation is in work."""
        character = store.create_character("mira", {"spec": "chara_card_v3", "data": {"name": "Mira"}})
        channel = store.create_channel(None, "messenger", "2077", character_id=character.id)
        ana = store.create_character_conversation(character.id, "messenger", "2077:ana")
        ben = store.create_character_conversation(character.id, "messenger", "2077:ben")

        def send(key: str, conversation: int) -> dict[str, Any]:
            return {"channel_id": channel.id, "character_conversation_id": conversation, "key": key, "kind": "text",
                    "path": "2077/messages", "body": {"text": key}}

        store.enqueue_sends([send("reply:1:0", ana), send("reply:1:1", ana), send("reply:2:0", ben)])
        first = store.claim_send(worker="w1")
        second = store.claim_send(worker="w2")
        assert (first.key, second.key) == ("reply:1:0", "reply:2:0")  # type: ignore[union-attr]
        assert store.claim_send(worker="w3") is None  # ana's second waits for her first
        store.finish_send(first.id, "sent")  # type: ignore[union-attr]
        store.record_events([{**event(channel.id, "m9", "ana"), "platform": "messenger"}])
        working = store.claim_event("w1")
        store.set_event_character_conversation(working.id, ana)  # type: ignore[union-attr]
        assert store.claim_send(worker="w3") is None  # an event of ana's is in work
        store.finish_event(working.id, "done")  # type: ignore[union-attr]
        assert store.claim_send(worker="w3").key == "reply:1:1"  # type: ignore[union-attr]

    def test_media(self, store: Store) -> None:
        agent = store.create_agent("harbor", persona="", instructions="", embedder="bow")
        channel = store.create_channel(agent.id, "whatsapp", "1065")
        store.record_events([event(channel.id, "m1", "ana")])
        event_id = store.list_events()[0].id
        store.add_media(event_id, "media-1", "image/jpeg", "abc", 10, "/media/abc.jpg")
        assert [(m["media_id"], m["size"]) for m in store.media_of(event_id)] == [("media-1", 10)]

    def test_concurrent_workers_claim_each_event_once_and_in_order(self, store: Store) -> None:
        agent = store.create_agent("harbor", persona="", instructions="", embedder="bow")
        channel = store.create_channel(agent.id, "whatsapp", "1065")
        store.record_events([event(channel.id, f"m{n:03d}", f"customer{n % 7}") for n in range(120)])
        handled: list[tuple[str, str]] = []
        lock = threading.Lock()
        errors: list[BaseException] = []

        def work(name: str) -> None:
            try:
                idle = 0
                while idle < 20:
                    claimed = store.claim_event(name)
                    if claimed is None:
                        idle += 1
                        time.sleep(0.01)
                        continue
                    idle = 0
                    with lock:
                        handled.append((claimed.thread, claimed.event_key))
                    store.finish_event(claimed.id, "done")
            except BaseException as exc:  # noqa: BLE001 - reported below
                errors.append(exc)

        workers = [threading.Thread(target=work, args=(f"w{n}",)) for n in range(6)]
        for w in workers:
            w.start()
        for w in workers:
            w.join()
        assert not errors
        assert sorted(k for _, k in handled) == [f"m{n:03d}" for n in range(120)]  # each once
        for customer in {t for t, _ in handled}:
            keys = [k for t, k in handled if t == customer]
            assert keys == sorted(keys)  # in order per customer


class TestPrivacy:
    def test_a_contacts_data_is_found_and_erased(self, store: Store) -> None:
        agent = store.create_agent("harbor", persona="", instructions="", embedder="bow")
        channel = store.create_channel(agent.id, "whatsapp", "1065")
        mine = store.create_conversation(agent.id, "whatsapp", "1065:4917000")
        other = store.create_conversation(agent.id, "whatsapp", "1065:4918000")
        web = store.create_conversation(agent.id, "web")
        store.add_message(mine, "user", "call me on +49 170 000")
        store.record_events([event(channel.id, "m1", "4917000")])
        assert store.contact_conversation_ids("4917000") == [mine]
        assert store.contact_conversation_ids(f"web:{web}", agent.id) == [web]
        assert [e["sender"] for e in store.contact_events("4917000", [mine])] == ["4917000"]
        erased = store.erase_conversations([mine], sender="4917000")
        assert (erased["conversations"], erased["messages"], erased["events"]) == (1, 1, 1)
        assert store.contact_conversation_ids("4917000") == [] and store.get_conversation(other).id == other
        store.set_retention_days(agent.id, 30)
        assert store.retention_days() == {agent.id: 30}
        assert store.expired_conversation_ids(agent.id, utcnow() + timedelta(days=1)) == [other, web]
        store.set_conversation_activity(other, utcnow() - timedelta(days=31))
        assert store.expired_conversation_ids(agent.id, utcnow() - timedelta(days=30)) == [other]
        with pytest.raises(NotFound):
            store.set_conversation_activity(999_999, utcnow())
        store.create_user("ana", "hash")
        store.set_user_display_name("ana", "Ana from the shop")
        assert store.user_display_name("ana") == "Ana from the shop"

    def test_a_contacts_conversations_with_agents_and_characters_are_erased(self, store: Store,
                                                                             tmp_path: Path) -> None:
        """One contact talked to an agent on WhatsApp and to a grounded character on Messenger (whose
        factual turn ran in a conversation of the agent); erasure takes all of it, and only that."""
        from frontdesk.safety.privacy import erase_contact, export_contact

        agent = store.create_agent("harbor", persona="", instructions="", embedder="bow")
        character = store.create_character("mira", {"spec": "chara_card_v3", "data": {"name": "Mira"}},
                                           knowledge_agent_id=agent.id)
        whatsapp = store.create_channel(agent.id, "whatsapp", "1065")
        page = store.create_channel(None, "messenger", "2077", character_id=character.id)
        with pytest.raises(ValueError, match="exactly one"):
            store.create_channel(agent.id, "messenger", "2078", character_id=character.id)
        assert store.list_channels(character_id=character.id) == [page] and page.agent_id is None
        assert store.list_channels(agent.id) == [whatsapp]
        mine = store.create_conversation(agent.id, "whatsapp", "1065:4917000")
        store.add_message(mine, "user", "my order?")
        talk = store.create_character_conversation(character.id, "messenger", "2077:4917000")
        turns = store.create_conversation(agent.id, "character:mira")
        store.set_character_conversation(talk, agent_conversation_id=turns)
        store.add_message(turns, "user", "what does the tour cost?")
        store.add_character_message(talk, "user", "hello Mira, I live at Elbchaussee 1")
        store.add_character_message(talk, "assistant", "Ahoy!")
        store.record_events([event(whatsapp.id, "m1", "4917000"),
                             {**event(page.id, "p1", "4917000"), "platform": "messenger"}])
        character_event = next(e for e in store.list_events(channel_id=page.id))
        store.set_event_character_conversation(character_event.id, talk)
        store.enqueue_sends([{"channel_id": page.id, "character_conversation_id": talk, "key": "reply:p1:0",
                              "kind": "text", "path": "2077/messages", "body": {"text": "Ahoy!"}}])
        other = store.create_character_conversation(character.id, "messenger", "2077:4918000")
        store.add_character_message(other, "user", "someone else")
        visitor = store.create_character_conversation(character.id, "web")

        assert store.contact_character_conversation_ids("4917000") == [talk]
        assert store.contact_character_conversation_ids("4917000", agent.id) == [talk]
        assert store.contact_character_conversation_ids(f"character:{visitor}") == [visitor]
        exported = export_contact(store, "4917000")
        assert [c["id"] for c in exported["conversations"]] == [mine, turns]
        assert [m["text"] for m in exported["character_conversations"][0]["messages"]] == [
            "hello Mira, I live at Elbchaussee 1", "Ahoy!"]
        erased = erase_contact(store, tmp_path, "4917000")
        assert (erased["conversations"], erased["character_conversations"]) == (2, 1)
        assert erased["messages"] == 4 and erased["events"] == 2 and erased["sends"] == 1
        for gone in (mine, turns):
            with pytest.raises(NotFound):
                store.get_conversation(gone)
        with pytest.raises(NotFound):
            store.get_character_conversation(talk)
        assert store.list_events(channel_id=page.id) == [] and store.sends_keyed("reply:p1:") == []
        assert [m.text for m in store.character_messages(other)] == ["someone else"]  # others untouched
        assert store.get_character_conversation(visitor).id == visitor
        with pytest.raises(NotFound):
            erase_contact(store, tmp_path, "4917000")

    def test_character_conversations_expire_by_the_characters_or_its_agents_period(self, store: Store) -> None:
        agent = store.create_agent("harbor", persona="", instructions="", embedder="bow")
        grounded = store.create_character("mira", {"spec": "chara_card_v3", "data": {"name": "Mira"}},
                                          knowledge_agent_id=agent.id)
        free = store.create_character("otto", {"spec": "chara_card_v3", "data": {"name": "Otto"}})
        kept = store.create_character("kim", {"spec": "chara_card_v3", "data": {"name": "Kim"}})
        for character in (grounded, free, kept):
            store.create_character_conversation(character.id, "web")
        assert store.character_retention_days() == {}
        store.set_retention_days(agent.id, 30)
        store.set_character_retention_days(free.id, 7)
        assert store.character_retention_days() == {grounded.id: 30, free.id: 7}
        assert store.get_character("otto").retention_days == 7
        later = utcnow() + timedelta(days=1)
        assert len(store.expired_character_conversation_ids(free.id, later)) == 1
        assert store.expired_character_conversation_ids(free.id, utcnow() - timedelta(days=1)) == []


class TestEvaluation:
    def test_runs_feedback_and_signals(self, store: Store) -> None:
        agent = store.create_agent("harbor", persona="", instructions="", embedder="bow")
        report = {"passed": 3, "cases_total": 4, "accuracy": 0.75, "accuracy_ci": [0.3, 0.95],
                  "unsupported_fact_rate": 0.0, "latency_p50_s": 1.2, "model": "m"}
        run = store.create_eval_run(agent.id, "m", "baseline", "cases.yaml", "abc", report)
        assert store.get_eval_run(run)["report"] == report
        assert [r["id"] for r in store.list_eval_runs(agent.id)] == [run] == [r["id"] for r in store.list_eval_runs()]
        with pytest.raises(NotFound):
            store.get_eval_run(999_999)
        helped = store.create_conversation(agent.id, "web")
        store.add_message(helped, "user", "Opening hours?")
        store.add_message(helped, "assistant", "9 to 5.", {"grounded": True, "handoff": False})
        store.set_feedback(helped, True)
        declined = store.create_conversation(agent.id, "web")
        store.add_message(declined, "user", "Football?")
        store.add_message(declined, "assistant", "I cannot say.", {"grounded": False, "handoff": True})
        open_one = store.create_conversation(agent.id, "web")
        store.add_message(open_one, "user", "Shipping?")
        store.add_message(open_one, "assistant", "3 days.", {"grounded": True, "handoff": False})
        evaluation = store.create_conversation(agent.id, "eval")
        store.add_message(evaluation, "user", "Test?")
        signals = store.agent_signals(agent.id)
        assert signals["conversations"] == 3 and signals["questions"] == 3
        assert signals["unanswered_questions"] == 1
        assert signals["resolution"] == {"confirmed": 1, "assumed": 0, "unresolved": 1, "open": 1}
        time.sleep(1.02 - time.time() % 1)  # times are kept to the second: the next one has begun
        assert store.agent_signals(agent.id, idle_minutes=0)["resolution"]["assumed"] == 1


def test_the_channels_rebuild_keeps_every_channel_and_its_events(tmp_path: Path) -> None:
    """SQLite's 0012 rebuilds ``channels`` (agent_id became optional): a database made before it
    keeps its channels, and their events and sends are not cascaded away by the rebuild."""
    import sqlite3

    path = tmp_path / "old.db"
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA foreign_keys=ON")
    db.execute("CREATE TABLE migrations (name TEXT PRIMARY KEY, applied_at TEXT NOT NULL)")
    for name, text in migrations(""):
        if name >= "0012":
            break
        for statement in text.split(";\n"):
            if statement.strip():
                db.execute(statement)
        db.execute("INSERT INTO migrations VALUES (?, '2026-01-01')", (name,))
    db.execute("INSERT INTO agents (id, name, persona, instructions, embedder, created_at) "
               "VALUES (1, 'harbor', '', '', 'bow', '2026-01-01')")
    db.execute("INSERT INTO channels (id, agent_id, platform, account_id, created_at) "
               "VALUES (7, 1, 'whatsapp', '1065', '2026-01-01')")
    db.execute("INSERT INTO channel_events (channel_id, platform, event_key, kind, thread, payload, state, received_at) "
               "VALUES (7, 'whatsapp', 'm1', 'text', 't', '{}', 'done', '2026-01-01')")
    db.close()
    store = open_store(f"sqlite:///{path}")
    try:
        channel = store.get_channel(7)
        assert (channel.agent_id, channel.character_id, channel.account_id) == (1, None, "1065")
        assert [e.event_key for e in store.list_events(channel_id=7)] == ["m1"]
        store.remove_channel(7)  # foreign keys are on again: the events go with their channel
        assert store.list_events(channel_id=7) == []
    finally:
        store.close()


def test_every_migration_has_its_postgresql_twin() -> None:
    """A new table or column needs both: frontdesk/store/migrations/ and its postgresql/ folder."""
    assert [name for name, _ in migrations("")] == [name for name, _ in migrations("postgresql")]


def test_the_store_reports_its_health(store: Store) -> None:
    store.ping()
    assert store.database_size() > 0
    assert store.backend in ("sqlite", "postgresql")
