"""Test doubles that ship with frontdesk, for its own tests and for yours (docs/testing.md).

- :class:`ScriptedModel`, :class:`FunctionModel` (:mod:`.models`): chat models that reply what
  a test says, recording what they were asked; :class:`JudgingModel` also answers the
  answerability judge's yes-or-no question with the probability a test gives.
- :class:`HashEmbedder` (:mod:`.embed`): a deterministic embedder without a model.
- :class:`FakeGraph` (:mod:`.graph`): a local stand-in for Meta's Graph API
  (``python -m frontdesk.testing.graph``).
- :class:`EchoUpstream` (:mod:`.echo`): an OpenAI-compatible server that streams the prompt's
  evidence back at a fixed rate (``python -m frontdesk.testing.echo``).
- :class:`FakeTranscriber`, :class:`FakeSynthesizer` (:mod:`frontdesk.voice.testing`): the two
  voice seams without models (``app.voice = Voice(settings, FakeTranscriber(), FakeSynthesizer())``).

Pass them in: ``Frontdesk(settings, model=ScriptedModel(...), embedders=[HashEmbedder()])``;
``GraphClient``/``Channels`` and ``OpenAICompatibleModel`` take an ``httpx.Client`` (``http=``),
so ``httpx.MockTransport`` works too.
"""

from ..voice.testing import FakeSynthesizer, FakeTranscriber
from .echo import EchoUpstream
from .embed import HashEmbedder
from .graph import FakeGraph
from .models import CallInfo, FunctionModel, JudgingModel, ScriptedModel

__all__ = ["CallInfo", "EchoUpstream", "FakeGraph", "FakeSynthesizer", "FakeTranscriber", "FunctionModel",
           "HashEmbedder", "JudgingModel", "ScriptedModel"]
