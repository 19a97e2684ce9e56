"""A POST that only checks (enrolment check) does not take SQLite's write lock, so checks
never queue behind writers (core/db.py ``dry_run``)."""

import sqlite3
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from tests.conftest import Tenant


def test_a_check_runs_while_another_writer_holds_the_lock(
    live_client: TestClient, live_tenant: Tenant, engine: Engine, is_postgres: bool
) -> None:
    if is_postgres:
        pytest.skip("SQLite's single write lock")
    h = live_tenant.write
    program = live_client.post(
        "/v1/training-programs", headers=h, json={"title": "Basis", "audience": "staff"}
    ).json()
    starts = datetime.now(UTC) + timedelta(days=30)
    session = live_client.post(
        "/v1/training-sessions",
        headers=h,
        json={
            "program_id": program["id"],
            "starts_at": starts.isoformat(),
            "ends_at": (starts + timedelta(hours=4)).isoformat(),
        },
    ).json()
    employee = live_client.post(
        "/v1/employees", headers=h, json={"first_name": "Noor", "last_name": "Bakker"}
    ).json()
    writer = sqlite3.connect(engine.url.database or "", timeout=0.1)
    writer.isolation_level = None
    writer.execute("PRAGMA busy_timeout=100")
    writer.execute("BEGIN IMMEDIATE")
    try:
        r = live_client.post(
            f"/v1/training-sessions/{session['id']}/enrolments/check",
            headers=h,
            json={"employee_id": employee["id"]},
        )
    finally:
        writer.execute("ROLLBACK")
        writer.close()
    assert r.status_code == 200, r.text
