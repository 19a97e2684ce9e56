"""Webhooks: subscriptions (admin), signed deliveries, back-off, disabling, ping (issue 17)."""

import json
import threading
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import col, select
from standardwebhooks import Webhook

from app.changes import outbox
from app.changes.models import ChangeEvent
from app.core import engine as core_engine
from app.core import targets
from app.core.config import get_settings
from app.core.models import utcnow
from app.core.tenancy import bind_organisation
from app.organisation.models import Team
from app.webhooks import delivery
from app.webhooks.models import DeliveryStatus, WebhookDelivery, WebhookSubscription
from tests.conftest import Tenant
from tests.helpers import assert_problem
from tests.webhooks.conftest import EVERY_DUE, Receiver, deliver_until_sent, fan_out_until

URL = "http://127.0.0.1:9/hook"


def _subscribe(client: TestClient, tenant: Tenant, **body: Any) -> dict[str, Any]:
    # A URL of its own: the live database holds other tests' subscriptions too.
    url = f"{URL}/{uuid.uuid4()}"
    r = client.post("/v1/webhook-subscriptions", headers=tenant.admin, json={"url": url, **body})
    assert r.status_code == 201, r.text
    created: dict[str, Any] = r.json()
    return created


def _subscription(engine: Engine, sub_id: str) -> WebhookSubscription:
    with core_engine.new_session(engine) as db:
        row = db.get(WebhookSubscription, uuid.UUID(sub_id))
        assert row is not None
        return row


def _deliveries(engine: Engine, sub_id: str) -> list[WebhookDelivery]:
    with core_engine.new_session(engine) as db:
        stmt = select(WebhookDelivery).where(WebhookDelivery.subscription_id == uuid.UUID(sub_id))
        return list(db.exec(stmt).all())


# --- subscriptions -----------------------------------------------------------------------


@pytest.mark.usefixtures("allow_loopback")
def test_the_secret_is_shown_once_and_admin_only(client: TestClient, tenant: Tenant) -> None:
    sub = _subscribe(client, tenant, event_types=["employee"])
    assert sub["secret"].startswith("whsec_") and sub["active"] is True
    again = client.get(f"/v1/webhook-subscriptions/{sub['id']}", headers=tenant.admin).json()
    assert again["secret"] is None
    listed = client.get("/v1/webhook-subscriptions", headers=tenant.admin).json()["items"]
    assert [s["secret"] for s in listed] == [None]
    assert sub["secret"] not in client.get("/v1/changes", headers=tenant.read).text
    r = client.get("/v1/webhook-subscriptions", headers=tenant.write)
    assert_problem(r, 403, "insufficient-scope")


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1/hook",
        "http://localhost:8000/x",
        "http://10.1.2.3/x",
        "http://[::1]/x",
        "http://169.254.169.254/latest/meta-data",
        "http://192.168.1.5/x",
        # Not private by name, not global either: shared address space (a cloud's metadata
        # service lives there), site-local IPv6, IPv4 loopback carried in IPv6.
        "http://100.100.100.200/latest/meta-data",
        "http://[fec0::1]/x",
        "http://[2002:7f00:1::]/x",
        "http://[::ffff:127.0.0.1]/x",
        "http://[64:ff9b::a01:203]/x",
    ],
)
def test_loopback_and_private_targets_are_refused(
    client: TestClient, tenant: Tenant, url: str
) -> None:
    r = client.post("/v1/webhook-subscriptions", headers=tenant.admin, json={"url": url})
    body = assert_problem(r, 422, "webhook-target-refused")
    assert body["errors"][0]["pointer"] == "/url"


@pytest.mark.parametrize("allowed", [False, True])
def test_a_url_the_parser_refuses_is_refused_at_once(
    client: TestClient, tenant: Tenant, monkeypatch: pytest.MonkeyPatch, allowed: bool
) -> None:
    # The schema's pattern lets these through, Python's URL parser does not: refused when
    # the subscription is made (even where private targets are allowed), never a 500 at
    # delivery.
    monkeypatch.setattr(get_settings(), "webhook_allow_private_targets", allowed)
    for url in ("https://[b.35B7D]/hook", "https://hooks.example.org:99999/x"):
        r = client.post("/v1/webhook-subscriptions", headers=tenant.admin, json={"url": url})
        body = assert_problem(r, 422, "webhook-target-refused")
        assert body["errors"][0]["pointer"] == "/url"


@pytest.mark.parametrize("address", ["93.184.216.34", "2a00:1450:4001::1", "2002:808:808::"])
def test_public_addresses_are_accepted(address: str) -> None:
    assert not targets._refused(address)


# --- delivery ----------------------------------------------------------------------------


@pytest.mark.usefixtures("allow_loopback")
def test_deliveries_are_signed_per_standard_webhooks(
    engine: Engine, live_client: TestClient, live_tenant: Tenant
) -> None:
    sub = _subscribe(live_client, live_tenant, event_types=["team"])
    team = live_client.post("/v1/teams", headers=live_tenant.write, json={"name": "Noord"}).json()
    live_client.post(
        "/v1/employees", headers=live_tenant.write, json={"first_name": "A", "last_name": "B"}
    )
    fan_out_until(engine, sub["id"], 1)
    receiver = Receiver()
    deliver_until_sent(engine, receiver, sub)
    ((_, headers, body),) = receiver.to(sub)
    payload = Webhook(sub["secret"]).verify(body, headers)  # raises when the signature is wrong
    assert payload["type"] == "team.created" and payload["resource_id"] == team["id"]
    assert headers["webhook-id"] == payload["id"]
    with pytest.raises(Exception):  # noqa: B017 - any verification error
        Webhook(sub["secret"]).verify(body + b" ", headers)
    (logged,) = _deliveries(engine, sub["id"])
    assert logged.status == DeliveryStatus.delivered and logged.attempts == 1
    # Nothing is sent twice once delivered.
    delivery.run_once(engine, now=utcnow(), send=receiver, batch=EVERY_DUE)
    assert len(receiver.to(sub)) == 1


@pytest.mark.usefixtures("allow_loopback")
def test_a_rows_changes_are_delivered_in_the_order_they_were_committed(
    engine: Engine, live_client: TestClient, live_tenant: Tenant
) -> None:
    # All are due at the same moment after one fan-out: the delivery ids decide the order,
    # and a receiver applying them in turn must end with the last state.
    sub = _subscribe(live_client, live_tenant, event_types=["team"])
    team = live_client.post("/v1/teams", headers=live_tenant.write, json={"name": "v0"}).json()
    for n in range(1, 12):
        r = live_client.patch(
            f"/v1/teams/{team['id']}", headers=live_tenant.write, json={"name": f"v{n}"}
        )
        assert r.status_code == 200, r.text
    fan_out_until(engine, sub["id"], 12)
    receiver = Receiver()
    deliver_until_sent(engine, receiver, sub)
    names = [json.loads(body)["data"]["name"] for _, _, body in receiver.to(sub)]
    assert names == [f"v{n}" for n in range(12)]


@pytest.mark.usefixtures("allow_loopback")
def test_failures_back_off_exponentially_then_disable(
    engine: Engine, live_client: TestClient, live_tenant: Tenant
) -> None:
    sub = _subscribe(live_client, live_tenant, event_types=["team"])
    live_client.post("/v1/teams", headers=live_tenant.write, json={"name": "Zuid"})
    fan_out_until(engine, sub["id"], 1)
    down = Receiver(status=503)
    now = utcnow()
    waits = []
    # Other tests' deliveries fall due too as the days pass: only this one's attempts count.
    for attempt in range(1, delivery.MAX_ATTEMPTS + 1):
        delivery.run_once(engine, now=now, send=down, batch=EVERY_DUE)
        (d,) = _deliveries(engine, sub["id"])
        assert d.attempts == attempt and d.last_status_code == 503
        if d.status == DeliveryStatus.failed:
            break
        assert d.next_attempt_at is not None
        wait = d.next_attempt_at - now
        waits.append(wait)
        # Not due a moment before its time.
        delivery.run_once(engine, now=now + wait - timedelta(seconds=1), send=down, batch=EVERY_DUE)
        assert _deliveries(engine, sub["id"])[0].attempts == attempt
        now += wait
    assert waits[:3] == [timedelta(seconds=5), timedelta(seconds=20), timedelta(seconds=80)]
    assert timedelta(days=2.5) < sum(waits, timedelta()) < timedelta(days=4)
    assert d.status == DeliveryStatus.failed and d.attempts == delivery.MAX_ATTEMPTS
    gone = _subscription(engine, sub["id"])
    assert gone.active is False and "three days" in (gone.disabled_reason or "")
    assert gone.failure_streak == delivery.MAX_ATTEMPTS
    # Re-enabled by the admin: active again, streak reset.
    r = live_client.patch(
        f"/v1/webhook-subscriptions/{sub['id']}", headers=live_tenant.admin, json={"active": True}
    )
    assert r.status_code == 200 and r.json()["disabled_reason"] is None


@pytest.mark.usefixtures("allow_loopback")
def test_a_410_disables_the_subscription_at_once(
    engine: Engine, live_client: TestClient, live_tenant: Tenant
) -> None:
    sub = _subscribe(live_client, live_tenant)
    live_client.post("/v1/teams", headers=live_tenant.write, json={"name": "Oost"})
    live_client.post("/v1/teams", headers=live_tenant.write, json={"name": "West"})
    fan_out_until(engine, sub["id"], 2)
    tally = delivery.run_once(engine, now=utcnow(), send=Receiver(status=410), batch=EVERY_DUE)
    assert uuid.UUID(sub["id"]) in tally.disabled
    assert _subscription(engine, sub["id"]).active is False
    # A disabled subscription gets nothing more.
    later = Receiver()
    delivery.run_once(engine, now=utcnow() + timedelta(days=1), send=later, batch=EVERY_DUE)
    assert later.to(sub) == []
    r = live_client.get(f"/v1/webhook-subscriptions/{sub['id']}", headers=live_tenant.admin)
    assert "410" in r.json()["disabled_reason"]


@pytest.mark.usefixtures("allow_loopback")
def test_ping_is_delivered_and_logged(
    engine: Engine, live_client: TestClient, live_tenant: Tenant
) -> None:
    sub = _subscribe(live_client, live_tenant)
    r = live_client.post(f"/v1/webhook-subscriptions/{sub['id']}/ping", headers=live_tenant.admin)
    assert r.status_code == 201, r.text
    receiver = Receiver()
    deliver_until_sent(engine, receiver, sub)
    ((_, headers, body),) = receiver.to(sub)
    assert Webhook(sub["secret"]).verify(body, headers)["type"] == "webhook.ping"
    log = live_client.get(
        f"/v1/webhook-subscriptions/{sub['id']}/deliveries", headers=live_tenant.admin
    ).json()["items"]
    assert [(d["event_type"], d["status"]) for d in log] == [("webhook.ping", "delivered")]


@pytest.mark.usefixtures("allow_loopback")
def test_only_the_subscribed_types_and_only_from_now_on(
    engine: Engine, live_client: TestClient, live_tenant: Tenant
) -> None:
    live_client.post("/v1/teams", headers=live_tenant.write, json={"name": "Voor"})
    subs = [_subscribe(live_client, live_tenant, event_types=["employee.created"])]
    live_client.post("/v1/teams", headers=live_tenant.write, json={"name": "Na"})
    live_client.post(
        "/v1/employees", headers=live_tenant.write, json={"first_name": "C", "last_name": "D"}
    )
    sub = subs[0]
    fan_out_until(engine, sub["id"], 1)
    receiver = Receiver()
    deliver_until_sent(engine, receiver, sub)
    assert [json.loads(b)["type"] for _, _, b in receiver.to(sub)] == ["employee.created"]


@pytest.mark.usefixtures("allow_loopback")
def test_a_transaction_in_flight_when_a_subscription_starts_is_delivered(
    engine: Engine, live_client: TestClient, live_tenant: Tenant
) -> None:
    # PostgreSQL: an older transaction can commit after a younger one. Started at the last
    # committed event, the subscription would have the older one's events behind it.
    if engine.dialect.name != "postgresql":
        pytest.skip("interleaved writers need PostgreSQL (SQLite serialises them)")
    older = core_engine.new_session(engine)
    bind_organisation(older, live_tenant.id)
    try:
        early = Team(name="vroeg")
        older.add(early)
        older.flush()  # the older transaction id
        late = live_client.post("/v1/teams", headers=live_tenant.write, json={"name": "laat"})
        assert late.status_code == 201, late.text
        sub = _subscribe(live_client, live_tenant, event_types=["team"])
        outbox.write_outbox(older)
        older.commit()
    finally:
        older.close()
    fan_out_until(engine, sub["id"], 1)
    for _ in range(2000):  # the live server's own transactions may hold the horizon back
        delivered = {d.event_id for d in _deliveries(engine, sub["id"])}
        with core_engine.new_session(engine) as db:
            about = set(
                db.exec(select(ChangeEvent.resource_id).where(col(ChangeEvent.id).in_(delivered)))
            )
        if early.id in about:
            break
        with core_engine.new_session(engine) as db:
            delivery.fan_out(db, now=utcnow())
        threading.Event().wait(0.01)
    assert early.id in about


def _due_at(engine: Engine, sub: dict[str, Any], at: datetime) -> None:
    """Make the subscription's pending deliveries due at ``at``."""
    with core_engine.new_session(engine) as db:
        db.execute(
            sa.update(WebhookDelivery)
            .where(col(WebhookDelivery.subscription_id) == uuid.UUID(sub["id"]))
            .values(next_attempt_at=at)
        )
        db.commit()


@pytest.mark.usefixtures("allow_loopback")
def test_two_workers_share_deliveries_without_sending_one_twice(
    engine: Engine, live_client: TestClient, live_tenant: Tenant
) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip("several workers need PostgreSQL (FOR UPDATE SKIP LOCKED)")
    sub = _subscribe(live_client, live_tenant, event_types=["team"])
    for i in range(6):
        live_client.post("/v1/teams", headers=live_tenant.write, json={"name": f"T{i}"})
    fan_out_until(engine, sub["id"], 6)
    holding, release = threading.Event(), threading.Event()
    first_sent: list[str] = []

    def slow(url: str, headers: dict[str, str], body: bytes) -> int:
        if url == sub["url"]:
            first_sent.append(headers["webhook-id"])
            holding.set()
            assert release.wait(60)
        return 204

    # Other tests, on this database and at the same time, leave and deliver deliveries of
    # their own: ours are put first in the order workers take them, so a batch of three
    # is exactly three of ours whatever the others do.
    _due_at(engine, sub, datetime(2000, 1, 1, tzinfo=UTC))

    def first_worker() -> None:
        with core_engine.new_session(engine) as db:
            delivery.deliver_due(db, now=utcnow(), send=slow, batch=3)

    worker = threading.Thread(target=first_worker)
    worker.start()
    try:
        assert holding.wait(60)  # the first worker holds 3 deliveries, mid-send
        second = Receiver()
        with core_engine.new_session(engine) as db:
            delivery.deliver_due(db, now=utcnow(), send=second, batch=100)
        # The second worker skipped the locked three and sent the other three.
        assert len(second.to(sub)) == 3
    finally:
        release.set()
        worker.join(60)
    ids = [h["webhook-id"] for _, h, _ in second.to(sub)]
    assert not set(ids) & set(first_sent)
    assert {d.status for d in _deliveries(engine, sub["id"])} == {DeliveryStatus.delivered}


def test_finished_deliveries_are_purged_with_the_retention(
    engine: Engine, live_client: TestClient, live_tenant: Tenant, allow_loopback: None
) -> None:
    sub = _subscribe(live_client, live_tenant)
    live_client.post(f"/v1/webhook-subscriptions/{sub['id']}/ping", headers=live_tenant.admin)
    delivery.run_once(engine, now=utcnow(), send=Receiver(), batch=EVERY_DUE)
    assert [d.status for d in _deliveries(engine, sub["id"])] == [DeliveryStatus.delivered]
    with core_engine.new_session(engine) as db:
        delivery.purge_log(db, before=utcnow() - timedelta(days=1))
        db.commit()
    assert len(_deliveries(engine, sub["id"])) == 1
    with core_engine.new_session(engine) as db:
        delivery.purge_log(db, before=utcnow() + timedelta(seconds=1))
        db.commit()
    assert _deliveries(engine, sub["id"]) == []


@pytest.mark.usefixtures("allow_loopback")
def test_each_attempt_is_signed_with_its_own_time(
    engine: Engine, live_client: TestClient, live_tenant: Tenant
) -> None:
    # A worker round takes its time once; slow receivers earlier in a batch must not age a
    # later delivery's timestamp past the receiver's tolerance (five minutes).
    sub = _subscribe(live_client, live_tenant, event_types=["team"])
    live_client.post("/v1/teams", headers=live_tenant.write, json={"name": "Noord"})
    fan_out_until(engine, sub["id"], 1)
    round_started = utcnow() - timedelta(minutes=10)
    _due_at(engine, sub, round_started - timedelta(seconds=1))
    with core_engine.new_session(engine) as db:
        receiver = Receiver()
        delivery.deliver_due(db, now=round_started, send=receiver, batch=EVERY_DUE)
    ((_, headers, body),) = receiver.to(sub)
    assert Webhook(sub["secret"]).verify(body, headers)["type"] == "team.created"


@pytest.mark.usefixtures("allow_loopback")
def test_a_round_writes_each_subscription_once_in_id_order_after_its_deliveries(
    engine: Engine, live_client: TestClient, live_tenant: Tenant
) -> None:
    # Two workers whose batches share subscriptions (a, b and b, a under SKIP LOCKED) would
    # each lock one subscription row and wait for the other's: a deadlock on PostgreSQL,
    # the loser's sent batch rolled back to be sent again. So a round records its
    # deliveries (its own rows) first, then each subscription once, in id order.
    made = [_subscribe(live_client, live_tenant) for _ in range(2)]
    url_of = {uuid.UUID(m["id"]): m["url"] for m in made}
    subs = sorted(url_of)
    first, second = subs[1], subs[0]  # the higher id's delivery falls due first
    table = WebhookDelivery.__table__  # type: ignore[attr-defined]
    due = datetime(1999, 1, 1, tzinfo=UTC)
    with core_engine.new_session(engine) as db:
        for n, sub_id in enumerate((first, second, second, first)):
            event_id = uuid.uuid4()
            db.connection().execute(sa.insert(table).values(
                id=uuid.uuid4(), created_at=due, updated_at=due, organisation_id=live_tenant.id,
                subscription_id=sub_id, event_id=event_id, event_type="webhook.ping",
                payload={"id": str(event_id), "type": "webhook.ping"}, status="pending",
                attempts=0, next_attempt_at=due + timedelta(seconds=n),
            ))  # fmt: skip
        db.commit()
    written: list[tuple[str, uuid.UUID | None]] = []

    def note(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        text = statement.lstrip().upper()
        if text.startswith(("UPDATE WEBHOOK_SUBSCRIPTION", "UPDATE WEBHOOK_DELIVERY")):
            values = parameters.values() if isinstance(parameters, dict) else parameters
            named = [s for s in subs if any(str(v).replace("-", "") == s.hex for v in values)]
            written.append((text.split()[1].lower(), named[0] if named else None))

    answers = {url_of[first]: 204, url_of[second]: 503}
    sa.event.listen(engine, "before_cursor_execute", note)
    try:
        with core_engine.new_session(engine) as db:
            delivery.deliver_due(db, now=utcnow(), send=lambda url, *_: answers[url], batch=4)
    finally:
        sa.event.remove(engine, "before_cursor_execute", note)
    kinds = [kind for kind, _ in written]
    assert kinds == ["webhook_delivery"] * 4 + ["webhook_subscription"] * 2, written
    assert [sub for kind, sub in written if kind == "webhook_subscription"] == subs
    assert _subscription(engine, str(second)).failure_streak == 2
    assert _subscription(engine, str(first)).failure_streak == 0
