"""Rotating a subscription's signing secret: shown once, and the previous secret signs
beside it while its overlap lasts (Standard Webhooks: several space-separated signatures)."""

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError

from app.core import engine as core_engine
from app.webhooks.models import WebhookSubscription
from app.webhooks.signing import new_secret, secrets_in_use
from tests.conftest import Tenant
from tests.helpers import assert_problem
from tests.webhooks.conftest import Receiver, deliver_until_sent

URL = "http://127.0.0.1:9/hook"
_SUBS: sa.Table = WebhookSubscription.__table__  # type: ignore[attr-defined]


def _subscribe(client: TestClient, tenant: Tenant) -> dict[str, Any]:
    # A URL of its own: the live database holds other tests' subscriptions too.
    r = client.post(
        "/v1/webhook-subscriptions", headers=tenant.admin, json={"url": f"{URL}/{uuid.uuid4()}"}
    )
    assert r.status_code == 201, r.text
    created: dict[str, Any] = r.json()
    return created


def _rotate(client: TestClient, tenant: Tenant, sub: dict[str, Any], **body: Any) -> Any:
    # No body at all takes the defaults.
    return client.post(
        f"/v1/webhook-subscriptions/{sub['id']}/rotate-secret",
        headers=tenant.admin,
        json=body or None,
    )


def _pinged(engine: Engine, client: TestClient, tenant: Tenant, sub: dict[str, Any]) -> Any:
    """A ping through the worker: (body, headers) as the receiver got them."""
    r = client.post(f"/v1/webhook-subscriptions/{sub['id']}/ping", headers=tenant.admin)
    assert r.status_code == 201, r.text
    receiver = Receiver()
    deliver_until_sent(engine, receiver, sub)
    ((_, headers, body),) = receiver.to(sub)
    return body, headers


def _verifies(secret: str, signed: Any) -> bool:
    body, headers = signed
    try:
        Webhook(secret).verify(body, headers)
    except WebhookVerificationError:
        return False
    return True


def _expire_previous(engine: Engine, sub: dict[str, Any]) -> None:
    """The overlap ends (set in the row, not by moving the clock: the live database holds
    other tests' deliveries, which a worker round in the future would send)."""
    with core_engine.new_session(engine) as db:
        db.connection().execute(
            sa.update(_SUBS)
            .where(_SUBS.c.id == uuid.UUID(sub["id"]))
            .values(previous_secret_expires_at=datetime.now(UTC) - timedelta(seconds=1))
        )
        db.commit()


@pytest.mark.usefixtures("allow_loopback")
def test_the_new_secret_is_shown_once_and_both_sign_until_the_overlap_ends(
    engine: Engine, live_client: TestClient, live_tenant: Tenant
) -> None:
    sub = _subscribe(live_client, live_tenant)
    before = datetime.now(UTC)
    r = _rotate(live_client, live_tenant, sub)
    assert r.status_code == 200, r.text
    rotated = r.json()
    assert rotated["secret"].startswith("whsec_") and rotated["secret"] != sub["secret"]
    assert r.headers["ETag"]
    ends = datetime.fromisoformat(rotated["previous_secret_expires_at"])
    assert before + timedelta(hours=24) <= ends <= datetime.now(UTC) + timedelta(hours=24)
    read = live_client.get(f"/v1/webhook-subscriptions/{sub['id']}", headers=live_tenant.admin)
    assert read.json()["secret"] is None
    assert read.json()["previous_secret_expires_at"] == rotated["previous_secret_expires_at"]

    during = _pinged(engine, live_client, live_tenant, sub)
    assert _verifies(rotated["secret"], during) and _verifies(sub["secret"], during)
    assert during[1]["webhook-signature"].count("v1,") == 2

    _expire_previous(engine, sub)
    after = _pinged(engine, live_client, live_tenant, sub)
    assert _verifies(rotated["secret"], after) and not _verifies(sub["secret"], after)
    assert after[1]["webhook-signature"].count("v1,") == 1
    read = live_client.get(f"/v1/webhook-subscriptions/{sub['id']}", headers=live_tenant.admin)
    assert read.json()["previous_secret_expires_at"] is None


@pytest.mark.usefixtures("allow_loopback")
def test_no_overlap_ends_the_previous_secret_at_once(
    engine: Engine, live_client: TestClient, live_tenant: Tenant
) -> None:
    sub = _subscribe(live_client, live_tenant)
    r = _rotate(live_client, live_tenant, sub, previous_secret_hours=0)
    assert r.status_code == 200, r.text
    assert r.json()["previous_secret_expires_at"] is None
    signed = _pinged(engine, live_client, live_tenant, sub)
    assert _verifies(r.json()["secret"], signed) and not _verifies(sub["secret"], signed)


@pytest.mark.usefixtures("allow_loopback")
def test_rotating_again_keeps_only_the_latest_previous_secret(
    engine: Engine, live_client: TestClient, live_tenant: Tenant
) -> None:
    sub = _subscribe(live_client, live_tenant)
    second = _rotate(live_client, live_tenant, sub).json()["secret"]
    third = _rotate(live_client, live_tenant, sub).json()["secret"]
    signed = _pinged(engine, live_client, live_tenant, sub)
    assert _verifies(third, signed) and _verifies(second, signed)
    assert not _verifies(sub["secret"], signed)


@pytest.mark.usefixtures("allow_loopback")
@pytest.mark.parametrize(
    "body",
    [{"previous_secret_hours": -1}, {"previous_secret_hours": 169}, {"keep": True}],
    ids=["negative", "over-a-week", "unknown-field"],
)
def test_a_bad_rotation_is_refused_and_changes_nothing(
    client: TestClient, tenant: Tenant, body: dict[str, Any]
) -> None:
    sub = _subscribe(client, tenant)
    assert_problem(_rotate(client, tenant, sub, **body), 422)
    read = client.get(f"/v1/webhook-subscriptions/{sub['id']}", headers=tenant.admin).json()
    assert read["previous_secret_expires_at"] is None
    assert read["updated_at"] == sub["updated_at"]


@pytest.mark.usefixtures("allow_loopback")
def test_a_retried_rotation_rotates_once_and_shows_no_secret_again(
    engine: Engine, live_client: TestClient, live_tenant: Tenant
) -> None:
    sub = _subscribe(live_client, live_tenant)
    path = f"/v1/webhook-subscriptions/{sub['id']}/rotate-secret"
    retried = {**live_tenant.admin, "Idempotency-Key": str(uuid.uuid4())}
    first, again = (live_client.post(path, headers=retried, json={}) for _ in range(2))
    assert first.status_code == 200, first.text
    # Replayed a day later, after another rotation, the secret would no longer sign: the
    # retry names the subscription and how to recover, and carries no secret.
    problem = assert_problem(again, 409, "secret-shown-once")
    assert again.headers["Location"] == f"/v1/webhook-subscriptions/{sub['id']}"
    assert path in problem["detail"] and first.json()["secret"] not in again.text
    # No second rotation happened: the secret from before still signs beside the new one.
    with core_engine.new_session(engine) as db:
        row = db.get(WebhookSubscription, uuid.UUID(sub["id"]))
        assert row is not None
        assert (row.secret, row.previous_secret) == (first.json()["secret"], sub["secret"])
        stored = db.connection().execute(sa.text("SELECT response_body FROM idempotency_key"))
        assert not any(first.json()["secret"] in str(body) for (body,) in stored)


@pytest.mark.usefixtures("allow_loopback")
def test_a_retried_subscription_creates_one_and_shows_its_secret_once(
    engine: Engine, live_client: TestClient, live_tenant: Tenant
) -> None:
    retried = {**live_tenant.admin, "Idempotency-Key": str(uuid.uuid4())}
    body = {"url": f"{URL}/{uuid.uuid4()}"}
    first, again = (
        live_client.post("/v1/webhook-subscriptions", headers=retried, json=body) for _ in range(2)
    )
    assert first.status_code == 201, first.text
    problem = assert_problem(again, 409, "secret-shown-once")
    assert again.headers["Location"] == first.headers["Location"]
    assert f"{first.headers['Location']}/rotate-secret" in problem["detail"]
    assert first.json()["secret"] not in again.text
    listed = live_client.get("/v1/webhook-subscriptions", headers=live_tenant.admin).json()
    assert [s["id"] for s in listed["items"]] == [first.json()["id"]]


@pytest.mark.usefixtures("allow_loopback")
def test_rotation_is_for_the_admin_scope_only(client: TestClient, tenant: Tenant) -> None:
    sub = _subscribe(client, tenant)
    r = client.post(
        f"/v1/webhook-subscriptions/{sub['id']}/rotate-secret", headers=tenant.write, json={}
    )
    assert_problem(r, 403, "insufficient-scope")


def test_the_previous_secret_signs_until_just_before_its_end() -> None:
    current, previous = new_secret(), new_secret()
    end = datetime(2026, 12, 7, 12, tzinfo=UTC)
    just_before = end - timedelta(microseconds=1)
    assert secrets_in_use(current, previous, end, now=just_before) == [current, previous]
    assert secrets_in_use(current, previous, end, now=end) == [current]
    assert secrets_in_use(current, None, None, now=just_before) == [current]
