"""Idempotency-Key on every POST: replay, reuse with another body, in progress, expiry."""

import asyncio
import threading
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select, text, update
from sqlmodel import Session, col

from app.core.idempotency import IdempotencyRecord
from app.core.models import utcnow
from app.organisation import service as organisation_service
from app.organisation.models import Team
from tests.conftest import Tenant
from tests.helpers import assert_problem
from tests.imports.conftest import example

T = IdempotencyRecord.__table__  # type: ignore[attr-defined]


def post_team(
    client: TestClient, tenant: Tenant, key: str | None, name: str = "Crisisdienst"
) -> Any:
    headers = dict(tenant.write)
    if key is not None:
        headers["Idempotency-Key"] = key
    return client.post("/v1/teams", json={"name": name}, headers=headers)


def team_count(db: Session, org_id: uuid.UUID) -> int:
    # Explicit: live (committed) tests of other modules leave teams of their own organisations.
    stmt = select(func.count()).select_from(Team).where(col(Team.organisation_id) == org_id)
    return int(db.scalar(stmt) or 0)


def test_retry_replays_the_first_response(client: TestClient, tenant: Tenant, db: Session) -> None:
    key = str(uuid.uuid4())
    first = post_team(client, tenant, key)
    assert first.status_code == 201
    assert "idempotent-replayed" not in first.headers
    again = post_team(client, tenant, key)
    assert again.status_code == 201
    assert again.json() == first.json()
    assert again.headers["idempotent-replayed"] == "true"
    assert again.headers["etag"] == first.headers["etag"]
    assert team_count(db, tenant.id) == 1


def test_without_key_every_post_runs(client: TestClient, tenant: Tenant, db: Session) -> None:
    assert post_team(client, tenant, None).status_code == 201
    assert post_team(client, tenant, None).status_code == 201
    assert team_count(db, tenant.id) == 2


def test_same_key_other_body_or_path_is_422(
    client: TestClient, tenant: Tenant, db: Session
) -> None:
    key = "retry-1"
    assert post_team(client, tenant, key).status_code == 201
    other = post_team(client, tenant, key, name="Andere naam")
    assert_problem(other, 422, "idempotency-key-reused")
    elsewhere = client.post(
        "/v1/function-groups",
        json={"name": "X", "likelihood": 1, "impact": 1},
        headers={**tenant.write, "Idempotency-Key": key},
    )
    assert_problem(elsewhere, 422, "idempotency-key-reused")
    assert team_count(db, tenant.id) == 1


def test_keys_belong_to_one_organisation(
    client: TestClient, tenant: Tenant, other_tenant: Tenant
) -> None:
    a = post_team(client, tenant, "shared-key")
    b = post_team(client, other_tenant, "shared-key")
    assert a.status_code == b.status_code == 201
    assert a.json()["id"] != b.json()["id"]
    assert "idempotent-replayed" not in b.headers


def test_invalid_key_is_refused(client: TestClient, tenant: Tenant, db: Session) -> None:
    assert_problem(post_team(client, tenant, "x" * 256), 422, "invalid-idempotency-key")
    assert_problem(post_team(client, tenant, "met spatie"), 422, "invalid-idempotency-key")
    assert team_count(db, tenant.id) == 0


def test_client_errors_are_replayed_too(client: TestClient, tenant: Tenant) -> None:
    headers = {**tenant.write, "Idempotency-Key": "bad-body"}
    first = client.post("/v1/teams", json={"name": ""}, headers=headers)
    assert_problem(first, 422, "validation-error")
    again = client.post("/v1/teams", json={"name": ""}, headers=headers)
    assert_problem(again, 422, "validation-error")
    assert again.headers["idempotent-replayed"] == "true"


def test_a_server_error_releases_the_key(
    client: TestClient, tenant: Tenant, db: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = organisation_service.create_team
    calls = 0

    def flaky(session: Session, **kw: Any) -> Team:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise RuntimeError("database went away")
        return real(session, **kw)

    monkeypatch.setattr(organisation_service, "create_team", flaky)
    assert post_team(client, tenant, "k-500").status_code == 500
    retry = post_team(client, tenant, "k-500")
    assert retry.status_code == 201
    assert "idempotent-replayed" not in retry.headers
    assert team_count(db, tenant.id) == 1


def test_a_key_expires_after_24_hours(client: TestClient, tenant: Tenant, db: Session) -> None:
    assert post_team(client, tenant, "old-key").status_code == 201
    record = db.execute(select(T).where(T.c.key == "old-key")).one()
    assert record.expires_at - record.created_at == timedelta(hours=24)
    assert record.organisation_id == tenant.id
    db.execute(update(T).values(expires_at=utcnow() - timedelta(seconds=1)))
    again = post_team(client, tenant, "old-key")
    assert again.status_code == 201 and "idempotent-replayed" not in again.headers
    assert team_count(db, tenant.id) == 2


def test_an_abandoned_claim_is_taken_over(client: TestClient, tenant: Tenant, db: Session) -> None:
    # A process died after claiming: its 'running' record must not block retries for 24 h.
    assert post_team(client, tenant, "crashed").status_code == 201
    db.execute(update(T).values(state="running", locked_at=utcnow() - timedelta(minutes=16)))
    again = post_team(client, tenant, "crashed")
    assert again.status_code == 201 and "idempotent-replayed" not in again.headers


def test_an_unauthenticated_post_is_not_recorded(
    client: TestClient, db: Session, tenant: Tenant
) -> None:
    r = client.post(
        "/v1/teams",
        json={"name": "X"},
        headers={"Authorization": "Bearer vk_nope", "Idempotency-Key": "k"},
    )
    assert_problem(r, 401)
    assert (
        db.scalar(select(func.count()).select_from(T).where(T.c.organisation_id == tenant.id)) == 0
    )


def test_imports_are_replayed_not_rerun(client: TestClient, tenant: Tenant, db: Session) -> None:
    headers = {**tenant.write, "Content-Type": "text/csv", "Idempotency-Key": "import-1"}
    first = client.post("/v1/imports/teams", content=example("teams.csv"), headers=headers)
    assert first.json()["created"] == 4
    again = client.post("/v1/imports/teams", content=example("teams.csv"), headers=headers)
    assert again.json() == first.json()  # not "unchanged: 4": the first answer, replayed
    assert again.headers["idempotent-replayed"] == "true"


def test_openapi_documents_the_header_on_every_post(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    posts = [op for item in spec["paths"].values() for m, op in item.items() if m == "post"]
    assert posts
    for op in posts:
        names = [p["name"] for p in op.get("parameters", [])]
        assert "Idempotency-Key" in names, op["operationId"]


# --- really concurrent (committed) requests -------------------------------------------------


@pytest.fixture
def blocking_create_team(monkeypatch: pytest.MonkeyPatch) -> Iterator[threading.Event]:
    """create_team waits for the event: a request that is 'still running'."""
    release = threading.Event()
    started = threading.Event()
    real = organisation_service.create_team

    def slow(session: Session, **kw: Any) -> Team:
        started.set()
        assert release.wait(10)
        return real(session, **kw)

    monkeypatch.setattr(organisation_service, "create_team", slow)
    release.started = started  # type: ignore[attr-defined]
    yield release
    release.set()


def test_a_retry_while_the_first_runs_is_409(
    live_client: TestClient, live_tenant: Tenant, blocking_create_team: threading.Event
) -> None:
    key = str(uuid.uuid4())
    with ThreadPoolExecutor(1) as pool:
        first = pool.submit(post_team, live_client, live_tenant, key)
        assert blocking_create_team.started.wait(10)  # type: ignore[attr-defined]
        retry = post_team(live_client, live_tenant, key)
        body = assert_problem(retry, 409, "idempotency-key-in-use")
        assert retry.headers["retry-after"] == "1" and body["detail"]
        blocking_create_team.set()
        assert first.result().status_code == 201
    replay = post_team(live_client, live_tenant, key)
    assert replay.status_code == 201
    assert replay.json()["id"] == first.result().json()["id"]


def test_concurrent_retries_create_one_resource(
    live_client: TestClient, live_tenant: Tenant, is_postgres: bool
) -> None:
    if not is_postgres:
        pytest.skip("concurrent writers: PostgreSQL")
    key = str(uuid.uuid4())
    barrier = threading.Barrier(6)

    def attempt(_: int) -> Any:
        barrier.wait(5)
        return post_team(live_client, live_tenant, key, name="Gelijktijdig")

    with ThreadPoolExecutor(6) as pool:
        results = list(pool.map(attempt, range(6)))
    statuses = sorted(r.status_code for r in results)
    assert set(statuses) <= {201, 409}, [r.text for r in results]
    created = {r.json()["id"] for r in results if r.status_code == 201}
    assert len(created) == 1
    listed = live_client.get("/v1/teams", headers=live_tenant.read).json()["items"]
    assert [t["name"] for t in listed] == ["Gelijktijdig"]
    # After the dust settles every retry gets the one answer.
    final = post_team(live_client, live_tenant, key, name="Gelijktijdig")
    assert final.status_code == 201 and final.json()["id"] in created


def test_a_stored_answer_is_replayed_only_to_the_key_that_caused_it(
    client: TestClient, tenant: Tenant
) -> None:
    headers = {**tenant.write, "Idempotency-Key": "same-key-other-caller"}
    first = client.post("/v1/teams", headers=headers, json={"name": "Crisisdienst"})
    assert first.status_code == 201, first.text
    other = {**tenant.admin, "Idempotency-Key": "same-key-other-caller"}
    again = client.post("/v1/teams", headers=other, json={"name": "Crisisdienst"})
    assert again.status_code == 422, again.text
    assert "idempotent-replayed" not in {k.lower() for k in again.headers}


def test_a_retried_key_creation_makes_no_second_key_and_keeps_no_secret(
    client: TestClient, tenant: Tenant, db: Session
) -> None:
    # The answer that shows a new key's secret is not stored (only the key's hash is kept
    # anywhere), yet a retry must not leave a second live credential behind: it is told
    # which key exists, and how to recover if the secret was lost.
    headers = {**tenant.admin, "Idempotency-Key": "key-creation"}
    first = client.post("/v1/api-keys", headers=headers, json={"name": "script"})
    assert first.status_code == 201, first.text
    keys = client.get("/v1/api-keys", headers=tenant.admin).json()["items"]
    second = client.post("/v1/api-keys", headers=headers, json={"name": "script"})
    problem = assert_problem(second, 409, "secret-shown-once")
    assert second.headers["Location"] == first.headers["Location"]
    assert first.headers["Location"] in problem["detail"]
    assert second.headers["idempotent-replayed"] == "true"
    assert "key" not in problem and first.json()["key"] not in second.text
    assert client.get("/v1/api-keys", headers=tenant.admin).json()["items"] == keys
    stored = db.execute(text("SELECT response_body FROM idempotency_key")).scalars().all()
    assert stored and not any(first.json()["key"] in str(body) for body in stored)
    # Another request under the same key is still refused as reused.
    other = client.post("/v1/api-keys", headers=headers, json={"name": "other"})
    assert_problem(other, 422, "idempotency-key-reused")


def test_the_answer_is_stored_before_it_is_sent(engine: Any, live_tenant: Tenant) -> None:
    # Issue 14: the answer used to leave before its record was marked done, so a client that
    # retried as soon as it had the answer could get 409 idempotency-key-in-use. Look at the
    # record at the very moment the response starts: it must already hold the answer.
    from app.main import create_app

    application = create_app()
    key = f"stored-first-{uuid.uuid4()}"
    states: list[str | None] = []

    def state() -> str | None:
        with engine.connect() as conn:
            found: str | None = conn.execute(select(T.c.state).where(T.c.key == key)).scalar()
            return found

    async def observed(scope: Any, receive: Any, send: Any) -> None:
        async def watch(message: Any) -> None:
            if message["type"] == "http.response.start" and scope["path"] == "/v1/teams":
                # In a thread, as the app's own database work (tests/conftest.py), while the
                # response waits for this look.
                states.append(await asyncio.to_thread(state))
            await send(message)

        await application(scope, receive, watch)

    with TestClient(observed) as client:
        first = post_team(client, live_tenant, key)
        second = post_team(client, live_tenant, key)
    assert first.status_code == 201, first.text
    assert second.status_code == 201 and second.headers["Idempotent-Replayed"] == "true"
    assert states == ["done", "done"]


def test_the_same_json_written_differently_is_the_same_request(
    client: TestClient, tenant: Tenant
) -> None:
    # Issue 19: a retry from another serialiser (spacing, key order) is the same request.
    headers = {**tenant.write, "Idempotency-Key": "spaced", "Content-Type": "application/json"}
    first = client.post(
        "/v1/teams", content=b'{"name":"Crisisdienst","external_id":"T-1"}', headers=headers
    )
    again = client.post(
        "/v1/teams",
        content=b'{\n  "external_id": "T-1",\n  "name": "Crisisdienst"\n}',
        headers=headers,
    )
    assert first.status_code == 201, first.text
    assert again.status_code == 201 and again.headers["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    other = client.post("/v1/teams", content=b'{"name":"Crisisdienst Noord"}', headers=headers)
    assert_problem(other, 422, "idempotency-key-reused")


def test_a_large_json_body_is_compared_as_parsed_too(client: TestClient, tenant: Tenant) -> None:
    # Bodies over ON_LOOP_BYTES are fingerprinted in the thread pool; same rule.
    from app.core.idempotency import ON_LOOP_BYTES

    headers = {**tenant.write, "Idempotency-Key": "large", "Content-Type": "application/json"}
    padded = b"[" + b" " * ON_LOOP_BYTES + b'{"name": "Crisisdienst", "external_id": "T-9"}]'
    compact = b'[{"external_id":"T-9","name":"Crisisdienst"}]'
    first = client.post("/v1/imports/teams", content=padded, headers=headers)
    again = client.post("/v1/imports/teams", content=compact, headers=headers)
    assert first.status_code == 200, first.text
    assert again.headers["Idempotent-Replayed"] == "true" and again.json() == first.json()
