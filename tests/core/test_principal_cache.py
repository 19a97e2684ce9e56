"""The principal cache: a remembered key skips its query, and revocations and settings
changes are seen at once (core/auth.py, "the principal cache")."""

import asyncio
import time
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from app.core import auth
from app.core.config import get_settings
from tests.conftest import Tenant
from tests.helpers import assert_problem, count_statements


class Clock:
    """The cache's ``time.monotonic``, standing still until a test moves it on: whether an
    entry has expired never depends on how fast the requests ran."""

    def __init__(self) -> None:
        self.now = time.monotonic()

    def monotonic(self) -> float:
        return self.now

    def __getattr__(self, name: str) -> Any:
        return getattr(time, name)


@pytest.fixture(autouse=True)
def clock(monkeypatch: pytest.MonkeyPatch) -> Iterator[Clock]:
    auth.forget_principals()
    monkeypatch.setattr(get_settings(), "auth_cache_seconds", 5.0)
    stopped = Clock()
    monkeypatch.setattr(auth, "time", stopped)
    yield stopped
    auth.forget_principals()


def _key_queries(engine: Engine, client: TestClient, headers: dict[str, str]) -> int:
    with count_statements(engine) as counter:
        assert client.get("/v1/organisation", headers=headers).status_code == 200
    return sum("FROM api_key" in s for s in counter.statements)


def test_a_remembered_key_skips_its_query(
    client: TestClient, tenant: Tenant, engine: Engine
) -> None:
    assert _key_queries(engine, client, tenant.read) == 1
    assert _key_queries(engine, client, tenant.read) == 0


def test_remembering_expires(
    client: TestClient, tenant: Tenant, engine: Engine, clock: Clock
) -> None:
    assert _key_queries(engine, client, tenant.read) == 1
    clock.now += 4.9
    assert _key_queries(engine, client, tenant.read) == 0
    clock.now += 0.2
    assert _key_queries(engine, client, tenant.read) == 1


def test_a_revoked_key_is_refused_at_once(client: TestClient, tenant: Tenant) -> None:
    created = client.post("/v1/api-keys", headers=tenant.admin, json={"name": "script"}).json()
    headers = {"Authorization": f"Bearer {created['key']}"}
    assert client.get("/v1/organisation", headers=headers).status_code == 200
    r = client.delete(f"/v1/api-keys/{created['id']}", headers=tenant.admin)
    assert r.status_code == 204
    assert_problem(client.get("/v1/organisation", headers=headers), 401, "revoked-api-key")


def test_a_settings_change_is_seen_at_once(client: TestClient, tenant: Tenant) -> None:
    before = client.get("/v1/organisation", headers=tenant.read).json()
    assert before["settings"]["review_interval_months"] == 3
    r = client.patch(
        "/v1/organisation", headers=tenant.admin, json={"settings": {"review_interval_months": 6}}
    )
    assert r.status_code == 200, r.text
    after = client.get("/v1/organisation", headers=tenant.read).json()
    assert after["settings"]["review_interval_months"] == 6


def test_failures_are_never_remembered(client: TestClient, tenant: Tenant) -> None:
    bad = {"Authorization": "Bearer vk_000000000000_nope"}
    for _ in range(2):
        assert_problem(client.get("/v1/organisation", headers=bad), 401, "invalid-api-key")
    assert auth._remembered == {}


def test_a_remembered_key_keeps_its_sensitive_permission(
    client: TestClient, tenant: Tenant, engine: Engine
) -> None:
    # The test tenant's admin key has it (tests/factories/core.py), its read key has not.
    for _ in range(2):  # looked up, then remembered
        assert client.get("/v1/aftercare", headers=tenant.admin).status_code == 200
        assert_problem(client.get("/v1/aftercare", headers=tenant.read), 403, "insufficient-scope")
    assert _key_queries(engine, client, tenant.admin) == 0


def test_each_request_gets_its_own_organisation(client: TestClient, tenant: Tenant) -> None:
    # Services may read (and a request may change) the principal's organisation; a
    # remembered key must never hand one request's object, or its settings, to the next.
    assert client.get("/v1/organisation", headers=tenant.read).status_code == 200
    first = auth._recall(tenant.read_key)
    second = auth._recall(tenant.read_key)
    assert first is not None and second is not None
    assert first.organisation_id == second.organisation_id == tenant.id
    assert first.organisation is not second.organisation
    assert first.organisation is first.organisation  # one object for the whole request
    before = dict(second.organisation.settings_json)
    first.organisation.settings_json["review_interval_months"] = 99
    first.organisation.name = "Verbouwd"
    third = auth._recall(tenant.read_key)
    assert third is not None
    assert third.organisation.name == tenant.org.name
    assert second.organisation.settings_json == third.organisation.settings_json == before


def _principal(tenant: Tenant) -> auth.Principal:
    return auth.Principal(
        organisation_columns={"id": tenant.id},
        api_key_id=tenant.id,
        scope=auth.Scope.read,
        sensitive=False,
    )


def test_a_look_up_that_began_before_a_revocation_is_not_remembered(tenant: Tenant) -> None:
    # It may have read the key as it was before the revocation committed: remembered, the
    # revoked key would work on for the cache's lifetime.
    began = auth._generation[0]
    auth.forget_principals(organisation_id=tenant.id)  # the revocation, meanwhile
    auth._remember("vk_x_secret", _principal(tenant), began)
    assert auth._recall("vk_x_secret") is None
    auth._remember("vk_x_secret", _principal(tenant), auth._generation[0])
    assert auth._recall("vk_x_secret") is not None


def test_a_revocation_clears_again_when_it_commits(db: Any, tenant: Tenant) -> None:
    # A look-up between the revoking write and its commit reads the key as still valid and
    # is remembered; the clear at commit drops it.
    auth.forget_principals(db, organisation_id=tenant.id)
    auth._remember("vk_x_secret", _principal(tenant), auth._generation[0])
    assert auth._recall("vk_x_secret") is not None
    db.commit()
    assert auth._recall("vk_x_secret") is None


def test_a_request_after_a_revocation_does_not_join_a_look_up_begun_before_it(
    tenant: Tenant, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Concurrent requests with one key share a look-up; one arriving after a revocation
    # must make its own, or it is let in on the answer read before the revocation.
    started: list[int] = []
    key = "vk_abc123456789_secret"

    async def scenario() -> None:
        release = asyncio.Event()

        async def look_up(_database: Any, _presented: str) -> auth.Principal:
            started.append(1)
            await release.wait()
            return _principal(tenant)

        monkeypatch.setattr(auth, "_authenticate_now", look_up)
        first = asyncio.ensure_future(auth.authenticate(None, key))  # type: ignore[arg-type]
        for _ in range(3):  # until its look-up waits
            await asyncio.sleep(0)
        auth.forget_principals(organisation_id=tenant.id)  # the revocation commits
        second = asyncio.ensure_future(auth.authenticate(None, key))  # type: ignore[arg-type]
        for _ in range(3):
            await asyncio.sleep(0)
        assert len(started) == 2  # the second did not join the first
        release.set()
        await asyncio.gather(first, second)

    asyncio.run(scenario())
