"""The change feed: every create, update and delete, in the same transaction (issue 17)."""

import uuid
from typing import Any

from fastapi.testclient import TestClient

from tests.conftest import Tenant
from tests.helpers import assert_problem


def read_all(
    client: TestClient, tenant: Tenant, *, as_admin: bool = False, **params: Any
) -> tuple[list[dict[str, Any]], str]:
    """Every visible event (all pages) and the cursor to resume from; ``as_admin`` with the
    admin scope, which also sees users, API keys and identity providers."""
    items: list[dict[str, Any]] = []
    cursor = params.pop("after", None)
    while True:
        query = {**params, **({"after": cursor} if cursor else {})}
        headers = tenant.admin if as_admin else tenant.read
        r = client.get("/v1/changes", headers=headers, params=query)
        assert r.status_code == 200, r.text
        page = r.json()
        items += page["items"]
        cursor = page["next_cursor"]
        if not page["has_more"]:
            return items, cursor


def of(items: list[dict[str, Any]], resource_id: str) -> list[str]:
    return [e["type"] for e in items if e["resource_id"] == resource_id]


def test_create_update_delete_are_announced_with_state_and_tombstone(
    client: TestClient, tenant: Tenant
) -> None:
    _, start = read_all(client, tenant)
    r = client.post(
        "/v1/teams", headers=tenant.write, json={"name": "Crisisdienst", "external_id": "T-1"}
    )
    assert r.status_code == 201, r.text
    team_id = r.json()["id"]
    assert (
        client.patch(
            f"/v1/teams/{team_id}", headers=tenant.write, json={"name": "Crisis"}
        ).status_code
        == 200
    )
    assert client.delete(f"/v1/teams/{team_id}", headers=tenant.admin).status_code == 204

    items, _ = read_all(client, tenant, after=start)
    created, updated, deleted = [e for e in items if e["resource_id"] == team_id]
    assert created["type"] == "team.created" and created["data"]["name"] == "Crisisdienst"
    assert created["external_id"] == "T-1"
    assert updated["type"] == "team.updated" and updated["data"]["name"] == "Crisis"
    assert deleted["type"] == "team.deleted" and deleted["deleted"] is True
    assert deleted["data"] is None
    assert deleted["external_id"] == "T-1"  # a tombstone names the HR platform's key
    assert "organisation_id" not in created["data"]


def test_a_failed_write_announces_nothing(client: TestClient, tenant: Tenant) -> None:
    body = {"first_name": "Sanne", "last_name": "Bakker", "email": "s@example.nl"}
    assert client.post("/v1/employees", headers=tenant.write, json=body).status_code == 201
    _, cursor = read_all(client, tenant)
    assert_problem(client.post("/v1/employees", headers=tenant.write, json=body), 409)
    items, _ = read_all(client, tenant, after=cursor)
    assert items == []


def test_the_cursor_resumes_without_repeats(client: TestClient, tenant: Tenant) -> None:
    _, start = read_all(client, tenant)
    ids = [
        client.post("/v1/teams", headers=tenant.write, json={"name": f"T{i}"}).json()["id"]
        for i in range(5)
    ]
    items, _ = read_all(client, tenant, after=start, limit=2)
    assert [e["resource_id"] for e in items] == ids
    assert len({e["id"] for e in items}) == 5


def test_types_filter_by_event_or_resource_type(client: TestClient, tenant: Tenant) -> None:
    _, start = read_all(client, tenant)
    team_id = client.post("/v1/teams", headers=tenant.write, json={"name": "T"}).json()["id"]
    client.patch(f"/v1/teams/{team_id}", headers=tenant.write, json={"name": "U"})
    body = {"first_name": "A", "last_name": "B"}
    client.post("/v1/employees", headers=tenant.write, json=body)
    items, _ = read_all(client, tenant, after=start, types="team.updated")
    assert [e["type"] for e in items] == ["team.updated"]
    items, _ = read_all(client, tenant, after=start, types="employee")
    assert [e["type"] for e in items] == ["employee.created"]


def test_another_organisations_changes_are_invisible(
    client: TestClient, tenant: Tenant, other_tenant: Tenant
) -> None:
    team_id = client.post("/v1/teams", headers=other_tenant.write, json={"name": "T"}).json()["id"]
    items, _ = read_all(client, tenant)
    assert of(items, team_id) == []
    items, _ = read_all(client, other_tenant)
    assert of(items, team_id) == ["team.created"]


def test_a_malformed_cursor_is_a_problem(client: TestClient, tenant: Tenant) -> None:
    r = client.get("/v1/changes", headers=tenant.read, params={"after": "nonsense!"})
    assert_problem(r, 422, "invalid-cursor")


def test_needs_a_key(client: TestClient) -> None:
    assert_problem(client.get("/v1/changes"), 401)


def test_unused(tenant: Tenant) -> None:
    assert uuid.UUID(str(tenant.id))


def test_admin_only_resources_are_in_the_feed_for_the_admin_scope_only(
    client: TestClient, tenant: Tenant
) -> None:
    # Users, API keys and identity providers answer a read key 403 on their own routes;
    # the feed must not show it their state (emails, roles, key names, role mappings).
    _, start = read_all(client, tenant)
    key = client.post("/v1/api-keys", headers=tenant.admin, json={"name": "sync"}).json()
    team = client.post("/v1/teams", headers=tenant.write, json={"name": "T"}).json()

    def feed(headers: dict[str, str]) -> list[tuple[str, str]]:
        r = client.get("/v1/changes", headers=headers, params={"after": start})
        assert r.status_code == 200, r.text
        return [(e["type"], e["resource_id"]) for e in r.json()["items"]]

    assert feed(tenant.read) == feed(tenant.write) == [("team.created", team["id"])]
    # (The fixture's own keys, made on first use, are announced to the admin too.)
    assert {("api_key.created", key["id"]), ("team.created", team["id"])} <= set(feed(tenant.admin))
    r = client.get("/v1/changes", headers=tenant.read, params={"after": start, "types": "api_key"})
    assert r.json()["items"] == []
