"""Where a read's database work runs (core/db.py ``run_read`` and the session's end).

A thread-pool hop costs more than a SQLite read, so on SQLite the hot reads (one employee,
a page of employees) make none. On PostgreSQL the same work waits on the network, so it
must run in the thread pool and never stall the event loop; writes always do.
"""

from collections.abc import Iterator
from typing import Any

import anyio.to_thread
import pytest
from fastapi.testclient import TestClient

from app.core.auth import forget_principals
from app.core.config import get_settings
from tests.conftest import Tenant


@pytest.fixture
def hops(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """Names of the functions sent to the thread pool while the test runs.

    The principal cache is on (as in production), so a repeated read does not authenticate
    against the database (that is a hop of its own: it may record last_used_at).
    """
    monkeypatch.setattr(get_settings(), "auth_cache_seconds", 5.0)
    forget_principals()
    sent: list[str] = []
    real = anyio.to_thread.run_sync

    async def counting(func: Any, *args: Any, **kwargs: Any) -> Any:
        target = getattr(func, "func", func)  # run_in_threadpool sends a functools.partial
        sent.append(getattr(target, "__qualname__", repr(target)))
        return await real(func, *args, **kwargs)

    monkeypatch.setattr(anyio.to_thread, "run_sync", counting)
    yield sent
    forget_principals()


def _employee(client: TestClient, tenant: Tenant) -> tuple[str, str]:
    team = client.post("/v1/teams", headers=tenant.write, json={"name": "Ambulant"}).json()
    emp = client.post(
        "/v1/employees",
        headers=tenant.write,
        json={"first_name": "Sanne", "last_name": "Dekker", "team_id": team["id"]},
    )
    assert emp.status_code == 201, emp.text
    return emp.json()["id"], team["id"]


def test_hot_reads_make_no_thread_pool_hop_on_sqlite(
    live_client: TestClient, live_tenant: Tenant, is_postgres: bool, hops: list[str]
) -> None:
    if is_postgres:
        pytest.skip("on PostgreSQL the reads belong in the thread pool (next test)")
    employee_id, team_id = _employee(live_client, live_tenant)
    # The first read authenticates against the database; later ones use the principal cache.
    live_client.get(f"/v1/employees/{employee_id}", headers=live_tenant.read)
    hops.clear()
    one = live_client.get(f"/v1/employees/{employee_id}", headers=live_tenant.read)
    page = live_client.get(f"/v1/employees?team_id={team_id}", headers=live_tenant.read)
    assert one.status_code == 200 and page.status_code == 200
    assert [i["id"] for i in page.json()["items"]] == [employee_id]
    assert hops == []


def test_reads_on_postgresql_and_writes_run_in_the_thread_pool(
    live_client: TestClient, live_tenant: Tenant, is_postgres: bool, hops: list[str]
) -> None:
    employee_id, _team_id = _employee(live_client, live_tenant)
    assert any(name.endswith("_finish") for name in hops), "a write commits in the pool"
    live_client.get(f"/v1/employees/{employee_id}", headers=live_tenant.read)
    hops.clear()
    assert live_client.get(f"/v1/employees/{employee_id}", headers=live_tenant.read).is_success
    if is_postgres:
        # One hop: the read, and the end of its transaction in the same thread.
        assert hops == ["_read_and_end"]
    else:
        assert hops == []
