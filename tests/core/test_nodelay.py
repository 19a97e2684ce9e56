"""Keep-alive responses must not wait for the client's delayed ACK (app/core/nodelay.py):
every connection of the served protocol has TCP_NODELAY, whatever uvicorn's socket."""

import argparse
import socket
from types import SimpleNamespace
from typing import Any

import pytest
from uvicorn.protocols.http.h11_impl import H11Protocol
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from app import cli
from app.core import nodelay
from app.core.config import get_settings


@pytest.mark.parametrize(
    ("protocol", "parent"),
    [
        (nodelay.NoDelayH11Protocol, H11Protocol),
        (nodelay.NoDelayHttpToolsProtocol, HttpToolsProtocol),
    ],
)
def test_each_connection_gets_tcp_nodelay(
    protocol: type[Any], parent: type[Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(parent, "connection_made", lambda self, transport: None)
    with socket.create_server(("127.0.0.1", 0)) as listener:
        client = socket.create_connection(listener.getsockname())
        accepted, _ = listener.accept()
        with client, accepted:
            assert accepted.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) == 0
            transport = SimpleNamespace(get_extra_info=lambda name: accepted)
            protocol.connection_made(object.__new__(protocol), transport)
            assert accepted.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) != 0


def test_serve_uses_the_nodelay_protocol(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: dict[str, Any] = {}
    monkeypatch.setattr(cli, "ensure_schema", lambda: None)
    monkeypatch.setattr("uvicorn.run", lambda app, **kw: seen.update(kw))
    cli.serve(argparse.Namespace(host="127.0.0.1", port=0, workers=2))
    assert seen["http"] == nodelay.HTTP_PROTOCOL
    assert seen["http"].endswith("NoDelayHttpToolsProtocol")


def test_serve_takes_keep_alive_and_shutdown_grace_from_the_settings(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Issue 14: a 5 s keep-alive raced clients' next requests under load, and SIGTERM must
    # end the process within the configured grace period.
    seen: dict[str, Any] = {}
    monkeypatch.setattr(cli, "ensure_schema", lambda: None)
    monkeypatch.setattr("uvicorn.run", lambda app, **kw: seen.update(kw))
    monkeypatch.setattr(get_settings(), "keep_alive_seconds", 61)
    monkeypatch.setattr(get_settings(), "shutdown_grace_seconds", 7)
    cli.serve(argparse.Namespace(host="127.0.0.1", port=0, workers=1))
    assert seen["timeout_keep_alive"] == 61
    assert seen["timeout_graceful_shutdown"] == 7
