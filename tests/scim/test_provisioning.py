"""The documented provisioning sequences of Microsoft Entra ID and Okta, replayed.

Entra ID: learn.microsoft.com, "Tutorial: Develop and plan provisioning for a SCIM
endpoint" (request/response examples: user and group operations). Okta: developer.okta.com,
"SCIM 2.0 protocol reference" (create, retrieve, update with PUT, deactivate with a
path-less replace, group push). Each step's request body is the one those pages show.
"""

from typing import Any

from fastapi.testclient import TestClient
from sqlmodel import Session

from app.core.tenancy import bind_organisation
from tests.changes.test_feed import read_all
from tests.conftest import Tenant
from tests.scim.conftest import ENTERPRISE, GROUP, PATCH, USER

LIST = "urn:ietf:params:scim:api:messages:2.0:ListResponse"


def _ops(*operations: dict[str, Any]) -> dict[str, Any]:
    return {"schemas": [PATCH], "Operations": list(operations)}


def _found(client: TestClient, scim: dict[str, str], path: str, flt: str) -> list[Any]:
    r = client.get(path, params={"filter": flt}, headers=scim)
    assert r.status_code == 200, r.text
    assert r.json()["schemas"] == [LIST]
    resources: list[Any] = r.json()["Resources"]
    assert r.json()["totalResults"] == len(resources)
    return resources


def test_entra_id_sequence(
    client: TestClient, tenant: Tenant, scim: dict[str, str], db: Session
) -> None:
    user_name = "Test_User_dfeef4c5-5681-4387-b016-bdf221e82081"
    # 1. Is the user there? No.
    assert _found(client, scim, "/scim/v2/Users", f'userName eq "{user_name}"') == []
    # 2. Create.
    r = client.post("/scim/v2/Users", headers=scim, json={
        "schemas": [USER, ENTERPRISE],
        "externalId": "0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef",
        "userName": user_name,
        "active": True,
        "emails": [{"primary": True, "type": "work", "value": "Test_User_11bb6a35@testuser.com"}],
        "meta": {"resourceType": "User"},
        "name": {"formatted": "givenName familyName", "familyName": "familyName",
                 "givenName": "givenName"},
        "roles": [],
    })  # fmt: skip
    assert r.status_code == 201, r.text
    uid = r.json()["id"]
    # 3. Found by userName (case-insensitive) and by externalId (case-exact).
    assert [u["id"] for u in _found(client, scim, "/scim/v2/Users",
                                    f'userName eq "{user_name.upper()}"')] == [uid]  # fmt: skip
    found = _found(client, scim, "/scim/v2/Users",
                   'externalId eq "0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef"')  # fmt: skip
    assert [u["id"] for u in found] == [uid]
    # 4. Update attributes: a value-path filter and a sub-attribute path, capitalised ops.
    r = client.patch(f"/scim/v2/Users/{uid}", headers=scim, json=_ops(
        {"op": "Replace", "path": 'emails[type eq "work"].value',
         "value": "updatedEmail@microsoft.com"},
        {"op": "Replace", "path": "name.familyName", "value": "updatedFamilyName"},
    ))  # fmt: skip
    assert r.status_code == 200, r.text
    assert r.json()["emails"][0]["value"] == "updatedemail@microsoft.com"
    assert r.json()["name"]["familyName"] == "updatedFamilyName"
    # 5. Disable, with the string "False" older Entra versions send; 6. enable again.
    r = client.patch(f"/scim/v2/Users/{uid}", headers=scim,
                     json=_ops({"op": "Replace", "path": "active", "value": "False"}))  # fmt: skip
    assert r.status_code == 200 and r.json()["active"] is False, r.text
    emp = client.get(f"/v1/employees/{uid}", headers=tenant.read).json()
    assert emp["active"] is False
    r = client.patch(f"/scim/v2/Users/{uid}", headers=scim,
                     json=_ops({"op": "Replace", "path": "active", "value": "True"}))  # fmt: skip
    assert r.status_code == 200 and r.json()["active"] is True, r.text
    # 7. A group: create, find by name, add the member, remove it by a value array.
    r = client.post("/scim/v2/Groups", headers=scim, json={
        "externalId": "8aa1a0c0-c4c3-4bc0-b4a5-2ef676900159",
        "displayName": "displayName", "meta": {"resourceType": "Group"},
        "schemas": [GROUP],
    })  # fmt: skip
    assert r.status_code == 201, r.text
    gid = r.json()["id"]
    found = _found(client, scim, "/scim/v2/Groups", 'displayName eq "displayName"')
    assert [g["id"] for g in found] == [gid]
    r = client.patch(f"/scim/v2/Groups/{gid}", headers=scim, json=_ops(
        {"op": "Add", "path": "members", "value": [{"$ref": None, "value": uid}]}
    ))  # fmt: skip
    assert r.status_code == 200, r.text
    assert client.get(f"/v1/employees/{uid}", headers=tenant.read).json()["team_id"] == gid
    flt = f'id eq "{gid}" and members[value eq "{uid}"]'
    assert len(_found(client, scim, "/scim/v2/Groups", flt)) == 1
    r = client.patch(f"/scim/v2/Groups/{gid}", headers=scim, json=_ops(
        {"op": "Remove", "path": "members", "value": [{"$ref": None, "value": uid}]}
    ))  # fmt: skip
    assert r.status_code == 200, r.text
    assert "members" not in r.json()
    assert client.get(f"/v1/employees/{uid}", headers=tenant.read).json()["team_id"] is None
    assert _found(client, scim, "/scim/v2/Groups", flt) == []
    # 8. Delete: no history, so the employee goes.
    assert client.delete(f"/scim/v2/Users/{uid}", headers=scim).status_code == 204
    assert client.get(f"/scim/v2/Users/{uid}", headers=scim).status_code == 404
    # Every step is in the change feed, like a write through /v1.
    bind_organisation(db, tenant.id)
    items, _ = read_all(client, tenant)
    types = [i["type"] for i in items if i.get("resource_id") == uid]
    assert types[0] == "employee.created" and types[-1] == "employee.deleted", types
    assert types.count("employee.updated") >= 4, types


def test_okta_sequence(client: TestClient, tenant: Tenant, scim: dict[str, str]) -> None:
    # 1. Is the user there? (Okta pages explicitly.)
    r = client.get("/scim/v2/Users", headers=scim,
                   params={"filter": 'userName eq "test.user@okta.local"', "startIndex": 1,
                           "count": 100})  # fmt: skip
    assert r.status_code == 200 and r.json()["totalResults"] == 0, r.text
    # 2. Create (Okta sends a password and a displayName; neither is kept).
    r = client.post("/scim/v2/Users", headers=scim, json={
        "schemas": [USER], "userName": "test.user@okta.local",
        "name": {"givenName": "Test", "familyName": "User"},
        "emails": [{"primary": True, "value": "test.user@example.com", "type": "work"}],
        "displayName": "Test User", "locale": "en-US", "externalId": "00ujl29u0le5T6Aj10h7",
        "groups": [], "password": "1mz050nq", "active": True,
    })  # fmt: skip
    assert r.status_code == 201, r.text
    user = r.json()
    uid = user["id"]
    assert user["displayName"] == "Test User"
    assert "password" not in user
    # 3. Retrieve and replace (PUT) with a changed name.
    got = client.get(f"/scim/v2/Users/{uid}", headers=scim).json()
    got["name"] = {"givenName": "Another", "middleName": "van", "familyName": "User"}
    r = client.put(f"/scim/v2/Users/{uid}", headers=scim, json=got)
    assert r.status_code == 200, r.text
    assert r.json()["displayName"] == "Another van User"
    # 4. Deactivate with a path-less replace; 5. reactivate.
    for active in (False, True):
        r = client.patch(f"/scim/v2/Users/{uid}", headers=scim,
                         json=_ops({"op": "replace", "value": {"active": active}}))  # fmt: skip
        assert r.status_code == 200 and r.json()["active"] is active, r.text
    # 6. Group push: create, rename with a path-less replace naming the id, add a member,
    # remove it by a filter path, replace the whole group.
    r = client.post(
        "/scim/v2/Groups",
        headers=scim,
        json={"schemas": [GROUP], "displayName": "Test SCIMv2", "members": []},
    )
    assert r.status_code == 201, r.text
    gid = r.json()["id"]
    r = client.patch(f"/scim/v2/Groups/{gid}", headers=scim, json=_ops(
        {"op": "replace", "value": {"id": gid, "displayName": "Test SCIMv2 renamed"}}
    ))  # fmt: skip
    assert r.status_code == 200 and r.json()["displayName"] == "Test SCIMv2 renamed", r.text
    r = client.patch(f"/scim/v2/Groups/{gid}", headers=scim, json=_ops(
        {"op": "add", "path": "members", "value": [{"value": uid, "display": "test.user"}]}
    ))  # fmt: skip
    assert r.status_code == 200 and [m["value"] for m in r.json()["members"]] == [uid], r.text
    r = client.patch(
        f"/scim/v2/Groups/{gid}",
        headers=scim,
        json=_ops({"op": "remove", "path": f'members[value eq "{uid}"]'}),
    )
    assert r.status_code == 200 and "members" not in r.json(), r.text
    r = client.put(f"/scim/v2/Groups/{gid}", headers=scim, json={
        "schemas": [GROUP], "id": gid, "displayName": "Test SCIMv2", "members": [{"value": uid}]
    })  # fmt: skip
    assert r.status_code == 200 and [m["value"] for m in r.json()["members"]] == [uid], r.text
    team = client.get(f"/v1/teams/{gid}", headers=tenant.read).json()
    assert team["name"] == "Test SCIMv2"
