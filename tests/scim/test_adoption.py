"""Employees the identity provider did not make (through /v1 or an import) as SCIM Users:
every User has a userName (RFC 7643 section 4.1.1: required), so an identity provider
that matches its users by userName finds them and takes them over instead of making a
second employee of the same person."""

from typing import Any

from fastapi.testclient import TestClient

from tests.conftest import Tenant
from tests.scim.conftest import PATCH, assert_scim_error, user_body


def _hr_employee(client: TestClient, tenant: Tenant, **fields: Any) -> dict[str, Any]:
    body = {"first_name": "Jan", "name_particle": "van der", "last_name": "Berg", **fields}
    r = client.post("/v1/employees", json=body, headers=tenant.write)
    assert r.status_code == 201, r.text
    return dict(r.json())


def _found(client: TestClient, scim: dict[str, str], filter_: str) -> list[dict[str, Any]]:
    r = client.get("/scim/v2/Users", params={"filter": filter_}, headers=scim)
    assert r.status_code == 200, r.text
    return list(r.json()["Resources"])


def test_an_hr_employee_is_named_by_their_work_email(
    client: TestClient, tenant: Tenant, scim: dict[str, str]
) -> None:
    emp = _hr_employee(client, tenant, external_id="1001", email="jan.berg@example.nl")
    r = client.get(f"/scim/v2/Users/{emp['id']}", headers=scim)
    assert r.status_code == 200, r.text
    assert r.json()["userName"] == "jan.berg@example.nl"
    # Found as an identity provider looks for it: userName, case-insensitively.
    found = _found(client, scim, 'userName eq "Jan.Berg@Example.NL"')
    assert [u["id"] for u in found] == [emp["id"]]


def test_without_an_email_by_their_employee_number_and_else_their_id(
    client: TestClient, tenant: Tenant, scim: dict[str, str]
) -> None:
    numbered = _hr_employee(client, tenant, external_id="1002")
    bare = _hr_employee(client, tenant, first_name="Piet")
    numbered_user = client.get(f"/scim/v2/Users/{numbered['id']}", headers=scim).json()
    bare_user = client.get(f"/scim/v2/Users/{bare['id']}", headers=scim).json()
    assert (numbered_user["userName"], bare_user["userName"]) == ("1002", bare["id"])
    assert [u["id"] for u in _found(client, scim, 'userName eq "1002"')] == [numbered["id"]]


def test_sorted_by_user_name_as_answered(
    client: TestClient, tenant: Tenant, scim: dict[str, str]
) -> None:
    # Made in another order than their names', a stored name among derived ones.
    _hr_employee(client, tenant, external_id="1004", first_name="Piet", email="c@example.nl")
    made = client.post("/scim/v2/Users", json=user_body("a@example.nl"), headers=scim)
    assert made.status_code == 201, made.text
    _hr_employee(client, tenant, external_id="1003", email="b@example.nl")
    names = ["a@example.nl", "b@example.nl", "c@example.nl"]
    for order, expected in (("ascending", names), ("descending", names[::-1])):
        r = client.get(
            "/scim/v2/Users", params={"sortBy": "userName", "sortOrder": order}, headers=scim
        )
        assert [u["userName"] for u in r.json()["Resources"]] == expected


def test_found_by_their_id_as_user_name(
    client: TestClient, tenant: Tenant, scim: dict[str, str]
) -> None:
    bare = _hr_employee(client, tenant)  # no email, no employee number
    assert [u["id"] for u in _found(client, scim, f'userName eq "{bare["id"]}"')] == [bare["id"]]
    assert [u["id"] for u in _found(client, scim, "userName pr")] == [bare["id"]]


def test_a_second_user_of_the_same_name_is_refused(
    client: TestClient, tenant: Tenant, scim: dict[str, str]
) -> None:
    # Named by their employee number (no email): a new user of that name is someone else.
    _hr_employee(client, tenant, external_id="P1005")
    body = user_body("p1005", emails=[{"value": "other@example.nl", "type": "work"}])
    r = client.post("/scim/v2/Users", json=body, headers=scim)
    assert_scim_error(r, 409, "uniqueness")
    assert len(client.get("/v1/employees", headers=tenant.read).json()["items"]) == 1


def test_the_identity_provider_takes_the_employee_over(
    client: TestClient, tenant: Tenant, scim: dict[str, str]
) -> None:
    emp = _hr_employee(client, tenant, external_id="1006", email="jan.berg@example.nl")
    # Entra ID's matching: found by userName, then its own key and name set by PATCH.
    (found,) = _found(client, scim, 'userName eq "jan.berg@example.nl"')
    ops = [
        {"op": "replace", "path": "externalId", "value": "entra-oid-1"},
        {"op": "replace", "path": "userName", "value": "j.berg@example.nl"},
    ]
    r = client.patch(
        f"/scim/v2/Users/{found['id']}",
        json={"schemas": [PATCH], "Operations": ops},
        headers=scim,
    )
    assert r.status_code == 200, r.text
    assert r.json()["userName"] == "j.berg@example.nl"
    assert r.json()["externalId"] == "entra-oid-1"
    # The same employee, with their HR key and history: no second one was made.
    employees = client.get("/v1/employees", headers=tenant.read).json()["items"]
    assert [(e["id"], e["external_id"]) for e in employees] == [(emp["id"], "1006")]


def test_a_derived_name_stays_derived_until_the_provider_gives_its_own(
    client: TestClient, tenant: Tenant, scim: dict[str, str]
) -> None:
    emp = _hr_employee(client, tenant, external_id="1007", email="jan.berg@example.nl")
    # A PATCH writes the whole User back, the derived userName with it.
    ops = [{"op": "replace", "path": "externalId", "value": "entra-oid-7"}]
    r = client.patch(
        f"/scim/v2/Users/{emp['id']}", json={"schemas": [PATCH], "Operations": ops}, headers=scim
    )
    assert r.status_code == 200, r.text
    # Still derived: it follows the email HR gives.
    moved = client.patch(
        f"/v1/employees/{emp['id']}", json={"email": "j.berg@example.nl"}, headers=tenant.write
    )
    assert moved.status_code == 200, moved.text
    user = client.get(f"/scim/v2/Users/{emp['id']}", headers=scim).json()
    assert (user["userName"], user["externalId"]) == ("j.berg@example.nl", "entra-oid-7")


def test_a_user_whose_name_another_derives_can_still_be_changed(
    client: TestClient, tenant: Tenant, scim: dict[str, str]
) -> None:
    # The provider's user x@ has another email; HR later gives x@ to someone else, who
    # then answers the same userName (not refused: /v1 has no userName).
    body = user_body("x@example.nl", emails=[{"value": "jan@example.nl", "type": "work"}])
    provided = client.post("/scim/v2/Users", json=body, headers=scim).json()
    other = _hr_employee(client, tenant, external_id="1008", email="x@example.nl")
    # Neither is held up by the other when its own name does not change.
    deactivate = [{"op": "replace", "path": "active", "value": False}]
    for user_id in (provided["id"], other["id"]):
        r = client.patch(
            f"/scim/v2/Users/{user_id}",
            json={"schemas": [PATCH], "Operations": deactivate},
            headers=scim,
        )
        assert r.status_code == 200, r.text
        assert r.json()["active"] is False
    unchanged = client.get(f"/scim/v2/Users/{provided['id']}", headers=scim).json()
    put = {k: v for k, v in unchanged.items() if k not in ("id", "meta", "groups")}
    r = client.put(f"/scim/v2/Users/{provided['id']}", json=put, headers=scim)
    assert r.status_code == 200, r.text


def test_user_names_sort_without_regard_to_case(
    client: TestClient, tenant: Tenant, scim: dict[str, str]
) -> None:
    # userName is not caseExact: RFC 7644 section 3.4.2.3 sorts it ignoring case.
    for name in ("Bea@example.nl", "anna@example.nl", "Céline@example.nl"):
        r = client.post("/scim/v2/Users", json=user_body(name), headers=scim)
        assert r.status_code == 201, r.text
    r = client.get("/scim/v2/Users", params={"sortBy": "userName"}, headers=scim)
    assert [u["userName"] for u in r.json()["Resources"]] == [
        "anna@example.nl",
        "Bea@example.nl",
        "Céline@example.nl",
    ]
