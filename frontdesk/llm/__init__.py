"""Language models behind one small interface: the model phrases, it is not a source of facts.

``ChatModel.stream(messages)`` yields text pieces. Implementations: a local GGUF run by
llama.cpp in-process (xllamacpp's prebuilt wheel by default, llama-cpp-python when asked),
and any OpenAI-compatible server by base URL (vLLM, llama.cpp server, Ollama, hosted APIs).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Protocol

from ..config import Settings
from .packaged import DEFAULT_MODEL, MODELS, installed, resolve_model_path

#: The fast model ``fast_model = auto`` takes beside the packaged default (docs/answers.md).
AUTO_FAST_MODEL = "qwen2.5-0.5b"

Message = dict[str, str]


class ChatModel(Protocol):
    name: str

    def stream(self, messages: list[Message], *, max_tokens: int, temperature: float = 0.0) -> Iterator[str]:
        """Yield the reply in pieces; closing the iterator stops generation."""
        ...


_loaded: dict[tuple[str, ...], ChatModel] = {}


def get_model(settings: Settings, name: str | None = None) -> ChatModel:
    """The configured model, loaded once per process (loading a GGUF takes seconds)."""
    name = name or settings.model
    if settings.llm_base_url:
        key: tuple[str, ...] = ("remote", settings.llm_base_url, name)
    else:
        key = ("local", settings.llm_runtime, name, str(settings.llm_threads), str(settings.llm_context))
    model = _loaded.get(key)
    if model is None:
        if settings.llm_base_url:
            from .remote import OpenAICompatibleModel

            model = OpenAICompatibleModel(settings.llm_base_url, name, api_key=settings.llm_api_key,
                                          timeout=settings.llm_timeout, connect_timeout=settings.llm_connect_timeout,
                                          attempts=settings.llm_attempts, backoff=settings.llm_backoff)
        else:
            from .local import load_local

            path = resolve_model_path(name, settings.home / "models")
            model = load_local(path, name=name, runtime=settings.llm_runtime,
                               threads=settings.llm_threads, context=settings.llm_context)
        _loaded[key] = model
    return model


def get_fast_model(settings: Settings) -> ChatModel | None:
    """The model for plain questions, or None when every answer is phrased by ``settings.model``.

    ``auto`` pairs the packaged default with the packaged 0.5B model when that is installed; a
    business that plugs in its own model (a path, a server) keeps it for every answer unless it
    names a fast model itself.
    """
    name = fast_model_name(settings)
    return get_model(settings, name) if name else None


def fast_model_name(settings: Settings) -> str | None:
    """The name ``settings.fast_model`` stands for, or None for none. ``auto`` is the packaged
    0.5B beside the packaged default running in-process, if its packages are installed."""
    choice = settings.fast_model.strip()
    if choice.lower() in ("", "none", "off") or choice == settings.model:
        return None
    if choice.lower() == "auto":
        usable = not settings.llm_base_url and settings.model == DEFAULT_MODEL and installed(MODELS[AUTO_FAST_MODEL])
        return AUTO_FAST_MODEL if usable else None
    return choice


__all__ = ["AUTO_FAST_MODEL", "DEFAULT_MODEL", "MODELS", "ChatModel", "Message", "fast_model_name", "get_fast_model", "get_model", "resolve_model_path"]
