"""Eval's independent check knows what the schedule reasoner computes: a correct answer about a
day's hours is not counted as a wrong fact because the source writes "Di" and not "Tuesday",
and a wrong day's hours still are (evaluation/cases.py reference_facts)."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from frontdesk.answer import Answer
from frontdesk.answer.dates import date_facts
from frontdesk.evaluation.cases import Case, reference_facts, run_case, source_corpus, wrong_facts
from frontdesk.testing import ScriptedModel

FOOTER = ("Öffnungszeiten\nMo, Do 8:00–12:00 und 13:30–16:00\nDi 8:00–12:00 und 13:30–18:00\nMi, Fr 8:00–12:00\n"
          "Repair-Café: jeden zweiten Dienstag im Monat um 18:00 Uhr. Im Dezember und im August fällt es aus.")
PAGE = "Visit us: Our citizens' office helps with ID cards and registrations.\n" + FOOTER
NOW = datetime(2026, 12, 2, 12, 0)  # a Wednesday


def _answer(text: str) -> Answer:
    return Answer(text, [], [], True, False, "en", "model", "scripted")


def _wrong(answer: str, question: str, with_schedule: bool = True) -> list[str]:
    facts = date_facts(question, PAGE, NOW.date(), "en")
    if with_schedule:
        facts += reference_facts(question, [PAGE], NOW, "en")
    return wrong_facts(_answer(answer), Case([question]), PAGE, PAGE, "\n".join(facts))


@pytest.mark.parametrize(("question", "answer", "wrong"), [
    ("What are the opening hours on Tuesday?", "The opening hours on Tuesday are 8:00–12:00 and 13:30–18:00.", False),
    ("What are the opening hours on Tuesday?", "On Tuesday we are open from 8:00 to 12:00 and 13:30 to 18:00.", False),
    ("What are the opening hours on Tuesday?", "The opening hours on Tuesday are 8:00–12:00 and 13:30–16:00.", True),
    ("When are you open on Wednesday?", "On Wednesday we are open 8:00–12:00.", False),
    ("When are you open on Wednesday?", "On Wednesday we are open 8:00–12:00 and 13:30–18:00.", True),
    ("When is the next Repair Café?", "The next Repair Café is on Tuesday, 12 January 2027, at 18:00.", False),
    ("When is the next Repair Café?", "The next Repair Café is on Tuesday, 8 December 2026, at 18:00.", True),
    ("When is the next Repair Café?", "The next Repair Café is on Tuesday, 9 February 2027, at 18:00.", True),  # later
    ("When is the next Repair Café?", "It is on 12 January 2027 and then on 9 February 2027.", False),
])
def test_eval_reads_the_computed_schedule_like_the_responder(question: str, answer: str, wrong: bool) -> None:
    assert bool(_wrong(answer, question)) is wrong, _wrong(answer, question)


def test_without_the_computed_day_facts_a_correct_answer_was_counted_wrong() -> None:
    """What eval did before: "Tuesday" is in no source clause that holds the hours."""
    right = "The opening hours on Tuesday are 8:00–12:00 and 13:30–18:00."
    assert _wrong(right, "What are the opening hours on Tuesday?", with_schedule=False)


def test_run_case_counts_a_correct_computed_answer_as_correct(app, tmp_path) -> None:
    from frontdesk.answer import Responder

    site = tmp_path / "site"
    site.mkdir()
    (site / "visit.html").write_text(
        "<html lang='en'><head><title>Visit us</title></head><body><main><h1>Visit us</h1>"
        "<p>Our citizens' office helps with ID cards, passports and registrations.</p></main><footer>"
        "<h3>Sprechzeiten</h3><p>Mo, Do: 8:00–12:00 and 13:30–16:00</p><p>Di: 8:00–12:00 and 13:30–18:00</p>"
        "<p>Mi, Fr: 8:00–12:00</p><p>We are closed on public holidays and between Christmas and New Year.</p>"
        "</footer></body></html>")
    app.create_agent("office", persona="A citizens' office.")
    app.add_source("office", str(site))
    agent = app.agent("office")
    said = "On Tuesday we are open from 8:00 to 12:00 and 13:30 to 18:00."
    responder = Responder(app.store, app.search_engine, app.settings, ScriptedModel(said))
    case = Case(["What are your opening hours on Tuesday?"], today=date(2026, 12, 2))
    result = run_case(responder, app.store, agent, case, source_corpus(app.store, agent, NOW), "UTC")
    assert said in result.answer.answer and result.unsupported == [], result.unsupported
