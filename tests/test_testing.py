"""The test doubles frontdesk ships (frontdesk.testing), and the seams they plug into: a model and
embedders handed to Frontdesk, httpx clients handed to the Graph and model clients."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import numpy as np
import pytest

from frontdesk.app import Frontdesk
from frontdesk.channels.graph import GraphClient
from frontdesk.config import Settings
from frontdesk.embed import get_embedder, known_embedders, register_embedder
from frontdesk.errors import GraphError, InfrastructureError, InvalidInput
from frontdesk.llm.remote import OpenAICompatibleModel
from frontdesk.testing import FunctionModel, HashEmbedder, ScriptedModel

from .conftest import SAMPLE


def test_scripted_model_replies_in_order_and_records_what_it_was_asked() -> None:
    model = ScriptedModel("first answer", "second")
    assert list(model.stream([{"role": "user", "content": "a"}], max_tokens=5)) == ["first", " answer"]
    assert "".join(model.stream([{"role": "user", "content": "b"}], max_tokens=5)) == "second"
    assert "".join(model.stream([], max_tokens=5)) == "second"  # the last reply again
    assert [call[0]["content"] for call in model.calls[:2]] == ["a", "b"]
    with pytest.raises(ValueError):
        ScriptedModel()


def test_function_model_gets_the_messages_and_may_stream_its_own_pieces() -> None:
    def reply(messages, info):
        return [f"call {info.call}", f" of {info.model}", f" at most {info.max_tokens}"] if info.call else messages[-1]["content"].upper()

    model = FunctionModel(reply, name="fn")
    assert "".join(model.stream([{"role": "user", "content": "hi there"}], max_tokens=9)) == "HI THERE"
    assert list(model.stream([], max_tokens=9)) == ["call 1", " of fn", " at most 9"]


def test_hash_embedder_is_deterministic_normalised_and_sees_shared_words() -> None:
    embedder = HashEmbedder(dim=128)
    a, b, c = embedder.embed(["Espresso machines on sale", "an espresso machine", "opening hours on Sunday"])
    assert np.allclose(embedder.embed(["Espresso machines on sale"])[0], a)
    assert np.isclose(np.linalg.norm(a), 1.0) and a.shape == (128,) and a.dtype == np.float32
    assert float(a @ b) > float(a @ c)


def test_an_embedder_registered_through_the_seam_is_known_to_every_frontdesk(settings: Settings) -> None:
    embedder = HashEmbedder(name="hash-registered")
    register_embedder(embedder)
    assert get_embedder("hash-registered") is embedder and "hash-registered" in known_embedders()
    app = Frontdesk(settings)
    try:
        assert app.create_agent("shop", embedder="hash-registered").embedder == "hash-registered"
        with pytest.raises(InvalidInput, match="unknown embedder 'nope'"):
            app.create_agent("other", embedder="nope")
    finally:
        app.close()


def test_a_hermetic_frontdesk_ingests_searches_and_answers_with_the_doubles(settings: Settings) -> None:
    """No packaged model or embedder is loaded: the hash embedder and a scripted model do their work."""
    model = ScriptedModel("Shipping within Germany costs 2.50 EUR.")
    app = Frontdesk(settings, model=model, embedders=[HashEmbedder()])
    try:
        app.create_agent("harbor", embedder="hash")
        for name in ("site", "faq.csv", "catalog.csv"):
            assert app.add_source("harbor", str(SAMPLE / name)).ok
        hits = app.search("harbor", "shipping costs Germany")
        assert any("shipping" in (hit.item.title + hit.snippet).lower() for hit in hits[:3])
        answer = app.ask("harbor", "How much does shipping within Germany cost?")
        assert model.calls and answer.model == "scripted"
        assert "2.50" not in answer.answer  # what no source says never reaches the customer
        ids, vectors = app.store.agent_vectors(app.agent("harbor").id, "hash")
        assert len(ids) > 20 and vectors.shape == (len(ids), 256)
    finally:
        app.close()


def test_graph_client_takes_an_injected_http_client(tmp_path: Path) -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if len(seen) == 1:
            return httpx.Response(429, headers={"Retry-After": "0"}, json={"error": {"message": "slow down"}})
        if request.url.path.endswith("/bad/messages"):
            return httpx.Response(400, json={"error": {"message": "bad recipient"}})
        return httpx.Response(200, json={"messages": [{"id": "wamid.1"}]})

    settings = Settings.from_env({"FRONTDESK_HOME": str(tmp_path)}, graph_base_url="https://graph.test/v1",
                                 graph_backoff=0.0)
    with httpx.Client(transport=httpx.MockTransport(handler)) as http:
        graph = GraphClient(settings, http=http)
        assert graph.post("123/messages", {"to": "1"}, "token")["messages"][0]["id"] == "wamid.1"
        assert len(seen) == 2 and seen[1].headers["authorization"] == "Bearer token"
        with pytest.raises(GraphError, match="bad recipient") as failure:
            graph.post("bad/messages", {}, "token")
        assert failure.value.status == 400 and not failure.value.retryable
        graph.close()
        assert not http.is_closed  # the caller's client stays the caller's


def test_remote_model_takes_an_injected_http_client() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        if body["model"] == "down":
            return httpx.Response(503, json={"error": {"message": "overloaded"}})
        chunks = [{"choices": [{"delta": {"content": piece}}]} for piece in ("Hello", " there")]
        text = "".join(f"data: {json.dumps(c)}\n\n" for c in chunks) + "data: [DONE]\n\n"
        assert request.url == "https://llm.test/v1/chat/completions"
        assert request.headers["authorization"] == "Bearer k"
        return httpx.Response(200, text=text, headers={"content-type": "text/event-stream"})

    with httpx.Client(transport=httpx.MockTransport(handler)) as http:
        model = OpenAICompatibleModel("https://llm.test/v1", "m", api_key="k", http=http)
        assert list(model.stream([{"role": "user", "content": "hi"}], max_tokens=8)) == ["Hello", " there"]
        down = OpenAICompatibleModel("https://llm.test/v1", "down", api_key="k", http=http, backoff=0.0)
        with pytest.raises(InfrastructureError, match="answered 503: overloaded"):
            list(down.stream([], max_tokens=8))
