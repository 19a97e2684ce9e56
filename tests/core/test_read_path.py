"""Where database work runs (core/db.py): never on the event loop, a read in one hop.

Any database call may wait (a pool checkout, a lock, SQLite's busy timeout), and a wait on
the event loop stalls every request of the process; so all of it runs in worker threads,
on both databases. A read ends its transaction in the same hop as its query.
"""

import asyncio
from collections.abc import Callable, Iterator
from typing import Any

import anyio.to_thread
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, event

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


def test_a_read_is_one_thread_pool_hop_on_both_databases(
    live_client: TestClient, live_tenant: Tenant, hops: list[str]
) -> None:
    employee_id, team_id = _employee(live_client, live_tenant)
    assert any(name.endswith("finish") for name in hops), "a write commits in the pool"
    # The first read authenticates against the database; later ones use the principal cache.
    live_client.get(f"/v1/employees/{employee_id}", headers=live_tenant.read)
    hops.clear()
    one = live_client.get(f"/v1/employees/{employee_id}", headers=live_tenant.read)
    page = live_client.get(f"/v1/employees?team_id={team_id}", headers=live_tenant.read)
    assert one.status_code == 200 and page.status_code == 200
    assert [i["id"] for i in page.json()["items"]] == [employee_id]
    # One hop each: the read, and the end of its transaction in the same thread.
    assert hops == ["_read_and_end", "_read_and_end"]


def test_no_database_work_runs_on_the_event_loop(
    live_client: TestClient, live_tenant: Tenant, engine: Engine
) -> None:
    # Issue 14: a pool checkout, a lock wait or SQLite's busy wait on the event loop stalls
    # every request of the process. Every connection checkout, statement and transaction
    # end must happen in a worker thread, where no event loop runs.
    on_loop: list[str] = []

    def watch(name: str) -> Callable[..., None]:
        def listener(*_args: Any, **_kw: Any) -> None:
            try:
                asyncio.get_running_loop()
            except RuntimeError:
                return  # a worker thread: fine
            on_loop.append(name)

        return listener

    listeners = [
        (engine.pool, "checkout", watch("pool checkout")),
        (engine, "before_cursor_execute", watch("statement")),
        (engine, "commit", watch("commit")),
        (engine, "rollback", watch("rollback")),
    ]
    for target, name, fn in listeners:
        event.listen(target, name, fn)
    try:
        employee_id, team_id = _employee(live_client, live_tenant)
        for path in (
            f"/v1/employees/{employee_id}",
            f"/v1/employees?team_id={team_id}",
            "/v1/employees?limit=5",
            f"/v1/teams/{team_id}",
            "/v1/reports/overview",
            "/readyz",
        ):
            assert live_client.get(path, headers=live_tenant.read).status_code == 200, path
        etag = live_client.get(f"/v1/teams/{team_id}", headers=live_tenant.read).headers["ETag"]
        renamed = live_client.patch(
            f"/v1/teams/{team_id}",
            headers={**live_tenant.write, "If-Match": etag},
            json={"name": "Ambulant Noord"},
        )
        assert renamed.status_code == 200, renamed.text
        imported = live_client.post(
            "/v1/imports/teams",
            headers={**live_tenant.write, "Content-Type": "text/csv", "Idempotency-Key": "k-1"},
            content=b"naam;extern id\nWijkteam Zuid;T-9\n",
        )
        assert imported.status_code == 200, imported.text
        refused = live_client.get("/v1/teams", headers={"Authorization": "Bearer vk_nope"})
        assert refused.status_code == 401
    finally:
        for target, name, fn in listeners:
            event.remove(target, name, fn)
    assert on_loop == []
