"""Concurrent writers of one row take turns: If-Match protects against lost updates and a
replaced child list never collides (PostgreSQL; SQLite serialises writers anyway)."""

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from app.core import engine as core_engine
from app.core.tenancy import bind_organisation
from app.organisation import service as organisation_service
from tests.conftest import Tenant


def test_one_etag_wins_exactly_once(
    live_client: TestClient, live_tenant: Tenant, is_postgres: bool
) -> None:
    if not is_postgres:
        pytest.skip("concurrent writers need PostgreSQL")
    team = live_client.post("/v1/teams", headers=live_tenant.write, json={"name": "Team"})
    assert team.status_code == 201, team.text
    url, etag = f"/v1/teams/{team.json()['id']}", team.headers["ETag"]

    def rename(i: int) -> int:
        headers = {**live_tenant.write, "If-Match": etag}
        return live_client.patch(url, headers=headers, json={"name": f"Team {i}"}).status_code

    with ThreadPoolExecutor(8) as pool:
        statuses = list(pool.map(rename, range(8)))
    assert sorted(statuses) == [200] + [412] * 7, statuses


def test_concurrent_manager_lists_do_not_collide(
    live_client: TestClient, live_tenant: Tenant, is_postgres: bool
) -> None:
    if not is_postgres:
        pytest.skip("concurrent writers need PostgreSQL")
    manager = live_client.post(
        "/v1/employees",
        headers=live_tenant.write,
        json={"first_name": "Sjoerd", "last_name": "Hoekstra", "role": "team_manager"},
    ).json()
    team = live_client.post("/v1/teams", headers=live_tenant.write, json={"name": "T"}).json()

    def set_managers(_: int) -> int:
        return live_client.patch(
            f"/v1/teams/{team['id']}",
            headers=live_tenant.write,
            json={"manager_ids": [manager["id"]]},
        ).status_code

    with ThreadPoolExecutor(8) as pool:
        statuses = list(pool.map(set_managers, range(8)))
    assert statuses == [200] * 8, statuses


def test_organisation_settings_writers_take_turns(
    engine: Engine, live_client: TestClient, live_tenant: Tenant, is_postgres: bool
) -> None:
    # PATCH /v1/organisation checks If-Match against the row it locks: a writer that read
    # the version before another's change commits waits, then sees the change (412)
    # instead of merging its settings into a stale copy.
    if not is_postgres:
        pytest.skip("concurrent writers need PostgreSQL")
    etag = live_client.get("/v1/organisation", headers=live_tenant.read).headers["ETag"]
    first = core_engine.new_session(engine)
    bind_organisation(first, live_tenant.id)
    try:
        org = organisation_service.lock_organisation(first)
        org.name = "Eerst"
        first.flush()
        with ThreadPoolExecutor(1) as pool:
            second = pool.submit(
                live_client.patch,
                "/v1/organisation",
                headers={**live_tenant.admin, "If-Match": etag},
                json={"name": "Tweede"},
            )
            waiting = sa.text(
                "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                "AND datname = current_database() AND query ILIKE '%organisation%'"
            )
            with engine.connect() as watch:
                for _ in range(3000):  # until the PATCH waits on the row (or has answered)
                    if second.done() or watch.execute(waiting).scalar_one():
                        break
                    threading.Event().wait(0.01)
            first.commit()
            answer = second.result(timeout=30)
    finally:
        first.close()
    assert answer.status_code == 412, answer.text
    assert live_client.get("/v1/organisation", headers=live_tenant.read).json()["name"] == "Eerst"
