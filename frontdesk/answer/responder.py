"""Grounded answers: retrieve, choose evidence, let the model phrase, check, and fall back.

The flow for one question:

1. Resolve it against the conversation ("and in 1 kg?" searches with the previous question
   and stays with the product family the customer was looking at).
2. Search the agent's knowledge and pick evidence: the best sentences of the best passages,
   the best products (as cards built from the catalog's fields), and computed date facts.
3. Decide whether the evidence can answer at all; if not, decline and offer a human without
   asking the model anything.
4. Let the model phrase the answer from the evidence, in the question's language, sentence by
   sentence; each sentence is checked (numbers, prices, dates, addresses, promises, names)
   before the customer sees it. A failed check stops the model, and the rest of the answer is
   taken from the evidence itself.
"""

from __future__ import annotations

import dataclasses
import re
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np

from ..config import Settings
from ..domain import Agent, StoredItem, effective_price, product_fields, utcnow
from ..errors import InvalidInput
from ..llm import ChatModel
from ..safety.injection import quote_source
from ..safety.screen import answer_problems as safety_answer_problems
from ..safety.screen import events as screened_events
from ..safety.screen import screen as safety_screen
from ..search.engine import RELEVANCE_BAND, YES_NO, SearchEngine
from ..search.query import match_options, parse_constraints
from ..search.text import STOPWORDS, LanguageDetector, tokens
from ..store import KnowledgeStore
from . import gate, judge, phrases
from .dates import date_facts, find_dates, question_days
from .evidence import (
    Evidence,
    Matcher,
    SentenceVectors,
    content_words,
    pooled_evidence,
    product_facts,
    score_passage,
)
from .meaning import translation_problems, vacuous
from .schedule import ASKS_OPEN, EVENT_FACT, not_the_next_date, schedule_facts
from .verify import (
    DENIAL,
    YES_NO_START,
    dropped_conditions,
    evidence_numbers,
    number_forms,
    price_mismatches,
    self_contradictions,
    unsupported_claims,
)

NO_ANSWER = "NO_ANSWER"
#: The evidence: the EVIDENCE_SENTENCES best sentences over the DOCUMENT_HITS best document
#: hits, each scoring at least SENTENCE_BAND times the best one's, only in the best passage's
#: language when ONE_LANGUAGE (bench/evidence_recall.py measures them; docs/answers.md, "How much
#: evidence the model reads").
DOCUMENT_HITS = 6
EVIDENCE_SENTENCES = 4
SENTENCE_BAND = 0.4
ONE_LANGUAGE = True
MAX_PRODUCTS = 3
MAX_INSTRUCTIONS = 2000  # characters of the agent's instructions that go into the prompt
_FOLLOW_UP = re.compile(r"^\s*(?:and|und|what about|how about|und wie|und was|wie wäre|also|ok(?:ay)?,?)\b", re.I)
_PRODUCT_INTENT = re.compile(
    r"\b(?:price|cost|costs|how much|buy|order|stock|available|sell|have you got|do you have|cheap|"
    r"preis|kostet|kosten|kaufen|bestellen|lager|lieferbar|verfügbar|habt ihr|haben sie|führt ihr|gibt es)\b", re.I)
_HANDOFF = re.compile(
    r"\b(?:human|person|real person|someone|staff|agent|complain|complaint|refund|broken|damaged|defective|"
    r"wrong (?:item|order)|never arrived|mensch|mitarbeiter\w*|beschwer\w*|reklamation|erstattung|kaputt|"
    r"defekt|beschädigt|nicht angekommen)\b", re.I)
#: Words any product card answers (its price, its stock, its sale), so they count as found in a product.
PRODUCT_WORDS = ("price cost costs much buy order stock available availability sell have cheapest sale offer "
                 "preis kostet kosten kaufen bestellen lager lieferbar verfügbar verfügbarkeit haben führen "
                 "günstigste günstigsten billigste angebot reduziert")
#: Catalog questions answered from the catalog's fields: the cheapest or dearest of a kind, what is on sale.
_CHEAPEST = re.compile(r"\b(?:cheapest|least expensive|lowest[- ]priced|most affordable|günstigste[nrms]?|"
                       r"billigste[nrms]?|preiswerteste[nrms]?|preisgünstigste[nrms]?)\b", re.I)
_DEAREST = re.compile(r"\b(?:most expensive|priciest|teuerste[nrms]?)\b", re.I)
_ON_SALE = re.compile(r"\b(?:on sale|sale|discounted|reduced|on offer|special offer|im angebot|angebote?|reduziert\w*|"
                      r"rabattiert\w*|sonderangebot\w*)\b", re.I)
_REFERENCE = re.compile(r"\b(?:it|its|that one|this one|them|they|those|es|ihn|dieses?n?|davon|dazu|den|das)\b", re.I)
#: Questions that ask for a figure (an amount, a time, a place): an answer to them without one
#: gets the evidence's sentences added ("Shipping is free in Germany." to "from what order value").
_QUANTITY = re.compile(r"\b(?:where|wo|address|adresse|how much|how many|how long|when|what time|hours|price|cost|costs|wie viel|wieviel|"
                       r"wie lange|wann|uhrzeit|öffnungszeiten|preis|kostet|kosten|geöffnet|open|"
                       r"(?:what|which|minimum|order) (?:value|amount|total)|minimum|ab welche[mnr]?|mindest\w*|bestellwert|betrag)\b",
                       re.I)
_WHEN = re.compile(r"(?<!since )(?<!seit )\b(?:when|next|upcoming|soon|wann|bald|demnächst|nächste[nrms]?|naechste[nrms]?|"
                   r"kommende[nrms]?|termin\w*|dates?)\b", re.I)
#: Words that tip a short question towards English or German before statistics are asked.
LANGUAGE_HINTS = {
    "en": frozenset("""under over below above size price cheap buy order open closed shipping course machine
        stock sale hours much sell ship delivery return warranty next""".split()),
    "de": frozenset("""unter größe preis günstig kaufen bestellen geöffnet geschlossen versand kurs maschine
        lager angebot öffnungszeiten viel kostet habt gibt liefert nächste wann""".split()),
}
_CITE_MARK = re.compile(r"\s*\[(?:\d+(?:,\s*)?)+\]")
_SENTENCE_END = re.compile(r"(?<=\D[.!?])\s+|(?<=[.!?])\n|\n\n")


@dataclass
class Answer:
    answer: str
    citations: list[dict[str, Any]]
    products: list[dict[str, Any]]
    grounded: bool
    handoff: bool
    language: str
    mode: str  # "model", "evidence" (the check failed or the model declined on strong evidence), "declined"
    model: str
    conversation_id: int | None = None
    problems: list[str] = field(default_factory=list)  # claims of the model's draft that failed the check
    timings: dict[str, float] = field(default_factory=dict)
    evidence: list[dict[str, Any]] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "answer": self.answer, "citations": self.citations, "products": self.products,
            "grounded": self.grounded, "handoff": self.handoff, "language": self.language,
            "mode": self.mode, "model": self.model, "conversation_id": self.conversation_id,
            "problems": self.problems, "timings": self.timings, "evidence": self.evidence,
        }


@dataclass
class Turn:
    """What the responder knows of a conversation's last exchange."""

    question: str = ""
    product_ids: list[int] = field(default_factory=list)
    language: str | None = None


@dataclass
class Plan:
    question: str
    search_query: str
    language: str
    evidence: list[Evidence]
    facts: list[str]
    answerable: bool
    handoff_asked: bool
    show_products: bool
    previous: Turn
    today: date
    #: The question asks for products by price, stock or catalog option ("under 500 euros").
    shopping: bool = False
    #: Computed facts about the hours, closures and recurring events the question is about.
    schedule: list[str] = field(default_factory=list)
    #: What the answerability gate weighed, when it alone decided ``answerable`` (the judge may revise it).
    gate_inputs: gate.GateFeatures | None = None

    @property
    def time_relevant(self) -> bool:
        """Whether the date facts help: a "when" question, a named day, or dates in the evidence."""
        return len(self.facts) > 1 or _WHEN.search(self.question) is not None

class Responder:
    def __init__(self, store: KnowledgeStore, engine: SearchEngine, settings: Settings,
                 model: ChatModel | None, fast_model: ChatModel | None = None) -> None:
        self.store = store
        self.engine = engine
        self.settings = settings
        self.model = model
        #: Phrases the plain questions when set (:meth:`phrasing_model`); ``model`` phrases the rest.
        self.fast_model = fast_model if model is not None else None
        self._vectors: dict[str, SentenceVectors] = {}
        # Retrieval is CPU work under the GIL: one at a time keeps the streams in flight flowing
        # (bench/serve_load.py, 200 concurrent streams: p99 added delay per chunk 377 ms with two
        # at a time, 60-126 ms with one) and brings the first chunks sooner, too.
        self._planning = threading.Lock()
        #: Where plans are made instead of in this process (answer/planning.py); None: here.
        self.planner: Callable[[Agent, str, Turn, datetime], Plan | None] | None = None
        self._detectors: dict[tuple[str, ...], LanguageDetector] = {}

    # -- public -------------------------------------------------------------------------------

    def answer(self, agent: Agent, question: str, conversation_id: int | None = None,
               now: datetime | None = None) -> Answer:
        result = None
        for event, value in self.stream(agent, question, conversation_id, now):
            if event == "done":
                result = value
        assert isinstance(result, Answer)
        return result

    def stream(self, agent: Agent, question: str, conversation_id: int | None = None,
               now: datetime | None = None, user_payload: dict[str, Any] | None = None) -> Iterator[tuple[str, Any]]:
        """Yield ``("delta", text)`` pieces of checked answer text, then ``("done", Answer)``.

        ``user_payload`` is kept with the customer's message (a voice note's recording and transcript)."""
        question = question.strip()
        if not question:
            raise InvalidInput("the question is empty")
        if len(question) > 4000:
            raise InvalidInput("the question is longer than 4000 characters")
        started = time.perf_counter()
        now = now or utcnow()
        previous = self.previous_turn(conversation_id)
        screened = safety_screen(question, agent.name, previous.language, classifier=self.settings.hazard_classifier)
        if screened is not None:  # hazards, "are you a bot?"
            yield from screened_events(screened, self.store, question, conversation_id, user_payload, started)
            return
        plan = self.planner(agent, question, previous, now) if self.planner is not None else None
        if plan is None:
            with self._planning:
                plan = self.plan(agent, question, previous, now)
        prepared = time.perf_counter()
        timings = {"retrieval_s": round(prepared - started, 4)}
        if self._judge(plan):
            timings["judge_s"] = round(time.perf_counter() - prepared, 4)
        first_piece: float | None = None
        pieces: list[str] = []
        problems: list[str] = []
        mode = "declined"
        documents = [e for e in plan.evidence if not e.is_product]
        products = [e for e in plan.evidence if e.is_product] if plan.show_products else []
        model = self.phrasing_model(plan) if plan.answerable else None
        model_name = model.name if model else "none"

        if model is not None:
            generated_at = time.perf_counter()
            # The fast model first; if it would leave the customer with a decline, the answer model.
            for attempt in dict.fromkeys([model, self.model]):  # self.model is set when any model is
                mode, model_name = "model", attempt.name
                for kind, value in self._phrase(attempt, agent, plan, documents, products):
                    if kind == "sentence":
                        if first_piece is None:
                            first_piece = time.perf_counter()
                        text = value if not pieces else " " + value
                        pieces.append(value)
                        yield "delta", text
                    elif kind in ("declined", "vacuous"):
                        # a bare "Yes, you can X" says the model read the evidence as answering the
                        # question; its yes is not checked, so the evidence is quoted instead (once
                        # the answer model, if there is one after this, has said no more)
                        polar = kind == "vacuous" and attempt is self.model \
                            and YES_NO_START.search(" ".join(value)) is not None
                        if kind == "vacuous":
                            problems.append("restates the question: " + " ".join(value))
                        mode = "evidence" if _strong(plan) or polar or (products and plan.search_query != plan.question) \
                            else "declined"
                    elif kind == "problems":
                        problems += value
                        # a denial the check found is evidence about the asked thing: it answers
                        denied = any(p.startswith(DENIAL) for p in value)
                        mode = "evidence" if _strong(plan) or products or denied else "declined"
                if mode != "declined" or pieces:
                    break
            timings["generation_s"] = round(time.perf_counter() - generated_at, 4)
        elif plan.answerable:
            mode = "evidence"

        if mode == "model" and pieces and documents and _QUANTITY.search(plan.question) \
                and not re.search(r"\d", " ".join(pieces)) and re.search(r"\d", documents[0].text()):
            addition = " ".join(documents[0].sentences)  # the model left out the figure asked for
            yield "delta", " " + addition
            pieces.append(addition)
        if mode == "evidence" and not pieces:
            quoted = self._from_evidence(plan, documents, products, timings, problems)
            documents = documents[:1] if quoted else []  # cite what the answer quotes
            for sentence in quoted:
                if first_piece is None:
                    first_piece = time.perf_counter()
                yield "delta", (sentence if not pieces else " " + sentence)
                pieces.append(sentence)
        grounded = mode in ("model", "evidence") and (bool(pieces) or bool(products))
        if grounded and products:
            line = self._product_line(plan, products, " ".join(pieces))
            if line:
                yield "delta", (" " + line) if pieces else line
                pieces.append(line)
        handoff = not grounded or plan.handoff_asked
        if not grounded:
            pieces = [phrases.decline(plan.language)]
            yield "delta", pieces[0]
            if first_piece is None:
                first_piece = time.perf_counter()
        elif plan.handoff_asked:
            offer = phrases.offer_human(plan.language)
            yield "delta", " " + offer
            pieces.append(offer)
        finished = time.perf_counter()
        timings["first_text_s"] = round((first_piece or finished) - started, 4)
        timings["total_s"] = round(finished - started, 4)
        timings["overhead_s"] = round(timings["total_s"] - timings.get("generation_s", 0.0), 4)

        cited = documents + products if grounded else []
        answer = Answer(
            answer=" ".join(pieces).strip(),
            citations=[_citation(e) for e in cited],
            products=[_product(e.item) for e in products] if grounded else [],
            grounded=grounded, handoff=handoff, language=plan.language,
            mode=mode if grounded else "declined", model=model_name,
            conversation_id=conversation_id, problems=problems, timings=timings,
            evidence=[{"n": e.number, "title": e.label(), "text": e.text(), "coverage": round(e.coverage, 3),
                       "similarity": round(e.similarity, 3)} for e in plan.evidence],
        )
        if conversation_id is not None:
            self.store.add_message(conversation_id, "user", question,
                                   {**(user_payload or {}), "search_query": plan.search_query})
            self.store.add_message(conversation_id, "assistant", answer.answer, {
                **{k: v for k, v in answer.to_json().items() if k != "answer"},
                "product_item_ids": [e.item.id for e in products], "question": question})
        yield "done", answer

    def warm_up(self, agent: Agent) -> None:
        """Load the embedder and language model, and put the agent's prompt in llama.cpp's cache."""
        self._sentence_vectors(agent.embedder)(["warm up"])
        self._language("warm up the language detector", ["en"], "en")
        system = phrases.system_prompt(agent.name, agent.persona, agent.instructions[:MAX_INSTRUCTIONS])
        for model in (self.model, self.fast_model):
            if model is not None:
                for _ in model.stream([{"role": "system", "content": system}, {"role": "user", "content": "Hi"}],
                                      max_tokens=1):
                    pass

    def judge_model(self) -> judge.LogprobModel | None:
        """The model that judges answerability: the fast model, else the answer model, if it reads log-probabilities."""
        for model in (self.fast_model, self.model):
            if isinstance(model, judge.LogprobModel):
                return model
        return None

    def _judge(self, plan: Plan) -> bool:
        """Let the judge revise the gate's decision (``Settings.gate_judge``); whether it was asked."""
        mode = self.settings.gate_judge
        if mode not in ("on", "off", "uncertain"):
            raise InvalidInput(f"FRONTDESK_GATE_JUDGE={mode!r} is not valid: use on, off or uncertain")
        model = self.judge_model()
        if plan.gate_inputs is None or model is None or not gate.wants_judge(plan.gate_inputs, mode):
            return False
        p_yes = judge.judge(model, plan.question, [e.text() for e in plan.evidence])
        plan.gate_inputs = dataclasses.replace(plan.gate_inputs, judge=p_yes)
        plan.answerable = gate.answerable(plan.gate_inputs)
        return True

    def phrasing_model(self, plan: Plan) -> ChatModel | None:
        """The fast model for a plain question, else the answer model.

        Plain: the evidence is in the question's language, the question needs no date reasoning
        and is not a follow-up. On the sample business the 0.5B model answered those as
        accurately as the 1.5B one in half the time, while the 1.5B model phrased German answers
        over English sources and date questions far more often without failing the check
        (docs/benchmarks.md). Every sentence is checked whichever model writes it, and when the
        fast model's draft would end in a decline (it said NO_ANSWER or failed the check, and
        the evidence cannot stand alone), the answer model is asked as well.
        """
        if self.fast_model is None or not plan.evidence:
            return self.model
        follow_up = plan.search_query != plan.question
        cross_language = any(e.item.language not in (None, plan.language) for e in plan.evidence)
        return self.model if plan.time_relevant or follow_up or cross_language else self.fast_model

    # -- planning -----------------------------------------------------------------------------

    def previous_turn(self, conversation_id: int | None) -> Turn:
        if conversation_id is None:
            return Turn()
        turn = Turn()
        for message in self.store.recent_messages(conversation_id, 2):
            if message.role == "assistant":
                turn.question = message.payload.get("question", "")
                turn.product_ids = list(message.payload.get("product_item_ids", []))
                turn.language = message.payload.get("language")
        return turn

    def _language(self, question: str, languages: list[str], default: str) -> str:
        """English or German by their function words first (short questions fool statistics), else py3langid."""
        words = tokens(question)
        votes = {lang: sum(w in STOPWORDS[lang] or w in LANGUAGE_HINTS[lang] for w in words) for lang in ("en", "de")}
        votes["de"] += sum(ch in "äöüß" for ch in question.lower())
        if votes["en"] != votes["de"]:
            return max(votes, key=lambda lang: votes[lang])
        candidates = tuple(sorted({"en", "de", *languages}))
        detector = self._detectors.setdefault(candidates, LanguageDetector(candidates))
        return detector.detect(question, default)

    def plan(self, agent: Agent, question: str, previous: Turn, now: datetime) -> Plan:
        """Retrieval and evidence for one question: everything before the model is asked."""
        view = self.engine.view(agent)
        languages = view.languages
        language = self._language(question, languages, previous.language or languages[0])
        follow_up = bool(previous.question) and (
            _FOLLOW_UP.match(question) is not None
            or (_REFERENCE.search(question) is not None and len(content_words(question)) <= 4))
        search_query = f"{previous.question} {question}" if follow_up else question
        product_follow_up = follow_up and bool(previous.product_ids)
        hits = self.engine.search(agent, search_query, limit=12)

        vectors = self._sentence_vectors(agent.embedder)
        question_vector = vectors([question])[0]
        constraints = parse_constraints(search_query if follow_up else question, view.facets)
        wording = constraints.text
        matcher = Matcher(wording, list(dict.fromkeys([language, *languages])))
        today = now.astimezone(ZoneInfo(self.settings.timezone)).date()
        upcoming = today if _WHEN.search(question) else None
        wants_figure = _QUANTITY.search(question) is not None
        scored = [p for p in (score_passage(hit.item, matcher, question_vector, vectors, upcoming, wants_figure)
                              for hit in hits if hit.item.kind == "document") if p is not None][:DOCUMENT_HITS]
        passages = pooled_evidence(scored, EVIDENCE_SENTENCES, band=SENTENCE_BAND)  # best first
        if ONE_LANGUAGE and passages:  # the answer check binds values only within one language
            first = passages[0].item.language
            passages = [e for e in passages if e.item.language in (None, first)]

        product_items = [hit.item for hit in hits if hit.item.kind == "product"]
        if product_follow_up:
            product_items = self._follow_up_products(previous.product_ids, product_items, question, view.facets)
        catalog = None if product_follow_up else self._catalog_question(agent, search_query, question, now, language)
        if catalog is not None:
            product_items = catalog[0]
        products = self._product_evidence(product_items, matcher, question_vector, vectors, language,
                                          ranked=catalog is not None)

        best_passage = passages[0].score if passages else 0.0
        best_product = products[0].score if products else 0.0
        intent = _PRODUCT_INTENT.search(question) is not None
        named = max((matcher.coverage(f"{e.item.title} {e.item.text[:300]}") for e in products), default=0.0)
        show_products = bool(products) and (
            product_follow_up or catalog is not None
            or (named >= 0.3 and (intent or best_product >= best_passage - 0.15)))
        if show_products:
            passages = [e for e in passages if e.score >= 0.7 * best_product]
        chosen = passages + (products if show_products else [])
        for number, evidence in enumerate(chosen, start=1):
            evidence.number = number

        facts = date_facts(question, chosen[0].text() if chosen else "", today, language)
        local_now = now.astimezone(ZoneInfo(self.settings.timezone)).replace(tzinfo=None)
        # the whole passage: opening hours and closures are often lines the evidence sentences leave out
        schedule = schedule_facts(question, "\n".join(e.item.text for e in chosen if not e.is_product), local_now,
                                  language, [m.day for m in question_days(question, today)],
                                  wants_dates=_WHEN.search(question) is not None)
        facts += schedule
        if catalog is not None and catalog[1] and show_products:
            facts.append(catalog[1])
        handoff_asked = _HANDOFF.search(question) is not None
        opening = bool(chosen) and any(not f.startswith(_EVENT_FACT) for f in schedule) \
            and ASKS_OPEN.search(question) is not None
        answerable = self._answerable(chosen, language, languages, product_follow_up) or opening
        gated = bool(chosen) and not opening and not (product_follow_up and any(e.is_product for e in chosen))
        return Plan(question, search_query, language, chosen, facts, answerable, handoff_asked,
                    show_products, previous, today, shopping=constraints.any, schedule=schedule,
                    gate_inputs=_gate_features(chosen, language) if gated else None)

    def _follow_up_products(self, previous_ids: list[int], found: list[StoredItem], question: str,
                            facets: dict[str, set[str]]) -> list[StoredItem]:
        """Stay with the product family of the last answer; switch variant when the question names one."""
        before = self.store.get_items(previous_ids)
        if not before:
            return found
        groups = {item.fields.get("item_group_id") or item.key for item in before}
        wanted = match_options(question, facets)
        family = [item for item in found if (item.fields.get("item_group_id") or item.key) in groups]
        if wanted:
            matching = [item for item in family + before
                        if any(str(item.fields.get("options", {}).get(facet, "")).casefold() in values
                               for facet, values in wanted.items())]
            if matching:
                return list({item.id: item for item in matching}.values())
        return before

    def _catalog_question(self, agent: Agent, query: str, question: str, now: datetime,
                          language: str) -> tuple[list[StoredItem], str] | None:
        """"Your cheapest grinder", "what is on sale?": the products that match the question about
        as well as the best one, ordered or filtered by the catalog's own fields, and the computed
        fact (the cheapest one and its price). None for other questions."""
        order = "asc" if _CHEAPEST.search(question) else "desc" if _DEAREST.search(question) else None
        sale = _ON_SALE.search(question) is not None
        if order is None and not sale:
            return None
        found = [h for h in self.engine.search(agent, query, limit=40) if h.item.kind == "product"]
        if not found:
            return None
        band = [h.item for h in found if h.score >= RELEVANCE_BAND * found[0].score]
        if YES_NO.match(question) is None:
            if sale:
                band = [i for i in band if _on_sale(i, now)] or band
            if parse_constraints(question, {}).in_stock:  # "the cheapest X you have in stock"
                band = [i for i in band if i.fields.get("availability") == "in stock"] or band
        priced = [(Decimal(str(p)), i) for i in band if (p := effective_price(i.fields, now)) is not None]
        if order is None or not priced:
            return band[:MAX_PRODUCTS * 2], ""
        priced.sort(key=lambda pair: pair[0], reverse=order == "desc")
        price, first = priced[0]
        currency = first.fields.get("currency") or ""
        if language == "de":
            fact = f"{'Günstigstes' if order == 'asc' else 'Teuerstes'} passendes Produkt: {first.title}, {price} {currency}."
        else:
            fact = f"{'Cheapest' if order == 'asc' else 'Most expensive'} matching product: {first.title}, {price} {currency}."
        return [i for _, i in priced][:MAX_PRODUCTS * 2], fact

    def _product_evidence(self, items: list[StoredItem], matcher: Matcher, question_vector: np.ndarray,
                          vectors: SentenceVectors, language: str, ranked: bool = False) -> list[Evidence]:
        if not items:
            return []
        items = items[:6]
        texts = [f"{item.title}. {item.text[:300]}" for item in items]
        similarity = vectors(texts) @ question_vector
        out = []
        for item, sim in zip(items, similarity, strict=True):
            card, shown = product_facts(item, language)
            options = " ".join(str(v) for v in (item.fields.get("options") or {}).values())
            coverage = matcher.coverage(f"{item.title} {options} {PRODUCT_WORDS}", item.text)
            out.append(Evidence(item, [card], coverage, float(sim), fields=shown))
        if ranked:  # already chosen and ordered by the catalog's fields
            return out[:MAX_PRODUCTS]
        top = out[0].score
        return [e for e in out if e.score >= 0.8 * top][:MAX_PRODUCTS]

    @staticmethod
    def _answerable(evidence: list[Evidence], language: str, languages: list[str], follow_up: bool) -> bool:
        if not evidence:
            return False
        if follow_up and any(e.is_product for e in evidence):
            return True
        return gate.answerable(_gate_features(evidence, language))

    @staticmethod
    def gate_features(plan: Plan) -> gate.GateFeatures:
        """What the answerability gate weighs for ``plan`` (bench/fit_gate.py fits it)."""
        return _gate_features(plan.evidence, plan.language)

    def _sentence_vectors(self, embedder: str) -> SentenceVectors:
        if embedder not in self._vectors:
            self._vectors[embedder] = SentenceVectors(self.engine.embedders(embedder))
        return self._vectors[embedder]

    # -- phrasing -----------------------------------------------------------------------------

    def messages(self, agent: Agent, plan: Plan, documents: list[Evidence], products: list[Evidence]) -> list[dict[str, str]]:
        system = phrases.system_prompt(agent.name, agent.persona, agent.instructions[:MAX_INSTRUCTIONS])
        sources = [f"[{e.number}] {e.label()}: {quote_source(e.text())}" for e in documents]
        sources += [f"[{e.number}] {e.text()}" for e in products]
        parts = ["SOURCES:", *sources]
        if plan.time_relevant:
            parts.append("FACTS: " + " ".join(plan.facts))
        if plan.previous.question and plan.search_query != plan.question:
            parts.append(f"EARLIER QUESTION: {plan.previous.question}")
        parts.append(f"QUESTION: {plan.question}")
        parts.append(phrases.answer_in(plan.language))
        return [{"role": "system", "content": system}, {"role": "user", "content": "\n".join(parts)}]

    def _phrase(self, model: ChatModel, agent: Agent, plan: Plan, documents: list[Evidence],
                products: list[Evidence]) -> Iterator[tuple[str, Any]]:
        """Yield ("sentence", text) for each checked sentence; ("declined"|"vacuous"|"problems", ...) to stop.

        A sentence that adds nothing to the question (meaning.vacuous: "Familien können
        finanzielle Unterstützung erhalten.") is held back until one that does follows; an
        answer of nothing else is "vacuous", which the caller treats like ``NO_ANSWER``."""
        evidence_text = "\n".join([*(e.label() + ": " + e.text() for e in documents), *(e.text() for e in products)])
        computed = "\n".join(plan.facts)
        dates_ok = self._allowed_dates(plan, documents) if _WHEN.search(plan.question) else None
        prices = [(e.item.title, number_forms(e.fields.get("price") or "") | number_forms(e.fields.get("regular") or ""))
                  for e in products]
        allow = f"{plan.question} {plan.previous.question} {agent.name} {agent.persona}"
        bind = all(e.item.language in (None, plan.language) for e in documents)
        stream = model.stream(self.messages(agent, plan, documents, products),
                              max_tokens=self.settings.max_answer_tokens)
        said: list[str] = []

        def sentences() -> Iterator[str]:
            """The model's finished sentences; none once it says NO_ANSWER."""
            buffer = ""
            for piece in stream:
                buffer += piece
                stripped = buffer.strip()
                if len(stripped) < len(NO_ANSWER) and NO_ANSWER.startswith(stripped):
                    continue
                if NO_ANSWER in buffer[:40]:
                    return
                while (match := _SENTENCE_END.search(buffer)) is not None:
                    sentence, buffer = buffer[: match.start()], buffer[match.end():]
                    yield sentence
            if buffer.strip() and NO_ANSWER not in buffer:
                yield buffer

        held: list[str] = []  # checked sentences that only restate the question, until one adds something
        try:
            for sentence in sentences():
                verdict = self._check(sentence, evidence_text + "\n" + computed, allow, plan.language, plan.today,
                                      dates_ok, prices, documents, question=plan.question, bind=bind,
                                      said=said + held, computed=computed)
                if verdict:
                    if not said:
                        yield "problems", verdict
                    return
                if verdict is None or _repeats(sentence, said + held, plan.question):
                    continue
                if not said and vacuous(_clean(sentence), f"{plan.question} {plan.previous.question}"):
                    held.append(_clean(sentence))
                    continue
                for text in [*held, _clean(sentence)]:
                    said.append(text)
                    yield "sentence", text
                held = []
            if held and not said:
                yield "vacuous", held  # the answer adds nothing to the question: like NO_ANSWER
            elif not said:
                yield "declined", None
        finally:
            close = getattr(stream, "close", None)
            if close:
                close()

    def _allowed_dates(self, plan: Plan, documents: list[Evidence]) -> set[date]:
        """For a "when" question: the dates the evidence gives that have not passed, and the asked days."""
        today = plan.today
        evidence = " ".join([*(e.text() for e in documents), *plan.facts])
        days = {m.day for m in find_dates(evidence, today, future_bias=False) if m.day >= today}
        return days | {m.day for m in question_days(plan.question, today)}

    @staticmethod
    def _check(sentence: str, evidence: str, allow: str, language: str, today: date,
               dates_ok: set[date] | None = None, prices: list[tuple[str, set[str]]] | None = None,
               documents: list[Evidence] | None = None, *,
               question: str = "", bind: bool = True, said: list[str] | None = None,
               computed: str = "") -> list[str] | None:
        """None for an empty sentence, [] when every claim is supported, else the unsupported claims
        (with ``said``, the sentences before it: a sentence that contradicts them fails too)."""
        text = _clean(sentence)
        if not text:
            return None
        problems = unsupported_claims(text, evidence, allow=allow, language=language, question=question, bind=bind,
                                      computed=computed)
        if said:
            problems += [p for p in self_contradictions(" ".join([*said, text])) if p not in problems]
        problems += price_mismatches(text, prices or [])
        problems += not_the_next_date(" ".join([*(said or []), text]), question, computed)  # a later date for "next"
        problems += safety_answer_problems(text, evidence, [e.item for e in documents or []])  # injected claims
        if dates_ok is not None:
            problems += [f"date {m.text}" for m in find_dates(text, today, future_bias=False) if m.day not in dates_ok]
        return problems

    # -- answers without the model ------------------------------------------------------------

    def _from_evidence(self, plan: Plan, documents: list[Evidence], products: list[Evidence],
                       timings: dict[str, float] | None = None, problems: list[str] | None = None) -> list[str]:
        """An answer made only of the evidence: the best passage's sentences, quoted in their own words.

        When a product is the better evidence, or the question shops by price, stock or option,
        the product card (added after this) is the answer."""
        if not documents or (products and (plan.shopping or products[0].score >= documents[0].score)):
            return []
        computed = [f for f in plan.schedule if _WHEN.search(plan.question) or not f.startswith(_EVENT_FACT)]
        if computed:  # what was computed for the asked day (or event), in the question's language
            return computed
        evidence = documents[0]
        language = evidence.item.language or plan.language
        if language == plan.language:
            return list(evidence.sentences)
        translated = self._translate(evidence.sentences, plan.language, language, timings, problems)
        if translated:
            return translated
        return [phrases.quoting_other_language(plan.language, language), *evidence.sentences]

    def _translate(self, sentences: list[str], language: str, source_language: str,
                   timings: dict[str, float] | None = None, problems: list[str] | None = None) -> list[str] | None:
        """The evidence's sentences in the customer's language, by the answer model, or None.

        The translation must pass the same check as an answer (every number, name, address and
        promise from the sentences, each figure with its condition) and keep every number of
        the original; and it must mean what the sentences mean: the same model translates it
        back, and the back-translation may say nothing the sentences do not and lose none of
        their conditions (meaning.translation_problems). Otherwise the sentences are quoted as
        written, and what the meaning check found goes to ``problems``. The second call costs
        about as long as the first (``timings``: ``translation_s``, ``back_translation_s``)."""
        if self.model is None:
            return None
        source = " ".join(sentences)
        started = time.perf_counter()
        text = self._translated(source, language)
        if timings is not None:
            timings["translation_s"] = round(time.perf_counter() - started, 4)
        if not text or NO_ANSWER in text or self._language(text, [language], language) != language:
            return None
        if unsupported_claims(text, source, language=language) or dropped_conditions(text, source):
            return None
        if missing_numbers(source, text):
            return None  # a figure was left out
        started = time.perf_counter()
        back = self._translated(text, source_language)
        if timings is not None:
            timings["back_translation_s"] = round(time.perf_counter() - started, 4)
        changed = translation_problems(source, back) if back else ["no back-translation"]
        if changed:  # the translation may say something else
            if problems is not None:
                problems.extend(changed)
            return None
        return [s.strip() for s in _SENTENCE_END.split(text) if s.strip()]

    def _translated(self, text: str, language: str) -> str:
        assert self.model is not None
        messages = [{"role": "system", "content": phrases.translate_prompt(language)},
                    {"role": "user", "content": text}]
        return "".join(self.model.stream(messages, max_tokens=min(400, 2 * len(text) // 3 + 40))).strip()

    def _product_line(self, plan: Plan, products: list[Evidence], answer: str) -> str:
        """The top product's card, when the answer does not already give its price."""
        top = products[0]
        price = top.fields.get("price")
        if price and price in answer and top.item.title.split()[0].casefold() in answer.casefold():
            return ""
        lines = [phrases.product_card(plan.language, top.item.title, top.fields)]
        for other in products[1:]:
            if other.fields.get("price") and other.fields["price"] not in answer:
                lines.append(phrases.product_card(plan.language, other.item.title, other.fields))
        return " ".join(lines)


def missing_numbers(source: str, text: str) -> list[str]:
    """The numbers of ``source`` that ``text`` does not give in any spelling (4,90 = 4.90; 9 Uhr = 9:00)."""
    said = evidence_numbers(text)
    return [t for t in re.findall(r"(?<![\w.])\d+(?:[.,:]\d+)*", source) if not number_forms(t.rstrip(".,:")) & said]


def _on_sale(item: StoredItem, now: datetime) -> bool:
    """A sale price that runs now and is below the regular price."""
    price, regular = effective_price(item.fields, now), item.fields.get("price")
    try:
        return price is not None and regular is not None and Decimal(str(price)) < Decimal(str(regular))
    except ArithmeticError:
        return False


def _repeats(sentence: str, said: list[str], question: str) -> bool:
    """A sentence already said, or the question echoed back: small models loop."""
    text = _clean(sentence).casefold()
    return text in (s.casefold() for s in said) or text == question.strip().casefold()


def _gate_features(evidence: list[Evidence], language: str) -> gate.GateFeatures:
    return gate.features([e.coverage for e in evidence], [e.similarity for e in evidence],
                         cross=any(e.item.language not in (None, language) for e in evidence if not e.is_product),
                         product=any(e.is_product for e in evidence))


_EVENT_FACT = EVENT_FACT  # how schedule.schedule_facts starts an event's dates (or its quoted sentence)


def _strong(plan: Plan) -> bool:
    """Evidence that can stand alone as the answer: a piece that covers most of the question,
    or a fact computed for the day, time or event the question asks about."""
    computed = [f for f in plan.schedule if _WHEN.search(plan.question) or not f.startswith(_EVENT_FACT)]
    return bool(computed) or any(e.coverage >= 0.75 for e in plan.evidence)


def _clean(text: str) -> str:
    text = _CITE_MARK.sub("", text).strip()
    return re.sub(r"^(?:answer|antwort)\s*:\s*", "", text, flags=re.I)


def _citation(evidence: Evidence) -> dict[str, Any]:
    item = evidence.item
    url = item.fields.get("link") if evidence.is_product else item.url
    return {"n": evidence.number, "title": item.title if evidence.is_product else evidence.label(),
            "url": url or item.url or "", "as_of": item.last_seen.date().isoformat(), "kind": item.kind,
            "id": item.key}


def _product(item: StoredItem) -> dict[str, Any]:
    return {"id": item.key, "title": item.title, **product_fields(item.fields, utcnow()),
            "as_of": item.last_seen.date().isoformat()}
