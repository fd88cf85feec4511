"""Chat models for tests: a scripted one and one that runs a function you write.

Both satisfy :class:`frontdesk.llm.ChatModel` and record every call's messages in ``calls``, so a
test can check what frontdesk asked as well as what it did with the reply. They stand in for a
model where the test is about frontdesk (the checks, the routing, the transcript), never about a
model's phrasing; hand one to ``Frontdesk(settings, model=...)`` or to a ``Responder``::

    from frontdesk.testing import ScriptedModel

    app = Frontdesk(settings, model=ScriptedModel("Shipping within Germany costs 2.50 EUR."))
    answer = app.ask("shop", "How much is shipping?")
    assert "2.50" not in answer.answer  # a claim no source makes never reaches the customer
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

Message = dict[str, str]


@dataclass(frozen=True)
class CallInfo:
    """What a :class:`FunctionModel`'s function gets beside the messages."""

    model: str
    call: int  # 0 for the first call to this model
    max_tokens: int
    temperature: float


def pieces(text: str) -> list[str]:
    """``text`` as a streaming model would send it: one piece per word, with its leading space."""
    return re.findall(r"\s*\S+", text) or ([text] if text else [])


class FunctionModel:
    """A model whose reply is ``function(messages, info)``: a string (streamed word by word) or an
    iterable of strings (streamed as they come, so a test controls every piece)."""

    def __init__(self, function: Callable[[list[Message], CallInfo], str | Iterable[str]], *,
                 name: str = "function") -> None:
        self.function = function
        self.name = name
        self.calls: list[list[Message]] = []

    def stream(self, messages: list[Message], *, max_tokens: int, temperature: float = 0.0) -> Iterator[str]:
        info = CallInfo(self.name, len(self.calls), max_tokens, temperature)
        self.calls.append([dict(m) for m in messages])
        reply = self.function(messages, info)
        yield from pieces(reply) if isinstance(reply, str) else reply


class ScriptedModel(FunctionModel):
    """A model that writes what it is told to: the replies in order, the last one again once they
    run out. A stand-in for a model that makes things up, which a real model cannot be made to do
    on demand."""

    def __init__(self, *replies: str, name: str = "scripted") -> None:
        if not replies:
            raise ValueError("ScriptedModel needs at least one reply")
        self.replies = list(replies)
        super().__init__(lambda messages, info: self.replies[min(info.call, len(self.replies) - 1)], name=name)


class JudgingModel(FunctionModel):
    """A :class:`FunctionModel` that can also be asked answer/judge.py's yes-or-no question:
    ``p_yes(messages)`` is how sure it is that the text answers, returned as first-token
    log-probabilities the way llama.cpp returns them ("Yes", "No" and a token that is neither).
    Every judgement's messages are recorded in ``judged``."""

    def __init__(self, p_yes: Callable[[list[Message]], float],
                 function: Callable[[list[Message], CallInfo], str | Iterable[str]] = lambda m, i: "NO_ANSWER",
                 *, name: str = "judging") -> None:
        super().__init__(function, name=name)
        self.p_yes = p_yes
        self.judged: list[list[Message]] = []

    def first_token_logprobs(self, messages: list[Message], *, top: int) -> dict[str, float]:
        self.judged.append([dict(m) for m in messages])
        p = min(max(self.p_yes(messages), 1e-9), 1 - 1e-9)
        other = 0.05  # mass on a token that is neither yes nor no
        candidates = {"Yes": math.log(p * (1 - other)), "No": math.log((1 - p) * (1 - other)), "The": math.log(other)}
        return dict(sorted(candidates.items(), key=lambda c: -c[1])[:top])
