"""Concurrent writers of one row take turns: If-Match protects against lost updates and a
replaced child list never collides (PostgreSQL; SQLite serialises writers anyway)."""

from concurrent.futures import ThreadPoolExecutor

import pytest
from fastapi.testclient import TestClient

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
