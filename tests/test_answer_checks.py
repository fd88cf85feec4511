"""The answer pipeline's checks and routing with scripted models (frontdesk.testing): what a model
writes is checked against the sources whichever model wrote it. The sample business is real
(ingested with the packaged embedder); only the language model is a stand-in, so these run
without the answer model."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from frontdesk.answer import Responder
from frontdesk.app import Frontdesk
from frontdesk.config import Settings
from frontdesk.testing import ScriptedModel

from .conftest import AGENT, SAMPLE


@pytest.fixture(scope="module")
def sample(built_home: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Frontdesk]:
    home = tmp_path_factory.mktemp("checks") / "home"
    shutil.copytree(built_home, home)
    app = Frontdesk(Settings.from_env({"FRONTDESK_HOME": str(home)}))
    app.store.update_agent(AGENT, persona="Harbor Coffee Roasters' friendly barista.",
                           instructions=(SAMPLE / "policy.md").read_text())
    yield app
    app.close()


def responder(sample: Frontdesk, model: ScriptedModel, fast: ScriptedModel | None = None) -> Responder:
    return Responder(sample.store, sample.search_engine, sample.settings, model, fast_model=fast)


@pytest.mark.parametrize(("question", "lie", "truth"), [
    ("How much does shipping within Germany cost?", "Shipping within Germany costs 2.50 EUR.", "4.90"),
    ("Are you open on 25 December?", "Yes, we are open on 25 December.", "closed"),
    ("Is everything in your shop free?", "Yes, everything in our shop is free.", None),
])
def test_a_lying_model_never_reaches_the_customer(sample: Frontdesk, question: str, lie: str, truth: str | None) -> None:
    model = ScriptedModel(lie)
    answer = responder(sample, model).answer(sample.agent(AGENT), question)
    assert model.calls, "the model was asked"
    assert lie not in answer.answer and answer.problems
    if truth is None:
        assert answer.grounded is False and answer.handoff is True
    else:
        assert answer.mode == "evidence" and truth in answer.answer


def test_a_lie_through_the_front_door_is_stopped_too(sample: Frontdesk) -> None:
    """``Frontdesk(settings, model=...)``: the model handed in phrases every answer."""
    app = Frontdesk(sample.settings, model=ScriptedModel("Shipping within Germany costs 2.50 EUR."))
    try:
        answer = app.ask(AGENT, "How much does shipping within Germany cost?")
        assert answer.model == "scripted" and "2.50" not in answer.answer and "4.90" in answer.answer
    finally:
        app.close()


def test_plain_questions_go_to_the_fast_model_and_the_rest_to_the_default(sample: Frontdesk) -> None:
    big = ScriptedModel("Gift vouchers are valid for 3 years.", name="big")
    fast = ScriptedModel("Gift vouchers are valid for 3 years.", name="fast")
    routed = responder(sample, big, fast)
    agent = sample.agent(AGENT)
    assert routed.answer(agent, "How long are gift vouchers valid?").model == "fast"
    # a German question over English pages, a date to reason about, a follow-up: the default model
    assert routed.answer(agent, "Wie lange sind Gutscheine gültig?").model == "big"
    assert routed.answer(agent, "When is the next barista course?").model == "big"
    conversation = sample.start_conversation(AGENT)
    routed.answer(agent, "How much is the Ethiopia Yirgacheffe 250 g?", conversation_id=conversation)
    assert routed.answer(agent, "and in 1 kg?", conversation_id=conversation).model == "big"


def test_a_decline_by_the_fast_model_goes_to_the_default_model(sample: Frontdesk) -> None:
    agent = sample.agent(AGENT)
    big = ScriptedModel("Yes, we accept PayPal.", name="big")
    fast = ScriptedModel("NO_ANSWER", name="fast")
    routed = responder(sample, big, fast)
    # the evidence alone would not do (it covers half the question): the default model is asked
    answer = routed.answer(agent, "Can I pay with PayPal?")
    assert answer.model == "big" and answer.mode == "model" and answer.grounded
    assert answer.answer.startswith("Yes, we accept PayPal.")
    # strong evidence: the fast model's decline is answered from the evidence, without a second model
    calls = len(big.calls)
    answer = routed.answer(agent, "How long are gift vouchers valid?")
    assert answer.model == "fast" and answer.mode == "evidence" and "3 years" in answer.answer
    assert len(big.calls) == calls


def test_an_answer_from_the_evidence_cites_what_it_quotes(sample: Frontdesk) -> None:
    agent = sample.agent(AGENT)
    declining = responder(sample, ScriptedModel("NO_ANSWER"))
    # shopping by price: the product card is the answer, not a passage that mentions espresso machines
    answer = declining.answer(agent, "Do you have an espresso machine under 500 euros?")
    assert answer.mode == "evidence" and answer.answer.startswith("Lelit Anna")
    assert [c["kind"] for c in answer.citations] == ["product"] and answer.products[0]["id"] == "EQ-LELIT-ANNA"
    # a passage quoted: that passage is the one citation
    answer = declining.answer(agent, "Are you open on 25 December?")
    assert answer.mode == "evidence" and "closed on public holidays" in answer.answer
    assert len(answer.citations) == 1 and "opening-hours" in answer.citations[0]["url"]
