"""A turn in progress is on disk: a server killed mid-answer keeps the customer's question and the
answer shown so far.

:class:`TurnInProgress` writes the question as soon as it arrives and the answer text after each
piece the customer is shown, both marked ``interrupted``. When the answer completes, the responder
has stored the turn for good and the two provisional rows are removed; if the process dies or the
client goes away first, they stay as the transcript of what happened.
"""

from __future__ import annotations

from typing import Any


class TurnInProgress:
    def __init__(self, store: Any, conversation_id: int, question: str, payload: dict[str, Any] | None = None) -> None:
        self.store = store
        self.conversation_id = conversation_id
        self._ids = [store.add_message(conversation_id, "user", question.strip(),
                                       {**(payload or {}), "interrupted": True})]
        self._answer_id: int | None = None
        self._shown: list[str] = []

    def shown(self, text: str) -> None:
        """The customer has been shown ``text`` (the next piece of the answer)."""
        self._shown.append(text)
        so_far = "".join(self._shown).strip()
        payload = {"interrupted": True, "partial": True}
        if self._answer_id is None:
            self._answer_id = self.store.add_message(self.conversation_id, "assistant", so_far, payload)
            self._ids.append(self._answer_id)
        else:
            self.store.update_message(self._answer_id, so_far, payload)

    def finished(self) -> None:
        """The turn was stored complete: the provisional rows go."""
        self.store.delete_messages(self._ids)
        self._ids = []
