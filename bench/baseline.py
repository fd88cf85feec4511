"""The pipeline most peers ship by default, as a baseline beside frontdesk's answers.

What AnythingLLM or Dify do out of the box: the top-k chunks the search returns, pasted into
the prompt of the same packaged model with an "answer only from the context" instruction, and
the model's reply passed on as it is (no evidence selection, no check, no fallback). Same
search, same model, same questions: only the answer path differs.
"""

from __future__ import annotations

import time
from datetime import datetime
from typing import Any

from frontdesk.answer import Answer
from frontdesk.domain import Agent, product_fields, utcnow
from frontdesk.llm import ChatModel
from frontdesk.search.engine import SearchEngine
from frontdesk.search.text import detect_language

TOP_K = 4
DONT_KNOW = "I don't know"
PROMPT = ("You are the customer assistant of {name}. {persona}\n"
          "Answer the question using only the context below. If the context does not contain the answer, "
          f"reply exactly: {DONT_KNOW}.\nAnswer in the language of the question.")


class BaselineResponder:
    """``answer()`` like :class:`frontdesk.answer.Responder`, the way a plain RAG pipeline answers."""

    def __init__(self, engine: SearchEngine, model: ChatModel, max_tokens: int = 200) -> None:
        self.engine = engine
        self.model = model
        self.fast_model = None
        self.max_tokens = max_tokens

    def warm_up(self, agent: Agent) -> None:
        for _ in self.model.stream([{"role": "user", "content": "Hi"}], max_tokens=1):
            pass

    def answer(self, agent: Agent, question: str, conversation_id: int | None = None,
               now: datetime | None = None) -> Answer:
        started = time.perf_counter()
        hits = self.engine.search(agent, question, limit=TOP_K)
        context = "\n\n".join(f"[{i}] {h.item.title}\n{h.item.text}" for i, h in enumerate(hits, 1))
        messages = [{"role": "system", "content": PROMPT.format(name=agent.name, persona=agent.persona)},
                    {"role": "user", "content": f"Context:\n{context}\n\nQuestion: {question}"}]
        retrieved = time.perf_counter()
        first = None
        pieces = []
        for piece in self.model.stream(messages, max_tokens=self.max_tokens):
            if first is None and piece.strip():
                first = time.perf_counter()
            pieces.append(piece)
        done = time.perf_counter()
        text = "".join(pieces).strip()
        declined = DONT_KNOW.casefold() in text.casefold()[:60]
        products: list[dict[str, Any]] = [
            {"id": h.item.key, "title": h.item.title, **product_fields(h.item.fields, utcnow())}
            for h in hits if h.item.kind == "product"]
        return Answer(answer=text, citations=[{"n": i, "title": h.item.title, "url": h.item.url or "", "as_of": "",
                                               "kind": h.item.kind, "id": h.item.key} for i, h in enumerate(hits, 1)],
                      products=products, grounded=not declined, handoff=declined,
                      language=detect_language(question) or "en", mode="declined" if declined else "model",
                      model=self.model.name, conversation_id=conversation_id,
                      timings={"retrieval_s": round(retrieved - started, 4),
                               "generation_s": round(done - retrieved, 4),
                               "first_text_s": round((first or done) - started, 4),
                               "total_s": round(done - started, 4), "overhead_s": round(retrieved - started, 4)})
