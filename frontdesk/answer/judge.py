"""The packaged model as a judge: does this evidence answer the question? A probability, no text.

The fast model is asked "Does the text answer the question?" over the evidence the responder
chose and only its first token is read: P(yes) is the share of the probability mass on yes-like
tokens ("Yes", "yes", " Ja", ...) among the yes- and no-like ones in the top candidates. The
system part of the prompt is fixed and short so llama.cpp keeps it in its prompt cache; what
changes per question is the question and at most ``MAX_CHARS`` of evidence.

The model must offer :class:`LogprobModel`'s ``first_token_logprobs`` (the in-process llama.cpp
runtimes do; ``frontdesk.testing.ScriptedJudge`` stands in for tests). The gate weighs P(yes)
as one more feature (gate.py); whether it is asked is ``Settings.gate_judge``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Protocol, runtime_checkable

#: Fixed, so its tokens stay in the prompt cache between questions.
SYSTEM = ("You check whether a text answers a question. Reply with one word: Yes if the text "
          "states the answer, No if it does not.")
MAX_CHARS = 700  # of evidence per question: ~200 tokens keep one judgement well under a second
TOP = 20  # candidates read from the first token
_YES = frozenset({"yes", "ja"})
_NO = frozenset({"no", "nein"})


@runtime_checkable
class LogprobModel(Protocol):
    name: str

    def first_token_logprobs(self, messages: list[dict[str, str]], *, top: int) -> dict[str, float]:
        """The log-probabilities of the ``top`` likeliest first tokens of the reply, by token text."""
        ...


def messages(question: str, evidence: Sequence[str]) -> list[dict[str, str]]:
    text = " ".join(" ".join(evidence).split())[:MAX_CHARS]
    return [{"role": "system", "content": SYSTEM},
            {"role": "user", "content": f"Question: {question.strip()}\nText: {text}\n"
                                        "Does the text answer the question? Yes or No."}]


def p_yes(logprobs: Mapping[str, float]) -> float:
    """P(yes) among the yes- and no-like first tokens; 0.5 when the model offered neither."""
    yes = no = 0.0
    for token, logprob in logprobs.items():
        word = token.strip().strip(".,!:").casefold()
        if word in _YES:
            yes += math.exp(logprob)
        elif word in _NO:
            no += math.exp(logprob)
    return yes / (yes + no) if yes + no > 0 else 0.5


def judge(model: LogprobModel, question: str, evidence: Sequence[str]) -> float:
    """P(the evidence answers the question), by ``model``'s first token."""
    return p_yes(model.first_token_logprobs(messages(question, evidence), top=TOP))
