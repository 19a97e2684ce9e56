"""Crash safety (issue 10): ``veerkracht serve`` as a real process, killed with SIGKILL in
the middle of a large import and of a plan scheduling, then restarted. None of the
interrupted work is in the database, what was committed before is, and requests succeed.

The kill lands by observation, never after a fixed time: the test watches the database
until the server's write transaction is under way and has written, freezes the server
(SIGSTOP), confirms the transaction is still open, and kills it (SIGKILL). When the answer
nevertheless beats the kill (a fast machine, or the transaction committed between two
looks), the attempt counts as too late: its work is checked to be complete, and the test
tries again with twice the work, a bounded number of times. So the outcome never depends on
the machine's speed.

Runs on SQLite (a temporary file) and, when VEERKRACHT_TEST_DATABASE_URL is PostgreSQL,
on the suite's PostgreSQL database too.
"""

import logging
import os
import signal
import sqlite3
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import partial
from pathlib import Path

import httpx
import pytest
from sqlalchemy import Connection, Engine, func, select, text
from sqlalchemy.pool import NullPool
from sqlmodel import SQLModel

from app.core.engine import make_engine
from app.organisation.models import RuleSeverities
from tests.reliability.server import Server, create_organisation

pytestmark = pytest.mark.slow
log = logging.getLogger(__name__)
IMPORT_ROWS = 60_000  # first attempt; doubled after each attempt the answer won
PLAN_EMPLOYEES = 3_000  # people (so enrolments) of the first plan; a later one has twice as many
ATTEMPTS = 4
# Only bounds waiting for a condition that should come quickly; matters only on failure.
PATIENCE = 120.0
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


# --- seeing the server's write transaction ---------------------------------------------------


class _SqliteWatch:
    """SQLite: the server's write transaction holds the write lock (BEGIN IMMEDIATE) from
    its first statement to its end. A probe ``BEGIN IMMEDIATE`` with no busy timeout fails
    while it does (the probe's own lock, when it gets it, is released at once). The
    transaction has written once the write-ahead log changed while it held the lock: only
    the lock holder writes to the log, and a large transaction spills pages to it before
    its commit. (A change may also be the commit itself being written: a kill then finds
    the work either absent or complete, and complete counts as too late.)"""

    def __init__(self, database: str) -> None:
        self.wal = Path(f"{database}-wal")
        self.probe = sqlite3.connect(database, timeout=0, isolation_level=None)
        self.seen_at: tuple[int, int] | None = None  # the log when the lock was first seen

    def _log(self) -> tuple[int, int]:
        try:
            st = self.wal.stat()
        except FileNotFoundError:
            return (0, 0)
        return (st.st_size, st.st_mtime_ns)

    def locked(self) -> bool:
        try:
            self.probe.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc):
                raise
            return True
        self.probe.execute("ROLLBACK")
        return False

    def writing(self) -> bool:
        log = self._log()  # read before probing: a change seen under the lock is the server's
        if not self.locked():
            self.seen_at = None
            return False
        if self.seen_at is None:
            self.seen_at = log
            return False
        return log != self.seen_at

    def still_open(self) -> bool:
        return self.locked()

    def close(self) -> None:
        self.probe.close()


class _PostgresWatch:
    """PostgreSQL: a backend of this database holds a transaction id from its first write
    until its transaction ends, and a RowExclusiveLock on each table it has begun to write
    to. Backends that held a transaction id before the request (a killed server's, still
    rolling back) are waited out first."""

    _SQL = text(
        "SELECT count(*) FROM pg_stat_activity a JOIN pg_locks l ON l.pid = a.pid"
        " WHERE a.datname = current_database() AND a.backend_type = 'client backend'"
        " AND a.pid <> pg_backend_pid()"
        " AND a.backend_xid IS NOT NULL AND l.granted AND l.mode = 'RowExclusiveLock'"
        " AND l.relation = CAST(:table AS regclass)"
    )
    _ANY = text(
        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
        " AND backend_type = 'client backend' AND backend_xid IS NOT NULL"
        " AND pid <> pg_backend_pid()"
    )

    def __init__(self, engine: Engine, table: str) -> None:
        # Autocommit: pg_stat_activity is a per-transaction snapshot, each look needs its own.
        self.conn: Connection = engine.connect().execution_options(isolation_level="AUTOCOMMIT")
        self.table = table
        _until(lambda: not self.conn.execute(self._ANY).scalar_one(), "old transactions end")

    def writing(self) -> bool:
        return bool(self.conn.execute(self._SQL, {"table": self.table}).scalar_one())

    def still_open(self) -> bool:
        return self.writing()

    def close(self) -> None:
        self.conn.close()


def _until(condition: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + PATIENCE
    while not condition():
        assert time.monotonic() < deadline, f"gave up waiting: {what}"
        time.sleep(0.005)


@contextmanager
def _watch(engine: Engine, table: str) -> Iterator[_SqliteWatch | _PostgresWatch]:
    watch: _SqliteWatch | _PostgresWatch
    if engine.dialect.name == "sqlite":
        watch = _SqliteWatch(engine.url.database or "")
    else:
        watch = _PostgresWatch(engine, table)
    try:
        yield watch
    finally:
        watch.close()


def _kill_mid(
    server: Server, engine: Engine, table: str, call: Callable[[], httpx.Response]
) -> bool:
    """Send the request and SIGKILL the server while its transaction is open and has
    written (on PostgreSQL: has begun to write to ``table``). True when the kill landed so
    (the client lost the connection); False when the answer came first (or the transaction
    ended before the server was frozen): too late. The server is dead either way."""
    assert server.proc is not None
    with _watch(engine, table) as watch, ThreadPoolExecutor(1) as pool:
        pending: Future[httpx.Response] = pool.submit(call)
        landed = False
        try:
            deadline = time.monotonic() + PATIENCE
            while not pending.done():
                assert time.monotonic() < deadline, "the request neither wrote nor finished"
                if not watch.writing():
                    time.sleep(0.002)
                    continue
                # Freeze the server, so what is seen now is what the kill finds.
                os.killpg(server.proc.pid, signal.SIGSTOP)
                if watch.still_open():
                    landed = True
                    break
                os.killpg(server.proc.pid, signal.SIGCONT)
        finally:
            server.kill()  # SIGKILL ends a stopped process too
        if not landed:
            pending.exception(timeout=60)  # the answer, or the connection lost while sending
            return False
        with pytest.raises(httpx.TransportError):
            pending.result(timeout=60)
        return True


def _restart(server: Server, client: httpx.Client) -> None:
    server.start()
    client.base_url = httpx.URL(server.url)


@dataclass
class _World:
    server: Server
    engine: Engine
    client: httpx.Client
    org_id: uuid.UUID

    def count(self, table: str) -> int:
        return _count(self.engine, table, self.org_id)


def _crash_an_import(w: _World) -> None:
    """A large import, killed while its transaction writes."""
    rows = IMPORT_ROWS
    for attempt in range(ATTEMPTS):
        employees_before = w.count("employee")
        audit_before = w.count("audit_event")
        prefix = f"X{attempt}-"
        big = _csv(prefix, rows)
        landed = _kill_mid(
            w.server,
            w.engine,
            "employee",
            partial(w.client.post, "/v1/imports/employees", content=big, headers=CSV),
        )
        _restart(w.server, w.client)
        log.info("import attempt %d: %d rows, kill landed: %s", attempt, rows, landed)
        employees = w.count("employee")
        if landed and employees == employees_before:
            assert w.count("audit_event") == audit_before
            found = w.client.get("/v1/employees", params={"external_id": f"{prefix}1"})
            assert found.status_code == 200, found.text
            assert found.json()["items"] == []
            return
        # Too late: the import committed before the kill, and then as a whole.
        assert employees == employees_before + rows
        assert w.count("audit_event") > audit_before
        rows *= 2
    pytest.fail(f"the import answered before the kill {ATTEMPTS} times, up to {rows // 2} rows")


def _crash_a_scheduling(w: _World) -> int:
    """A plan scheduling (thousands of enrolments), killed while its transaction writes.
    The number of people it imported to make a later attempt bigger."""
    skills = [s["id"] for s in w.client.get("/v1/skills?limit=200").json()["items"]]
    program = {"title": "Alles-in-een", "audience": "mixed", "skill_ids": skills}
    assert w.client.post("/v1/training-programs", json=program).status_code == 201
    people = 0
    imported = 0
    for attempt in range(ATTEMPTS):
        if attempt:  # as many new people (with needs) as the last plan had: twice the work
            more = _csv(f"P{attempt}-", people, "T-C", "FG-C")
            done = w.client.post("/v1/imports/employees", content=more, headers=CSV)
            assert done.status_code == 200, done.text
            imported += people
        plan = w.client.post(
            "/v1/training-plans",
            json={"scope": {}, "starts_on": (date.today() + timedelta(days=7)).isoformat()},
        ).json()
        start = datetime.now(UTC).replace(microsecond=0) + timedelta(days=14 + 200 * attempt)
        phases = [
            {"phase": p["phase"], "starts_at": (start + timedelta(days=14 * i)).isoformat()}
            for i, p in enumerate(p for p in plan["phases"] if p["groups"])
        ]
        sessions_before = w.count("training_session")
        enrolments_before = w.count("enrolment")
        audit_before = w.count("audit_event")
        landed = _kill_mid(
            w.server,
            w.engine,
            "enrolment",
            partial(
                w.client.post,
                f"/v1/training-plans/{plan['id']}/schedule",
                json={"phases": phases},
            ),
        )
        _restart(w.server, w.client)
        status = w.client.get(f"/v1/training-plans/{plan['id']}").json()["status"]
        people = plan["employee_count"]
        log.info("scheduling attempt %d: %d people, kill landed: %s", attempt, people, landed)
        if landed and status == "proposed":
            assert w.count("training_session") == sessions_before
            assert w.count("enrolment") == enrolments_before
            assert w.count("audit_event") == audit_before
            return imported
        # Too late: the scheduling committed before the kill, and then as a whole.
        assert status == "scheduled"
        assert w.count("training_session") > sessions_before
        assert w.count("enrolment") > enrolments_before
    pytest.fail(f"the scheduling answered before the kill {ATTEMPTS} times, up to {people} people")


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
        world = _World(server, engine, client, org_id)

        # 1. A large import, killed while its transaction writes.
        _crash_an_import(world)
        employees_before = world.count("employee")

        # 2. A plan scheduling (3,000 enrolments), killed while it writes.
        employees_before += _crash_a_scheduling(world)

        # 3. The restarted server serves reads and writes normally.
        assert client.get("/readyz").status_code == 200
        created = client.post("/v1/teams", json={"name": "Na de crash"})
        assert created.status_code == 201, created.text
        assert client.get(f"/v1/teams/{created.json()['id']}").status_code == 200
        assert _count(engine, "employee", org_id) == employees_before
    finally:
        server.kill()
        engine.dispose()
