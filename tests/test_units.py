"""A number keeps the unit its source gives it: "149 €" said as "149 hours" is a wrong fact,
for the responder's check and for eval's independent one (answer/units.py)."""

from __future__ import annotations

import pytest

from frontdesk.answer.units import numbers_with_units, price_units, unit_mismatches
from frontdesk.answer.verify import unsupported_claims
from frontdesk.testing import ScriptedModel

PRICES = ("Displaytausch iPhone 13: ab 149 € zzgl. Material. Rückgabe innerhalb von 30 Tagen. "
          "Studierende erhalten 10 % Rabatt. Das Repair-Café beginnt um 18:00 Uhr. Kaffee 250 g. "
          "Garantie: 12 Monate. Löt-Workshop am Samstag, 13. März 2027, max. 8 Plätze. "
          "Öffnungszeiten: Mo–Fr 10–13 und 14–18, Sa 10–14. Preisliste (€): Akku | 89")


@pytest.mark.parametrize(("answer", "wrong"), [
    ("The repair takes approximately 149 hours.", True),  # a price said as a duration
    ("Die Reparatur dauert etwa 149 Stunden.", True),
    ("A display replacement costs from 149 euros plus parts.", False),  # the unit translated
    ("Ein Displaytausch kostet ab EUR 149 zzgl. Material.", False),  # the symbol before the number
    ("The display replacement costs $149.", True),  # another currency is another unit
    ("You can return it within 30 hours.", True),  # the scale of a duration counts
    ("You can return it within 30 days.", False),
    ("Sie können es innerhalb von 30 Werktagen zurückgeben.", False),  # a day is a day
    ("Students get 10 € off.", True),  # a percentage said as an amount
    ("Studierende bekommen 10 Prozent Rabatt.", False),
    ("Das Repair-Café kostet 18 €.", True),  # a time of day said as a price
    ("The Repair Café starts at 6 pm.", False),  # 6 pm is 18:00
    ("The coffee comes in 250 kg bags.", True),
    ("The warranty lasts 12 days.", True),
    ("The warranty lasts 12 months.", False),
    ("Der Workshop ist am 13. März 2027 und hat 8 Plätze.", False),
    ("The workshop takes 13 hours.", True),  # 13 is a date's day and a time of day, never hours
    ("We open at 10 o'clock.", False),  # hours written without "Uhr" after the days are times
    ("A battery costs 89 €.", False),  # a number the sources write bare can carry any unit
    ("Ein Akku kostet 89 Minuten.", False),  # (that is the limit of this check)
])
def test_a_number_keeps_the_kind_of_unit_its_source_gives_it(answer: str, wrong: bool) -> None:
    assert bool(unit_mismatches(answer, PRICES)) is wrong, unit_mismatches(answer, PRICES)


@pytest.mark.parametrize(("text", "units"), [
    ("Mo–Fr 10–13 & 14–18:30 Uhr", ["time of day"] * 4),  # a range takes the unit at its end
    ("Kinder von 3 bis 14 Jahren 18 €", ["duration (year)", "duration (year)", "currency (EUR)"]),
    ("Vom 23.12. bis 3.1. geschlossen, 1.–15. August Betriebsferien", ["date"] * 4),
    ("8 am – 6 pm, 149,- €, 128 GB, 5 m², 65 W", ["time of day", "time of day", "currency (EUR)", "data (GB)",
                                                   "area (m²)", "electric (W)"]),
    ("Up to 2 may join on 3 May", [None, "date"]),  # "may" the verb is no month
    ("children up to 12 €14, adults €29", [None, "currency (EUR)", "currency (EUR)"]),  # € before 14 is 14's
    ("Tel. 0341 22964410", [None, None]),
])
def test_units_are_read_in_english_and_german(text: str, units: list[str | None]) -> None:
    assert [str(u) if u else None for _, u in numbers_with_units(text)] == units


def test_a_wrong_unit_is_an_unsupported_claim_for_eval_too() -> None:
    """eval's independent check is unsupported_claims over the whole source corpus."""
    assert any(p.startswith("unit of 149") for p in unsupported_claims("The repair takes about 149 hours.", PRICES))
    assert not unsupported_claims("A display replacement for the iPhone 13 costs from 149 € plus parts.", PRICES)


def test_a_price_said_as_a_duration_never_reaches_the_customer(app, tmp_path) -> None:
    from frontdesk.answer import Responder

    site = tmp_path / "site"
    site.mkdir()
    (site / "preise.html").write_text(
        "<html><head><title>Reparaturen und Preise</title></head><body><main><h1>Reparaturen und Preise</h1>"
        "<p>Ein Displaytausch beim iPhone 13 kostet 149 €. Die Reparatur dauert in der Regel 2 Stunden.</p>"
        "</main></body></html>")
    app.create_agent("repair", persona="A repair shop.")
    app.add_source("repair", str(site))
    model = ScriptedModel("Ein Displaytausch beim iPhone 13 dauert etwa 149 Stunden.")
    answer = Responder(app.store, app.search_engine, app.settings, model).answer(
        app.agent("repair"), "Wie lange dauert ein Displaytausch beim iPhone 13?")
    assert model.calls and any(p.startswith("unit of 149") for p in answer.problems)
    assert "149 Stunden" not in answer.answer


@pytest.mark.parametrize(("answer", "wrong"), [
    ("Ein Displaytausch beim iPhone 11 kostet 60 Minuten.", True),  # the duration of the repair, said as its price
    ("The battery swap costs 30 minutes.", True),
    ("Die Reparatur kostet 49 € und dauert 60 Minuten.", False),
    ("The wine tasting costs 45 EUR per person and starts at 19:30.", False),
    ("Die Sauna ist kostenlos und von 15 bis 20 Uhr geöffnet.", False),
    ("It costs nothing. It takes 2 days.", False),
])
def test_a_price_is_not_a_duration(answer: str, wrong: bool) -> None:
    assert bool(price_units(answer)) is wrong
    assert bool(unsupported_claims(answer, answer)) is wrong  # the figure is in the sources, with its unit
