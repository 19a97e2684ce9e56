"""Fixtures of the webhook tests: loopback targets allowed, a recording receiver."""

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

from app.core.config import get_settings


@pytest.fixture
def allow_loopback(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Webhooks may call 127.0.0.1 in these tests (refused by default)."""
    monkeypatch.setattr(get_settings(), "webhook_allow_private_targets", True)
    yield


@dataclass
class Receiver:
    """A sender for ``run_once`` that records requests and answers ``status``."""

    status: int = 204
    received: list[tuple[str, dict[str, str], bytes]] = field(default_factory=list)

    def to(self, subscription: dict[str, Any]) -> list[tuple[str, dict[str, str], bytes]]:
        """What was sent to this subscription's URL."""
        return [r for r in self.received if r[0] == subscription["url"]]

    def __call__(self, url: str, headers: dict[str, str], body: bytes) -> int:
        self.received.append((url, headers, body))
        return self.status
