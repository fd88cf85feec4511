"""Exceptions to a recurring event, in German and English (answer/schedule.py): excluded months,
dates and date ranges are taken out of the rule, a season ("Mai bis Oktober") keeps only its
months, a named period is taken out when the sources give its dates, and when they do not, no
date is computed: the source sentence is quoted instead."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from frontdesk.answer.schedule import EVENT_FACT, parse_schedule, schedule_facts
from frontdesk.testing import ScriptedModel

WINTER = date(2026, 12, 2)  # a Wednesday


def next_dates(text: str, today: date, n: int = 4) -> list[date]:
    schedule = parse_schedule(text, today)
    assert schedule.events, "the recurring event is read"
    return [d.date() for d in schedule.events[0].rule if d.date() >= today][:n]


@pytest.mark.parametrize(("text", "today", "expected"), [
    ("Repair-Café jeden ersten Samstag im Monat, außer im Dezember und August.", WINTER,
     [date(2027, 1, 2), date(2027, 2, 6), date(2027, 3, 6), date(2027, 4, 3)]),
    ("Every first Saturday of the month, except in December and August, we run a Repair Café.", WINTER,
     [date(2027, 1, 2), date(2027, 2, 6), date(2027, 3, 6), date(2027, 4, 3)]),
    # the exception in a sentence of its own about the same event
    ("Jeden zweiten Dienstag im Monat um 18:00 Uhr öffnen wir die Werkstatt zum Repair-Café.\n"
     "Im Dezember und im August fällt das Repair-Café aus.", date(2027, 7, 20),
     [date(2027, 9, 14), date(2027, 10, 12), date(2027, 11, 9), date(2028, 1, 11)]),
    ("Every second Tuesday of the month at 6 pm we open the workshop for our Repair Café. "
     "There is no Repair Café in December and August.", WINTER,
     [date(2027, 1, 12), date(2027, 2, 9), date(2027, 3, 9), date(2027, 4, 13)]),
    # a season: only its months
    ("An jedem ersten Samstag im Monat (Mai bis Oktober) führt der Seniorchef eine Wanderung.", WINTER,
     [date(2027, 5, 1), date(2027, 6, 5), date(2027, 7, 3), date(2027, 8, 7)]),
    ("On the first Saturday of every month from May to October, our host leads a sunrise hike.", WINTER,
     [date(2027, 5, 1), date(2027, 6, 5), date(2027, 7, 3), date(2027, 8, 7)]),
    ("Every Sunday from November to February we serve mulled wine at 15:00.", date(2027, 2, 20),
     [date(2027, 2, 21), date(2027, 2, 28), date(2027, 11, 7), date(2027, 11, 14)]),
    # excluded dates and date ranges
    ("Every Wednesday at 17:00 there is a tasting, except on 23 December and from 30 December to 6 January.",
     WINTER, [date(2026, 12, 2), date(2026, 12, 9), date(2026, 12, 16), date(2027, 1, 13)]),
    ("Jeden Mittwoch um 17 Uhr Verkostung, außer am 23.12. und vom 30.12. bis 6.1.", WINTER,
     [date(2026, 12, 2), date(2026, 12, 9), date(2026, 12, 16), date(2027, 1, 13)]),
    # a named period whose dates the sources give
    ("Jeden Donnerstag um 19 Uhr Spieleabend, nicht in den Schulferien.\n"
     "Schulferien 2027: Winterferien vom 9.2. bis 21.2.2027.", date(2027, 2, 1),
     [date(2027, 2, 4), date(2027, 2, 25), date(2027, 3, 4), date(2027, 3, 11)]),
])
def test_exceptions_are_taken_out_of_a_recurrence(text: str, today: date, expected: list[date]) -> None:
    assert next_dates(text, today) == expected


def test_the_months_left_out_are_said_with_the_dates() -> None:
    text = "Jeden zweiten Dienstag im Monat um 18:00 Uhr Repair-Café. Im Dezember und im August fällt es aus."
    facts = schedule_facts("Wann ist das nächste Repair-Café?", text, datetime(2026, 12, 2, 10), "de", [],
                           wants_dates=True)
    assert facts == ["Nächste Termine für „Jeden zweiten Dienstag im Monat um 18:00 Uhr Repair-Café.“ (nicht im "
                     "August und Dezember): Dienstag, 12. Januar 2027 18:00, Dienstag, 9. Februar 2027 18:00, "
                     "Dienstag, 9. März 2027 18:00."]


@pytest.mark.parametrize(("text", "language", "period"), [
    ("Jeden Donnerstag um 19 Uhr Spieleabend, nicht in den Schulferien.", "de", "Schulferien"),
    ("Every Tuesday at 18:00 we host a board game night (not on public holidays).", "en", "public holidays"),
    ("Jeden Samstag um 10 Uhr Kinderwerkstatt. An Feiertagen findet die Kinderwerkstatt nicht statt.", "de",
     "Feiertagen"),
])
def test_an_exception_without_dates_quotes_the_source_instead_of_a_date(text: str, language: str, period: str) -> None:
    facts = schedule_facts("When is the next one?", text, datetime(2026, 12, 2, 10), language, [], wants_dates=True)
    assert len(facts) == 1 and facts[0].startswith(EVENT_FACT) and period in facts[0]
    assert "2026" not in facts[0] and "2027" not in facts[0]  # no computed date
    assert text.split("\n")[0].split(". ")[0] in facts[0]  # the source sentence, quoted


# -- through the responder, with a scripted model ----------------------------------------------

@pytest.fixture
def club(app, tmp_path):
    site = tmp_path / "site"
    site.mkdir()
    (site / "repair-cafe.html").write_text(
        "<html><head><title>Repair-Café</title></head><body><main><h1>Repair-Café</h1>"
        "<p>Jeden zweiten Dienstag im Monat um 18:00 Uhr öffnen wir unsere Werkstatt zum Repair-Café.</p>"
        "<p>Im Dezember und im August fällt das Repair-Café aus.</p></main></body></html>")
    (site / "spieleabend.html").write_text(
        "<html><head><title>Spieleabend</title></head><body><main><h1>Spieleabend</h1>"
        "<p>Jeden Donnerstag um 19 Uhr laden wir zum Spieleabend ein, nicht in den Schulferien.</p>"
        "</main></body></html>")
    app.create_agent("club", persona="A repair shop with a club room.")
    app.add_source("club", str(site))
    return app


def test_the_next_date_is_never_in_an_excluded_month(club) -> None:
    from frontdesk.answer import Responder

    model = ScriptedModel("Das nächste Repair-Café ist am Dienstag, 8. Dezember 2026, um 18:00 Uhr.")
    responder = Responder(club.store, club.search_engine, club.settings, model)
    answer = responder.answer(club.agent("club"), "Wann ist das nächste Repair-Café?",
                              now=datetime(2026, 12, 2, 9, 0, tzinfo=UTC))
    assert answer.grounded and "8. Dezember" not in answer.answer and "12. Januar 2027" in answer.answer


def test_an_unresolved_exception_is_answered_with_the_source_sentence(club) -> None:
    from frontdesk.answer import Responder

    model = ScriptedModel("Der nächste Spieleabend ist am Donnerstag, 3. Dezember 2026, um 19 Uhr.")
    responder = Responder(club.store, club.search_engine, club.settings, model)
    answer = responder.answer(club.agent("club"), "Wann ist der nächste Spieleabend?",
                              now=datetime(2026, 12, 2, 9, 0, tzinfo=UTC))
    assert "3. Dezember" not in answer.answer and "nicht in den Schulferien" in answer.answer


def test_next_means_the_first_computed_date(club) -> None:
    """The model picked the second of the computed dates ("9. Februar" for the next after 12 January)."""
    from frontdesk.answer import Responder

    model = ScriptedModel("Das nächste Repair-Café ist am Dienstag, 9. Februar 2027, um 18:00 Uhr.")
    responder = Responder(club.store, club.search_engine, club.settings, model)
    answer = responder.answer(club.agent("club"), "Wann ist das nächste Repair-Café?",
                              now=datetime(2026, 12, 2, 9, 0, tzinfo=UTC))
    assert any(p.startswith("not the next date") for p in answer.problems)
    assert answer.answer.index("12. Januar 2027") < answer.answer.index("9. Februar 2027")
