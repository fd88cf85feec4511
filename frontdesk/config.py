"""Typed settings, built once from the environment (``FRONTDESK_*``) and passed in.

Nothing here is read at import time: call :meth:`Settings.from_env`.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path

from .errors import InvalidInput


def default_home(environ: Mapping[str, str]) -> Path:
    """``$FRONTDESK_HOME``, else ``$XDG_DATA_HOME/frontdesk``, else ``~/.local/share/frontdesk``."""
    if environ.get("FRONTDESK_HOME"):
        return Path(environ["FRONTDESK_HOME"]).expanduser()
    xdg = environ.get("XDG_DATA_HOME")
    base = Path(xdg).expanduser() if xdg else Path.home() / ".local" / "share"
    return base / "frontdesk"


@dataclass(frozen=True)
class Settings:
    """Every setting, its environment variable and its default. See docs/configuration.md."""

    #: Data directory: the SQLite database and the embedding cache live here.
    home: Path = field(default_factory=lambda: default_home(os.environ))
    #: Database URL; empty means ``sqlite:///<home>/frontdesk.db``.
    database_url: str = ""
    #: Embedding model for new agents: ``use-multilingual`` (default) or ``minilm`` (English).
    embedder: str = "use-multilingual"
    #: Currency assumed for catalog prices that do not name one (Shopify CSV, plain JSON).
    default_currency: str = "USD"
    #: Seconds between two requests to the same site while crawling (robots.txt may ask for more).
    crawl_delay: float = 1.0
    #: Most pages one web source may fetch.
    crawl_max_pages: int = 200
    #: Seconds before an HTTP request gives up.
    http_timeout: float = 20.0
    #: Largest file or download accepted, in megabytes.
    max_file_mb: int = 200
    #: User-Agent sent when crawling.
    user_agent: str = "frontdesk/0.1 (self-hosted business agent; +https://example.invalid/frontdesk)"
    #: Answer model: a packaged model name (``qwen2.5-1.5b``, ``qwen2.5-0.5b``, ``smollm2-135m``), a path
    #: to any GGUF file, or the model name the OpenAI-compatible server at ``llm_base_url`` knows.
    model: str = "qwen2.5-1.5b"
    #: The faster model that phrases the plain questions (same language as the evidence, no dates
    #: to reason about, no follow-up; docs/answers.md): a model name or path like ``model``;
    #: ``auto`` (default) takes ``qwen2.5-0.5b`` when ``model`` is the packaged default running
    #: in-process and the small model is installed; ``none`` phrases everything with ``model``.
    fast_model: str = "auto"
    #: Whether the answerability gate also asks the fast model "Does the text answer the question?"
    #: (docs/answers.md): ``off`` (default), ``on`` for every question with evidence, ``uncertain``
    #: only when the gate's own probability is near its threshold.
    gate_judge: str = "off"
    #: Whether the hazard screen also runs the fitted hazard classifier (safety/hazard_model.py) beside
    #: its rules (docs/security.md): off by default, because it refused real customer messages
    #: ("I want to speak to a human about a broken grinder" as S1 at p 1.00; docs/benchmarks.md).
    hazard_classifier: bool = False
    #: Base URL of an OpenAI-compatible server (``http://host:8000/v1``); empty runs the model in-process.
    llm_base_url: str = ""
    #: API key for ``llm_base_url`` (sent as a Bearer token; never logged).
    llm_api_key: str = field(default="", repr=False)
    #: In-process runtime for GGUF files: ``xllamacpp`` (default, prebuilt) or ``llama-cpp-python``.
    llm_runtime: str = "xllamacpp"
    #: CPU threads for the in-process model; 0 means one per core (at most 8).
    llm_threads: int = 0
    #: Context window of the in-process model, in tokens.
    llm_context: int = 4096
    #: Seconds before a request to ``llm_base_url`` gives up waiting for the next piece of the answer.
    llm_timeout: float = 120.0
    #: Seconds to wait for a connection to ``llm_base_url``.
    llm_connect_timeout: float = 10.0
    #: Attempts for a request to ``llm_base_url`` that finds no server, or gets 429, 502, 503 or 504,
    #: before the answer's first piece (backoff doubles from ``llm_backoff``; a Retry-After header wins).
    llm_attempts: int = 3
    #: First wait, in seconds, before asking ``llm_base_url`` again.
    llm_backoff: float = 0.5
    #: Most tokens the model may write for one answer.
    max_answer_tokens: int = 200
    #: The business's time zone (IANA name), for "today", opening hours and dates in answers.
    timezone: str = "Europe/Berlin"
    #: Address ``frontdesk serve`` listens on (``0.0.0.0`` for every interface).
    host: str = "127.0.0.1"
    #: Port ``frontdesk serve`` listens on.
    port: int = 8000
    #: Most answers the server streams at once; beyond it, requests get 503 and Retry-After.
    max_streams: int = 256
    #: Whether ``frontdesk serve`` plans answers (retrieval) in a worker process of its own, so a
    #: burst of new chats does not hold up the streams in flight (docs/serving.md).
    retrieval_process: bool = True
    #: Messages per minute one visitor (client address) may send to an agent's public web chat.
    widget_rate: int = 20
    #: Largest JSON request body, in kilobytes (file uploads are bounded by ``max_file_mb``).
    max_body_kb: int = 1024
    #: Proxy addresses whose X-Forwarded-For / X-Forwarded-Proto headers are trusted (comma-separated, ``*`` for any).
    trusted_proxies: str = "127.0.0.1"
    #: Base URL of Meta's Graph API, with its version; point it at a local stand-in to try channels offline.
    graph_base_url: str = "https://graph.facebook.com/v24.0"
    #: Attempts for one Graph API request that gets 429, 5xx or no answer (backoff doubles from ``graph_backoff``).
    graph_attempts: int = 5
    #: First wait, in seconds, before retrying a Graph API request (a Retry-After header takes precedence).
    graph_backoff: float = 0.5
    #: Threads that answer messaging-channel messages (one customer's messages are handled in order).
    #: On PostgreSQL every process may run them; on SQLite 0 in every process but one.
    channel_workers: int = 4
    #: Meta app secret: webhook deliveries are checked against it (HMAC-SHA256). Never logged.
    meta_app_secret: str = field(default="", repr=False)
    #: The verify token Meta sends when you subscribe the webhook. Never logged.
    meta_verify_token: str = field(default="", repr=False)
    #: Default Graph API access token for sending (a channel's own token in the secrets file wins). Never logged.
    meta_access_token: str = field(default="", repr=False)
    #: TOML file with the Meta secrets (see docs/channels.md); empty means ``<home>/secrets.toml`` if it exists.
    secrets_file: str = ""
    #: Whether the crawler may fetch loopback, link-local and private addresses (an intranet, a test
    #: site on 127.0.0.1). Off, every address a URL resolves to, on every redirect, must be public.
    allow_private_urls: bool = False
    #: Most text one file may hold, in megabytes (a DOCX/XLSX is refused from its archive directory
    #: when its XML expands past four times that: a zip bomb is never decompressed).
    max_text_mb: int = 5
    #: Most items (passages, products, FAQ entries) one source may hold; the rest are reported, not read.
    max_source_items: int = 200_000
    #: Speech-to-text model: ``whisper-base`` (packaged) or a directory holding a CTranslate2 Whisper model.
    voice_model: str = "whisper-base"
    #: CPU threads for speech recognition; 0 means one per core (at most 4).
    voice_threads: int = 0
    #: Languages recordings are transcribed in (comma-separated); a recording in another language is
    #: transcribed in the conversation's language instead.
    voice_languages: str = "de,en"
    #: Piper voices of your own, ``LANGUAGE=PATH`` comma-separated (``de=/voices/de_DE-thorsten-medium.onnx``);
    #: English has a packaged voice, other languages fall back to espeak-ng.
    voice_piper_voices: str = ""
    #: Below this transcript confidence (geometric mean token probability, 0..1) the answer says what it understood.
    voice_unsure_below: float = 0.5
    #: Longest recording transcribed, in seconds (WhatsApp allows 16 MB of audio).
    voice_max_seconds: float = 900.0
    #: Longest initial prompt for the recogniser, built from the agent's product names (0: no prompt).
    voice_prompt_chars: int = 300
    #: Redis for what several server processes share: rate limits and login throttling
    #: (``redis://127.0.0.1:6379/0``); empty keeps them per process.
    redis_url: str = ""
    #: Seconds a claimed channel event or send stays with a process that stopped renewing it
    #: (it died) before another process takes it over.
    claim_lease: float = 60.0
    #: Seconds a server that got SIGTERM gives the requests in flight (answer streams) to finish.
    drain_seconds: int = 30
    #: Log level for library logs (DEBUG, INFO, WARNING, ERROR).
    log_level: str = "WARNING"
    #: The model AI characters talk with (docs/characters.md): ``answer`` is the answer model; ``auto`` the
    #: fast model when there is one, else the answer model; or a model name or path.
    character_model: str = "answer"

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides: object) -> Settings:
        env = os.environ if environ is None else environ
        values: dict[str, object] = {"home": default_home(env)}
        for f in fields(cls):
            name = f"FRONTDESK_{f.name.upper()}"
            if f.name == "home" or name not in env:
                continue
            raw = env[name]
            try:
                values[f.name] = _convert(f.type, raw)
            except ValueError as exc:
                raise InvalidInput(f"{name}={raw!r} is not valid: {exc}") from None
        values.update({k: v for k, v in overrides.items() if v is not None})
        values["home"] = Path(str(values["home"])).expanduser()
        return cls(**values)  # type: ignore[arg-type]

    @property
    def resolved_database_url(self) -> str:
        return self.database_url or f"sqlite:///{self.home / 'frontdesk.db'}"

    @property
    def max_text_bytes(self) -> int:
        return self.max_text_mb * 1_000_000

    @property
    def max_file_bytes(self) -> int:
        return self.max_file_mb * 1024 * 1024


def _convert(type_name: object, raw: str) -> object:
    kind = str(type_name)
    if kind == "int":
        return int(raw)
    if kind == "float":
        return float(raw)
    if kind == "Path":
        return Path(raw).expanduser()
    if kind == "bool":
        value = raw.strip().lower()
        if value in ("1", "true", "yes", "on"):
            return True
        if value in ("0", "false", "no", "off"):
            return False
        raise ValueError("use true or false")
    return raw


def setting_names() -> list[str]:
    """The environment variable of every setting (the docs test checks each is documented)."""
    return [f"FRONTDESK_{f.name.upper()}" for f in fields(Settings)]
