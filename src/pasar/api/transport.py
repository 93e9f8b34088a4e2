"""The HTTP protocol ``pasar serve`` runs: uvicorn's h11 protocol with Nagle's algorithm off.

uvicorn's worker processes (``--workers N``) serve a socket their parent opened, and on that
path the socket lacks ``TCP_NODELAY`` (uvicorn issue #3149): every answer on a keep-alive
connection then waits ~40 ms for the client's delayed ACK. Setting it per connection fixes it.
"""

from __future__ import annotations

import asyncio
import socket

from uvicorn.protocols.http.h11_impl import H11Protocol


class NoDelayH11Protocol(H11Protocol):
    """h11 with ``TCP_NODELAY`` set on each new connection."""

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        sock = transport.get_extra_info("socket")
        if sock is not None and sock.family in (socket.AF_INET, socket.AF_INET6):
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        super().connection_made(transport)
