"""Owner-run evaluation end to end: stored runs, comparisons that know noise from change, drafted
cases, the HTML report, and the production signals in the API and the console.

Answers come from the echo upstream (tests/conftest.py), so the figures are about the evaluator;
tests/test_answers.py runs the sample suite on the real model.
"""

from __future__ import annotations

import csv
import json
import re
import shutil
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from click.testing import CliRunner, Result

from frontdesk.app import Frontdesk
from frontdesk.cli.main import cli
from frontdesk.domain import product_fields, utcnow
from frontdesk.evaluation.cases import load_cases
from frontdesk.evaluation.report import mcnemar, newcombe

from .conftest import AGENT, SAMPLE, Served, ServerThread, serve_sample, served_settings

GOOD = """
- question: When are you open on Saturday?
  expect: ["9(:00)?"]
  category: facts
- question: Who won yesterday's football match?
  decline: true
  category: out of scope
"""

#: Deliberately wrong expectations: the evaluator must fail every one of these, and say why.
WRONG = """
- question: When are you open on Saturday?
  expect: ["23:45"]
  category: facts
- question: When are you open on Saturday?
  products: [NOT-A-PRODUCT]
  citations: [nowhere.example]
  category: facts
- question: Who won yesterday's football match?
  expect: ["Champions"]
  category: out of scope
- question: Who won yesterday's football match?
  language: de
  decline: false
  expect: ["."]
  category: out of scope
"""


@pytest.fixture
def home(built_home: Path, tmp_path: Path) -> Path:
    target = tmp_path / "home"
    shutil.copytree(built_home, target)
    return target


def run_cli(home: Path, upstream: ServerThread, *args: str) -> Result:
    env = {"FRONTDESK_HOME": str(home), "FRONTDESK_LLM_BASE_URL": upstream.url + "/v1", "FRONTDESK_MODEL": "echo"}
    return CliRunner().invoke(cli, list(args), env=env, catch_exceptions=False)


def test_runs_are_kept_and_a_wrong_cases_file_fails(home: Path, upstream: ServerThread, tmp_path: Path) -> None:
    good, wrong = tmp_path / "good.yaml", tmp_path / "wrong.yaml"
    good.write_text(GOOD)
    wrong.write_text(WRONG)
    passed = run_cli(home, upstream, "eval", AGENT, str(good), "--json", "--label", "baseline")
    assert passed.exit_code == 0, passed.output
    report = json.loads(passed.output[passed.output.index("{"):])
    assert report["accuracy"] == 1.0 and report["passed"] == 2 and report["run_id"] == 1
    for key in ("accuracy_ci", "decline_precision", "decline_recall", "unsupported_fact_rate", "latency_p50_s",
                "latency_p95_s", "cases"):
        assert key in report
    assert report["accuracy_ci"][0] < 0.5 and "wide" in report["note"]  # two cases prove little, and it says so

    failed = run_cli(home, upstream, "eval", AGENT, str(wrong), "--json")
    assert failed.exit_code == 1
    report = json.loads(failed.output[failed.output.index("{"):])
    assert report["passed"] == 0 and report["accuracy"] == 0.0
    reasons = [" ".join(c["reasons"]) for c in report["cases"]]
    assert "does not match '23:45'" in reasons[0]
    assert "NOT-A-PRODUCT" in reasons[1] and "nowhere.example" in reasons[1]
    assert "Champions" in reasons[2]
    assert "expected de" in reasons[3] or "declined" in reasons[3]
    assert all(c["conversation_id"] for c in report["cases"])

    table = run_cli(home, upstream, "eval", AGENT, str(wrong))
    assert table.exit_code == 1 and "FAIL When are you open on Saturday?" in table.output
    assert "0.0% (0/4)" in table.output and "95% CI" in table.output
    runs = json.loads(run_cli(home, upstream, "eval", "runs", AGENT, "--json").output)
    assert [(r["id"], r["label"], r["passed"], r["total"]) for r in runs] == [(3, "", 0, 4), (2, "", 0, 4),
                                                                             (1, "baseline", 2, 2)]
    same = run_cli(home, upstream, "eval", "--compare", "2", "3", "--fail-on-drop", "--json")
    assert same.exit_code == 0
    assert json.loads(same.output)["metrics"]["accuracy"]["verdict"] == "no change beyond noise"


def _stored_run(app: Frontdesk, passed: list[bool], seconds: float, label: str) -> int:
    cases = [{"question": f"question {n}", "turns": [f"question {n}"], "category": "facts", "passed": ok,
              "reasons": [] if ok else ["answer does not match"], "answer": "…", "unsupported": [],
              "seconds": seconds + n * 0.001, "first_text_seconds": seconds / 2, "conversation_id": None}
             for n, ok in enumerate(passed)]
    report = {"model": "m", "cases_total": len(cases), "passed": sum(passed), "accuracy": sum(passed) / len(cases),
              "accuracy_ci": [0, 1], "unsupported_fact_rate": 0.0, "latency_p50_s": seconds, "cases": cases}
    return app.store.create_eval_run(app.agent(AGENT).id, "m", label, "cases.yaml", "x", report)


def test_compare_tells_a_real_drop_from_noise_and_gates(home: Path, upstream: ServerThread) -> None:
    app = Frontdesk(served_settings(home, upstream))
    baseline = _stored_run(app, [True] * 40, 1.0, "baseline")
    one_worse = _stored_run(app, [False] + [True] * 39, 1.0, "one case worse")
    much_worse = _stored_run(app, [False] * 12 + [True] * 28, 2.0, "much worse")
    app.close()
    noise = run_cli(home, upstream, "eval", "--compare", str(baseline), str(one_worse), "--fail-on-drop", "--json")
    assert noise.exit_code == 0
    result = json.loads(noise.output)
    assert result["metrics"]["accuracy"]["verdict"] == "no change beyond noise" and result["same_cases"]
    assert result["broken"] == ["question 0"] and result["metrics"]["accuracy"]["p_value"] == 1.0
    drop = run_cli(home, upstream, "eval", "--compare", str(baseline), str(much_worse), "--fail-on-drop")
    assert drop.exit_code == 1 and "drop beyond noise: accuracy" in drop.output
    shown = run_cli(home, upstream, "eval", "compare", str(baseline), str(much_worse), "--json")
    metrics = json.loads(shown.output)["metrics"]
    assert metrics["accuracy"]["verdict"] == "worse" and metrics["accuracy"]["p_value"] < 0.001
    assert metrics["latency_p50_s"]["verdict"] == "worse" and metrics["latency_p50_s"]["change"] == pytest.approx(1.0, abs=0.05)
    missing = run_cli(home, upstream, "eval", "--compare", "1", "99")
    assert missing.exit_code == 2 and "no evaluation run 99" in missing.output


def test_statistics() -> None:
    assert mcnemar(0, 0) == 1.0 and mcnemar(0, 1) == 1.0
    assert mcnemar(0, 12) == pytest.approx(2 / 4096)
    assert 0.05 < mcnemar(2, 8) < 0.2
    low, high = newcombe(40, 40, 28, 40)
    assert low < -0.3 < high < 0  # a drop of 30 points on 40 cases is beyond noise
    low, high = newcombe(40, 40, 39, 40)
    assert low < 0 < high


def test_suggested_cases_come_from_the_knowledge_and_load(home: Path, upstream: ServerThread, tmp_path: Path) -> None:
    out = tmp_path / "drafts.yaml"
    made = run_cli(home, upstream, "eval", "suggest", AGENT, "--out", str(out), "--limit", "30")
    assert made.exit_code == 0 and "review them" in made.output
    text = out.read_text()
    assert text.startswith("# Draft evaluation cases for harbor") and "apart from any set" in text
    cases = load_cases(out)  # the drafts are a valid cases file
    drafts = yaml.safe_load(text)
    faq = {row["question"] for row in csv.DictReader((SAMPLE / "faq.csv").read_text(encoding="utf-8").splitlines())}
    faq_drafts = [c for c in drafts if c["category"] == "suggested: faq"]
    assert faq_drafts and all(c["question"] in faq for c in faq_drafts)
    prices = [c for c in drafts if c["category"] == "suggested: price"]
    app = Frontdesk(served_settings(home, upstream))
    catalog = {p.key: p for p in app.store.items_of_agent(app.agent(AGENT).id, "product")}
    app.close()
    assert prices
    for case in prices:  # each expects its own product's price, written either way
        price = product_fields(catalog[case["products"][0]].fields, utcnow())["price"]
        assert re.fullmatch(case["expect"][0], price) and re.fullmatch(case["expect"][0], price.replace(".", ","))
    assert sum(c.decline for c in cases) >= 2
    again = run_cli(home, upstream, "eval", "suggest", AGENT, "--out", str(out))
    assert again.exit_code == 2 and "never overwrite" in again.output


def test_html_report_with_plots(home: Path, upstream: ServerThread, tmp_path: Path) -> None:
    cases, report = tmp_path / "cases.yaml", tmp_path / "report.html"
    cases.write_text(GOOD + WRONG)
    result = run_cli(home, upstream, "eval", AGENT, str(cases), "--html", str(report))
    assert result.exit_code == 1 and report.exists()
    page = report.read_text()
    assert page.count("<svg") == 2 and "Accuracy by category" in page and "Latency distribution" in page
    assert "out of scope" in page and "facts" in page and "does not match &#39;23:45&#39;" in page
    assert "95% interval" in page
    assert "<script" not in page  # self-contained and inert: safe to mail around
    again = tmp_path / "again.html"
    assert run_cli(home, upstream, "eval", "report", "1", "--html", str(again)).exit_code == 0
    assert again.read_text() == page


@pytest.fixture
def served(built_home: Path, tmp_path: Path, upstream: ServerThread) -> Iterator[Served]:
    with serve_sample(built_home, tmp_path / "served", upstream) as served:
        yield served


def _age(app: Frontdesk, conversation_id: int, minutes: int) -> None:
    app.set_conversation_activity(conversation_id, utcnow() - timedelta(minutes=minutes))


@pytest.mark.slow
def test_production_signals_feedback_and_the_console(served: Served, tmp_path: Path) -> None:
    api, app = served.http, served.app

    def chat(text: str) -> dict[str, Any]:
        conversation = api.post(f"/api/agents/{AGENT}/conversations").json()
        api.post(f"/api/agents/{AGENT}/conversations/{conversation['id']}/messages", json={"text": text})
        return conversation

    assumed = chat("When are you open on Saturday?")
    _age(app, assumed["id"], 90)
    confirmed = chat("Do you ship to Austria?")
    assert api.post(f"/api/agents/{AGENT}/conversations/{confirmed['id']}/feedback",
                    json={"helpful": True}).status_code == 204
    chat("Who won yesterday's football match?")  # declined, offered a person
    chat("When are you open on Saturday?")  # just now: may still go on
    cases = tmp_path / "cases.yaml"
    cases.write_text(WRONG)
    app.evaluate(AGENT, cases)  # evaluation conversations are not customers

    signals = api.get(f"/api/agents/{AGENT}/signals").json()
    assert signals["conversations"] == 4 and signals["questions"] == 4
    assert signals["unanswered_questions"] == 1 and signals["handoff_rate"] == 0.25
    assert signals["resolution"] == {"confirmed": 1, "assumed": 1, "unresolved": 1, "open": 1}
    gaps = api.get(f"/api/agents/{AGENT}/gaps").json()
    assert [g["question"] for g in gaps] == ["Who won yesterday's football match?"]

    # the widget's "did this help?" answer counts as confirmed, and needs the conversation's token
    app.update_agent(AGENT, allowed_origins=["*"], public=True)
    visitor = httpx.post(f"{served.url}/widget/{AGENT}/conversations").json()
    assert httpx.post(f"{served.url}/widget/{AGENT}/conversations/{visitor['id']}/feedback", json={"helpful": False},
                      headers={"X-Conversation-Token": "wrong-token-123"}).status_code == 404
    assert httpx.post(f"{served.url}/widget/{AGENT}/conversations/{visitor['id']}/feedback", json={"helpful": False},
                      headers={"X-Conversation-Token": visitor["token"]}).status_code == 204
    assert app.conversation(visitor["id"]).id == visitor["id"]

    runs = api.get(f"/api/agents/{AGENT}/evals").json()
    run = api.get(f"/api/agents/{AGENT}/evals/{runs[0]['id']}").json()
    assert run["report"]["passed"] == 0

    app.create_user("ana", "correct horse battery")
    with httpx.Client(base_url=served.url) as browser:
        browser.post("/console/login", data={"name": "ana", "password": "correct horse battery"})
        page = browser.get(f"/console/agents/{AGENT}/gaps").text
        assert "Resolved, confirmed</th><td>1" in page and "Handed to a person</th><td>25.0%" in page
        listing = browser.get(f"/console/agents/{AGENT}/evals").text
        assert f'href="/console/evals/{run["id"]}"' in listing and "0.0% (0/4)" in listing
        detail = browser.get(f"/console/evals/{run['id']}").text
        failed_case = run["report"]["cases"][0]
        assert f'href="/console/conversations/{failed_case["conversation_id"]}"' in detail and "FAIL" in detail
        transcript = browser.get(f"/console/conversations/{failed_case['conversation_id']}").text
        assert "When are you open on Saturday?" in transcript
        assert "<svg" in browser.get(f"/console/evals/{run['id']}/report.html").text


def test_the_independent_check_reads_a_sale_price_as_a_price_and_still_finds_a_dropped_condition(
        home: Path, upstream: ServerThread) -> None:
    """The reference text gives each catalog price with its currency in a clause of its own: the
    regular price is no condition of the sale price, and a price no source gives is still caught."""
    from frontdesk.answer.verify import unsupported_claims
    from frontdesk.evaluation.cases import source_corpus

    app = Frontdesk(served_settings(home, upstream))
    try:
        corpus = source_corpus(app.store, app.agent(AGENT), utcnow())
    finally:
        app.close()
    assert unsupported_claims("The Profitec Go Espresso Machine costs 799.00 EUR.", corpus) == []
    assert unsupported_claims("Its regular price is 899.00 EUR.", corpus) == []
    assert unsupported_claims("The Profitec Go Espresso Machine costs 699.00 EUR.", corpus)  # a price no source has


def test_the_independent_check_binds_catalog_prices_within_one_language(home: Path, upstream: ServerThread) -> None:
    """Words bind a value to a product only in the catalog's language: a German answer naming an
    English catalog's product by its German word is not a wrong fact for that reason (its price
    is still checked against the catalog), while an English answer that gives one product's price
    for another kind of product still is."""
    from frontdesk.evaluation.cases import Case, _corpus_in, source_corpus, wrong_facts

    app = Frontdesk(served_settings(home, upstream))
    try:
        agent = app.agent(AGENT)
        corpus = source_corpus(app.store, agent, utcnow())
        german, english = _corpus_in(app.store, agent, "de"), _corpus_in(app.store, agent, "en")
    finally:
        app.close()

    def facts(text: str, language: str, question: str, same: str) -> list[str]:
        answer = type("A", (), {"answer": text, "language": language, "grounded": True, "mode": "model"})()
        return wrong_facts(answer, Case([question], [], [], [], False, language, "catalog", None), corpus, same)

    assert facts("Die günstigste Espressomaschine kostet 799.00 EUR.", "de",
                 "Was kostet die günstigste Espressomaschine?", german) == []
    assert facts("Die günstigste Espressomaschine kostet 699.00 EUR.", "de",
                 "Was kostet die günstigste Espressomaschine?", german)  # a price no source has
    assert facts("The cheapest grinder costs 799.00 EUR.", "en", "What does your cheapest grinder cost?", english)
