"""SCIM Users: create, read, filter, replace, patch, delete, as employees."""

from fastapi.testclient import TestClient

from tests.conftest import Tenant
from tests.scim.conftest import ENTERPRISE, PATCH, SCIM, user_body


def test_create_and_read_a_user(client: TestClient, tenant: Tenant, scim: dict[str, str]) -> None:
    body = user_body(externalId="entra-1")
    body[ENTERPRISE] = {"employeeNumber": "P-001"}
    r = client.post("/scim/v2/Users", json=body, headers=scim)
    assert r.status_code == 201, r.text
    assert r.headers["content-type"].startswith(SCIM)
    user = r.json()
    assert user["userName"] == "jan.berg@example.nl"
    assert user["displayName"] == "Jan van der Berg"
    assert user["name"]["middleName"] == "van der"
    assert user[ENTERPRISE]["employeeNumber"] == "P-001"
    assert user["meta"]["version"] == r.headers["ETag"]
    assert r.headers["Location"].endswith(f"/scim/v2/Users/{user['id']}")
    # The same person in the REST API: the HR key is the employee number.
    emp = client.get(f"/v1/employees/{user['id']}", headers=tenant.read).json()
    assert (emp["first_name"], emp["name_particle"], emp["last_name"]) == ("Jan", "van der", "Berg")
    assert emp["external_id"] == "P-001"
    assert emp["email"] == "jan.berg@example.nl"
    got = client.get(f"/scim/v2/Users/{user['id']}", headers=scim)
    assert got.status_code == 200 and got.json()["externalId"] == "entra-1"


def test_patch_entra_style(client: TestClient, scim: dict[str, str]) -> None:
    uid = client.post("/scim/v2/Users", json=user_body(), headers=scim).json()["id"]
    r = client.patch(
        f"/scim/v2/Users/{uid}",
        json={"schemas": [PATCH], "Operations": [
            {"op": "Replace", "path": "active", "value": "False"},
            {"op": "Replace", "value": {"name.givenName": "Johan", "displayName": "x"}},
        ]},
        headers=scim,
    )  # fmt: skip
    assert r.status_code == 200, r.text
    assert r.json()["active"] is False
    assert r.json()["name"]["givenName"] == "Johan"


def test_removing_active_keeps_it(client: TestClient, scim: dict[str, str]) -> None:
    uid = client.post("/scim/v2/Users", json=user_body(active=False), headers=scim).json()["id"]
    r = client.patch(
        f"/scim/v2/Users/{uid}",
        headers=scim,
        json={"schemas": [PATCH], "Operations": [{"op": "remove", "path": "active"}]},
    )
    assert r.status_code == 200, r.text
    assert r.json()["active"] is False
    body = user_body()
    del body["active"]
    assert (
        client.post(
            "/scim/v2/Users",
            json=body | {"userName": "x@example.nl", "emails": [{"value": "x@example.nl"}]},
            headers=scim,
        ).json()["active"]
        is True
    )
