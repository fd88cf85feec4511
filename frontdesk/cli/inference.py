"""``frontdesk models serve``: one model behind llama.cpp's OpenAI-compatible server, for many frontdesk processes."""

from __future__ import annotations

import signal
import threading

import click

from ..config import Settings
from ..log import configure
from .main import handled, models


@models.command("serve")
@click.argument("name", required=False)
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", type=click.IntRange(0, 65535), default=8080, show_default=True,
              help="Port (0: a free one; the first line printed names it).")
@click.option("--parallel", type=click.IntRange(1, 64), default=2, show_default=True,
              help="Answers generated at once (llama.cpp slots); more queue.")
@click.option("--context", type=click.IntRange(512), help="KV cache in tokens, shared by the slots "
              "(default FRONTDESK_LLM_CONTEXT × --parallel).")
@click.option("--threads", type=int, help="CPU threads (default FRONTDESK_LLM_THREADS: one per core, at most 8).")
@click.pass_context
@handled
def models_serve(ctx: click.Context, name: str | None, host: str, port: int, parallel: int,
                 context: int | None, threads: int | None) -> None:
    """Serve NAME (a packaged model or a GGUF path; default FRONTDESK_MODEL) over llama.cpp's
    OpenAI-compatible HTTP API until stopped. Point frontdesk processes at it with
    FRONTDESK_LLM_BASE_URL=<the printed URL> and FRONTDESK_MODEL=NAME. FRONTDESK_LLM_API_KEY,
    when set, is required of every request."""
    from ..llm.packaged import resolve_model_path
    from ..llm.serving import serve_gguf

    # settings only: an inference host needs neither the database nor the embedders
    settings = Settings.from_env(home=ctx.find_root().params.get("home"))
    configure(settings.log_level)
    name = name or settings.model
    path = resolve_model_path(name, settings.home / "models")
    served = serve_gguf(path, name=name, host=host, port=port,
                        threads=settings.llm_threads if threads is None else threads,
                        context=context or settings.llm_context * parallel, parallel=parallel,
                        api_key=settings.llm_api_key)
    click.echo(f"serving {name} at {served.url}")
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    while not stop.wait(1.0):
        pass
    click.echo(f"stopped serving {name}", err=True)
