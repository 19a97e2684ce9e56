"""Crash safety (issue 10): ``veerkracht serve`` as a real process, killed with SIGKILL in
the middle of a large import and of a plan scheduling, then restarted. None of the
interrupted work is in the database, what was committed before is, and requests succeed.

Runs on SQLite (a temporary file) and, when VEERKRACHT_TEST_DATABASE_URL is PostgreSQL,
on the suite's PostgreSQL database too.
"""

import os
import time
import uuid
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine, func, select, text
from sqlalchemy.pool import NullPool
from sqlmodel import SQLModel

from app.core.db import make_engine
from app.organisation.models import RuleSeverities
from tests.reliability.server import Server, create_organisation

pytestmark = pytest.mark.slow
IMPORT_ROWS = 60_000
SQLITE_KILL_AFTER = 1.5
PLAN_EMPLOYEES = 3_000
CSV = {"Content-Type": "text/csv"}


def _csv(prefix: str, n: int, team: str = "", fg: str = "") -> bytes:
    head = "external_id;first_name;last_name;email;team_external_id;function_group_external_id"
    rows = (
        f"{prefix}{i};Sanne;Visser {i};{prefix.lower()}{i}@example.nl;{team};{fg}" for i in range(n)
    )
    return "\n".join([head, *rows]).encode()


def _count(engine: Engine, table: str, org_id: uuid.UUID) -> int:
    t = SQLModel.metadata.tables[table]
    with engine.connect() as conn:
        stmt = select(func.count()).select_from(t).where(t.c.organisation_id == org_id)
        return int(conn.execute(stmt).scalar_one())


def _wait_until_writing(engine: Engine, pending: Future[Any]) -> None:
    """Return while the server's transaction is under way, before it commits.

    PostgreSQL shows it: a backend of this database holds a transaction id (it has written)
    until it commits. SQLite does not (its WAL grows only at commit), so there the kill
    comes after a fixed time, well inside the request on this machine size, and
    ``_kill_mid`` checks that no response had arrived.
    """
    if engine.dialect.name != "postgresql":
        time.sleep(SQLITE_KILL_AFTER)
        return
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and not pending.done():
        with engine.connect() as conn:
            writing = conn.execute(
                text(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                    " AND backend_xid IS NOT NULL AND pid <> pg_backend_pid()"
                )
            ).scalar_one()
        if writing:
            time.sleep(0.1)
            return
        time.sleep(0.02)


def _kill_mid(server: Server, engine: Engine, call: Callable[[], httpx.Response]) -> None:
    with ThreadPoolExecutor(1) as pool:
        pending = pool.submit(call)
        _wait_until_writing(engine, pending)
        assert not pending.done(), "the request finished before the kill: make it bigger"
        server.kill()
        with pytest.raises(httpx.TransportError):
            pending.result(timeout=60)


@pytest.fixture(params=["sqlite", "postgresql"])
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A database URL: a new SQLite file (migrated by the server on start), or the suite's
    migrated PostgreSQL database."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'crash.db'}"
    if not os.environ.get("VEERKRACHT_TEST_DATABASE_URL", "").startswith("postgresql"):
        pytest.skip("PostgreSQL not configured (VEERKRACHT_TEST_DATABASE_URL)")
    request.getfixturevalue("engine")  # migrated
    url: str = request.getfixturevalue("database_url")
    return url


def test_sigkill_mid_import_and_mid_scheduling_keeps_nothing_interrupted(
    backend: str, tmp_path: Path
) -> None:
    url = backend
    server = Server(url, tmp_path / "server.log").start()
    engine = make_engine(url, poolclass=NullPool)
    try:
        key = create_organisation(url, "Stichting Crashtest")
        client = httpx.Client(
            base_url=server.url, headers={"Authorization": f"Bearer {key}"}, timeout=300
        )
        org_id = uuid.UUID(client.get("/v1/organisation").json()["id"])
        # Every configurable rule off, whatever rules there are.
        severities = dict.fromkeys(RuleSeverities.model_fields, "off")
        assert (
            client.patch(
                "/v1/organisation", json={"settings": {"rule_severities": severities}}
            ).status_code
            == 200
        )
        fg = {"name": "Crisisdienst", "external_id": "FG-C", "likelihood": 5, "impact": 5}
        assert client.post("/v1/function-groups", json=fg).status_code == 201
        assert (
            client.post("/v1/teams", json={"name": "Crisis", "external_id": "T-C"}).status_code
            == 201
        )
        committed = client.post(
            "/v1/imports/employees", content=_csv("P", PLAN_EMPLOYEES, "T-C", "FG-C"), headers=CSV
        )
        assert committed.status_code == 200, committed.text
        employees_before = _count(engine, "employee", org_id)
        audit_before = _count(engine, "audit_event", org_id)

        # 1. A large import, killed while its transaction writes.
        big = _csv("X", IMPORT_ROWS)
        _kill_mid(
            server,
            engine,
            lambda: client.post("/v1/imports/employees", content=big, headers=CSV),
        )
        server.start()
        client.base_url = httpx.URL(server.url)
        assert _count(engine, "employee", org_id) == employees_before
        assert _count(engine, "audit_event", org_id) == audit_before
        assert client.get("/v1/employees", params={"external_id": "X1"}).json()["items"] == []

        # 2. A plan scheduling (3,000 enrolments), killed while it writes.
        skills = [s["id"] for s in client.get("/v1/skills?limit=200").json()["items"]]
        program = {"title": "Alles-in-een", "audience": "mixed", "skill_ids": skills}
        assert client.post("/v1/training-programs", json=program).status_code == 201
        plan = client.post(
            "/v1/training-plans",
            json={"scope": {}, "starts_on": (date.today() + timedelta(days=7)).isoformat()},
        ).json()
        start = datetime.now(UTC).replace(microsecond=0) + timedelta(days=14)
        phases = [
            {"phase": p["phase"], "starts_at": (start + timedelta(days=14 * i)).isoformat()}
            for i, p in enumerate(p for p in plan["phases"] if p["groups"])
        ]
        audit_before = _count(engine, "audit_event", org_id)
        _kill_mid(
            server,
            engine,
            lambda: client.post(
                f"/v1/training-plans/{plan['id']}/schedule", json={"phases": phases}
            ),
        )
        server.start()
        client.base_url = httpx.URL(server.url)
        assert _count(engine, "training_session", org_id) == 0
        assert _count(engine, "enrolment", org_id) == 0
        assert _count(engine, "audit_event", org_id) == audit_before
        assert client.get(f"/v1/training-plans/{plan['id']}").json()["status"] == "proposed"

        # 3. The restarted server serves reads and writes normally.
        assert client.get("/readyz").status_code == 200
        created = client.post("/v1/teams", json={"name": "Na de crash"})
        assert created.status_code == 201, created.text
        assert client.get(f"/v1/teams/{created.json()['id']}").status_code == 200
        assert _count(engine, "employee", org_id) == employees_before
    finally:
        server.kill()
        engine.dispose()
