"""Where database work runs (core/db.py): never blocking the event loop, a read in one hop.

Any database call may wait (a pool checkout, a lock, SQLite's busy timeout), and a wait on
the event loop stalls every request of the process; so all of it runs in worker threads,
with one exception: on PostgreSQL the hot reads (``run_read``) use psycopg's async mode,
whose waits are awaits, on a session scoped like any other. A read on SQLite ends its
transaction in the same hop as its query.
"""

import asyncio
import re
import threading
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import anyio.to_thread
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, event
from sqlmodel import Session, select

from app.changes.service import Position
from app.core.auth import forget_principals
from app.core.config import get_settings
from app.core.db import Database, run_read
from app.core.engine import new_session
from app.core.pagination import decode_cursor
from app.core.roles import Reach, UserRole
from app.core.tenancy import bind_organisation
from app.identity.reach import bind_reach
from app.main import create_app
from app.organisation.models import Employee, Organisation
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


def test_a_read_is_one_thread_pool_hop_on_sqlite_and_none_on_postgres(
    live_client: TestClient, live_tenant: Tenant, hops: list[str], is_postgres: bool
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
    if is_postgres:
        # The async driver on the event loop: no thread at all.
        assert hops == []
    else:
        # One hop each: the read, and the end of its transaction in the same thread.
        assert hops == ["_read_and_end", "_read_and_end"]


def _employees_seen(
    database: Database, organisation_id: uuid.UUID, reach: Reach | None = None
) -> tuple[set[uuid.UUID], bool]:
    # A read that forgets to filter by organisation (or by a person's reach), on the read
    # path of the routes.
    async def read() -> tuple[set[uuid.UUID], bool]:
        loop_thread = threading.get_ident()
        async with database.session(read_only=True) as db:
            bind_organisation(db, organisation_id)
            bind_reach(db, reach)

            def everyone(db: Session) -> tuple[set[uuid.UUID], bool]:
                ids = set(db.exec(select(Employee.id)).all())
                return ids, threading.get_ident() == loop_thread

            return await run_read(everyone, db)

    return asyncio.run(read())


def test_the_read_path_keeps_to_the_organisation_and_the_reach_on_both_databases(
    live_client: TestClient, live_tenant: Tenant, engine: Engine, is_postgres: bool
) -> None:
    # The async read path runs the same ORM code on another engine's session: the
    # organisation and the reach it carries must scope it as core/tenancy.py and
    # identity/reach.py scope every session.
    ours, team_id = _employee(live_client, live_tenant)
    theirs = live_client.post(
        "/v1/employees",
        headers=live_tenant.write,
        json={"first_name": "Ruud", "last_name": "Smit"},
    ).json()["id"]
    other = _tenant_with_employee(engine)
    manager = Reach(
        user_id=uuid.uuid4(),
        roles=frozenset({UserRole.team_manager}),
        managed_team_ids=frozenset({uuid.UUID(team_id)}),
        managed_employee_ids=frozenset({uuid.UUID(ours)}),
    )
    database = Database(engine, connections=2, acquire_timeout=5)
    try:
        seen, on_loop = _employees_seen(database, live_tenant.id)
        assert seen == {uuid.UUID(ours), uuid.UUID(theirs)}
        seen_by_other, _ = _employees_seen(database, other)
        assert seen.isdisjoint(seen_by_other) and len(seen_by_other) == 1
        seen_by_manager, _ = _employees_seen(database, live_tenant.id, manager)
        assert seen_by_manager == {uuid.UUID(ours)}
        # PostgreSQL reads on the event loop's thread (the async path), SQLite in a worker.
        assert on_loop is is_postgres
        assert (database.async_engine is not None) is is_postgres
    finally:
        asyncio.run(database.dispose())


def _tenant_with_employee(engine: Engine) -> uuid.UUID:
    session = new_session(engine)
    try:
        org = Organisation(name=f"Stichting Ander {uuid.uuid4().hex[:6]}")
        session.add(org)
        session.flush()
        bind_organisation(session, org.id)
        session.add(Employee(first_name="Ander", last_name="Mens"))
        session.commit()
        return org.id
    finally:
        session.close()


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


def _without_clock(body: str) -> str:
    """The body with each scan position (a sync token, the tail of a next cursor) reduced to
    its place in the feed: a position also carries the second it was issued in (Position.at,
    for the retention check), which two reads may straddle."""

    def place(token: str) -> str:
        at = Position.decode(token)
        return f"{at.txid}.{at.seq}"

    def sync_token(match: re.Match[str]) -> str:
        return f'{match.group(1)}"{place(match.group(2))}"'

    def next_cursor(match: re.Match[str]) -> str:
        last_id, position = decode_cursor(match.group(2))
        return f'{match.group(1)}"{last_id}@{place(position) if position else None}"'

    body = re.sub(r'("sync_token":\s*)"([^"]+)"', sync_token, body)
    return re.sub(r'("next_cursor":\s*)"([^"]+)"', next_cursor, body)


def test_async_and_threaded_reads_answer_alike(
    live_client: TestClient, live_tenant: Tenant, is_postgres: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Most of the suite runs on the test's savepoint database, whose reads take the threaded
    # path (tests/database.py); here the async path must answer every employee read the
    # threaded one answers, byte for byte: filters, search, paging, sync tokens, a 404.
    if not is_postgres:
        pytest.skip("the async read path is PostgreSQL's")
    employee_id, team_id = _employee(live_client, live_tenant)
    for first, last in (("Sanne", "de Vries"), ("Ruud", "Smit"), ("Ayşe", "Yilmaz")):
        made = live_client.post(
            "/v1/employees",
            headers=live_tenant.write,
            json={"first_name": first, "last_name": last, "team_id": team_id},
        )
        assert made.status_code == 201, made.text
    paths = [
        f"/v1/employees/{employee_id}",
        f"/v1/employees/{uuid.uuid4()}",
        f"/v1/employees?team_id={team_id}",
        "/v1/employees?q=vries",
        "/v1/employees?limit=2",
        "/v1/employees?role=employee&active=true",
    ]

    def answers(client: TestClient) -> list[tuple[int, str, str | None]]:
        out = []
        for path in paths:
            r = client.get(path, headers=live_tenant.read)
            out.append((r.status_code, _without_clock(r.text), r.headers.get("ETag")))
            cursor = r.json().get("next_cursor") if r.status_code == 200 else None
            if cursor:
                more = client.get(f"{path}&cursor={cursor}", headers=live_tenant.read)
                out.append((more.status_code, _without_clock(more.text), None))
        return out

    on_async = answers(live_client)
    assert live_client.app.state.database.async_engine is not None  # type: ignore[attr-defined]
    monkeypatch.setattr(get_settings(), "db_async_reads", False)
    with TestClient(create_app(), raise_server_exceptions=False) as threaded:
        assert threaded.app.state.database.async_engine is None  # type: ignore[attr-defined]
        on_threads = answers(threaded)
    statuses = [a[0] for a in on_async]
    assert statuses[:2] == [200, 404] and set(statuses[2:]) == {200}
    assert len(on_async) > len(paths), "a next page was followed"
    assert on_async == on_threads
