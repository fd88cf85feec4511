"""Issue 18 items 3-5: injection in ingested content, hazardous messages, AI disclosure."""

from __future__ import annotations

import pytest

from frontdesk.safety import disclosure

SINCERE = [
    "are you a bot?", "Are you a real person?", "am I talking to a real person?", "r u human",
    "is this a bot?", "Are you an AI or a human?", "Am I chatting with a machine?", "who am I talking to?",
    "is there a real person I can talk to?", "are you ChatGPT?", "Are you actually human?",
    "Bist du ein Bot?", "bin ich mit einem Menschen verbunden?", "Sind Sie ein Mensch?",
    "Rede ich hier mit einer KI?", "mit wem spreche ich?", "Ist das ein Chatbot?",
    "Spreche ich mit einem echten Menschen?", "Bist du echt?",
]
NOT_ABOUT_US = [
    "Do you sell AI books?", "How much is a table for 4 persons?", "Is the coffee real arabica?",
    "Are you open on Sunday?", "What does the price per person include?", "Wie viel kostet es pro Person?",
    "Is there a person-sized locker?", "Can I bring my robot vacuum?", "Habt ihr Kuchen?", "Is this decaf?",
]


@pytest.mark.parametrize("text", SINCERE)
def test_sincere_questions_about_the_agent_are_recognised(text: str) -> None:
    assert disclosure.asks_if_ai(text)


@pytest.mark.parametrize("text", NOT_ABOUT_US)
def test_questions_about_other_things_are_not(text: str) -> None:
    assert not disclosure.asks_if_ai(text)


def test_the_fixed_answer_says_ai_and_offers_a_person_in_the_customers_language() -> None:
    en, de = disclosure.disclosure_answer("en"), disclosure.disclosure_answer("de", "Mia")
    assert "AI" in en and "not a person" in en and "team" in en
    assert "KI-Assistent" in de and "kein Mensch" in de and "Mitarbeiter" in de and "Mia" in de
    assert "team" not in disclosure.disclosure_answer("en", offer_person=False)
    assert disclosure.claims_human("Yes, I'm a real person, don't worry.")
    assert disclosure.claims_human("Ich bin keine KI.")
    assert not disclosure.claims_human(disclosure.disclosure_answer("en"))
    assert not disclosure.claims_human(disclosure.disclosure_answer("de"))
