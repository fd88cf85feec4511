"""Talking to a character: one message in, the character's reply out, streamed sentence by sentence.

What holds for every character, whatever its card says (docs/characters.md):

* **AI disclosure.** A sincere question whether the user talks to an AI, a bot or a person is
  answered first by a fixed sentence that says it is an AI; sentences of the model's reply that
  claim to be human are dropped.
* **Hidden definitions stay hidden.** A reply sentence that repeats
  :data:`LEAK_WORDS` consecutive words of the system prompt, the definition or the platform's
  rules stops the reply, which ends with a refusal in its place.
* **Safety and rating** are in the platform rules that close the system prompt
  (:mod:`.prompt`); the definition cannot remove them. Before any of that, every message goes
  through the agents' hazard screen (:func:`frontdesk.safety.screen.screen_character`):
  self-harm gets the caring answer with help resources, other hazards a refusal, and no model
  is asked.
* **Grounded characters** (``characters edit NAME --knowledge AGENT``): a message the agent's
  knowledge can answer (its answerability gate, the same as the agent's) goes through the
  agent's own answer pipeline (:meth:`frontdesk.answer.Responder.stream`: the same evidence and
  the same check), phrased with the character's voice as its persona; anything else is small
  talk in character, and each of its sentences must still pass the answer check against no
  evidence (a number, price, date, address or promise nobody gave is dropped).
"""

from __future__ import annotations

import dataclasses
import re
import time
from collections.abc import Generator, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..answer import phrases
from ..answer.verify import unsupported_claims
from ..domain import utcnow
from ..errors import InvalidInput
from ..llm import ChatModel
from ..safety.disclosure import asks_if_ai, claims_human
from ..safety.screen import screen_character
from ..search.text import STOPWORDS, tokens
from .card import fill
from .domain import Character
from .prompt import assemble

if TYPE_CHECKING:
    from ..app import Frontdesk

LEAK_WORDS = 6  # 8 let "78-jährige Bäckerin aus Hamburg-Altona" (6 words of a description) through in the benchmark
#: A character's reply: one to four sentences (the platform rules ask for that), so fewer tokens than an answer.
REPLY_TOKENS = 150
MAX_MESSAGE = 4000
HISTORY_LIMIT = 400  # messages read back for the context rule
_SENTENCE_END = re.compile(r"(?<=[.!?…])[\"'»”*)]*\s+|\n+")
def disclosure(language: str, name: str) -> str:
    if language == "de":
        return f"Ich bin eine KI: {name} ist eine Figur, die von einem Computerprogramm gespielt wird, kein Mensch."
    return f"I'm an AI: {name} is a character played by a computer program, not a real person."


def refusal(language: str) -> str:
    if language == "de":
        return "Das bleibt mein Geheimnis."
    return "That is something I keep to myself."


def no_guess(language: str) -> str:
    if language == "de":
        return "Da möchte ich nichts Falsches sagen."
    return "I'd rather not say anything wrong about that."


def language_of(text: str, default: str = "en") -> str:
    """English or German by their function words and umlauts; ``default`` on a tie."""
    words = tokens(text)
    votes = {lang: sum(w in STOPWORDS[lang] for w in words) for lang in ("en", "de")}
    votes["de"] += sum(ch in "äöüß" for ch in text.lower())
    if votes["en"] == votes["de"]:
        return default
    return max(votes, key=lambda lang: votes[lang])


def _words(text: str) -> list[str]:
    return re.findall(r"\w+", text.lower())


class LeakGuard:
    """Whether a text repeats :data:`LEAK_WORDS` consecutive words of any hidden text."""

    def __init__(self, hidden: list[str], allowed: list[str]) -> None:
        allowed_grams = set()
        for text in allowed:
            allowed_grams |= self._grams(_words(text))
        self.grams: set[tuple[str, ...]] = set()
        #: hidden texts shorter than LEAK_WORDS words (4 or more) leak when repeated whole
        self.short = [" ".join(w) for w in map(_words, hidden) if 4 <= len(w) < LEAK_WORDS]
        for text in hidden:
            self.grams |= self._grams(_words(text)) - allowed_grams

    @staticmethod
    def _grams(words: list[str]) -> set[tuple[str, ...]]:
        return {tuple(words[i:i + LEAK_WORDS]) for i in range(len(words) - LEAK_WORDS + 1)}

    def leaks(self, text: str) -> bool:
        said = _words(text)
        if self._grams(said) & self.grams:
            return True
        joined = f" {' '.join(said)} "
        return any(f" {short} " in joined for short in self.short)


@dataclass
class Reply:
    text: str
    #: "character", "knowledge" (the agent's answer pipeline), "refused" (a leak was stopped),
    #: "self_harm" or "hazard" (the hazard screen answered; no model was asked)
    mode: str
    language: str
    disclosed: bool = False
    grounded: bool | None = None  # knowledge turns: the agent's verdict
    citations: list[dict[str, Any]] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    lore: list[int] = field(default_factory=list)
    dropped: int = 0
    model: str = ""
    conversation_id: int | None = None
    timings: dict[str, float] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


class CharacterChat:
    """Replies of characters. ``model``: the chat model (default: the configured answer model)."""

    def __init__(self, frontdesk: Frontdesk, model: ChatModel | None = None) -> None:
        self.frontdesk = frontdesk
        self._model = model

    @property
    def model(self) -> ChatModel:
        if self._model is None:
            # FRONTDESK_CHARACTER_MODEL: answer (default) = the answer model; auto = the fast model when
            # there is one (quicker, much weaker role-play: docs/characters.md); loaded once, shared
            choice = self.frontdesk.settings.character_model.strip()
            responder = self.frontdesk.responder()
            if choice.lower() in ("", "auto", "answer"):
                model = responder.model if choice.lower() == "answer" else (responder.fast_model or responder.model)
            else:
                from ..llm import get_model

                model = get_model(self.frontdesk.settings, choice)
            assert model is not None
            self._model = model
        return self._model

    @model.setter
    def model(self, model: ChatModel) -> None:
        self._model = model

    def warm_up(self, character: Character, user: str = "User") -> None:
        """Put the character's definition in llama.cpp's prompt cache."""
        assembled = assemble(character, [], "Hi", user=user, context_tokens=self.frontdesk.settings.llm_context)
        for _ in self.model.stream(assembled.messages, max_tokens=1):
            pass

    def history(self, conversation_id: int) -> list[tuple[str, str]]:
        messages = self.frontdesk.store.character_messages(conversation_id, 0, 100_000)[-HISTORY_LIMIT:]
        return [(m.role, m.text) for m in messages if m.role in ("user", "assistant")]

    def stream(self, character: Character, conversation_id: int, text: str, *,
               user: str = "User") -> Iterator[tuple[str, Any]]:
        """``("delta", text)`` pieces, then ``("done", Reply)``; both messages are kept in the conversation."""
        text = _checked(text)
        store = self.frontdesk.store
        conversation = store.get_character_conversation(conversation_id)
        if conversation.character_id != character.id:
            raise InvalidInput(f"conversation {conversation_id} is not a conversation with {character.handle}")
        reply = yield from self._respond(character, self.history(conversation_id), text, user, conversation)
        reply.conversation_id = conversation_id
        store.add_character_message(conversation_id, "user", text, {})
        store.add_character_message(conversation_id, "assistant", reply.text,
                                    {k: v for k, v in reply.to_json().items() if k != "text"})
        yield "done", reply

    def preview(self, character: Character, history: list[tuple[str, str]], text: str, *,
                user: str = "User") -> Iterator[tuple[str, Any]]:
        """The same turn without a stored conversation (the console's live preview of unsaved edits)."""
        reply = yield from self._respond(character, history[-HISTORY_LIMIT:], _checked(text), user, None)
        yield "done", reply

    def _respond(self, character: Character, history: list[tuple[str, str]], text: str, user: str,
                 conversation: Any) -> Generator[tuple[str, Any], None, Reply]:
        started = time.perf_counter()
        previous = next((t for r, t in reversed(history) if r == "user"), "")
        language = language_of(text, language_of(previous, "en") if previous else "en")
        reply = Reply("", "character", language)
        pieces: list[str] = []
        first: float | None = None

        def emit(sentence: str) -> Iterator[tuple[str, Any]]:
            nonlocal first
            if first is None:
                first = time.perf_counter()
            pieces.append(sentence)
            yield "delta", sentence if len(pieces) == 1 else " " + sentence

        # the agent's hazard screen, before any model
        screened = screen_character(text, language, classifier=self.frontdesk.settings.hazard_classifier)
        if screened is not None:
            assert screened.hazard is not None
            reply.mode = screened.kind
            reply.problems = [f"hazard {screened.hazard.category}"]
            yield from emit(screened.text)
            reply.text = " ".join(pieces)
            reply.timings = {"first_text_s": round(time.perf_counter() - started, 4),
                             "total_s": round(time.perf_counter() - started, 4)}
            return reply
        asks_ai = asks_if_ai(text)  # one detector for agents and characters
        if asks_ai:
            reply.disclosed = True
            yield from emit(disclosure(language, character.name))
        agent = self._knowledge_agent(character)
        agent_conversation = conversation.agent_conversation_id if conversation is not None else None
        if agent is not None and not asks_ai and self._answerable(agent, text, agent_conversation):
            yield from self._knowledge(character, agent, conversation, text, reply, emit)
        else:
            yield from self._in_character(character, history, text, user, reply, emit, grounded=agent is not None,
                                          asks_ai=asks_ai)
        reply.text = " ".join(pieces).strip()
        finished = time.perf_counter()
        reply.timings = {"first_text_s": round((first or finished) - started, 4), "total_s": round(finished - started, 4)}
        return reply

    # -- grounded turns -----------------------------------------------------------------------

    def _knowledge_agent(self, character: Character) -> Any:
        if character.knowledge_agent_id is None:
            return None
        return self.frontdesk.store.get_agent_by_id(character.knowledge_agent_id)

    def _voiced(self, character: Character, agent: Any) -> Any:
        """The agent, speaking with the character's voice: its persona is the character's."""
        data = character.data
        voice = fill(data.get("personality") or data.get("description", ""), character.name, "the customer")
        # The answer check allows what the persona says; a persona without figures allows none.
        voice = re.sub(r"\S*\d\S*", "", voice[:400])
        persona = f"You speak as {character.name}, in {character.name}'s own voice. {voice}".strip()
        return dataclasses.replace(agent, persona=persona)

    def _answerable(self, agent: Any, text: str, agent_conversation_id: int | None) -> bool:
        """The agent's own answerability gate (its retrieval and evidence) decides what is a factual question."""
        responder = self.frontdesk.responder()
        plan = responder.plan(agent, text, responder.previous_turn(agent_conversation_id), utcnow())
        return bool(plan.answerable)

    def _knowledge(self, character: Character, agent: Any, conversation: Any, text: str, reply: Reply,
                   emit: Any) -> Iterator[tuple[str, Any]]:
        store = self.frontdesk.store
        agent_conversation = conversation.agent_conversation_id if conversation is not None else None
        if agent_conversation is None and conversation is not None:
            agent_conversation = store.create_conversation(agent.id, f"character:{character.handle}"[:64])
            store.set_character_conversation(conversation.id, agent_conversation_id=agent_conversation)
        reply.mode = "knowledge"
        responder = self.frontdesk.responder()
        buffered = ""
        for event, value in responder.stream(self._voiced(character, agent), text, agent_conversation):
            if event == "delta":
                buffered += value
                while (match := _SENTENCE_END.search(buffered)) is not None:
                    sentence, buffered = buffered[:match.end()].strip(), buffered[match.end():]
                    if sentence:
                        yield from emit(sentence)
            elif event == "done":
                if buffered.strip():
                    yield from emit(buffered.strip())
                reply.grounded = value.grounded
                reply.citations = value.citations
                reply.problems = value.problems
                reply.model = value.model

    # -- in character -------------------------------------------------------------------------

    def _in_character(self, character: Character, history: list[tuple[str, str]], text: str, user: str,
                      reply: Reply, emit: Any, *, grounded: bool, asks_ai: bool) -> Iterator[tuple[str, Any]]:
        settings = self.frontdesk.settings
        extra = ""
        if asks_ai:
            extra = "The user has just asked whether you are an AI: you are one, and that has been said; do not deny it."
        assembled = assemble(character, history, text, user=user, context_tokens=settings.llm_context,
                             reply_tokens=min(REPLY_TOKENS, settings.max_answer_tokens), extra_system=extra)
        reply.lore, reply.dropped = assembled.lore, assembled.dropped
        guard = LeakGuard(assembled.hidden, [text, *character.greetings])
        definition = " ".join(assembled.hidden[:6]) + " " + " ".join(character.greetings)
        model = self.model
        reply.model = model.name
        stream = model.stream(assembled.messages, max_tokens=min(REPLY_TOKENS, settings.max_answer_tokens),
                              temperature=0.7)
        said, previous = 0, ""
        try:
            for sentence in _sentences(stream, [f"{user}:", "User:", "{{user}}:"]):
                sentence = _strip_speaker(sentence, character.name)
                if not sentence:
                    continue
                if guard.leaks(f"{previous} {sentence}"):  # across a sentence boundary, too
                    reply.mode = "refused"
                    yield from emit(refusal(reply.language))
                    return
                if asks_ai and claims_human(sentence):
                    continue
                if _echoes(sentence, text):
                    reply.problems.append("repeated the user's message")
                    continue
                if grounded:
                    problems = unsupported_claims(sentence, "", allow=f"{text} {definition}", language=reply.language)
                    if problems:
                        reply.problems += problems
                        continue
                said += 1
                previous = sentence
                yield from emit(sentence)
        finally:
            close = getattr(stream, "close", None)
            if close:
                close()
        if not said and not reply.disclosed:
            yield from emit(phrases.decline(reply.language) if grounded and reply.problems else no_guess(reply.language))


def _echoes(sentence: str, message: str) -> bool:
    """Whether a sentence only repeats the user's message (small models do): 4 or more words, nearly
    all of them the message's, in its order."""
    said, asked = _words(sentence), _words(message)
    if len(said) < 4 or not asked:
        return False
    from difflib import SequenceMatcher

    matcher = SequenceMatcher(None, said, asked, autojunk=False)
    return sum(block.size for block in matcher.get_matching_blocks()) >= 0.8 * len(said)


def _checked(text: str) -> str:
    text = text.strip()
    if not text:
        raise InvalidInput("the message is empty")
    if len(text) > MAX_MESSAGE:
        raise InvalidInput(f"the message is longer than {MAX_MESSAGE} characters")
    return text


def _strip_speaker(sentence: str, name: str) -> str:
    sentence = sentence.strip()
    if sentence.lower().startswith(name.lower() + ":"):
        sentence = sentence[len(name) + 1:].strip()
    return sentence


def _sentences(stream: Iterator[str], stops: list[str]) -> Iterator[str]:
    """The model's finished sentences; ends where the model starts writing the user's turn."""
    buffer = ""
    for piece in stream:
        buffer += piece
        for stop in stops:
            at = buffer.find("\n" + stop)
            if at < 0 and buffer.startswith(stop):
                at = 0
            if at >= 0:
                buffer = buffer[:at]
                yield from _split_all(buffer)
                return
        while (match := _SENTENCE_END.search(buffer)) is not None:
            sentence, buffer = buffer[:match.end()], buffer[match.end():]
            if sentence.strip():
                yield sentence.strip()
    if buffer.strip():
        yield buffer.strip()


def _split_all(text: str) -> Iterator[str]:
    for part in _SENTENCE_END.split(text):
        if part and part.strip():
            yield part.strip()
