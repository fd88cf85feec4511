"""The answerability judge: P(yes) from first-token log-probabilities, the gate that weighs it, the setting."""

from __future__ import annotations

import math
import shutil
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from frontdesk.answer import Responder, gate, judge
from frontdesk.app import Frontdesk
from frontdesk.config import Settings
from frontdesk.errors import InvalidInput
from frontdesk.llm.local import _top_logprobs
from frontdesk.testing import JudgingModel, ScriptedModel

AGENT = "harbor"
QUESTION = "How much does shipping within Germany cost?"


def test_p_yes_is_the_yes_share_of_the_yes_and_no_mass() -> None:
    logprobs = {"Yes": math.log(0.5), " yes": math.log(0.1), "No": math.log(0.2), "The": math.log(0.2)}
    assert judge.p_yes(logprobs) == pytest.approx(0.6 / 0.8)
    assert judge.p_yes({" Nein": math.log(0.9), "Ja.": math.log(0.05)}) == pytest.approx(0.05 / 0.95)
    assert judge.p_yes({"Answer": math.log(0.7), "The": math.log(0.3)}) == 0.5  # neither: no opinion


def test_llama_cpp_logprobs_are_read_and_same_spelled_tokens_add_up() -> None:
    result = {"choices": [{"logprobs": {"content": [{"token": "No", "logprob": -0.6, "top_logprobs": [
        {"id": 2753, "token": "No", "logprob": math.log(0.5)},
        {"id": 9454, "token": "Yes", "logprob": math.log(0.2)},
        {"id": 11111, "token": "Yes", "logprob": math.log(0.1)}]}]}}]}
    read = _top_logprobs(result)
    assert read["Yes"] == pytest.approx(math.log(0.3)) and read["No"] == pytest.approx(math.log(0.5))
    assert judge.p_yes(read) == pytest.approx(0.3 / 0.8)
    with pytest.raises(Exception, match="log-probabilities"):
        _top_logprobs({"choices": [{"message": {"content": "No"}}]})


def test_the_judge_prompt_keeps_its_system_part_fixed_and_the_evidence_short() -> None:
    model = JudgingModel(lambda messages: 0.8)
    assert judge.judge(model, "When are you open?", ["We open at 9.", "x" * 5000]) == pytest.approx(0.8)
    judge.judge(model, "Wie teuer ist der Versand?", ["Versand kostet 4,90 EUR."])
    first, second = model.judged
    assert first[0] == second[0] == {"role": "system", "content": judge.SYSTEM}
    assert "We open at 9." in first[1]["content"] and "When are you open?" in first[1]["content"]
    assert len(first[1]["content"]) < judge.MAX_CHARS + 200
    assert not model.calls  # judging is not a chat completion


def test_the_gate_weighs_the_judge_with_its_own_weights(monkeypatch: pytest.MonkeyPatch) -> None:
    f = gate.GateFeatures(coverage=0.5, similarity=0.5, cross=False, product=False)
    assert gate.probability(f) == pytest.approx(gate.probability(f, gate.WEIGHTS))  # not judged: the plain fit
    monkeypatch.setattr(gate, "JUDGE_WEIGHTS", {**gate.WEIGHTS, "judge": 6.0, "bias": gate.WEIGHTS["bias"] - 3.0})
    monkeypatch.setattr(gate, "JUDGE_THRESHOLD", gate.THRESHOLD)
    yes, no = replace(f, judge=1.0), replace(f, judge=0.0)
    assert gate.probability(no) < gate.probability(f) < gate.probability(yes)
    assert gate.answerable(yes) and not gate.answerable(no)
    monkeypatch.setattr(gate, "JUDGE_THRESHOLD", 0.999)  # a judged question meets the judged threshold
    assert not gate.answerable(yes) and gate.answerable(replace(f, coverage=1.0, product=True)) is True


def test_uncertain_asks_the_judge_only_near_the_threshold() -> None:
    near = gate.GateFeatures(coverage=0.0, similarity=0.0, cross=False, product=False)
    p = gate.probability(near)
    # move coverage until the plain probability sits at the threshold, then far above it
    for coverage in [c / 100 for c in range(101)]:
        near = replace(near, coverage=coverage)
        if gate.probability(near) >= gate.THRESHOLD:
            break
    far = replace(near, coverage=1.0, product=True)
    assert p < gate.probability(near) and gate.probability(far) - gate.THRESHOLD > gate.BAND
    assert gate.wants_judge(near, "uncertain") and not gate.wants_judge(far, "uncertain")
    assert gate.wants_judge(far, "on") and not gate.wants_judge(near, "off")


@pytest.fixture(scope="module")
def sample(built_home: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Frontdesk]:
    home = tmp_path_factory.mktemp("judge") / "home"
    shutil.copytree(built_home, home)
    app = Frontdesk(Settings.from_env({"FRONTDESK_HOME": str(home)}))
    yield app
    app.close()


def ask(sample: Frontdesk, mode: str, p_yes: float) -> tuple[JudgingModel, object]:
    fast = JudgingModel(lambda messages: p_yes, lambda messages, info: "Shipping within Germany costs 4.90 EUR.")
    settings = replace(sample.settings, gate_judge=mode)
    responder = Responder(sample.store, sample.search_engine, settings, ScriptedModel("NO_ANSWER"), fast_model=fast)
    return fast, responder.answer(sample.agent(AGENT), QUESTION)


def test_the_setting_decides_whether_the_judge_is_asked_and_it_can_decline(sample: Frontdesk,
                                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    # weights under which the judge decides, whatever the fit found: this is about the wiring
    monkeypatch.setattr(gate, "JUDGE_WEIGHTS", {**{n: 0.0 for n in gate.NAMES}, "bias": -4.0, "judge": 8.0})
    monkeypatch.setattr(gate, "JUDGE_THRESHOLD", 0.5)
    fast, answer = ask(sample, "off", 0.0)
    assert not fast.judged and answer.grounded and "judge_s" not in answer.timings  # type: ignore[attr-defined]
    fast, answer = ask(sample, "on", 0.0)
    assert len(fast.judged) == 1 and QUESTION in fast.judged[0][1]["content"]
    assert not answer.grounded and not fast.calls  # type: ignore[attr-defined]
    fast, answer = ask(sample, "on", 1.0)
    assert len(fast.judged) == 1 and answer.grounded and "4.90" in answer.answer  # type: ignore[attr-defined]
    with pytest.raises(InvalidInput, match="FRONTDESK_GATE_JUDGE"):
        ask(sample, "sometimes", 1.0)
