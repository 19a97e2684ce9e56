"""Fixtures of the webhook tests: loopback targets allowed, a recording receiver."""

import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from sqlalchemy import Engine
from sqlmodel import func, select

from app.core import engine as core_engine
from app.core.config import get_settings
from app.core.models import utcnow
from app.webhooks import delivery
from app.webhooks.models import WebhookDelivery

# A worker round of the tests takes every due delivery: the live database holds other
# tests' deliveries too, and a round of the worker's own batch could end before it reached
# the one a test waits for.
EVERY_DUE = 100_000


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


def fan_out_until(engine: Engine, subscription_id: str, n: int) -> None:
    """Fan out until the subscription has ``n`` deliveries: other transactions on the
    server (other tests) can hold the feed's visibility horizon back for a moment."""
    stmt = select(func.count()).where(WebhookDelivery.subscription_id == uuid.UUID(subscription_id))
    for _ in range(2000):
        with core_engine.new_session(engine) as db:
            if db.exec(stmt).one() >= n:
                return
            delivery.fan_out(db, now=utcnow())
        threading.Event().wait(0.01)
    raise AssertionError("the events never became visible")


def deliver_until_sent(engine: Engine, receiver: Receiver, subscription: dict[str, Any]) -> None:
    """Run worker rounds until this subscription's due deliveries were sent: a round takes
    one batch of every organisation's due deliveries, and the live database holds other
    tests' deliveries (to unreachable URLs, retried) too, which may fill a batch."""
    for _ in range(200):
        delivery.run_once(engine, now=utcnow(), send=receiver, batch=EVERY_DUE)
        if receiver.to(subscription):
            return
    raise AssertionError("the subscription's deliveries were never sent")
