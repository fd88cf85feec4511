"""Running the app under uvicorn with a graceful drain on SIGTERM (and Ctrl-C).

On the signal the process stops accepting connections, ``/readyz`` answers 503 on the ones
still open, channel workers claim nothing new, and requests in flight (answer streams
included) get up to ``FRONTDESK_DRAIN_SECONDS`` to finish before the process exits. Channel
work it could not finish goes back to the shared queue at once (``Channels.stop``).
"""

from __future__ import annotations

import socket
from types import FrameType
from typing import Any

from fastapi import FastAPI

from ..config import Settings
from ..log import get_logger

log = get_logger(__name__)


def serve(web: FastAPI, settings: Settings, listener: socket.socket | None = None) -> None:
    """Serve until a signal, then drain; on ``listener`` when given (bound before start-up)."""
    import uvicorn

    class Draining(uvicorn.Server):
        def handle_exit(self, sig: int, frame: FrameType | None) -> None:
            if not web.state.services.draining:
                log.warning("draining: no new work; finishing what is in flight", signal=sig,
                            seconds=settings.drain_seconds)
                web.state.services.drain()
            super().handle_exit(sig, frame)

    options: dict[str, Any] = dict(
        host=settings.host, port=settings.port, log_level=settings.log_level.lower(), proxy_headers=True,
        forwarded_allow_ips=settings.trusted_proxies, server_header=False,
        timeout_graceful_shutdown=settings.drain_seconds)
    Draining(uvicorn.Config(web, **options)).run(sockets=[listener] if listener is not None else None)
