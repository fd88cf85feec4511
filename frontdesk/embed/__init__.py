"""Embedders that ship inside PyPI packages, chosen by name.

``use-multilingual`` (default): Google's Universal Sentence Encoder, multilingual, 512-d.
``minilm``: all-MiniLM-L6-v2, English only, 384-d.
"""

from __future__ import annotations

import threading

from ..errors import InvalidInput
from .base import Embedder, normalise

EMBEDDERS = ("use-multilingual", "minilm")

_instances: dict[str, Embedder] = {}
_lock = threading.Lock()


def get_embedder(name: str) -> Embedder:
    """The shared instance of the embedder called ``name`` (models load lazily, once)."""
    with _lock:
        if name not in _instances:
            _instances[name] = _create(name)
        return _instances[name]


def register_embedder(embedder: Embedder) -> None:
    """Make an embedder available by its name to the whole process (tests and plug-ins)."""
    with _lock:
        _instances[embedder.name] = embedder


def known_embedders() -> tuple[str, ...]:
    """The names an agent may choose: the packaged embedders and any registered one."""
    with _lock:
        return tuple(dict.fromkeys([*EMBEDDERS, *_instances]))


def _create(name: str) -> Embedder:
    if name == "use-multilingual":
        from .use import UniversalSentenceEncoder

        return UniversalSentenceEncoder()
    if name == "minilm":
        from .minilm import MiniLMEmbedder

        return MiniLMEmbedder()
    raise InvalidInput(f"unknown embedder {name!r}; choose one of: {', '.join(EMBEDDERS)}")


__all__ = ["EMBEDDERS", "Embedder", "get_embedder", "known_embedders", "normalise", "register_embedder"]
