"""The listening socket, bound before anything else starts: a port in use is a clear error at once,
not a crash after the model, the retrieval worker and the channel workers have started."""

from __future__ import annotations

import socket

from ..errors import InvalidInput


def bind_listener(host: str, port: int) -> socket.socket:
    """A socket bound to ``host:port`` and listening; InvalidInput naming the address if it cannot be."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except socket.gaierror as exc:
        raise InvalidInput(f"cannot listen on {host}:{port}: {exc.strerror}") from None
    family, kind, proto, _, address = infos[0]
    sock = socket.socket(family, kind, proto)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind(address)
        sock.listen(2048)
    except OSError as exc:
        sock.close()
        hint = " (another program, or another frontdesk, listens there; choose one with --port)" \
            if exc.errno in (98, 48, 10048) else ""
        raise InvalidInput(f"cannot listen on {host}:{port}: {exc.strerror}{hint}") from None
    sock.set_inheritable(True)
    return sock
