"""uvicorn's HTTP protocol with TCP_NODELAY on every connection, whatever the socket.

With ``--workers`` above 1 uvicorn binds the listening socket itself as
``socket.socket(family)`` (protocol 0), and asyncio only turns Nagle's algorithm off for
sockets whose protocol is IPPROTO_TCP. Every keep-alive response then waits for the
client's delayed ACK: about 40 ms per request (measured: /healthz 44 ms with two workers,
2 ms with one). Setting the option per connection fixes both modes.
"""

import asyncio
import socket

from uvicorn.protocols.http.h11_impl import H11Protocol


def _no_delay(transport: asyncio.BaseTransport) -> None:
    sock = transport.get_extra_info("socket")
    if sock is not None and sock.family in (socket.AF_INET, socket.AF_INET6):
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


class NoDelayH11Protocol(H11Protocol):
    """H11Protocol that disables Nagle's algorithm on its TCP connection."""

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        _no_delay(transport)
        super().connection_made(transport)


try:
    from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
except ImportError:  # httptools is optional in uvicorn; h11 always works
    HTTP_PROTOCOL = "app.core.nodelay:NoDelayH11Protocol"
else:

    class NoDelayHttpToolsProtocol(HttpToolsProtocol):
        """HttpToolsProtocol (the fast C parser) with Nagle's algorithm off."""

        def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
            _no_delay(transport)
            super().connection_made(transport)

    HTTP_PROTOCOL = "app.core.nodelay:NoDelayHttpToolsProtocol"
