"""Drafting evaluation cases from an agent's own knowledge, for the owner to review.

The drafts are questions whose answers the sources state outright: each FAQ's question (the
answer's numbers and times must appear), each product's price and availability, and a few
questions no business's sources answer (which must be declined). They are a starting point:
an owner reads them, fixes or deletes what is wrong, and adds the questions customers really
ask. Kept in their own file, apart from any set used to tune prompts or models, so a score on
them is not a score on what was tuned.
"""

from __future__ import annotations

import random
import re
from datetime import UTC, datetime
from typing import Any

import yaml

from ..domain import Agent, product_fields
from ..store import KnowledgeStore

_FACT = re.compile(r"\d{1,2}[:.]\d{2}|\d+(?:[.,]\d+)?")
OUT_OF_SCOPE = {"en": ["Who won yesterday's football match?", "What will the weather be like tomorrow?",
                       "Can you write me a poem about the sea?"],
                "de": ["Wer hat gestern das Fußballspiel gewonnen?", "Wie wird das Wetter morgen?"]}


def _pattern(value: str) -> str:
    """A regular expression for a number as answers write it (9.90, 9,90; 9:00, 9.00)."""
    return re.sub(r"\\?[.,:]", "[.,:]", re.escape(value))


def suggest(store: KnowledgeStore, agent: Agent, limit: int = 40, seed: int = 0) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    now = datetime.now(UTC)
    sources = {s.id: s for s in store.list_sources(agent.id)}
    faqs, products = [], []
    for item in store.items_of_agent(agent.id):
        source = sources.get(item.source_id)
        if item.kind == "product":
            products.append(item)
        elif source is not None and source.kind == "faq":
            faqs.append(item)
    cases: list[dict[str, Any]] = []
    for item in rng.sample(faqs, min(len(faqs), limit // 2)):
        answer = item.text.split("\n", 1)[1] if "\n" in item.text else item.text
        facts = list(dict.fromkeys(_FACT.findall(answer)))[:2]
        case: dict[str, Any] = {"question": item.title, "category": "suggested: faq",
                                "citations": [item.title[:60]]}
        if facts:
            case["expect"] = [_pattern(f) for f in facts]
        cases.append(case)
    for item in rng.sample(products, min(len(products), max(0, limit - len(cases) - 3) // 2)):
        fields = product_fields(item.fields, now)
        if fields.get("price"):
            cases.append({"question": f"How much is the {item.title}?", "category": "suggested: price",
                          "expect": [_pattern(str(fields["price"]))], "products": [item.key]})
        if fields.get("availability"):
            cases.append({"question": f"Is the {item.title} in stock?", "category": "suggested: stock",
                          "products": [item.key]})
    languages = store.agent_languages(agent.id) or ["en"]
    for question in OUT_OF_SCOPE.get(languages[0], OUT_OF_SCOPE["en"]):
        cases.append({"question": question, "category": "suggested: out of scope", "decline": True})
    return cases[:limit]


def as_yaml(agent: Agent, cases: list[dict[str, Any]]) -> str:
    header = (f"# Draft evaluation cases for {agent.name}, made by `frontdesk eval suggest` on "
              f"{datetime.now(UTC):%Y-%m-%d} from the agent's own knowledge.\n"
              "# Review every case: fix or delete what is wrong, add the questions your customers really ask.\n"
              "# Keep this file apart from any set you use to tune prompts or models.\n")
    return header + yaml.safe_dump(cases, allow_unicode=True, sort_keys=False, width=100)
