"""What an answer means, beyond its figures (meaning.py, verify.denied_claims): a translation of
the evidence that says something else, an answer that only restates the question, and a "yes" to
what the evidence denies or rules out. Through the responder with scripted models, and in
frontdesk eval's independent check."""

from __future__ import annotations

from pathlib import Path

import pytest

from frontdesk.answer import Answer, Responder
from frontdesk.answer.meaning import condition_words, translation_problems, vacuous
from frontdesk.answer.verify import UNBACKED_DENIAL, denied_claims, unbacked_denials
from frontdesk.app import Frontdesk
from frontdesk.evaluation.cases import Case, wrong_facts
from frontdesk.testing import FunctionModel, ScriptedModel
from frontdesk.testing.models import CallInfo, Message

HOLIDAYS = "We are closed on public holidays in Hamburg, including 24, 25 and 26 December and 1 January."


def page(title: str, body: str, lang: str) -> str:
    return (f'<html lang="{lang}"><head><title>{title}</title></head><body><main><h1>{title}</h1>'
            f"{body}</main></body></html>")


@pytest.fixture
def office(app: Frontdesk, tmp_path: Path) -> Frontdesk:
    """A small business with English opening hours and German citizens' services."""
    site = tmp_path / "site"
    site.mkdir()
    (site / "hours.html").write_text(page("Public holidays", f"<p>{HOLIDAYS}</p>", "en"))
    (site / "ausweis.html").write_text(page(
        "Personalausweis", "<p>Den Personalausweis können Sie nur persönlich im Bürgeramt beantragen. "
        "Bringen Sie ein biometrisches Passfoto mit.</p>", "de"))
    (site / "passport.html").write_text(page(
        "Passports", "<p>You can only apply for a passport in person at the citizens' office. "
        "Please bring a biometric photo.</p>", "en"))
    (site / "familien.html").write_text(page(
        "Unterstützung für Familien", "<p>Familien mit Kindern erhalten Kindergeld: 255 Euro im Monat je Kind. "
        "Den Antrag stellen Sie bei der Familienkasse.</p>", "de"))
    app.create_agent("office", persona="The front desk.")
    assert app.add_source("office", str(site)).ok
    return app


def translator(german: str, english_back: str) -> FunctionModel:
    """A model that declines to phrase, translates into German as told, and back into English as told."""
    def reply(messages: list[Message], info: CallInfo) -> str:
        system = messages[0]["content"]
        if system.startswith("Translate the user's text into German"):
            return german
        if system.startswith("Translate the user's text into English"):
            return english_back
        return "NO_ANSWER"
    return FunctionModel(reply)


QUESTION = "Welche Feiertage habt ihr geschlossen?"


def ask(app: Frontdesk, model: FunctionModel, question: str) -> Answer:
    return Responder(app.store, app.search_engine, app.settings, model).answer(app.agent("office"), question)


# -- 1. a translation that changes the meaning -------------------------------------------------

def test_a_translation_that_changes_the_meaning_is_not_used(office: Frontdesk) -> None:
    # the demo's failure: "closed on public holidays" became "closed at the weekend"; every number kept
    model = translator("Am Wochenende haben wir in Hamburg geschlossen, auch am 24., 25. und 26. Dezember und am 1. Januar.",
                       "We are closed at the weekend in Hamburg, including 24, 25 and 26 December and 1 January.")
    answer = ask(office, model, QUESTION)
    assert answer.mode == "evidence" and "Wochenende" not in answer.answer
    assert answer.answer.startswith("Unsere Informationen dazu (auf Englisch):") and HOLIDAYS in answer.answer
    assert len(model.calls) == 3, "answer, translation, back-translation"
    assert "back_translation_s" in answer.timings
    assert any("weekend" in p for p in answer.problems)  # the transcript says why it is quoted


def test_a_translation_that_drops_the_condition_is_not_used(office: Frontdesk) -> None:
    model = translator("Wir haben in Hamburg am 24., 25. und 26. Dezember und am 1. Januar geschlossen.",
                       "We are closed in Hamburg on 24, 25 and 26 December and 1 January.")
    answer = ask(office, model, QUESTION)
    assert "auf Englisch" in answer.answer and HOLIDAYS in answer.answer


def test_a_faithful_translation_is_kept(office: Frontdesk) -> None:
    german = "An Feiertagen in Hamburg haben wir geschlossen, auch am 24., 25. und 26. Dezember und am 1. Januar."
    model = translator(german, "We are closed on public holidays in Hamburg, including 24, 25 and 26 December "
                               "and 1 January.")
    answer = ask(office, model, QUESTION)
    assert answer.mode == "evidence" and answer.answer == german
    assert "auf Englisch" not in answer.answer


@pytest.mark.parametrize(("back", "problem"), [
    ("We are closed at weekends in Hamburg.", "says what the source does not: weekends"),
    ("We are closed in Hamburg.", "lost a condition: public, holidays"),
    ("We are open on public holidays in Hamburg.", "says what the source does not: open"),
])
def test_translation_problems_name_what_changed(back: str, problem: str) -> None:
    source = "We are closed on public holidays in Hamburg."
    assert any(problem in p for p in translation_problems(source, back))
    assert translation_problems(source, "On public holidays we are closed in Hamburg.") == []


def test_weekday_abbreviations_and_prepositions_are_no_new_words() -> None:
    source = "Express delivery the next working day if ordered Mon–Fri by 14:00."
    assert translation_problems(source, "Express delivery the next working day if ordered Monday through Friday "
                                        "by 14:00.") == []
    assert translation_problems(source, "Express delivery the next working day if ordered Monday through Sunday "
                                        "by 14:00.")
    # what the packaged model made of a size table: "Chest" came back as "Head"
    assert translation_problems("S: Chest (cm) 88–93; Waist (cm) 74–79", "Head (cm) 88-93; Top (cm) 74-79")


def test_a_lost_negation_or_restriction_is_a_changed_meaning() -> None:
    source = "Applying by post is not possible. Passports are issued only in person."
    assert "the translation lost a negation" in translation_problems(
        source, "Applying by post is possible. Passports are issued only in person.")
    assert "the translation lost a restriction" in translation_problems(
        source, "Applying by post is not possible. Passports are issued in person.")
    assert translation_problems(source, "Applying by post is not possible. Passports are only issued in person.") == []


def test_condition_words_are_what_follows_a_preposition_and_the_calendar() -> None:
    words = condition_words("Shipping within Germany is free from 40 EUR, except on Sundays in December.")
    assert set(words) == {"germany", "sundays", "december"}


# -- 2. an answer that restates the question ---------------------------------------------------

@pytest.mark.parametrize(("answer", "question"), [
    ("Familien können finanzielle Unterstützung erhalten.", "Können Familien finanzielle Unterstützung erhalten?"),
    ("Ja, Familien können finanzielle Unterstützung erhalten.", "Können Familien finanzielle Unterstützung erhalten?"),
    ("Warum sind Impfungen wichtig?", "Warum sind Impfungen wichtig?"),
    ("Impfungen sind wichtig.", "Warum sind Impfungen wichtig?"),
    ("Yes, you can pay with PayPal.", "Can I pay with PayPal?"),
    ("Ja, wir liefern in die USA.", "Liefert ihr in die USA?"),  # "liefern" and "liefert" have two stems
])
def test_a_restatement_of_the_question_is_vacuous(answer: str, question: str) -> None:
    assert vacuous(answer, question)


@pytest.mark.parametrize(("answer", "question"), [
    ("Yes, we accept PayPal, credit cards and Klarna invoice.", "Can I pay with PayPal?"),
    ("Ja, 255 Euro im Monat.", "Bekommen Familien Kindergeld?"),  # a figure is content
    ("Impfungen schützen vor schweren Krankheiten.", "Warum sind Impfungen wichtig?"),
    ("Nein, wir liefern nicht in die USA.", "Liefert ihr in die USA?"),  # a negation is content
])
def test_a_short_answer_that_adds_content_is_not_vacuous(answer: str, question: str) -> None:
    assert not vacuous(answer, question)


def test_a_vacuous_answer_is_treated_like_no_answer(office: Frontdesk) -> None:
    question = "Können Familien finanzielle Unterstützung erhalten?"
    echo = "Familien können finanzielle Unterstützung erhalten."
    answer = ask(office, ScriptedModel(echo), question)
    assert echo not in answer.answer and any("restates the question" in p for p in answer.problems)
    assert answer.mode in ("evidence", "declined")
    if answer.mode == "evidence":
        assert "255 Euro" in answer.answer

    content = "Ja, Familien mit Kindern erhalten Kindergeld: 255 Euro im Monat je Kind."
    answer = ask(office, ScriptedModel(content), question)
    assert answer.mode == "model" and answer.answer.startswith(content) and not answer.problems

    # a restatement that content follows is kept as the answer's opening
    answer = ask(office, ScriptedModel(f"{echo} {content}"), question)
    assert answer.mode == "model" and answer.answer.startswith(f"{echo} {content}")


def test_a_bare_yes_that_restates_the_question_gets_the_evidence_quoted(office: Frontdesk) -> None:
    """"Ja, Sie können X" to "Kann ich X?" is the model's reading that the evidence answers the
    question, but its yes is nothing the check can hold to the sources: the customer gets the
    evidence's own sentence, whatever the yes said."""
    question = "Kann ich meinen Personalausweis im Bürgeramt beantragen?"
    answer = ask(office, ScriptedModel("Ja, Sie können Ihren Personalausweis im Bürgeramt beantragen."), question)
    assert any("restates the question" in p for p in answer.problems)
    assert answer.mode == "evidence" and answer.grounded
    assert "nur persönlich im Bürgeramt" in answer.answer and not answer.answer.startswith("Ja")
    # evidence that covers little of the question is quoted too, after a yes; without one, declined
    question = "Bekommen Familien mit Kindern auch im Ausland Unterstützung?"
    answer = ask(office, ScriptedModel("Ja, Familien mit Kindern bekommen auch im Ausland Unterstützung."), question)
    assert answer.mode == "evidence" and "255 Euro" in answer.answer and not answer.answer.startswith("Ja")
    echo = ask(office, ScriptedModel("Familien mit Kindern bekommen auch im Ausland Unterstützung."), question)
    assert echo.mode == "declined" and not echo.grounded


def test_a_no_the_sources_do_not_make_never_reaches_the_customer(office: Frontdesk) -> None:
    """The model declining in its own words ("… wird in den Quellen nicht angegeben") is no answer."""
    question = "Wie ist die Handynummer der Familienkasse?"
    soft = "Die Handynummer der Familienkasse wird in den Quellen nicht angegeben."
    answer = ask(office, ScriptedModel(soft), question)
    assert soft not in answer.answer and UNBACKED_DENIAL in answer.problems


def test_a_vacuous_fast_model_answer_goes_to_the_answer_model(office: Frontdesk) -> None:
    big = ScriptedModel("Ja, Familien mit Kindern erhalten Kindergeld: 255 Euro im Monat je Kind.", name="big")
    fast = ScriptedModel("Familien können finanzielle Unterstützung erhalten.", name="fast")
    responder = Responder(office.store, office.search_engine, office.settings, big, fast_model=fast)
    answer = responder.answer(office.agent("office"), "Können Familien finanzielle Unterstützung erhalten?")
    assert fast.calls and answer.model == "big" and "255 Euro" in answer.answer


# -- 3. a yes to what the evidence denies ------------------------------------------------------

FOOTER = ("FunkFix Reparatur Karl-Liebknecht-Straße 88 04275 Leipzig Tel. 0341 22964410 WhatsApp (nur Nachrichten): "
          "0176 55501234 Repair-Café & Workshops Löt-Workshop für Einsteiger 35 € pro Person")
GERMAN_Q = "Kann ich meinen Personalausweis per Post beantragen?"
GERMAN_YES = "Ja, Sie können Ihren Personalausweis per Post beantragen."
ENGLISH_Q = "Can I apply for my passport by post?"
ENGLISH_YES = "Yes, you can apply for your passport by post."


@pytest.mark.parametrize(("evidence", "answer", "question"), [
    ("Den Personalausweis können Sie nur persönlich im Bürgeramt beantragen.", GERMAN_YES, GERMAN_Q),
    ("Anträge auf einen Personalausweis nehmen wir ausschließlich vor Ort entgegen.", GERMAN_YES, GERMAN_Q),
    ("Personalausweis: Die Beantragung per Post, per E-Mail oder online ist nicht möglich.", GERMAN_YES, GERMAN_Q),
    ("Kann ich den Personalausweis per Post beantragen? Nein, das ist leider nicht möglich.", GERMAN_YES, GERMAN_Q),
    ("You can only apply for a passport in person at the citizens' office.", ENGLISH_YES, ENGLISH_Q),
    ("Passports: applying by post, by e-mail or online is not possible.", ENGLISH_YES, ENGLISH_Q),
    ("Can I apply for a passport by post? No, this is not possible.", ENGLISH_YES, ENGLISH_Q),
    # a restriction in parentheses restricts the word before them
    (FOOTER, "Ja, Sie können uns per WhatsApp anrufen.", "Kann ich euch per WhatsApp anrufen?"),
])
def test_a_yes_against_a_denial_or_restriction_fails(evidence: str, answer: str, question: str) -> None:
    assert denied_claims(answer, evidence, question)


@pytest.mark.parametrize(("evidence", "answer", "question"), [
    # the restriction allows what the answer says
    ("Den Personalausweis können Sie nur persönlich im Bürgeramt beantragen.",
     "Ja, Sie können Ihren Personalausweis persönlich im Bürgeramt beantragen.",
     "Kann ich meinen Personalausweis persönlich beantragen?"),
    ("Termine vergeben wir nur online.", "Ja, Sie können online einen Termin buchen.", "Kann ich online einen Termin buchen?"),
    ("You can only apply for a passport in person at the citizens' office.",
     "Yes, you can apply for your passport in person.", "Can I apply for my passport in person?"),
    # an FAQ whose answer is yes; a list with a denial after it that names other things
    ("Kann ich mein Gerät per Post einschicken? Ja. Legen Sie einen Zettel bei.",
     "Ja, Sie können Ihr Gerät per Post einschicken.", "Kann ich mein Gerät per Post einschicken?"),
    ("Wir akzeptieren PayPal und Visa, American Express und Schecks nehmen wir nicht an.",
     "Ja, Sie können mit PayPal bezahlen.", "Kann ich mit PayPal bezahlen?"),
    ("We accept credit cards, PayPal, Klarna invoice and SEPA direct debit.",
     "Yes, you can pay with PayPal.", "Can I pay with PayPal?"),
    # ... and nothing else of a footer without sentence ends
    (FOOTER, "Der Löt-Workshop kostet 35 € pro Person.", "Was kostet der Löt-Workshop?"),
    (FOOTER, "Ja, Sie können uns per WhatsApp Nachrichten schicken: 0176 55501234.",
     "Kann ich euch per WhatsApp Nachrichten schicken?"),
])
def test_a_yes_the_evidence_allows_passes(evidence: str, answer: str, question: str) -> None:
    assert denied_claims(answer, evidence, question) == []


@pytest.mark.parametrize(("question", "lie", "truth"), [
    (GERMAN_Q, GERMAN_YES, "nur persönlich"),
    (ENGLISH_Q, ENGLISH_YES, "only apply for a passport in person"),
])
def test_a_yes_against_a_restriction_never_reaches_the_customer(office: Frontdesk, question: str, lie: str,
                                                                truth: str) -> None:
    answer = ask(office, ScriptedModel(lie), question)
    assert lie not in answer.answer and any("contradiction" in p for p in answer.problems)
    # the evidence that denies is about the asked thing: it is the answer, not a decline
    assert answer.grounded and answer.mode == "evidence" and truth in answer.answer


# -- frontdesk eval's independent check --------------------------------------------------------

def _answer(text: str, language: str) -> Answer:
    return Answer(answer=text, citations=[], products=[], grounded=True, handoff=False, language=language,
                  mode="model", model="scripted")


def test_eval_counts_a_restatement_and_a_yes_against_a_denial_as_wrong_facts() -> None:
    corpus = "Personalausweis: Den Personalausweis können Sie nur persönlich im Bürgeramt beantragen."
    case = Case([GERMAN_Q])
    assert wrong_facts(_answer(GERMAN_YES, "de"), case, corpus, corpus)
    right = "Nein, den Personalausweis können Sie nur persönlich im Bürgeramt beantragen."
    assert wrong_facts(_answer(right, "de"), case, corpus, corpus) == []
    echo = Case(["Können Familien finanzielle Unterstützung erhalten?"])
    assert "restates the question without answering it" in wrong_facts(
        _answer("Familien können finanzielle Unterstützung erhalten.", "de"), echo, corpus, corpus)


@pytest.mark.parametrize(("answer", "evidence", "question", "unbacked"), [
    # the model declining in its own words, or a denial made up
    ("Florian Brandner's personal mobile number is not provided in the given sources.",
     "Florian Brandner runs the hotel. Phone 08023 1234.", "What is Florian Brandner's personal mobile number?", True),
    ("Das Wetter morgen in Bayrischzell wird nicht angegeben.", "Der Skibus fährt halbstündlich.",
     "Wie wird das Wetter morgen in Bayrischzell?", True),
    # a denial the sources back, or one that gives what the sources hold
    ("Nein, das Repair-Café ist nicht im August geöffnet.",
     "Das Repair-Café (nicht im August und Dezember) öffnet jeden zweiten Dienstag.", "Ist im August ein Repair-Café?", False),
    ("No, shipping is not free on all orders; it is free from 75 EUR.", "Free standard shipping in Germany from 75 EUR.",
     "Is shipping free on all orders?", False),
    ("No, we do not deliver to Packstations.", "We deliver only to home addresses.", "Can you deliver to a Packstation?", False),
    ("No, the sauna is not free for day guests, they pay the day ticket.", "Day guests pay the day ticket of the sauna.",
     "Is the sauna free for day guests?", False),
])
def test_a_denial_says_what_the_sources_say(answer: str, evidence: str, question: str, unbacked: bool) -> None:
    assert bool(unbacked_denials(answer, evidence, question)) is unbacked
