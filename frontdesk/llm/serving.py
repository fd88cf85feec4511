"""A packaged model (or any GGUF) behind llama.cpp's own OpenAI-compatible HTTP server.

xllamacpp's ``Server`` is llama.cpp's ``llama-server`` compiled into the wheel: given a host and
a port it listens there (``/v1/chat/completions``, ``/v1/models``, ``/health``) from its own
threads. ``frontdesk models serve`` runs it in a process of its own, so several frontdesk
processes (and hosts) share one loaded model through ``FRONTDESK_LLM_BASE_URL``
(docs/models.md, "Remote inference").
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import InfrastructureError, InvalidInput
from .local import _threads


@dataclass(frozen=True)
class ServedModel:
    """A running llama.cpp server; keep the object alive as long as it should serve."""

    name: str
    path: Path
    url: str  # the base URL for FRONTDESK_LLM_BASE_URL, ending in /v1
    server: Any


def serve_gguf(path: Path, *, name: str, host: str = "127.0.0.1", port: int = 8080, threads: int = 0,
               context: int = 4096, parallel: int = 2, api_key: str = "") -> ServedModel:
    """Start llama.cpp's HTTP server for ``path`` on ``host:port`` (port 0: a free one).

    ``context`` is the whole KV cache, shared by the ``parallel`` slots (each answer needs about
    1,500 tokens of prompt and ``FRONTDESK_MAX_ANSWER_TOKENS``); ``api_key`` set, every request
    must carry it as a Bearer token (``/health`` stays open)."""
    if parallel < 1:
        raise InvalidInput(f"--parallel must be at least 1, not {parallel}")
    if context < 512 * parallel:
        raise InvalidInput(f"--context {context} leaves fewer than 512 tokens for each of {parallel} slots")
    import xllamacpp

    params = xllamacpp.CommonParams()
    params.model.path = str(path)
    params.model_alias = {name}
    params.hostnames = [host]
    params.port = port
    params.n_ctx = context
    params.n_parallel = parallel
    params.cpuparams.n_threads = _threads(threads)
    params.cpuparams_batch.n_threads = _threads(threads)
    params.warmup = False
    params.verbosity = -1
    if api_key:
        params.api_keys = [api_key]
    try:
        server = xllamacpp.Server(params)
    except Exception as exc:
        raise InfrastructureError(f"llama.cpp could not serve {path} on {host}:{port}: {exc}") from exc
    return ServedModel(name, path, f"{server.listening_address}/v1", server)
