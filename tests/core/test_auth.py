"""API keys: every auth outcome, scopes, last use, and keys that are never stored in clear."""

import asyncio
import logging
import uuid
from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Connection, Engine, String, Text, event, select, text
from sqlalchemy.pool import NullPool
from sqlmodel import Session, SQLModel, col

from app.core.auth import _record_use, hash_key, parse_prefix
from app.core.db import Database
from app.core.engine import SQLITE_BUSY_TIMEOUT_MS, make_engine
from app.organisation.models import ApiKey
from tests.conftest import Tenant
from tests.factories.core import make_employee, make_function_group, make_team
from tests.helpers import assert_problem, sqlite_write_lock_elsewhere


def _assert_401(resp, code: str) -> None:  # type: ignore[no-untyped-def]
    assert_problem(resp, 401, code)
    assert resp.headers["WWW-Authenticate"].startswith("Bearer")


def _keys(client: TestClient, tenant: Tenant) -> dict[str, dict[str, object]]:
    """The organisation's API keys by name, as the admin lists them."""
    return {k["name"]: k for k in client.get("/v1/api-keys", headers=tenant.admin).json()["items"]}


def test_missing_key_is_401(client: TestClient, tenant: Tenant) -> None:
    _assert_401(client.get("/v1/teams"), "missing-api-key")
    # Another scheme than Bearer is no key either.
    _assert_401(
        client.get("/v1/teams", headers={"Authorization": "Basic dXNlcjpwdw=="}), "missing-api-key"
    )


@pytest.mark.parametrize("key", ["garbage", "vk_short_x", "vk__", "Bearer", "x" * 300])
def test_malformed_key_is_401(client: TestClient, tenant: Tenant, key: str) -> None:
    _assert_401(
        client.get("/v1/teams", headers={"Authorization": f"Bearer {key}"}), "invalid-api-key"
    )


def test_unknown_key_is_401(client: TestClient, tenant: Tenant) -> None:
    # Shaped like a key, prefix unknown; and a known prefix with the wrong secret.
    _assert_401(
        client.get("/v1/teams", headers={"Authorization": "Bearer vk_0123456789ab_secret"}),
        "invalid-api-key",
    )
    prefix = parse_prefix(tenant.read_key)
    _assert_401(
        client.get("/v1/teams", headers={"Authorization": f"Bearer vk_{prefix}_not-the-secret"}),
        "invalid-api-key",
    )


def test_revoked_key_is_401(client: TestClient, tenant: Tenant) -> None:
    created = client.post("/v1/api-keys", headers=tenant.admin, json={"name": "koppeling AFAS"})
    key = created.json()
    headers = {"Authorization": f"Bearer {key['key']}"}
    assert client.get("/v1/teams", headers=headers).status_code == 200
    assert client.delete(f"/v1/api-keys/{key['id']}", headers=tenant.admin).status_code == 204
    _assert_401(client.get("/v1/teams", headers=headers), "revoked-api-key")
    # Revoking twice is harmless.
    assert client.delete(f"/v1/api-keys/{key['id']}", headers=tenant.admin).status_code == 204


def test_read_key_cannot_write(client: TestClient, tenant: Tenant) -> None:
    assert client.get("/v1/teams", headers=tenant.read).status_code == 200
    for method, path in [
        ("POST", "/v1/teams"),
        ("POST", "/v1/employees"),
        ("POST", "/v1/function-groups"),
    ]:
        body = assert_problem(
            client.request(method, path, headers=tenant.read, json={}), 403, "insufficient-scope"
        )
        assert "read" in body["detail"]


def test_write_key_cannot_administer(client: TestClient, tenant: Tenant) -> None:
    assert (
        client.post("/v1/teams", headers=tenant.write, json={"name": "Wijkteam"}).status_code == 201
    )
    for method, path, body in [
        ("GET", "/v1/api-keys", None),
        ("POST", "/v1/api-keys", {"name": "x"}),
        ("PATCH", "/v1/organisation", {"name": "Anders"}),
    ]:
        assert_problem(
            client.request(method, path, headers=tenant.write, json=body), 403, "insufficient-scope"
        )
    key_id = client.get("/v1/api-keys", headers=tenant.admin).json()["items"][0]["id"]
    assert_problem(
        client.delete(f"/v1/api-keys/{key_id}", headers=tenant.write), 403, "insufficient-scope"
    )


def _challenge(resp) -> str:  # type: ignore[no-untyped-def]
    assert_problem(resp, 403, "insufficient-scope")
    return str(resp.headers["WWW-Authenticate"])


def test_insufficient_scope_says_so_in_the_bearer_challenge(
    client: TestClient, tenant: Tenant
) -> None:
    # RFC 6750, section 3.1: a client library reads error= and scope= from the challenge.
    r = client.post("/v1/teams", headers=tenant.read, json={"name": "Wijkteam"})
    assert _challenge(r) == 'Bearer realm="veerkracht", error="insufficient_scope", scope="write"'
    r = client.get("/v1/api-keys", headers=tenant.write)
    assert 'scope="admin"' in _challenge(r)
    # A key without the `sensitive` permission, and a non-SCIM key under /scim/v2.
    plain = client.post("/v1/api-keys", headers=tenant.admin, json={"name": "x", "scope": "admin"})
    plain_admin = {"Authorization": f"Bearer {plain.json()['key']}"}
    assert 'scope="sensitive"' in _challenge(client.get("/v1/aftercare", headers=plain_admin))
    scim = client.get("/scim/v2/Users", headers=tenant.admin)
    assert scim.status_code == 403
    assert 'error="insufficient_scope", scope="scim"' in scim.headers["WWW-Authenticate"]
    # Refusals of a role's reach are not about the token's scope: no challenge.
    assert "WWW-Authenticate" not in client.get("/v1/teams", headers=tenant.read).headers


def test_the_document_declares_the_bearer_challenges(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    undeclared = [
        f"{method.upper()} {path} {status}"
        for path, item in paths.items()
        for method, op in item.items()
        for status, response in op.get("responses", {}).items()
        if status in ("401", "403") and "WWW-Authenticate" not in response.get("headers", {})
    ]
    assert not undeclared, undeclared


def test_other_organisations_resources_are_404(
    client: TestClient, db: Session, tenant: Tenant, other_tenant: Tenant
) -> None:
    team = make_team(db)
    fg = make_function_group(db)
    emp = make_employee(db)
    key_id = db.scalar(select(ApiKey.id).where(ApiKey.organisation_id == tenant.id))  # type: ignore[arg-type]
    for path in (f"/v1/teams/{team.id}", f"/v1/function-groups/{fg.id}", f"/v1/employees/{emp.id}"):
        assert client.get(path, headers=tenant.read).status_code == 200
        assert_problem(client.get(path, headers=other_tenant.admin), 404, "not-found")
        assert_problem(
            client.patch(
                path,
                headers=other_tenant.admin,
                json={"name": "x"} if "employees" not in path else {"first_name": "x"},
            ),
            404,
            "not-found",
        )
        assert_problem(client.delete(path, headers=other_tenant.admin), 404, "not-found")
    assert_problem(client.delete(f"/v1/api-keys/{key_id}", headers=other_tenant.admin), 404)
    # Nothing changed in organisation A.
    assert client.get(f"/v1/teams/{team.id}", headers=tenant.read).json()["name"] == team.name
    assert client.get("/v1/api-keys", headers=tenant.admin).json()["items"][0]["revoked_at"] is None


def test_last_used_at_is_recorded(client: TestClient, tenant: Tenant) -> None:
    keys = _keys(client, tenant)
    assert keys["read"]["last_used_at"] is None
    assert client.get("/v1/teams", headers=tenant.read).status_code == 200
    keys = _keys(client, tenant)
    assert keys["read"]["last_used_at"] is not None
    assert keys["write"]["last_used_at"] is None


def test_last_used_at_in_committed_requests(
    live_client: TestClient, live_tenant: Tenant, engine: Engine
) -> None:
    # The production path: authentication (with its last_used_at write) is a short unit of
    # work of its own, over before the request takes its connection. A request that held
    # its connection while authentication took a second one could wait on itself: for its
    # own SQLite write lock, or for a pool that its own kind has exhausted (issue 14).
    held = 0
    most = 0

    def checkout(*_args: object) -> None:
        nonlocal held, most
        held += 1
        most = max(most, held)

    def checkin(*_args: object) -> None:
        nonlocal held
        held -= 1

    event.listen(engine, "checkout", checkout)
    event.listen(engine, "checkin", checkin)
    try:
        r = live_client.post("/v1/teams", headers=live_tenant.write, json={"name": "Jongerenwerk"})
        assert live_client.get("/v1/teams", headers=live_tenant.read).status_code == 200
    finally:
        event.remove(engine, "checkout", checkout)
        event.remove(engine, "checkin", checkin)
    assert r.status_code == 201, r.text
    assert most == 1, f"a request held {most} connections at once"
    keys = _keys(live_client, live_tenant)
    assert keys["write"]["last_used_at"] is not None
    assert keys["read"]["last_used_at"] is not None


def test_telemetry_writes_are_skipped_rather_than_waited_for(engine: Engine) -> None:
    # Database.write_if_free (a key's last use): it never queues behind another unit of
    # work. A waiting write would raise DatabaseBusy after acquire_timeout instead.
    calls: list[str] = []

    def work(_db: Session, label: str) -> None:
        calls.append(label)

    async def scenario() -> None:
        database = Database(engine, connections=1, acquire_timeout=5)
        async with database.slot(write=True):  # the one connection is taken (an import)
            assert await database.write_if_free(work, "while taken") is False
        assert await database.write_if_free(work, "when free") is True

    asyncio.run(scenario())
    assert calls == ["when free"]


def test_telemetry_does_not_jump_a_queued_writer(engine: Engine, is_postgres: bool) -> None:
    if is_postgres:
        pytest.skip("writers take turns only on SQLite")
    # The writer's turn has just been handed to a queued write that has not run yet: the
    # turn looks free, but taking it means queueing behind that write (an import, say).
    calls: list[str] = []

    def work(_db: Session, label: str) -> None:
        calls.append(label)

    async def scenario() -> bool:
        database = Database(engine, connections=2, acquire_timeout=5)
        async with database.slot(write=True):  # this process's writer's turn
            queued = asyncio.create_task(database.write(work, "queued"))
            await asyncio.sleep(0)  # now waiting for the turn
        # Released and handed on, in this very step: no await before the attempt.
        skipped = await database.write_if_free(work, "jumped the queue")
        await queued
        return skipped

    assert asyncio.run(scenario()) is False
    assert calls == ["queued"]


def test_telemetry_does_not_wait_for_a_row_lock(
    engine: Engine, is_postgres: bool, live_tenant: Tenant
) -> None:
    if not is_postgres:
        pytest.skip("SQLite locks the whole database: see the test below")
    # An import deactivating people holds their rows' locks until it commits; a key's or a
    # person's last use is not worth waiting for that. A waiting write would run into this
    # engine's statement timeout instead (an error, not False).
    patient = make_engine(
        engine.url.render_as_string(hide_password=False),
        poolclass=NullPool,
        connect_args={"options": "-c statement_timeout=10000"},
    )
    now = datetime.now(UTC)

    async def attempt(key_id: uuid.UUID) -> bool:
        return await Database(patient, connections=2, acquire_timeout=5).write_if_free(
            _record_use, key_id, now
        )

    with engine.connect() as holder, holder.begin():
        key_id = holder.execute(
            select(ApiKey.id)
            .where(col(ApiKey.organisation_id) == live_tenant.id)
            .limit(1)
            .with_for_update()
        ).scalar_one()
        assert asyncio.run(attempt(key_id)) is False
    assert asyncio.run(attempt(key_id)) is True
    patient.dispose()
    with engine.connect() as conn:
        used = conn.execute(select(ApiKey.last_used_at).where(col(ApiKey.id) == key_id))
        assert used.scalar_one() == now


def test_telemetry_does_not_wait_for_another_process_s_write_lock(
    engine: Engine, is_postgres: bool
) -> None:
    if is_postgres:
        pytest.skip("SQLite's one write lock; PostgreSQL writers do not exclude each other")
    # The busy timeout inside the work: restored once the lock is taken, so the pooled
    # connection waits as usual for the writes that follow it.
    calls: list[int] = []

    def work(db: Session) -> None:
        calls.append(db.execute(text("PRAGMA busy_timeout")).scalar_one())

    async def scenario() -> bool:
        return await Database(engine, connections=2, acquire_timeout=5).write_if_free(work)

    # How long the attempt would wait for the lock: read off its connection as it tries.
    waits: list[int] = []

    def before(conn: Connection, cursor: object, statement: str, *_args: object) -> None:
        if statement == "BEGIN IMMEDIATE":
            dbapi = conn.connection.dbapi_connection
            assert dbapi is not None
            waits.append(dbapi.execute("PRAGMA busy_timeout").fetchone()[0])

    event.listen(engine, "before_cursor_execute", before)
    try:
        with sqlite_write_lock_elsewhere(engine):  # another process's import, say
            assert asyncio.run(scenario()) is False
    finally:
        event.remove(engine, "before_cursor_execute", before)
    assert waits == [0], "the attempt waited for the lock (busy timeout)"
    assert calls == []
    assert asyncio.run(scenario()) is True
    assert calls == [SQLITE_BUSY_TIMEOUT_MS]


def test_a_read_is_not_held_up_by_its_key_s_last_use(
    live_client: TestClient,
    live_tenant: Tenant,
    engine: Engine,
    is_postgres: bool,
    caplog: pytest.LogCaptureFixture,
) -> None:
    if is_postgres:
        pytest.skip("SQLite's one write lock; PostgreSQL writers do not exclude each other")
    with (
        sqlite_write_lock_elsewhere(engine),  # a long import in another process
        caplog.at_level(logging.WARNING, logger="veerkracht.db"),
    ):
        assert live_client.get("/v1/teams", headers=live_tenant.read).status_code == 200
    # Skipped, not tried and failed after the busy timeout (which logs a warning) ...
    assert "deferred work failed" not in caplog.text
    keys = _keys(live_client, live_tenant)
    assert keys["read"]["last_used_at"] is None
    # ... and recorded by the key's next request once the lock is free.
    assert live_client.get("/v1/teams", headers=live_tenant.read).status_code == 200
    keys = _keys(live_client, live_tenant)
    assert keys["read"]["last_used_at"] is not None


def test_key_is_shown_once_and_stored_hashed(
    client: TestClient, db: Session, tenant: Tenant
) -> None:
    r = client.post(
        "/v1/api-keys", headers=tenant.admin, json={"name": "HR-koppeling", "scope": "write"}
    )
    assert r.status_code == 201, r.text
    created = r.json()
    key = created["key"]
    assert key.startswith(f"vk_{created['prefix']}_")
    assert created["scope"] == "write"
    secret = key.split("_", 2)[2]

    listed = client.get("/v1/api-keys", headers=tenant.admin)
    assert all("key" not in item and "key_hash" not in item for item in listed.json()["items"])
    assert secret not in listed.text
    assert created["prefix"] in listed.text  # the visible part, to recognise a key

    row = db.get(ApiKey, uuid.UUID(created["id"]))
    assert row is not None and row.key_hash == hash_key(key)
    # The clear key (or its secret part) is in no text column of any table.
    db.flush()
    for table in SQLModel.metadata.sorted_tables:
        text_cols = [c for c in table.columns if isinstance(c.type, String | Text)]
        if not text_cols:
            continue
        for values in db.execute(select(*text_cols)):
            for value in values:
                assert value is None or secret not in value, (table.name, value)
    # And the key works.
    assert (
        client.post(
            "/v1/teams", headers={"Authorization": f"Bearer {key}"}, json={"name": "Team"}
        ).status_code
        == 201
    )
