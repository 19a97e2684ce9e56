"""SCIM writes follow the same rules, audit trail and change feed as /v1 (issue 22, 7)."""

from fastapi.testclient import TestClient
from sqlmodel import Session, col, select

from app.audit.models import AuditAction, AuditEvent
from app.core.tenancy import bind_organisation
from app.organisation.models import Employee, Team
from app.training.models import Enrolment, EnrolmentStatus
from tests.conftest import Tenant
from tests.factories.training import make_completion, make_enrolment
from tests.scim.conftest import EMPLOYEE, ENTERPRISE, PATCH, assert_scim_error, user_body
from tests.training.conftest import World


def _ops(*operations: dict[str, object]) -> dict[str, object]:
    return {"schemas": [PATCH], "Operations": list(operations)}


def test_active_false_cancels_enrolments_like_the_rest_api(
    client: TestClient, tenant: Tenant, scim: dict[str, str], db: Session, world: World
) -> None:
    coming = make_enrolment(db, training_session=world.staff_session, employee=world.staff)
    db.commit()
    r = client.patch(f"/scim/v2/Users/{world.staff.id}", headers=scim,
                     json=_ops({"op": "replace", "path": "active", "value": False}))  # fmt: skip
    assert r.status_code == 200, r.text
    bind_organisation(db, tenant.id)
    db.expire_all()
    assert db.get(Enrolment, coming.id).status == EnrolmentStatus.cancelled  # type: ignore[union-attr]
    # Audited as the scim key's write.
    events = db.exec(select(AuditEvent).where(col(AuditEvent.resource_id) == coming.id)
                     .order_by(col(AuditEvent.id))).all()  # fmt: skip
    assert events[-1].action == AuditAction.update and events[-1].api_key_id is not None


def test_delete_of_someone_with_history_deactivates(
    client: TestClient, tenant: Tenant, scim: dict[str, str], db: Session, world: World
) -> None:
    completion = make_completion(db, employee=world.staff, program=world.program)
    coming = make_enrolment(db, training_session=world.staff_session, employee=world.colleague)
    db.commit()
    for emp in (world.staff, world.colleague):
        assert client.delete(f"/scim/v2/Users/{emp.id}", headers=scim).status_code == 204
    bind_organisation(db, tenant.id)
    db.expire_all()
    for emp in (world.staff, world.colleague):
        kept = db.get(Employee, emp.id)
        assert kept is not None and kept.active is False
    assert db.get(Enrolment, coming.id).status == EnrolmentStatus.cancelled  # type: ignore[union-attr]
    r = client.get(f"/v1/employees/{world.staff.id}/training-record", headers=tenant.read)
    assert [c["id"] for c in r.json()["completions"]] == [str(completion.id)]
    assert client.get(f"/v1/employees/{world.staff.id}", headers=tenant.read).status_code == 200


def test_a_team_manager_keeps_a_manager_role(
    client: TestClient, scim: dict[str, str], world: World
) -> None:
    r = client.patch(f"/scim/v2/Users/{world.manager.id}", headers=scim, json=_ops(
        {"op": "replace", "path": f"{EMPLOYEE}:role", "value": "employee"}
    ))  # fmt: skip
    body = assert_scim_error(r, 409)
    assert "still manages" in body["detail"]


def test_function_group_role_and_employee_number(
    client: TestClient, tenant: Tenant, scim: dict[str, str], world: World
) -> None:
    body = user_body()
    body[EMPLOYEE] = {"functionGroup": "ambulante BEGELEIDING", "role": "team_manager"}
    body[ENTERPRISE] = {"employeeNumber": "4711", "department": "ignored (read-only)"}
    r = client.post("/scim/v2/Users", json=body, headers=scim)
    assert r.status_code == 201, r.text
    emp = client.get(f"/v1/employees/{r.json()['id']}", headers=tenant.read).json()
    assert (emp["function_group_id"], emp["role"], emp["external_id"], emp["team_id"]) == (
        str(world.fg.id), "team_manager", "4711", None)  # fmt: skip
    staff = client.get(f"/scim/v2/Users/{world.staff.id}", headers=scim).json()
    assert staff[ENTERPRISE]["department"] == "Ambulant West"
    assert staff[ENTERPRISE]["manager"]["value"] == str(world.manager.id)
    assert staff["groups"][0]["value"] == str(world.team.id)


def test_if_match(client: TestClient, scim: dict[str, str]) -> None:
    r = client.post("/scim/v2/Users", json=user_body(), headers=scim)
    uid, etag = r.json()["id"], r.headers["ETag"]
    stale = {**scim, "If-Match": '"0123456789abcdef01234567"'}
    patch = _ops({"op": "replace", "path": "active", "value": False})
    assert_scim_error(client.patch(f"/scim/v2/Users/{uid}", json=patch, headers=stale), 412)
    assert_scim_error(client.delete(f"/scim/v2/Users/{uid}", headers=stale), 412)
    assert client.get(f"/scim/v2/Users/{uid}", headers=scim).json()["active"] is True
    r = client.patch(f"/scim/v2/Users/{uid}", json=patch, headers={**scim, "If-Match": etag})
    assert r.status_code == 200 and r.headers["ETag"] != etag
    assert r.json()["meta"]["version"] == r.headers["ETag"]


def test_groups_keep_their_managers(
    client: TestClient, tenant: Tenant, scim: dict[str, str], db: Session, world: World
) -> None:
    gid = str(world.team.id)
    r = client.put(f"/scim/v2/Groups/{gid}", headers=scim, json={
        "displayName": "Ambulant West", "members": [{"value": str(world.staff.id)}]})  # fmt: skip
    assert r.status_code == 200, r.text
    team = client.get(f"/v1/teams/{gid}", headers=tenant.read).json()
    assert team["manager_ids"] == [str(world.manager.id)]
    bind_organisation(db, tenant.id)
    db.expire_all()
    members = db.exec(select(Employee.id).where(col(Employee.team_id) == world.team.id)).all()
    assert list(members) == [world.staff.id]  # the colleague and the manager left the team
    # A member that does not exist: nothing changes.
    r = client.patch(f"/scim/v2/Groups/{gid}", headers=scim, json=_ops(
        {"op": "add", "path": "members", "value": [{"value": str(world.colleague.id)},
                                                   {"value": str(world.team.id)}]}))  # fmt: skip
    assert_scim_error(r, 400, "invalidValue")
    db.expire_all()
    assert db.get(Employee, world.colleague.id).team_id is None  # type: ignore[union-attr]


def test_a_groups_version_changes_with_its_members(
    client: TestClient, scim: dict[str, str]
) -> None:
    # RFC 7644 3.14: a PUT with the version read before a member was added is 412, not a
    # silent removal of that member.
    uid = client.post("/scim/v2/Users", json=user_body(), headers=scim).json()["id"]
    created = client.post("/scim/v2/Groups", headers=scim, json={"displayName": "Oost"})
    gid, before = created.json()["id"], created.headers["ETag"]
    added = client.patch(f"/scim/v2/Groups/{gid}", headers=scim, json=_ops(
        {"op": "add", "path": "members", "value": [{"value": uid}]}))  # fmt: skip
    assert added.status_code == 200, added.text
    assert added.headers["ETag"] != before
    assert added.json()["meta"]["version"] == added.headers["ETag"]
    stale = client.put(f"/scim/v2/Groups/{gid}", headers={**scim, "If-Match": before},
                       json={"displayName": "Oost-2"})  # fmt: skip
    assert_scim_error(stale, 412)
    removed = client.patch(f"/scim/v2/Groups/{gid}", headers=scim, json=_ops(
        {"op": "remove", "path": f'members[value eq "{uid}"]'}))  # fmt: skip
    assert removed.status_code == 200, removed.text
    assert removed.headers["ETag"] != added.headers["ETag"]


def test_deleting_a_group_moves_its_members_out(
    client: TestClient, tenant: Tenant, scim: dict[str, str], db: Session
) -> None:
    uid = client.post("/scim/v2/Users", json=user_body(), headers=scim).json()["id"]
    r = client.post("/scim/v2/Groups", headers=scim,
                    json={"displayName": "Tijdelijk", "members": [{"value": uid}]})  # fmt: skip
    gid = r.json()["id"]
    assert client.delete(f"/scim/v2/Groups/{gid}", headers=scim).status_code == 204
    assert_scim_error(client.get(f"/scim/v2/Groups/{gid}", headers=scim), 404)
    assert client.get(f"/v1/employees/{uid}", headers=tenant.read).json()["team_id"] is None
    bind_organisation(db, tenant.id)
    assert db.exec(select(Team).where(col(Team.name) == "Tijdelijk")).first() is None


def test_one_write_one_audit_event(
    client: TestClient, tenant: Tenant, scim: dict[str, str]
) -> None:
    uid = client.post("/scim/v2/Users", json=user_body(externalId="e-1"), headers=scim).json()["id"]
    change = {"externalId": "e-2", "name.familyName": "Bergen"}
    r = client.patch(f"/scim/v2/Users/{uid}", headers=scim,
                     json=_ops({"op": "replace", "value": change}))  # fmt: skip
    assert r.status_code == 200, r.text
    r = client.get("/v1/audit-events", params={"resource_id": uid}, headers=tenant.admin)
    events = [(e["action"], sorted(e["changed_fields"] or [])) for e in r.json()["items"]]
    assert sorted(events) == [
        ("create", ["active", "email", "first_name", "last_name", "name_particle", "role",
                    "scim_external_id", "user_name"]),
        ("update", ["last_name", "scim_external_id"]),
    ], events  # fmt: skip
    assert all(e["api_key_id"] for e in r.json()["items"])
