"""A webhook goes to the address that was checked (no DNS rebinding; docs/webhooks.md).

A name can answer a public address to the check and a loopback one a moment later, when
the HTTP client resolves it again to connect. The sender resolves once, checks what it
got, and connects to that address with the name in ``Host`` and (HTTPS) in SNI.
"""

import socket
from typing import Any

import httpx
import pytest

from app.core.targets import TargetRefused
from app.webhooks.worker import http_sender

PUBLIC, LOOPBACK = "93.184.216.34", "127.0.0.1"


def _rebinding(monkeypatch: pytest.MonkeyPatch, answers: list[str]) -> list[str]:
    asked: list[str] = []

    def getaddrinfo(host: str, *_: Any, **__: Any) -> list[Any]:
        asked.append(host)
        address = answers[min(len(asked), len(answers)) - 1]
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, 443))]

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return asked


def test_the_connection_goes_to_the_checked_address(monkeypatch: pytest.MonkeyPatch) -> None:
    asked = _rebinding(monkeypatch, [PUBLIC, LOOPBACK])
    seen: list[httpx.Request] = []

    def receiver(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(204)

    with httpx.Client(transport=httpx.MockTransport(receiver)) as client:
        send = http_sender(client)
        status = send("https://hooks.example.org:8443/in?x=1", {"webhook-id": "m"}, b"{}")
    assert status == 204
    (request,) = seen
    assert asked == ["hooks.example.org"]  # resolved once: the answer checked is used
    assert (request.url.host, request.url.port, request.url.path) == (PUBLIC, 8443, "/in")
    assert request.url.query == b"x=1"
    assert request.headers["host"] == "hooks.example.org:8443"
    assert request.headers["webhook-id"] == "m"
    assert request.extensions["sni_hostname"] == "hooks.example.org"


def test_a_name_that_resolves_inwards_is_refused_before_connecting(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _rebinding(monkeypatch, [LOOPBACK])

    def receiver(request: httpx.Request) -> httpx.Response:
        raise AssertionError(f"connected to {request.url}")

    with httpx.Client(transport=httpx.MockTransport(receiver)) as client:
        with pytest.raises(TargetRefused):
            http_sender(client)("http://rebind.example.org/hook", {}, b"{}")
