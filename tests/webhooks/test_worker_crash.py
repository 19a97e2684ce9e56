"""``kill -9`` of the worker mid-batch loses nothing: the batch is sent again after restart."""

import argparse
import json
import os
import signal
import subprocess
import sys
import threading
import uuid
from collections import Counter
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlalchemy.exc import OperationalError
from sqlmodel import select

from app import cli
from app.core import engine as core_engine
from app.webhooks import delivery, worker
from app.webhooks.models import DeliveryStatus, WebhookDelivery
from tests.conftest import Tenant
from tests.webhooks.conftest import fan_out_until

ROOT = Path(__file__).resolve().parents[2]
EVENTS = 10
HOLD_AT = 4  # the receiver holds the 4th request: the worker is mid-batch
# Deliveries per batch: more than all due in the database. Earlier tests of this run leave
# deliveries to their closed receivers, retried and due before ours; a batch of EVENTS
# could then hold only some of ours, commit them as delivered and start another batch
# before the held request (`--once` runs until nothing is due), which is not the crash
# this test is about.
BATCH = 10_000


class Receiver(ThreadingHTTPServer):
    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), Handler)
        self.ids: Counter[str] = Counter()
        self.lock = threading.Lock()
        self.holding = threading.Event()
        self.release = threading.Event()


class Handler(BaseHTTPRequestHandler):
    server: Receiver

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["content-length"]))
        with self.server.lock:
            self.server.ids[json.loads(body)["id"]] += 1
            hold = sum(self.server.ids.values()) == HOLD_AT
        if hold:
            self.server.holding.set()
            self.server.release.wait(60)
            return  # no answer: the worker is gone by now
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server = Receiver()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.release.set()
    server.shutdown()
    server.server_close()


def _worker(database_url: str) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "VEERKRACHT_DATABASE_URL": database_url,
        "VEERKRACHT_WEBHOOK_ALLOW_PRIVATE_TARGETS": "true",
    }
    return subprocess.Popen(
        [
            str(Path(sys.executable).parent / "veerkracht"),
            "worker",
            "--once",
            "--batch",
            str(BATCH),
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def test_a_worker_killed_mid_batch_loses_nothing(
    engine: Engine,
    database_url: str,
    live_client: TestClient,
    live_tenant: Tenant,
    receiver: Receiver,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from app.core.config import get_settings

    monkeypatch.setattr(get_settings(), "webhook_allow_private_targets", True)
    url = f"http://127.0.0.1:{receiver.server_address[1]}/hook/{uuid.uuid4()}"
    r = live_client.post(
        "/v1/webhook-subscriptions",
        headers=live_tenant.admin,
        json={"url": url, "event_types": ["team"]},
    )
    assert r.status_code == 201, r.text
    sub_id = uuid.UUID(r.json()["id"])
    for i in range(EVENTS):
        live_client.post("/v1/teams", headers=live_tenant.write, json={"name": f"Team {i}"})
    fan_out_until(engine, str(sub_id), EVENTS)

    first = _worker(database_url)
    try:
        while not receiver.holding.wait(0.05):  # until mid-batch, or the worker died
            assert first.poll() is None, first.stderr.read() if first.stderr else ""
        os.kill(first.pid, signal.SIGKILL)
        first.wait(30)
    finally:
        if first.poll() is None:
            first.kill()
    receiver.release.set()
    seen_before = set(receiver.ids)

    with core_engine.new_session(engine) as db:
        stmt = select(WebhookDelivery).where(WebhookDelivery.subscription_id == sub_id)
        rows = list(db.exec(stmt).all())
    # The fan-out had committed; the killed batch had not: every delivery is still due.
    assert len(rows) == EVENTS
    assert {d.status for d in rows} == {DeliveryStatus.pending}

    second = _worker(database_url)
    _, err = second.communicate(timeout=120)
    assert second.returncode == 0, err.decode()

    with core_engine.new_session(engine) as db:
        rows = list(db.exec(stmt).all())
    assert {d.status for d in rows} == {DeliveryStatus.delivered}
    assert set(receiver.ids) == {str(d.event_id) for d in rows}
    # At-least-once: what the killed batch had sent (its outcome never committed) is sent
    # again, the held request included.
    duplicates = sum(n - 1 for n in receiver.ids.values())
    assert len(seen_before) == duplicates == HOLD_AT


def test_a_failed_round_is_tried_again_not_the_end_of_the_worker(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # A deadlock's victim, or a database restarting: the round rolled back (its deliveries
    # stay due) and the worker goes on with the next, rather than exiting.
    rounds: list[int] = []

    def round_once(*_args: object, **_kwargs: object) -> delivery.Tally:
        rounds.append(len(rounds))
        if len(rounds) == 1:
            raise OperationalError("UPDATE webhook_subscription", {}, Exception("deadlock"))
        return delivery.Tally()  # nothing due: with --once, the worker ends

    monkeypatch.setattr(worker, "run_once", round_once)
    for daily in ("purge", "deactivate_ended", "announce"):
        monkeypatch.setattr(worker, daily, lambda *_args: 0)
    monkeypatch.setattr(worker.signal, "signal", lambda *_args: None)
    monkeypatch.setattr(cli, "ensure_schema", lambda: None)
    args = argparse.Namespace(once=True, interval=0.0, batch=10)
    assert worker.worker(args) == 0
    assert rounds == [0, 1]
