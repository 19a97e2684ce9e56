"""The change feed and webhooks (issue 17): ``./dev bench --only changes``.

- **outbox cost**: a 10,000-row employee import (CSV, through the app in-process) with the
  outbox listener and without it; the ratio is what announcing every row costs.
- **feed read rate**: that import's events read back through ``GET /v1/changes`` (pages
  of 200), events per second.
- **webhooks**: 10,000 events fanned out and delivered by the worker's own round
  (``delivery.run_once`` with the HTTP sender) to a loopback receiver: every event must
  arrive (zero loss); duplicates are counted and printed (at-least-once allows them).
"""

import argparse
import json
import logging
import statistics
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
from fastapi.testclient import TestClient
from sqlalchemy import Engine, event
from sqlalchemy.orm import Session as OrmSession
from sqlmodel import Session, func, select

from app.changes import outbox
from app.changes.models import ChangeEvent
from app.core import db as core_db
from app.core import engine as core_engine
from app.core.config import get_settings
from app.core.models import utcnow
from app.imports import samples
from app.main import create_app
from app.organisation import service as organisation_service
from app.webhooks.delivery import run_once
from app.webhooks.models import DeliveryStatus, WebhookDelivery
from app.webhooks.worker import http_sender
from bench import data

EVENTS = 10_000


@contextmanager
def _without_outbox() -> Iterator[None]:
    event.remove(OrmSession, "before_commit", outbox._before_commit)
    try:
        yield
    finally:
        event.listen(OrmSession, "before_commit", outbox._before_commit)


def _new_org(engine: Engine, client: TestClient) -> dict[str, str]:
    with Session(engine, expire_on_commit=False) as db:
        _org, key = organisation_service.create_organisation(db, name="changes bench")
        db.commit()
    headers = {"Authorization": f"Bearer {key}", "Content-Type": "text/csv"}
    for kind, body in samples.structure_files().items():
        client.post(f"/v1/imports/{kind}", content=body, headers=headers).raise_for_status()
    return headers


def _import(client: TestClient, headers: dict[str, str], n: int) -> float:
    body = samples.employees_csv(n)
    started = time.perf_counter()
    r = client.post("/v1/imports/employees", content=body, headers=headers)
    elapsed = time.perf_counter() - started
    r.raise_for_status()
    assert r.json()["created"] == n, r.text
    return elapsed


def _read_feed(client: TestClient, headers: dict[str, str]) -> tuple[int, float]:
    read, cursor = 0, None
    started = time.perf_counter()
    while True:
        params: dict[str, Any] = {"limit": 200, **({"after": cursor} if cursor else {})}
        page = client.get("/v1/changes", headers=headers, params=params).json()
        read += len(page["items"])
        cursor = page["next_cursor"]
        if not page["has_more"]:
            return read, time.perf_counter() - started


class _Receiver(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.ids: Counter[str] = Counter()
        self.lock = threading.Lock()


class _Handler(BaseHTTPRequestHandler):
    server: _Receiver
    protocol_version = "HTTP/1.1"

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["content-length"]))
        with self.server.lock:
            self.server.ids[json.loads(body)["id"]] += 1
        self.send_response(204)
        self.send_header("content-length", "0")
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


def _deliver(engine: Engine, client: TestClient, headers: dict[str, str]) -> dict[str, Any]:
    receiver = _Receiver()
    threading.Thread(target=receiver.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{receiver.server_address[1]}/hook"
    settings = get_settings()
    settings.webhook_allow_private_targets = True
    admin = {"Authorization": headers["Authorization"]}
    r = client.post(
        "/v1/webhook-subscriptions",
        headers=admin,
        json={"url": url, "event_types": ["employee.created"]},
    )
    r.raise_for_status()
    sub_id = uuid.UUID(r.json()["id"])
    body = samples.employees_csv(EVENTS, start=900_000)
    client.post("/v1/imports/employees", content=body, headers=headers).raise_for_status()
    started = time.perf_counter()
    with httpx.Client(timeout=10) as http:
        send = http_sender(http)
        while True:
            tally = run_once(engine, now=utcnow(), send=send, batch=200)
            if not (tally.queued or tally.delivered or tally.failed_attempts):
                break
    elapsed = time.perf_counter() - started
    receiver.shutdown()
    with core_engine.new_session(engine) as db:
        stmt = select(WebhookDelivery.event_id).where(
            WebhookDelivery.subscription_id == sub_id,
            WebhookDelivery.status == DeliveryStatus.delivered,
        )
        delivered = {str(i) for i in db.exec(stmt).all()}
        events = db.exec(
            select(func.count())
            .select_from(ChangeEvent)
            .where(ChangeEvent.type == "employee.created")
        ).one()
    received = set(receiver.ids)
    return {
        "events": len(delivered),
        "lost": len(delivered - received),
        "duplicates": sum(n - 1 for n in receiver.ids.values()),
        "seconds": elapsed,
        "all_events": events,
    }


def changes_benchmark(
    report: Any, db: str, url: str, engine: Engine, _org: data.BenchOrg, args: argparse.Namespace
) -> None:
    """Outbox cost on a 10,000-row import, feed read rate, 10,000 webhook deliveries."""
    logging.getLogger("httpx").setLevel(logging.WARNING)  # one line per delivery otherwise
    n = 10_000
    with_outbox, without = [], []
    rates = []
    settings = get_settings()
    database = core_db.Database(engine, connections=settings.db_connections, acquire_timeout=60)
    with TestClient(create_app(database=database)) as client:
        for _ in range(max(3, args.repeat)):
            headers = _new_org(engine, client)
            with _without_outbox():
                without.append(_import(client, headers, n))
            headers = _new_org(engine, client)
            with_outbox.append(_import(client, headers, n))
            read, seconds = _read_feed(client, headers)
            assert read >= n, read
            rates.append(read / seconds)
        ratio = statistics.median(with_outbox) / statistics.median(without)
        report.add(
            db,
            f"outbox cost: import {n:,} employees",
            f"median {statistics.median(with_outbox) * 1000:.0f} ms with, "
            f"{statistics.median(without) * 1000:.0f} ms without = {ratio:.2f}x",
            "<= 2x",
            ratio <= 2,
        )
        report.add(
            db,
            "feed read rate (pages of 200)",
            f"median {statistics.median(rates):,.0f} events/s",
            ">= 5,000 events/s",
            statistics.median(rates) >= 5000,
        )
        result = _deliver(engine, client, _new_org(engine, client))
    report.add(
        db,
        f"webhooks: {EVENTS:,} events to loopback",
        f"{result['events']:,} delivered in {result['seconds']:.1f} s "
        f"({result['events'] / result['seconds']:,.0f}/s), lost {result['lost']}, "
        f"duplicates {result['duplicates']}",
        "zero loss",
        result["lost"] == 0 and result["events"] == EVENTS,
    )
    print(
        f"[{db}] webhooks: {result['events']} delivered, {result['lost']} lost, "
        f"{result['duplicates']} duplicates",
    )
