"""Measuring an agent on questions with known answers: the cases format and the report.

A cases file is a YAML list. Each case has ``question`` (or ``conversation``: a list of turns;
the checks apply to the last answer) and any of ``expect`` (regular expressions the answer must
all match, case-insensitive), ``products`` (ids; one must be among the answer's products),
``citations`` (sources that must be cited: a URL, path or title fragment), ``decline: true``
(the agent must decline and offer a human), ``language``, ``category`` and ``today`` (the
date the question is asked on).
"""

from __future__ import annotations

import math
import re
import statistics
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import yaml

from ..answer import Answer, Responder
from ..answer.dates import date_facts, question_days
from ..answer.meaning import vacuous
from ..answer.schedule import not_the_next_date, parse_schedule, schedule_facts
from ..answer.verify import denied_claims, misbound_values, unsupported_claims
from ..domain import Agent, effective_price
from ..errors import InvalidInput
from ..store import KnowledgeStore

_KEYS = {"question", "conversation", "expect", "products", "citations", "decline", "language", "category", "today"}


@dataclass
class Case:
    turns: list[str]
    expect: list[str] = field(default_factory=list)
    products: list[str] = field(default_factory=list)
    citations: list[str] = field(default_factory=list)
    decline: bool = False
    language: str | None = None
    category: str = "general"
    today: date | None = None

    @property
    def question(self) -> str:
        return self.turns[-1]


@dataclass
class CaseResult:
    case: Case
    answer: Answer
    passed: bool
    reasons: list[str]
    unsupported: list[str]
    seconds: float
    first_text_seconds: float
    conversation_id: int | None = None

    def to_json(self) -> dict[str, Any]:
        return {"question": self.case.question, "turns": self.case.turns, "category": self.case.category,
                "passed": self.passed, "reasons": self.reasons, "answer": self.answer.answer,
                "grounded": self.answer.grounded, "handoff": self.answer.handoff, "mode": self.answer.mode,
                "model": self.answer.model,
                "products": [p["id"] for p in self.answer.products], "unsupported": self.unsupported,
                "seconds": round(self.seconds, 3), "first_text_seconds": round(self.first_text_seconds, 3),
                "conversation_id": self.conversation_id}


def load_cases(path: Path) -> list[Case]:
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise InvalidInput(f"{path}: cannot read the cases file: {exc}") from None
    except yaml.YAMLError as exc:
        raise InvalidInput(f"{path}: not valid YAML: {exc}") from None
    if not isinstance(raw, list) or not raw:
        raise InvalidInput(f"{path}: a cases file is a non-empty YAML list of cases")
    cases = []
    for number, entry in enumerate(raw, start=1):
        where = f"{path}, case {number}"
        if not isinstance(entry, dict):
            raise InvalidInput(f"{where}: a case is a mapping with a question")
        unknown = set(entry) - _KEYS
        if unknown:
            raise InvalidInput(f"{where}: unknown key(s) {', '.join(sorted(unknown))}")
        turns = entry.get("conversation") or ([entry["question"]] if entry.get("question") else [])
        if not turns or not all(isinstance(t, str) and t.strip() for t in turns):
            raise InvalidInput(f"{where}: needs a question (or a conversation of non-empty turns)")
        expect = [str(e) for e in entry.get("expect") or []]
        for pattern in expect:
            try:
                re.compile(pattern)
            except re.error as exc:
                raise InvalidInput(f"{where}: expect {pattern!r} is not a regular expression: {exc}") from None
        today = entry.get("today")
        try:
            today = date.fromisoformat(str(today)) if today else None
        except ValueError:
            raise InvalidInput(f"{where}: today {today!r} is not a date (YYYY-MM-DD)") from None
        cases.append(Case([t.strip() for t in turns], expect, [str(p) for p in entry.get("products") or []],
                          [str(c) for c in entry.get("citations") or []], bool(entry.get("decline")),
                          entry.get("language"), str(entry.get("category") or "general"), today))
    return cases


def source_corpus(store: KnowledgeStore, agent: Agent, now: datetime) -> str:
    """Everything the agent's sources say, as text: the reference for unsupported facts."""
    parts = []
    for item in store.items_of_agent(agent.id):
        parts.append(f"{item.title}\n{item.text}\n{item.url or ''}")
        if item.kind == "product":
            f = item.fields
            # each price with its currency, in a clause of its own: the regular price is not a
            # condition of the sale price (dropped_conditions reads the figures of a clause)
            currency = f.get("currency") or ""
            prices = [f"{v} {currency}".strip() for v in (effective_price(f, now), f.get("price"), f.get("sale_price")) if v]
            parts.append("; ".join(prices + [str(v) for v in (f.get("availability"), f.get("link")) if v]))
    return "\n".join(parts)


_CORPORA: dict[tuple[int, str], tuple[int, str]] = {}


def _corpus_in(store: KnowledgeStore, agent: Agent, language: str) -> str:
    """The text of the agent's documents and products in ``language`` (kept while their number is
    unchanged): words bind values only within one language, so a German answer about an English
    catalog's product is checked against the catalog by ``unsupported_claims``, not bound to its
    English title's words (the responder's own check does the same across languages)."""
    items = store.items_of_agent(agent.id)
    key = (agent.id, language)
    if key not in _CORPORA or _CORPORA[key][0] != len(items):
        now = datetime.now(UTC)
        text = "\n".join(
            (f"Product: {i.title}. " if i.kind == "product" else f"{i.title}: ") + re.sub(r"\s*\n\s*", " ", i.text) + (
                f" Price: {effective_price(i.fields, now)} {i.fields.get('currency') or ''}"
                f" (regular price {i.fields.get('price')} {i.fields.get('currency') or ''})."
                f" Availability: {i.fields.get('availability') or ''}."
                if i.kind == "product" else "")
            for i in items if i.language in (None, language))
        _CORPORA[key] = (len(items), text)
    return _CORPORA[key][1]


_SCHEDULES: dict[int, tuple[int, list[str]]] = {}


def _schedule_texts(store: KnowledgeStore, agent: Agent) -> list[str]:
    """The agent's documents that give opening hours, closures or recurring events (kept while
    their number is unchanged)."""
    items = store.items_of_agent(agent.id)
    if agent.id not in _SCHEDULES or _SCHEDULES[agent.id][0] != len(items):
        today = datetime.now(UTC).date()
        texts = []
        for item in items:
            if item.kind != "product":
                schedule = parse_schedule(item.text, today)
                if schedule.has_hours or schedule.closures or schedule.events:
                    texts.append(item.text)
        _SCHEDULES[agent.id] = (len(items), texts)
    return _SCHEDULES[agent.id][1]


def reference_facts(question: str, texts: list[str], now: datetime, language: str) -> list[str]:
    """What the schedule reasoner computes for ``question`` from each document (``texts``), as the
    responder computes it from its evidence: "Tuesday: open 8:00–12:00 and 13:30–16:00." for a
    table that writes "Di". Each document is reasoned over on its own, so one page's hours are
    not merged with another's; every event's next dates are given, as every upcoming date of the
    sources is (dates.date_facts)."""
    days = [m.day for m in question_days(question, now.date())]
    facts: list[str] = []
    for text in texts:
        facts += [f for f in schedule_facts(question, text, now, language, days, wants_dates=True) if f not in facts]
    return facts


def check(case: Case, answer: Answer) -> list[str]:
    reasons = []
    declined = answer.handoff and not answer.grounded
    if case.decline:
        if not declined:
            reasons.append("expected a decline with an offer of a human, got an answer")
        return reasons
    if declined:
        reasons.append("declined a question the sources answer")
    for pattern in case.expect:
        if not re.search(pattern, answer.answer, re.I):
            reasons.append(f"answer does not match {pattern!r}")
    if case.products and not set(case.products) & {p["id"] for p in answer.products}:
        reasons.append(f"none of {', '.join(case.products)} among the products")
    for wanted in case.citations:
        if not any(wanted.casefold() in f"{c['url']} {c['title']}".casefold() for c in answer.citations):
            reasons.append(f"{wanted!r} not cited")
    if case.language and answer.language != case.language:
        reasons.append(f"answered in {answer.language}, expected {case.language}")
    return reasons


def wrong_facts(answer: Answer, case: Case, corpus: str, same_language: str, facts: str = "") -> list[str]:
    """What the answer states that the agent's sources do not support, checked independently of
    the responder: unsupported claims and dropped conditions against all the sources
    (``corpus``); values bound to the wrong entity and a "yes" to what the sources deny or rule
    out against the sources in the answer's language (``same_language``: words compare only
    within one language); and a model's answer that only restates the question ("Familien können
    finanzielle Unterstützung erhalten."), which says nothing the sources support (a quote of
    the sources is the sources, whatever its words)."""
    unsupported = unsupported_claims(answer.answer, corpus, allow=" ".join(case.turns) + " " + facts,
                                     language=answer.language)
    if same_language:
        unsupported += [p for p in misbound_values(answer.answer, same_language, case.question, computed=facts,
                                                   names=answer.language == "en")
                        if p not in unsupported]
        unsupported += [p for p in denied_claims(answer.answer, same_language, case.question) if p not in unsupported]
    unsupported += [p for p in not_the_next_date(answer.answer, case.question, facts) if p not in unsupported]
    if answer.grounded and answer.mode == "model" and vacuous(answer.answer, " ".join(case.turns)):
        unsupported.append("restates the question without answering it")
    return unsupported


def run_case(responder: Responder, store: KnowledgeStore, agent: Agent, case: Case, corpus: str,
             timezone: str) -> CaseResult:
    now = datetime.combine(case.today, time(12, 0), UTC) if case.today else datetime.now(UTC)
    conversation = store.create_conversation(agent.id, "eval")
    answer = None
    for turn in case.turns:
        answer = responder.answer(agent, turn, conversation, now=now)
    assert answer is not None
    reasons = check(case, answer)
    local_now = now.astimezone(ZoneInfo(timezone)).replace(tzinfo=None)  # the day the responder answered on
    facts = "\n".join(date_facts(case.question, corpus, local_now.date(), answer.language)
                      + reference_facts(case.question, _schedule_texts(store, agent), local_now, answer.language))
    unsupported = wrong_facts(answer, case, corpus, _corpus_in(store, agent, answer.language), facts)
    if unsupported:
        reasons.append("states something no source says: " + ", ".join(unsupported))
    return CaseResult(case, answer, not reasons, reasons, unsupported, answer.timings.get("total_s", 0.0),
                      answer.timings.get("first_text_s", 0.0), conversation)


def wilson(passed: int, total: int, z: float = 1.96) -> tuple[float, float]:
    """95% Wilson score interval for a proportion."""
    if total == 0:
        return (0.0, 1.0)
    p = passed / total
    denominator = 1 + z * z / total
    centre = (p + z * z / (2 * total)) / denominator
    margin = z * math.sqrt(p * (1 - p) / total + z * z / (4 * total * total)) / denominator
    return (max(0.0, centre - margin), min(1.0, centre + margin))


def percentile(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, math.ceil(q * len(ordered)) - 1))
    return ordered[index]


def report(results: list[CaseResult], model: str) -> dict[str, Any]:
    total = len(results)
    passed = sum(r.passed for r in results)
    declined = [r for r in results if r.answer.handoff and not r.answer.grounded]
    should = [r for r in results if r.case.decline]
    true_declines = sum(r.case.decline for r in declined)
    answered = [r for r in results if r.answer.grounded]
    low, high = wilson(passed, total)
    categories: dict[str, list[int]] = {}
    for r in results:
        categories.setdefault(r.case.category, [0, 0])
        categories[r.case.category][0] += r.passed
        categories[r.case.category][1] += 1
    totals = [r.seconds for r in results]
    firsts = [r.first_text_seconds for r in results]
    overheads = [r.answer.timings.get("overhead_s", 0.0) for r in results]
    return {
        "model": model,
        "cases_total": total,
        "passed": passed,
        "accuracy": round(passed / total, 4) if total else 0.0,
        "accuracy_ci": [round(low, 4), round(high, 4)],
        "decline_precision": round(true_declines / len(declined), 4) if declined else 1.0,
        "decline_recall": round(true_declines / len(should), 4) if should else 1.0,
        "unsupported_fact_rate": round(sum(bool(r.unsupported) for r in results) / total, 4) if total else 0.0,
        "answered": len(answered),
        # answers the model phrased and every sentence passed the check (the rest quote the evidence)
        "model_phrased_rate": round(sum(r.answer.mode == "model" for r in answered) / len(answered), 4) if answered else 0.0,
        "phrased_by": dict(Counter(r.answer.model for r in answered if r.answer.mode == "model")),
        "latency_p50_s": round(statistics.median(totals), 3) if totals else 0.0,
        "latency_p95_s": round(percentile(totals, 0.95), 3),
        "first_text_p50_s": round(statistics.median(firsts), 3) if firsts else 0.0,
        "first_text_p95_s": round(percentile(firsts, 0.95), 3),
        "overhead_p50_s": round(statistics.median(overheads), 4) if overheads else 0.0,
        "overhead_p99_s": round(percentile(overheads, 0.99), 4),
        "by_category": {k: {"passed": v[0], "total": v[1]} for k, v in sorted(categories.items())},
        "note": ("small set: the 95% interval is wide; compare runs by their intervals, not their point figures"
                 if total < 100 else ""),
        "cases": [r.to_json() for r in results],
    }


def evaluate(responder: Responder, store: KnowledgeStore, agent: Agent, cases: list[Case], timezone: str,
             on_case: Callable[[CaseResult], None] | None = None) -> dict[str, Any]:
    corpus = source_corpus(store, agent, datetime.now(UTC))
    results = []
    for case in cases:
        result = run_case(responder, store, agent, case, corpus, timezone)
        results.append(result)
        if on_case:
            on_case(result)
    name = responder.model.name if responder.model else "none"
    if responder.fast_model is not None:
        name += f" + {responder.fast_model.name} for plain questions"
    return report(results, name)
