"""GGUF models run by llama.cpp inside this process.

xllamacpp (a prebuilt wheel that embeds llama.cpp's own server) is the default runtime;
llama-cpp-python also works when it is installed (it has no wheel: its build takes about
10 minutes on 2 cores, but a native build processes prompts faster; docs/benchmarks.md).
"""

from __future__ import annotations

import math
import os
import queue
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ..errors import InfrastructureError, InvalidInput
from ..log import get_logger

log = get_logger(__name__)
_END = object()


def _threads(requested: int) -> int:
    return requested if requested > 0 else max(1, min(os.cpu_count() or 1, 8))


def load_local(path: Path, *, name: str, runtime: str, threads: int, context: int) -> Any:
    if runtime == "auto":
        runtime = "xllamacpp"
    if runtime == "xllamacpp":
        return XLlamaCppModel(path, name=name, threads=_threads(threads), context=context)
    if runtime == "llama-cpp-python":
        return LlamaCppPythonModel(path, name=name, threads=_threads(threads), context=context)
    raise InvalidInput(f"unknown FRONTDESK_LLM_RUNTIME {runtime!r}; use xllamacpp or llama-cpp-python")


class XLlamaCppModel:
    def __init__(self, path: Path, *, name: str, threads: int, context: int) -> None:
        try:
            import xllamacpp
        except ImportError as exc:  # pragma: no cover - it is a dependency
            raise InfrastructureError("xllamacpp is not installed: pip install xllamacpp") from exc
        params = xllamacpp.CommonParams()
        params.model.path = str(path)
        params.n_ctx = context
        params.n_parallel = 1  # one slot keeps the agent's system prompt in the prompt cache
        params.cpuparams.n_threads = threads
        params.cpuparams_batch.n_threads = threads
        params.warmup = False
        params.verbosity = -1  # llama.cpp's own log lines stay off the customer's terminal
        try:
            self._server = xllamacpp.Server(params)
        except Exception as exc:
            raise InfrastructureError(f"llama.cpp could not load {path}: {exc}") from exc
        self.name = name
        self.path = path

    def first_token_logprobs(self, messages: list[dict[str, str]], *, top: int) -> dict[str, float]:
        """The ``top`` likeliest first tokens of the reply and their log-probabilities (answer/judge.py)."""
        request = {"messages": messages, "max_tokens": 1, "temperature": 0.0, "cache_prompt": True,
                   "logprobs": True, "top_logprobs": top}
        try:
            result = self._server.handle_chat_completions(request)
        except Exception as exc:
            raise InfrastructureError(f"llama.cpp failed: {exc}") from exc
        if not isinstance(result, dict) or "error" in result:
            raise InfrastructureError(f"llama.cpp: {result.get('error') if isinstance(result, dict) else result}")
        return _top_logprobs(result)

    def stream(self, messages: list[dict[str, str]], *, max_tokens: int, temperature: float = 0.0) -> Iterator[str]:
        pieces: queue.Queue[Any] = queue.Queue()
        stop = threading.Event()
        request = {"messages": messages, "max_tokens": max_tokens, "temperature": temperature,
                   "stream": True, "cache_prompt": True}

        def on_chunk(chunk: Any) -> bool:
            if isinstance(chunk, dict):
                if "error" in chunk:
                    pieces.put(InfrastructureError(f"llama.cpp: {chunk['error']}"))
                for choice in chunk.get("choices") or []:
                    text = (choice.get("delta") or {}).get("content")
                    if text:
                        pieces.put(text)
            return stop.is_set()

        def run() -> None:
            try:
                result = self._server.handle_chat_completions(request, on_chunk)
                if isinstance(result, dict) and "error" in result:
                    pieces.put(InfrastructureError(f"llama.cpp: {result['error']}"))
            except Exception as exc:  # surfaced to the consumer
                pieces.put(InfrastructureError(f"llama.cpp failed: {exc}"))
            finally:
                pieces.put(_END)

        worker = threading.Thread(target=run, name="llama.cpp", daemon=True)
        worker.start()
        try:
            while (piece := pieces.get()) is not _END:
                if isinstance(piece, Exception):
                    raise piece
                yield piece
        finally:
            stop.set()
            while worker.is_alive():  # let llama.cpp finish the request it is stopping
                try:
                    pieces.get(timeout=0.05)
                except queue.Empty:
                    pass
            worker.join()


class LlamaCppPythonModel:
    def __init__(self, path: Path, *, name: str, threads: int, context: int) -> None:
        try:
            from llama_cpp import Llama
        except ImportError as exc:
            raise InfrastructureError("llama-cpp-python is not installed: pip install llama-cpp-python") from exc
        self._llama = Llama(model_path=str(path), n_ctx=context, n_threads=threads, n_threads_batch=threads,
                            verbose=False)
        self._lock = threading.Lock()  # a Llama object is not thread-safe
        self.name = name
        self.path = path

    def stream(self, messages: list[dict[str, str]], *, max_tokens: int, temperature: float = 0.0) -> Iterator[str]:
        with self._lock:
            for chunk in self._llama.create_chat_completion(messages=messages, max_tokens=max_tokens,
                                                            temperature=temperature, stream=True):
                text = chunk["choices"][0]["delta"].get("content")
                if text:
                    yield text

    def first_token_logprobs(self, messages: list[dict[str, str]], *, top: int) -> dict[str, float]:
        """The ``top`` likeliest first tokens of the reply and their log-probabilities (answer/judge.py)."""
        with self._lock:
            result = self._llama.create_chat_completion(messages=messages, max_tokens=1, temperature=0.0,
                                                        logprobs=True, top_logprobs=top)
        return _top_logprobs(result)


def _top_logprobs(result: Any) -> dict[str, float]:
    """``{token: logprob}`` of the first token's candidates in an OpenAI-style chat completion."""
    try:
        candidates = result["choices"][0]["logprobs"]["content"][0]["top_logprobs"]
        out: dict[str, float] = {}
        for candidate in candidates:  # two ids may spell the same text: their mass adds up
            token, logprob = candidate["token"], float(candidate["logprob"])
            out[token] = math.log(math.exp(out[token]) + math.exp(logprob)) if token in out else logprob
        return out
    except (KeyError, IndexError, TypeError) as exc:
        raise InfrastructureError("the model returned no log-probabilities") from exc
