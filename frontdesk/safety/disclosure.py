"""AI disclosure (issue 18 item 5; EU AI Act, Article 50): whoever sincerely asks learns it is an AI.

One detector for every agent and character: :func:`asks_if_ai` recognises a sincere question
about the other side's nature ("are you a bot?", "am I talking to a real person?", "bin ich mit
einem Menschen verbunden?", "mit wem spreche ich?") in English and German. It is built from
parts, not a list of sentences: a question (a question mark or an interrogative word order),
a reference to the other side or to the conversation (you/du/Sie/this/hier/"am I talking to"),
and a nature word (AI, bot, human, person, machine, KI, Mensch, …). :func:`disclosure_answer`
is the fixed, checked answer in the customer's language, with the offer of a person;
:func:`claims_human` finds a sentence in which a model pretends to be a person, so that it can
be dropped. :data:`LABEL` is what the web chat shows.
"""

from __future__ import annotations

import re

#: What the web chat shows next to the agent's name, in each language.
LABEL = {"en": "AI assistant", "de": "KI-Assistent"}

_NATURE_EN = (r"(?:an?\s+)?(?:real|actual|live|living|genuine)?\s*(?:human(?:\s+being)?|person|people|"
              r"a\.?i\.?|ai|artificial intelligence|bot|robot|chat\s?bot|machine|computer|program|software|"
              r"language model|llm|chatgpt|gpt|automated|automatic|real)")
_NATURE_DE = (r"(?:eine?[mnr]?\s+)?(?:echte[nmr]?\s+|richtige[nmr]?\s+|lebende[nmr]?\s+)?(?:mensch\w*|person|"
              r"k\.?i\.?|künstliche\w*\s+intelligenz|bot|roboter|chat\s?bot|maschine|computer|programm|software|"
              r"sprachmodell|chatgpt|automat\w*|echt|real|mitarbeiter\w*)")

_QUESTION_PARTS = [
    # "are you (really) a bot", "r u human", "you're a bot, aren't you", "you a real person?"
    rf"\b(?:are|r)\s+(?:you|u|ya)\s+(?:really\s+|actually\s+|even\s+|just\s+)*(?:not\s+)?{_NATURE_EN}\b",
    rf"\b(?:you're|youre|you are)\s+(?:really\s+|actually\s+|just\s+)*{_NATURE_EN}\b[^.!]*\?",
    # "am I talking/chatting/speaking to a human", "is this a bot", "is there a real person"
    rf"\b(?:am\s+i|are\s+we|i'?m)\s+(?:\w+\s+)?(?:talking|chatting|speaking|writing|texting|connected)\s+"
    rf"(?:to|with)\s+{_NATURE_EN}\b",
    rf"\bis\s+(?:this|that|it)\s+(?:really\s+|actually\s+)?{_NATURE_EN}\b",
    r"\bis\s+there\s+(?:an?\s+)?(?:(?:real|actual|live)\s+)?(?:human|person)(?:\s+being)?\s+(?:here|there|i|behind|"
    r"on\s+the|reading|answering|at\s+the)",
    rf"\b(?:is|are)\s+(?:this|these)\s+(?:answers?|replies|messages?|chat)\s+(?:written\s+by\s+|from\s+)?{_NATURE_EN}",
    r"\bwho\s+(?:am\s+i|are\s+we)\s+(?:talking|chatting|speaking|writing)\s+(?:to|with)\b",
    r"\b(?:what|who)\s+are\s+you\s*\?",
    # German: "bist du (wirklich) ein Bot", "sind Sie ein Mensch"
    rf"\b(?:bist\s+du|sind\s+sie|seid\s+ihr)\s+(?:\w+\s+){{0,2}}?(?:wirklich\s+|echt\s+|tatsächlich\s+|nur\s+)*"
    rf"(?:k?eine?\s+)?{_NATURE_DE}\b",
    # "rede/spreche/schreibe/chatte ich (hier) mit einem Menschen", "bin ich mit einem Menschen verbunden"
    rf"\b(?:rede|spreche|schreibe|chatte|kommuniziere)\s+ich\s+(?:hier\s+|gerade\s+|wirklich\s+)*mit\s+{_NATURE_DE}\b",
    rf"\bbin\s+ich\s+(?:hier\s+|gerade\s+|wirklich\s+)*(?:mit\s+{_NATURE_DE}|bei\s+{_NATURE_DE})\s*\w*\s+verbunden",
    rf"\b(?:ist\s+das|ist\s+dies|ist\s+hier)\s+(?:wirklich\s+|echt\s+)?{_NATURE_DE}\b",
    rf"\bantwortet\s+(?:hier\s+|mir\s+)*{_NATURE_DE}\b",
    r"\bmit\s+wem\s+(?:rede|spreche|schreibe|chatte)\s+ich\b",
    r"\b(?:wer|was)\s+bist\s+du\s*\?",
]
_ASKS = re.compile("|".join(_QUESTION_PARTS), re.I)
#: Questions about a nature word that are about something else: a product, a job, the shop's staff.
_NOT_ABOUT_US = re.compile(
    r"\b(?:(?:are|is)\s+(?:you|u)\s+(?:a\s+)?(?:person|people)\s+(?:who|that)|person(?:s|en)?\s+(?:pro|per)\b|"
    r"\bfür\s+\d+\s+person|\bper\s+person|\bhow\s+many\s+people|\bpro\s+person)", re.I)
_CLAIMS_HUMAN = re.compile(
    r"\b(?:i am|i'm|im)\s+(?:a\s+|an\s+)?(?:real\s+|actual\s+)?(?:human(?:\s+being)?|person|"
    r"not\s+an?\s+(?:ai|a\.i\.|bot|robot|machine|program|computer|chatbot))\b|"
    r"\bich\s+bin\s+(?:ein\s+|eine\s+)?(?:echte[rs]?\s+|richtige[rs]?\s+)?(?:mensch|person|"
    r"keine?\s+(?:ki|bot|maschine|programm|computer|roboter|chatbot))\b", re.I)


def asks_if_ai(text: str) -> bool:
    """Whether ``text`` sincerely asks if the other side is an AI, a bot or a person."""
    if not text:
        return False
    lowered = " ".join(text.split())
    return bool(_ASKS.search(lowered)) and not _NOT_ABOUT_US.search(lowered)


def claims_human(sentence: str) -> bool:
    """Whether a sentence of a reply claims to be a person (or denies being an AI)."""
    return bool(_CLAIMS_HUMAN.search(sentence or ""))


def disclosure_answer(language: str, name: str | None = None, *, offer_person: bool = True) -> str:
    """The fixed answer: it is an AI, and (for agents) a person of the team can take over."""
    if language == "de":
        who = f"Ich bin {name}, ein KI-Assistent" if name else "Ich bin ein KI-Assistent"
        text = f"{who}: ein Computerprogramm, kein Mensch."
        if offer_person:
            text += " Wenn Sie möchten, gebe ich Ihr Anliegen an eine Mitarbeiterin oder einen Mitarbeiter weiter."
        return text
    who = f"I'm {name}, an AI assistant" if name else "I'm an AI assistant"
    text = f"{who}: a computer program, not a person."
    if offer_person:
        text += " If you like, I can pass your question to a member of the team."
    return text
