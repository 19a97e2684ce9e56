"""Addressing by the HR platform's key (issue 19): by-external-id routes, filters, 409s."""

from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient

from tests.conftest import Tenant
from tests.helpers import assert_problem, built_app, set_clock

FG = {"name": "Ambulant", "likelihood": 4, "impact": 3}


def test_put_upserts_an_employee_by_external_id(client: TestClient, tenant: Tenant) -> None:
    url = "/v1/by-external-id/employees/100231"
    body = {"first_name": "Mirjam", "last_name": "Berg", "email": "m@welzijn.nl"}
    created = client.put(url, json=body, headers=tenant.write)
    assert created.status_code == 201, created.text
    emp = created.json()
    assert emp["external_id"] == "100231"
    assert created.headers["Location"] == f"/v1/employees/{emp['id']}"
    # Again: a replacement (200), the same employee; omitted fields take their defaults.
    replaced = client.put(
        url,
        json={"first_name": "Mirjam", "last_name": "van den Berg"},
        headers={**tenant.write, "If-Match": created.headers["ETag"]},
    )
    assert replaced.status_code == 200, replaced.text
    assert replaced.json()["id"] == emp["id"]
    assert (replaced.json()["last_name"], replaced.json()["email"]) == ("van den Berg", None)
    # A stale If-Match is refused.
    stale = client.put(
        url, json=body, headers={**tenant.write, "If-Match": created.headers["ETag"]}
    )
    assert_problem(stale, 412)
    got = client.get(url, headers=tenant.read)
    assert got.status_code == 200 and got.json()["id"] == emp["id"]
    assert got.headers["ETag"] == replaced.headers["ETag"]
    patched = client.patch(url, json={"email": "mvdb@welzijn.nl"}, headers=tenant.write)
    assert patched.status_code == 200 and patched.json()["email"] == "mvdb@welzijn.nl"
    # The key is the path's: a body naming one (another, the same, or none) is refused,
    # by PUT and PATCH alike, and the schemas of these bodies have no such field.
    for key in ("999", "100231", None):
        for send in (client.put, client.patch):
            r = send(url, json={**body, "external_id": key}, headers=tenant.write)
            assert_problem(r, 422)
    assert client.get(url, headers=tenant.read).json()["external_id"] == "100231"
    schemas = built_app().openapi()["components"]["schemas"]
    for name in ("EmployeeCreateByExternalId", "EmployeeUpdateByExternalId"):
        assert "external_id" not in schemas[name]["properties"], name
        assert schemas[name]["additionalProperties"] is False


def test_an_unknown_external_id_is_404_and_another_organisations_too(
    client: TestClient, tenant: Tenant, other_tenant: Tenant
) -> None:
    assert_problem(client.get("/v1/by-external-id/teams/T-1", headers=tenant.read), 404)
    r = client.put("/v1/by-external-id/teams/T-1", json={"name": "Noord"}, headers=tenant.write)
    assert r.status_code == 201
    assert_problem(client.get("/v1/by-external-id/teams/T-1", headers=other_tenant.read), 404)
    assert_problem(
        client.patch(
            "/v1/by-external-id/teams/T-1", json={"name": "x"}, headers=other_tenant.write
        ),
        404,
    )
    # The other organisation's PUT makes its own team; the first one's is untouched.
    mine = client.put(
        "/v1/by-external-id/teams/T-1", json={"name": "Zuid"}, headers=other_tenant.write
    )
    assert mine.status_code == 201 and mine.json()["id"] != r.json()["id"]
    assert client.get("/v1/by-external-id/teams/T-1", headers=tenant.read).json()["name"] == "Noord"


def test_function_groups_by_external_id(client: TestClient, tenant: Tenant) -> None:
    url = "/v1/by-external-id/function-groups/FG-AB"
    assert client.put(url, json=FG, headers=tenant.write).status_code == 201
    r = client.put(url, json={**FG, "impact": 5}, headers=tenant.write)
    assert r.status_code == 200 and r.json()["exposure_score"] == 20
    r = client.patch(url, json={"likelihood": 1}, headers=tenant.write)
    assert r.status_code == 200 and r.json()["exposure_score"] == 5
    assert client.get(url, headers=tenant.read).json()["external_id"] == "FG-AB"


def test_employees_are_listed_by_the_teams_external_id(client: TestClient, tenant: Tenant) -> None:
    team = client.put("/v1/by-external-id/teams/T-N", json={"name": "N"}, headers=tenant.write)
    client.put("/v1/by-external-id/teams/T-Z", json={"name": "Z"}, headers=tenant.write)
    for ext, team_id in (("1", team.json()["id"]), ("2", None)):
        client.put(
            f"/v1/by-external-id/employees/{ext}",
            json={"first_name": "A", "last_name": ext, "team_id": team_id},
            headers=tenant.write,
        )
    r = client.get("/v1/employees?team_external_id=T-N", headers=tenant.read)
    assert [e["external_id"] for e in r.json()["items"]] == ["1"]
    r = client.get("/v1/employees?team_external_id=T-Z", headers=tenant.read)
    assert r.json()["items"] == []


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        (
            "/v1/employees",
            {"first_name": "A", "last_name": "B", "external_id": "E1"},
            "external_id",
        ),
        ("/v1/employees", {"first_name": "A", "last_name": "B", "email": "a@b.nl"}, "email"),
        ("/v1/teams", {"name": "N", "external_id": "T1"}, "external_id"),
        ("/v1/function-groups", {**FG, "external_id": "F1"}, "external_id"),
    ],
)
def test_already_exists_names_the_existing_resource(
    client: TestClient, tenant: Tenant, path: str, body: dict[str, object], field: str
) -> None:
    first = client.post(path, json=body, headers=tenant.write)
    assert first.status_code == 201, first.text
    second_body = (
        {**body, "email": "c@d.nl"} if field == "external_id" and "email" in body else body
    )
    problem = assert_problem(client.post(path, json=second_body, headers=tenant.write), 409)
    assert problem["code"] == "already-exists"
    existing_id = first.json()["id"]
    assert problem["existing"] == {"id": existing_id, "url": f"{path}/{existing_id}"}
    assert problem["errors"][0]["pointer"] == f"/{field}"
    # Changing another resource to the taken value: the same answer.
    other = {**body, "external_id": "other", **({"email": "e@f.nl"} if "email" in body else {})}
    made = client.post(path, json=other, headers=tenant.write).json()
    clash = client.patch(f"{path}/{made['id']}", json={field: body[field]}, headers=tenant.write)
    assert assert_problem(clash, 409, "already-exists")["existing"]["id"] == existing_id


def test_an_end_date_today_deactivates_at_once(
    client: TestClient, tenant: Tenant, monkeypatch: pytest.MonkeyPatch
) -> None:
    set_clock(monkeypatch, datetime(2026, 3, 2, 9, 0, tzinfo=UTC))
    url = "/v1/by-external-id/employees/7"
    r = client.put(url, json={"first_name": "A", "last_name": "B"}, headers=tenant.write)
    assert r.json()["active"] is True
    later = client.patch(url, json={"ended_on": "2026-03-20"}, headers=tenant.write)
    assert later.json()["active"] is True
    now = client.patch(url, json={"ended_on": "2026-03-02"}, headers=tenant.write)
    assert (now.json()["active"], now.json()["ended_on"]) == (False, "2026-03-02")


def test_an_unchanged_team_put_is_no_new_version_and_no_event(
    client: TestClient, tenant: Tenant
) -> None:
    # An HR platform's nightly sync PUTs every team as it is: the same managers again must
    # keep the ETag its clients hold and announce nothing to the feed or webhooks.
    manager = client.post(
        "/v1/employees",
        json={"first_name": "Marieke", "last_name": "Dijk", "role": "team_manager"},
        headers=tenant.write,
    ).json()
    url = "/v1/by-external-id/teams/T-1"
    body = {"name": "Noord", "manager_ids": [manager["id"]]}
    created = client.put(url, json=body, headers=tenant.write)
    assert created.status_code == 201, created.text
    feed = client.get("/v1/changes", headers=tenant.read, params={"types": "team"}).json()
    for send in (client.put, client.patch):
        again = send(url, json=body, headers=tenant.write)
        assert again.status_code == 200, again.text
        assert again.headers["ETag"] == created.headers["ETag"]
    later = client.get(
        "/v1/changes", headers=tenant.read, params={"types": "team", "after": feed["next_cursor"]}
    ).json()
    assert later["items"] == []
    # Another manager list is a new version.
    changed = client.patch(url, json={"manager_ids": []}, headers=tenant.write)
    assert changed.status_code == 200 and changed.headers["ETag"] != created.headers["ETag"]
    assert changed.json()["manager_ids"] == []
