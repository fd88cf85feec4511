"""Server-side request forgery: the crawler reaches public addresses only, unless the operator allows more.

The check sits where the connection is made (an httpcore network backend): the host name is
resolved once, every address it resolves to is checked, and the connection goes to the checked
address. So a redirect, a second page, a DNS answer that changes between check and use
(rebinding) or a spelling such as ``0x7f000001`` or ``[::ffff:127.0.0.1]`` cannot reach loopback,
link-local (cloud metadata at 169.254.169.254), private, shared or reserved ranges.
``FRONTDESK_ALLOW_PRIVATE_URLS=true`` turns the check off (an intranet, a test site on 127.0.0.1).
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterable
from urllib.parse import urlsplit

import httpcore
import httpx

from ..errors import PrivateAddress


def is_public_address(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


def resolve_public(host: str, port: int) -> list[tuple[int, str]]:
    """(family, address) of every address ``host`` resolves to; PrivateAddress if any is not public."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise httpcore.ConnectError(f"cannot resolve {host}: {exc}") from None
    out = []
    for family, _, _, _, sockaddr in infos:
        address = str(sockaddr[0])
        if not is_public_address(address):
            raise PrivateAddress(host, address)
        out.append((family, address))
    return out


def check_public_url(url: str) -> None:
    """PrivateAddress now, for a URL whose host is not public (the friendly early error; the
    connection-time check in :class:`PublicOnlyBackend` is the defence)."""
    try:
        parts = urlsplit(url)
        host, port = parts.hostname, parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        return  # not a URL the crawler can use; the crawler reports it
    if host:
        try:
            resolve_public(host, port)
        except httpcore.ConnectError:
            return  # unresolvable: the fetch reports it


class PublicOnlyBackend(httpcore.SyncBackend):
    """Connects only to public addresses, to the very address that was checked."""

    def connect_tcp(self, host: str, port: int, timeout: float | None = None, local_address: str | None = None,
                    socket_options: Iterable[tuple] | None = None) -> httpcore.NetworkStream:
        last: Exception | None = None
        for _, address in resolve_public(host, port):
            try:
                return super().connect_tcp(address, port, timeout, local_address, socket_options)
            except httpcore.ConnectError as exc:
                last = exc
        raise last or httpcore.ConnectError(f"cannot connect to {host}")


def public_only_transport(**kwargs: object) -> httpx.HTTPTransport:
    """An httpx transport whose connections reach public addresses only."""
    transport = httpx.HTTPTransport(**kwargs)  # type: ignore[arg-type]
    transport._pool._network_backend = PublicOnlyBackend()  # httpx has no public argument for it
    return transport
