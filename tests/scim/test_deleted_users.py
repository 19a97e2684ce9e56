"""A User the provider deletes is gone for SCIM (RFC 7644 §3.6), though the employee is kept
for their training history (issue 22): 404 to every operation, in no list, filter or
Group, no party to a conflict; back only as the same person, by employee number."""

from datetime import date, timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlmodel import Session

from app.core.tenancy import bind_organisation
from app.organisation import service as organisation_service
from tests.conftest import Tenant
from tests.factories.training import make_completion
from tests.imports.conftest import Post
from tests.scim.conftest import ENTERPRISE, PATCH, assert_scim_error, user_body
from tests.training.conftest import World


def _ops(*operations: dict[str, object]) -> dict[str, object]:
    return {"schemas": [PATCH], "Operations": list(operations)}


def _deleted_with_history(
    client: TestClient, scim: dict[str, str], db: Session, world: World
) -> dict[str, Any]:
    """The staff member, with a completion, deleted by the provider: their User as it was."""
    make_completion(db, employee=world.staff, program=world.program)
    db.commit()
    user = f"/scim/v2/Users/{world.staff.id}"
    before: dict[str, Any] = client.get(user, headers=scim).json()
    assert client.delete(user, headers=scim).status_code == 204
    return before


def _completions(client: TestClient, tenant: Tenant, employee_id: object) -> list[str]:
    r = client.get(f"/v1/employees/{employee_id}/training-record", headers=tenant.read)
    return [c["id"] for c in r.json()["completions"]]


def _group_of_a_deleted_member(
    client: TestClient, scim: dict[str, str], db: Session, world: World
) -> str:
    """A new Group of the colleague, with a completion, whom the provider then deleted."""
    r = client.post("/scim/v2/Groups", headers=scim, json={
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
        "displayName": "Nieuw", "members": [{"value": str(world.colleague.id)}],
    })  # fmt: skip
    assert r.status_code == 201, r.text
    make_completion(db, employee=world.colleague, program=world.program)
    db.commit()
    assert client.delete(f"/scim/v2/Users/{world.colleague.id}", headers=scim).status_code == 204
    return f"/scim/v2/Groups/{r.json()['id']}"


def test_a_deleted_user_is_gone_for_the_provider_though_kept(
    client: TestClient, tenant: Tenant, scim: dict[str, str], db: Session, world: World
) -> None:
    before = client.get("/scim/v2/Users", headers=scim).json()["totalResults"]
    user_name = _deleted_with_history(client, scim, db, world)["userName"]
    user = f"/scim/v2/Users/{world.staff.id}"

    assert_scim_error(client.get(user, headers=scim), 404)
    assert_scim_error(client.put(user, headers=scim, json=user_body(user_name)), 404)
    replace = _ops({"op": "replace", "path": "active", "value": True})
    assert_scim_error(client.patch(user, headers=scim, json=replace), 404)
    assert_scim_error(client.delete(user, headers=scim), 404)
    listed = client.get("/scim/v2/Users", headers=scim).json()
    assert listed["totalResults"] == before - 1
    assert str(world.staff.id) not in {u["id"] for u in listed["Resources"]}
    by_name = {"filter": f'userName eq "{user_name}"'}
    assert client.get("/scim/v2/Users", headers=scim, params=by_name).json()["totalResults"] == 0
    # Nor a member of their team's Group, by its members or by a filter, nor one it can
    # take in again.
    group = f"/scim/v2/Groups/{world.team.id}"
    members = {m["value"] for m in client.get(group, headers=scim).json().get("members", [])}
    assert str(world.colleague.id) in members and str(world.staff.id) not in members
    by_member = {"filter": f'members[value eq "{world.staff.id}"]'}
    assert client.get("/scim/v2/Groups", headers=scim, params=by_member).json()["totalResults"] == 0
    add = _ops({"op": "add", "path": "members", "value": [{"value": str(world.staff.id)}]})
    assert_scim_error(client.patch(group, headers=scim, json=add), 400, "invalidValue")
    # /v1 keeps them, deactivated, with their record.
    kept = client.get(f"/v1/employees/{world.staff.id}", headers=tenant.read).json()
    assert kept["active"] is False and len(_completions(client, tenant, world.staff.id)) == 1


def test_the_same_person_created_again_is_the_employee_kept(
    client: TestClient, tenant: Tenant, scim: dict[str, str], db: Session, world: World
) -> None:
    # A rehire: the same employee number, the HR key. Their history comes back with them,
    # and a past end date goes, or the worker's daily pass would deactivate them again.
    client.patch(
        f"/v1/employees/{world.staff.id}",
        json={"ended_on": (date.today() - timedelta(days=3)).isoformat()},
        headers=tenant.admin,
    )
    before = _deleted_with_history(client, scim, db, world)
    body = user_body(before["userName"].upper(), externalId="entra-new-object")
    body[ENTERPRISE] = {"employeeNumber": world.staff.external_id}
    r = client.post("/scim/v2/Users", headers=scim, json=body)
    assert r.status_code == 201, r.text
    assert r.json()["id"] == str(world.staff.id) and r.json()["active"] is True
    assert r.headers["location"].endswith(f"/Users/{world.staff.id}")
    assert len(_completions(client, tenant, world.staff.id)) == 1
    bind_organisation(db, tenant.id)
    assert organisation_service.deactivate_ended(db, today=date.today()) == 0
    # Back, so a second creation of the number is refused like any taken one.
    again = client.post("/scim/v2/Users", headers=scim, json=body)
    assert_scim_error(again, 409, "uniqueness")


def test_someone_else_given_the_deleted_users_name_is_someone_new(
    client: TestClient, tenant: Tenant, scim: dict[str, str], db: Session, world: World
) -> None:
    # The provider gives the address to someone else: a new employee, who inherits no
    # training record (it certifies skills). The deleted one gives the name and the
    # address up, and keeps their history.
    before = _deleted_with_history(client, scim, db, world)
    body = user_body(before["userName"])
    body[ENTERPRISE] = {"employeeNumber": "NEW-999"}
    r = client.post("/scim/v2/Users", headers=scim, json=body)
    assert r.status_code == 201, r.text
    assert r.json()["id"] != str(world.staff.id)
    assert _completions(client, tenant, r.json()["id"]) == []
    kept = client.get(f"/v1/employees/{world.staff.id}", headers=tenant.read).json()
    assert kept["email"] is None and kept["external_id"] == world.staff.external_id
    assert len(_completions(client, tenant, world.staff.id)) == 1
    # Without any employee number it is someone new as well.
    other = _ops({"op": "replace", "path": "userName", "value": "j.berg@example.nl"})
    renamed = client.patch(f"/scim/v2/Users/{r.json()['id']}", headers=scim, json=other)
    assert renamed.status_code == 200, renamed.text


def test_another_user_may_take_the_deleted_users_name(
    client: TestClient, scim: dict[str, str], db: Session, world: World
) -> None:
    user_name = _deleted_with_history(client, scim, db, world)["userName"]
    take = _ops({"op": "replace", "path": "userName", "value": user_name})
    r = client.patch(f"/scim/v2/Users/{world.colleague.id}", headers=scim, json=take)
    assert r.status_code == 200, r.text
    assert r.json()["userName"] == user_name


def test_a_group_emptied_by_the_provider_may_be_deleted(
    client: TestClient, scim: dict[str, str], db: Session, world: World
) -> None:
    # Its deleted member is no member any more, though still of the team for their
    # history: the Group the provider emptied is one it may delete.
    group = _group_of_a_deleted_member(client, scim, db, world)
    assert client.delete(group, headers=scim).status_code == 204


def test_an_erased_employee_is_deleted_too(
    client: TestClient, tenant: Tenant, scim: dict[str, str], db: Session, world: World
) -> None:
    # Erased (AVG) after deactivation: nothing may change them, but the provider's DELETE
    # still takes them out of its lists rather than failing for ever.
    make_completion(db, employee=world.staff, program=world.program)
    db.commit()
    v1 = f"/v1/employees/{world.staff.id}"
    client.patch(v1, json={"active": False}, headers=tenant.admin)
    assert client.post(f"{v1}/erase", headers=tenant.admin).status_code == 200
    user = f"/scim/v2/Users/{world.staff.id}"
    assert client.delete(user, headers=scim).status_code == 204
    assert_scim_error(client.get(user, headers=scim), 404)


def test_back_in_service_through_v1_the_user_is_listed_again(
    client: TestClient, tenant: Tenant, scim: dict[str, str], db: Session, world: World
) -> None:
    _deleted_with_history(client, scim, db, world)
    r = client.patch(f"/v1/employees/{world.staff.id}", json={"active": True}, headers=tenant.admin)
    assert r.status_code == 200, r.text
    back = client.get(f"/scim/v2/Users/{world.staff.id}", headers=scim)
    assert back.status_code == 200 and back.json()["active"] is True


def test_a_deleted_manager_is_no_users_manager(
    client: TestClient, scim: dict[str, str], world: World
) -> None:
    # The manager of a User refers to a User; once the provider deleted the team's manager,
    # that reference would lead to a 404.
    colleague = f"/scim/v2/Users/{world.colleague.id}"
    before = client.get(colleague, headers=scim).json()[ENTERPRISE]["manager"]
    assert before["value"] == str(world.manager.id)
    assert client.delete(f"/scim/v2/Users/{world.manager.id}", headers=scim).status_code == 204
    assert "manager" not in client.get(colleague, headers=scim).json()[ENTERPRISE]


def test_back_in_service_through_an_import_they_are_a_user_again(
    client: TestClient,
    tenant: Tenant,
    scim: dict[str, str],
    db: Session,
    world: World,
    post_import: Post,
) -> None:
    # HR's nightly file lists them again (`actief ja`): a set-based upsert that does not
    # clear the mark, which counts only while they are out of service. In service, they
    # are a User again, and nobody else's User takes their address.
    email = _deleted_with_history(client, scim, db, world)["emails"][0]["value"]
    row = f"{world.staff.external_id};Sanne;Bakker;{email};ja"
    r = post_import("employees", f"Personeelsnummer;Voornaam;Achternaam;E-mail;Actief\n{row}\n")
    assert r.status_code == 200, r.text
    db.expire_all()  # requests share the test's session: the upsert wrote past its rows
    back = client.get(f"/scim/v2/Users/{world.staff.id}", headers=scim)
    assert back.status_code == 200 and back.json()["active"] is True
    body = user_body(email)
    body[ENTERPRISE] = {"employeeNumber": "NEW-1"}
    assert_scim_error(client.post("/scim/v2/Users", headers=scim, json=body), 409, "uniqueness")
    kept = client.get(f"/v1/employees/{world.staff.id}", headers=tenant.read).json()
    assert (kept["active"], kept["email"]) == (True, email)


def test_a_group_emptied_of_an_erased_member_may_be_deleted(
    client: TestClient, tenant: Tenant, scim: dict[str, str], db: Session, world: World
) -> None:
    # Deleted by the provider, then erased (nothing about them may change): still, a
    # Group it emptied is one it may delete. A team identifies nobody.
    group = _group_of_a_deleted_member(client, scim, db, world)
    erased = client.post(f"/v1/employees/{world.colleague.id}/erase", headers=tenant.admin)
    assert erased.status_code == 200, erased.text
    assert client.delete(group, headers=scim).status_code == 204
