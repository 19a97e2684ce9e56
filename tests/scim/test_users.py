"""SCIM Users: create, read, filter, replace, patch, delete, as employees."""

from fastapi.testclient import TestClient

from tests.conftest import Tenant
from tests.scim.conftest import ENTERPRISE, PATCH, SCIM, assert_scim_error, user_body


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


def test_a_patch_writing_derived_attributes_still_does_the_rest(
    client: TestClient, scim: dict[str, str]
) -> None:
    # Entra ID's default mapping for a new application writes the enterprise department
    # and manager, which are the team's here (read-only): dropped, in every form it may
    # send them, so that the leaver's `active: false` beside them is not lost.
    uid = client.post("/scim/v2/Users", json=user_body(), headers=scim).json()["id"]
    r = client.patch(
        f"/scim/v2/Users/{uid}",
        json={"schemas": [PATCH], "Operations": [
            {"op": "Replace", "path": "active", "value": "False"},
            {"op": "Replace", "path": f"{ENTERPRISE}:department", "value": "Vertrokken"},
            {"op": "Add", "path": f"{ENTERPRISE}:manager", "value": uid},
            {"op": "Replace", "value": {f"{ENTERPRISE}:department": "x", "name.givenName": "Jo"}},
            {"op": "Replace", "path": ENTERPRISE, "value": {
                "manager": {"value": uid}, "employeeNumber": "P-7"}},
            {"op": "Replace", "value": {ENTERPRISE: {"department": "y"}}},
        ]},
        headers=scim,
    )  # fmt: skip
    assert r.status_code == 200, r.text
    user = r.json()
    assert user["active"] is False and user["name"]["givenName"] == "Jo"
    assert user[ENTERPRISE]["employeeNumber"] == "P-7"
    assert "department" not in user[ENTERPRISE] and "manager" not in user[ENTERPRISE]


def test_an_empty_user_name_is_refused(client: TestClient, scim: dict[str, str]) -> None:
    # Required (RFC 7643 §4.1.1): stored empty, the User would answer its derived name
    # while a filter for that name found nothing.
    uid = client.post("/scim/v2/Users", json=user_body(), headers=scim).json()["id"]
    for blank in ("", "  "):
        op = {"op": "replace", "path": "userName", "value": blank}
        r = client.patch(
            f"/scim/v2/Users/{uid}", headers=scim, json={"schemas": [PATCH], "Operations": [op]}
        )
        assert_scim_error(r, 400, "invalidValue")
        assert_scim_error(client.post("/scim/v2/Users", json=user_body(blank), headers=scim), 400)
    assert client.get(f"/scim/v2/Users/{uid}", headers=scim).json()["userName"] == (
        "jan.berg@example.nl"
    )


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
