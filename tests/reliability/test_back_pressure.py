"""Back-pressure, shutdown and several workers, on a real server (issue 14).

Each test controls its own timing by holding a lock in the database: the server's write
then waits inside the database for as long as the test says, whatever the machine's speed.
While it waits it holds the server's only connection slot, so the next request queues,
gets ``503 database-busy`` with ``Retry-After`` after the configured second, and the event
loop stays free throughout (``/healthz`` answers at once).
"""

import os
import signal
import uuid
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
from sqlalchemy import Engine, create_engine, select

from app.organisation.models import Team
from tests.helpers import assert_problem
from tests.reliability.server import Server, create_organisation

pytestmark = pytest.mark.slow
TEAM = Team.__table__  # type: ignore[attr-defined]

ONE_SLOT = {
    "VEERKRACHT_DB_POOL_SIZE": "1",
    "VEERKRACHT_DB_MAX_OVERFLOW": "0",
    "VEERKRACHT_THREADS": "4",
    "VEERKRACHT_DB_ACQUIRE_TIMEOUT_SECONDS": "1",
    # The key is looked up once and remembered, so no request needs the database to
    # authenticate while the test holds its lock.
    "VEERKRACHT_AUTH_CACHE_SECONDS": "600",
}


@contextmanager
def _holding_lock(engine: Engine, team_id: str) -> Iterator[None]:
    """Hold what a PATCH of this team must wait for: its row (PostgreSQL), the write lock
    (SQLite). Released when the block ends."""
    url = engine.url
    if engine.dialect.name == "sqlite":
        holder = create_engine(url, connect_args={"isolation_level": None})
        with holder.connect() as conn:
            conn.exec_driver_sql("BEGIN IMMEDIATE")
            try:
                yield
            finally:
                conn.exec_driver_sql("ROLLBACK")
        holder.dispose()
        return
    holder = create_engine(url)
    with holder.connect() as conn:
        conn.execute(select(TEAM.c.id).where(TEAM.c.id == uuid.UUID(team_id)).with_for_update())
        try:
            yield
        finally:
            conn.rollback()
    holder.dispose()


def _team(http: httpx.Client) -> tuple[str, str]:
    r = http.post("/v1/teams", json={"name": "Wijkteam Noord"})
    assert r.status_code == 201, r.text
    return r.json()["id"], r.headers["ETag"]


def _rename_in_background(
    pool: ThreadPoolExecutor, http: httpx.Client, team_id: str, etag: str, name: str
) -> "Future[httpx.Response]":
    return pool.submit(
        http.patch, f"/v1/teams/{team_id}", json={"name": name}, headers={"If-Match": etag}
    )


def _until_busy(http: httpx.Client, patch: "Future[httpx.Response]") -> httpx.Response:
    # The PATCH takes the slot within moments; until it has, a read gets it and answers 200.
    for _ in range(20):
        r = http.get("/v1/teams")
        if r.status_code != 200 or patch.done():
            return r
    raise AssertionError("no request was ever kept waiting for a connection")


def _start(database_url: str, tmp_path: Path, **env: str) -> tuple[Server, httpx.Client]:
    server = Server(database_url, tmp_path / "server.log", env={**ONE_SLOT, **env}).start()
    key = create_organisation(database_url, f"Stichting Druk {uuid.uuid4().hex[:6]}")
    http = httpx.Client(base_url=server.url, headers={"Authorization": f"Bearer {key}"}, timeout=60)
    return server, http


def test_a_request_that_cannot_get_a_connection_is_answered_503_and_nothing_stalls(
    database_url: str, engine: Engine, tmp_path: Path
) -> None:
    server, http = _start(database_url, tmp_path)
    try:
        team_id, etag = _team(http)
        with ThreadPoolExecutor(1) as pool, _holding_lock(engine, team_id):
            patch = _rename_in_background(pool, http, team_id, etag, "Wijkteam Noord-Oost")
            busy = _until_busy(http, patch)
            assert not patch.done(), patch.result().text
            body = assert_problem(busy, 503, "database-busy")
            assert busy.headers["Retry-After"] == "1"
            assert body["detail"]
            # The event loop is free: what needs no database answers at once.
            assert http.get("/healthz").status_code == 200
        # The lock is gone: the waiting write goes through, and so does everything else.
        assert patch.result().status_code == 200, patch.result().text
        assert http.get(f"/v1/teams/{team_id}").json()["name"] == "Wijkteam Noord-Oost"
        assert http.get("/v1/teams").status_code == 200
    finally:
        http.close()
        server.stop()
    assert server.errors_logged() == []


def test_sigterm_stops_the_server_within_the_grace_period_with_a_request_in_flight(
    database_url: str, engine: Engine, tmp_path: Path
) -> None:
    # Issue 14: with requests stuck in the database the process waited for them for ever.
    server, http = _start(database_url, tmp_path, VEERKRACHT_SHUTDOWN_GRACE_SECONDS="1")
    assert server.proc is not None
    try:
        team_id, etag = _team(http)
        with ThreadPoolExecutor(1) as pool, _holding_lock(engine, team_id):
            patch = _rename_in_background(pool, http, team_id, etag, "Nooit opgeslagen")
            # The PATCH is in the database once a read has to wait for the slot it holds.
            assert_problem(_until_busy(http, patch), 503, "database-busy")
            os.killpg(server.proc.pid, signal.SIGTERM)
            # The lock is held until the server is gone; it must not wait for it. The bound
            # is generous (1 s grace, 2 s for cancelled work) and only matters on failure.
            server.proc.wait(timeout=30)
            # Cut off by the shutdown: told to retry, or the connection closed.
            try:
                assert_problem(patch.result(), 503, "shutting-down")
            except httpx.HTTPError:
                pass
    finally:
        http.close()
        server.kill()
    with engine.connect() as conn:
        name = conn.execute(select(TEAM.c.name).where(TEAM.c.id == uuid.UUID(team_id))).scalar_one()
    assert name == "Wijkteam Noord"  # the interrupted change was never committed


def test_several_workers_serve_one_database(
    database_url: str, engine: Engine, tmp_path: Path
) -> None:
    server = Server(database_url, tmp_path / "server.log", workers=2).start()
    key = create_organisation(database_url, f"Stichting Twee {uuid.uuid4().hex[:6]}")
    try:
        with (
            httpx.Client(
                base_url=server.url, headers={"Authorization": f"Bearer {key}"}, timeout=60
            ) as http,
            ThreadPoolExecutor(8) as pool,
        ):
            created = list(
                pool.map(lambda n: http.post("/v1/teams", json={"name": f"Team {n}"}), range(40))
            )
            assert [r.status_code for r in created] == [201] * 40
            for r in created:
                assert http.get(f"/v1/teams/{r.json()['id']}").status_code == 200
        pids = _worker_pids(server)
        assert len(pids) >= 2, pids
    finally:
        server.stop()
    assert server.errors_logged() == []


def _worker_pids(server: Server) -> set[int]:
    # The supervisor's children in its process group: uvicorn's worker processes.
    assert server.proc is not None
    children = Path(f"/proc/{server.proc.pid}/task/{server.proc.pid}/children")
    return {int(p) for p in children.read_text().split()} if children.exists() else set()
