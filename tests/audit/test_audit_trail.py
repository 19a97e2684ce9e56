"""The audit trail: every write records who, what and when, in the same transaction."""

import uuid
from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient
from sqlalchemy import func, insert
from sqlmodel import Session, col, select

from app.audit import trail
from app.audit.models import AuditAction, AuditEvent
from app.core.ids import uuid7
from app.core.models import utcnow
from app.core.tenancy import bind_organisation
from app.organisation.models import Team
from tests.audit.conftest import key_id
from tests.conftest import Tenant
from tests.factories.core import make_employee
from tests.helpers import assert_problem


def _events(db: Session, resource_id: uuid.UUID | str) -> list[AuditEvent]:
    rid = uuid.UUID(str(resource_id))
    stmt = select(AuditEvent).where(AuditEvent.resource_id == rid).order_by(col(AuditEvent.id))
    return list(db.exec(stmt).all())


def test_create_update_delete_are_recorded_with_key_and_field_names(
    client: TestClient, db: Session, tenant: Tenant
) -> None:
    r = client.post("/v1/teams", headers=tenant.write, json={"name": "Crisisdienst"})
    assert r.status_code == 201, r.text
    team_id = r.json()["id"]
    r = client.patch(f"/v1/teams/{team_id}", headers=tenant.write, json={"name": "Crisis"})
    assert r.status_code == 200, r.text
    assert client.delete(f"/v1/teams/{team_id}", headers=tenant.admin).status_code == 204

    bind_organisation(db, tenant.id)
    created, updated, deleted = _events(db, team_id)
    write_key, admin_key = key_id(db, tenant.write_key), key_id(db, tenant.admin_key)
    assert (created.action, created.api_key_id) == (AuditAction.create, write_key)
    assert created.resource_type == "team"
    assert created.changed_fields == ["name"]
    assert created.request_id
    assert (updated.action, updated.changed_fields) == (AuditAction.update, ["name"])
    assert (deleted.action, deleted.api_key_id) == (AuditAction.delete, admin_key)
    assert created.organisation_id == tenant.id


def test_an_unchanged_update_records_nothing(
    client: TestClient, db: Session, tenant: Tenant
) -> None:
    team_id = client.post("/v1/teams", headers=tenant.write, json={"name": "A"}).json()["id"]
    client.patch(f"/v1/teams/{team_id}", headers=tenant.write, json={"name": "A"})
    bind_organisation(db, tenant.id)
    assert [e.action for e in _events(db, team_id)] == [AuditAction.create]


def test_a_failed_write_leaves_no_event(client: TestClient, db: Session, tenant: Tenant) -> None:
    body = {"first_name": "Sanne", "last_name": "Bakker", "email": "s@example.nl"}
    assert client.post("/v1/employees", headers=tenant.write, json=body).status_code == 201
    before = db.exec(select(func.count()).select_from(AuditEvent)).one()
    r = client.post("/v1/employees", headers=tenant.write, json=body)
    assert_problem(r, 409)
    assert db.exec(select(func.count()).select_from(AuditEvent)).one() == before


def test_event_and_change_share_one_transaction(db: Session, tenant: Tenant) -> None:
    bind_organisation(db, tenant.id)
    savepoint = db.begin_nested()
    team = Team(name="Weg ermee")
    db.add(team)
    db.flush()
    assert [e.action for e in _events(db, team.id)] == [AuditAction.create]
    savepoint.rollback()
    assert _events(db, team.id) == []


def test_link_rows_count_as_a_change_of_their_owner(
    client: TestClient, db: Session, tenant: Tenant
) -> None:
    from app.organisation.models import Role

    manager = make_employee(db, role=Role.team_manager)
    r = client.post(
        "/v1/teams", headers=tenant.write, json={"name": "B", "manager_ids": [str(manager.id)]}
    )
    assert r.status_code == 201, r.text
    bind_organisation(db, tenant.id)
    events = _events(db, r.json()["id"])
    # The team is flushed before its manager links: a create, then an update naming the link.
    assert events[0].action == AuditAction.create
    assert any("team_manager" in e.changed_fields for e in events)


def test_a_change_and_its_links_are_one_event_whether_links_come_or_go(
    client: TestClient, db: Session, tenant: Tenant
) -> None:
    # A PATCH that renames a team and replaces its managers is one write: one event naming
    # both, also when a manager leaves (a removed link is a change of its owner too).
    from app.organisation.models import Role

    first, second = (make_employee(db, role=Role.team_manager) for _ in range(2))
    db.commit()
    r = client.post(
        "/v1/teams", headers=tenant.write, json={"name": "B", "manager_ids": [str(first.id)]}
    )
    assert r.status_code == 201, r.text
    team = r.json()["id"]
    for managers in ([str(first.id), str(second.id)], [str(second.id)]):
        before = len(_events(db, uuid.UUID(team)))
        body = {"name": f"B{len(managers)}", "manager_ids": managers}
        assert client.patch(f"/v1/teams/{team}", headers=tenant.write, json=body).status_code == 200
        bind_organisation(db, tenant.id)
        (event,) = _events(db, uuid.UUID(team))[before:]
        assert sorted(event.changed_fields) == ["name", "team_manager"]


def test_record_helper_covers_bulk_statements(db: Session, tenant: Tenant) -> None:
    bind_organisation(db, tenant.id)
    now = utcnow()
    ids = [uuid7() for _ in range(3)]
    rows = [
        {
            "id": i,
            "name": f"Bulk {n}",
            "organisation_id": tenant.id,
            "created_at": now,
            "updated_at": now,
        }
        for n, i in enumerate(ids)
    ]
    db.connection().execute(insert(Team.__table__), rows)  # type: ignore[attr-defined]
    trail.record(
        db,
        resource_type="team",
        resource_ids=ids,
        action=AuditAction.create,
        changed_fields=["name"],
    )
    for i in ids:
        (event,) = _events(db, i)
        assert (event.action, event.changed_fields) == (AuditAction.create, ["name"])
        assert event.api_key_id is None  # no request: a CLI import


def test_api_keys_never_appear_in_the_trail(
    client: TestClient, db: Session, tenant: Tenant
) -> None:
    r = client.post("/v1/api-keys", headers=tenant.admin, json={"name": "HR", "scope": "write"})
    assert r.status_code == 201, r.text
    secret = r.json()["key"]
    client.post("/v1/teams", headers={"Authorization": f"Bearer {secret}"}, json={"name": "C"})
    listed = client.get("/v1/audit-events?limit=200", headers=tenant.admin)
    assert listed.status_code == 200, listed.text
    text = listed.text
    for key in (secret, tenant.admin_key, tenant.write_key, tenant.read_key):
        assert key not in text
        assert key.split("_", 2)[2] not in text
    api_key_events = [e for e in listed.json()["items"] if e["resource_type"] == "api_key"]
    assert api_key_events and all(
        set(e) >= {"changed_fields"} and "key" not in e for e in api_key_events
    )


def test_list_is_admin_only(client: TestClient, tenant: Tenant) -> None:
    assert_problem(client.get("/v1/audit-events", headers=tenant.write), 403, "insufficient-scope")
    assert_problem(client.get("/v1/audit-events"), 401)


def test_list_filters_and_paginates(client: TestClient, db: Session, tenant: Tenant) -> None:
    ids = [
        client.post("/v1/teams", headers=tenant.write, json={"name": f"T{n}"}).json()["id"]
        for n in range(3)
    ]
    client.patch(f"/v1/teams/{ids[0]}", headers=tenant.admin, json={"name": "T0b"})
    h = tenant.admin

    def items(query: str) -> list[dict[str, object]]:
        r = client.get(f"/v1/audit-events?{query}", headers=h)
        assert r.status_code == 200, r.text
        return r.json()["items"]  # type: ignore[no-any-return]

    assert [e["resource_id"] for e in items("resource_type=team&action=create")] == ids
    assert [e["action"] for e in items(f"resource_id={ids[0]}")] == ["create", "update"]
    bind_organisation(db, tenant.id)
    admin = key_id(db, tenant.admin_key)
    assert [e["resource_id"] for e in items(f"api_key_id={admin}&resource_type=team")] == [ids[0]]
    future = (datetime.now(UTC) + timedelta(hours=1)).isoformat().replace("+00:00", "Z")
    assert items(f"since={future}") == []
    assert len(items(f"until={future}&resource_type=team")) == 4

    seen, cursor = [], None
    while True:
        q = "resource_type=team&limit=1" + (f"&cursor={cursor}" if cursor else "")
        page = client.get(f"/v1/audit-events?{q}", headers=h).json()
        seen += [e["id"] for e in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert len(seen) == len(set(seen)) == 4
    assert_problem(client.get("/v1/audit-events?action=explode", headers=h), 422)


def test_other_organisations_events_are_invisible(
    client: TestClient, tenant: Tenant, other_tenant: Tenant
) -> None:
    team_id = client.post("/v1/teams", headers=tenant.write, json={"name": "A"}).json()["id"]
    r = client.get(f"/v1/audit-events?resource_id={team_id}", headers=other_tenant.admin)
    assert r.status_code == 200 and r.json()["items"] == []


def test_bulk_statements_through_the_session_are_recorded(db: Session, tenant: Tenant) -> None:
    from sqlalchemy import bindparam, delete, update

    bind_organisation(db, tenant.id)
    now = utcnow()
    ids = [uuid7() for _ in range(3)]
    table = Team.__table__  # type: ignore[attr-defined]
    rows = [
        {
            "id": i,
            "name": f"B{n}",
            "organisation_id": tenant.id,
            "created_at": now,
            "updated_at": now,
        }
        for n, i in enumerate(ids)
    ]
    db.execute(insert(table), rows)  # an import's bulk insert
    db.execute(  # an import's executemany update, keyed by id
        update(table).where(table.c.id == bindparam("b_id")).values(name=bindparam("b_name")),
        [{"b_id": ids[0], "b_name": "B0b"}, {"b_id": ids[1], "b_name": "B1b"}],
    )
    db.execute(update(Team).where(col(Team.id) == ids[2]).values(name="B2b"))  # ORM bulk
    db.execute(delete(Team).where(col(Team.id) == ids[2]))
    history = {i: [(e.action, e.changed_fields) for e in _events(db, i)] for i in ids}
    assert history[ids[0]] == [(AuditAction.create, ["name"]), (AuditAction.update, ["name"])]
    assert history[ids[1]] == [(AuditAction.create, ["name"]), (AuditAction.update, ["name"])]
    assert history[ids[2]] == [
        (AuditAction.create, ["name"]),
        (AuditAction.update, ["name"]),
        (AuditAction.delete, []),
    ]


def test_a_bulk_update_records_only_the_own_organisations_rows(
    db: Session, tenant: Tenant, other_tenant: Tenant
) -> None:
    from sqlalchemy import update

    bind_organisation(db, other_tenant.id)
    theirs = Team(name="Van B")
    db.add(theirs)
    db.flush()
    bind_organisation(db, tenant.id)
    ours = Team(name="Van A")
    db.add(ours)
    db.flush()
    db.execute(update(Team).where(col(Team.name).like("Van %")).values(name="Hernoemd"))
    assert [e.action for e in _events(db, ours.id)] == [AuditAction.create, AuditAction.update]
    bind_organisation(db, other_tenant.id)
    assert [e.action for e in _events(db, theirs.id)] == [AuditAction.create]


def test_imports_are_recorded(client: TestClient, db: Session, tenant: Tenant) -> None:
    csv_headers = {**tenant.write, "Content-Type": "text/csv"}
    first = "external_id;first_name;last_name\nI-1;Sanne;Visser\nI-2;Daan;Bos\n"
    r = client.post("/v1/imports/employees", headers=csv_headers, content=first.encode())
    assert r.status_code == 200, r.text
    second = "external_id;first_name;last_name\nI-1;Sanne;de Vries\nI-2;Daan;Bos\n"
    r = client.post("/v1/imports/employees", headers=csv_headers, content=second.encode())
    assert r.status_code == 200, r.text
    bind_organisation(db, tenant.id)
    from app.organisation.models import Employee

    people = {
        e.external_id: e.id
        for e in db.exec(select(Employee).where(col(Employee.external_id).like("I-%"))).all()
    }
    writer = key_id(db, tenant.write_key)
    sanne = [(e.action, e.changed_fields, e.api_key_id) for e in _events(db, people["I-1"])]
    assert sanne[0][0] == AuditAction.create and sanne[0][2] == writer
    assert (sanne[-1][0], sanne[-1][1]) == (AuditAction.update, ["last_name"])
    assert [e.action for e in _events(db, people["I-2"])] == [AuditAction.create]


def test_a_large_bulk_insert_is_recorded_in_one_statement(
    db: Session, tenant: Tenant, engine: object
) -> None:
    # The bulk path sends the (id, resource_id) pairs as one parameter (issue 8: 10,000
    # imported rows). Every event must still be a normal row: found by id and by resource,
    # ids distinct and in the order of the rows, the shared columns on each.
    from tests.helpers import count_statements

    bind_organisation(db, tenant.id)
    now = utcnow()
    ids = [uuid7() for _ in range(1500)]
    shared = {"organisation_id": tenant.id, "created_at": now, "updated_at": now}
    rows = [{"id": i, "name": f"T{n}", **shared} for n, i in enumerate(ids)]
    with count_statements(db.get_bind()) as counter:  # type: ignore[arg-type]
        db.execute(insert(Team.__table__), rows)  # type: ignore[attr-defined]
    assert counter.count == 2, counter.statements  # the insert, and one for its events
    stmt = (
        select(AuditEvent)
        .where(col(AuditEvent.resource_id).in_(ids[:700]))
        .where(col(AuditEvent.resource_id).in_(ids[200:]))
        .order_by(col(AuditEvent.id))
    )
    events = list(db.exec(stmt).all())
    assert [e.resource_id for e in events] == ids[200:700]
    assert len({e.id for e in events}) == 500
    first = events[0]
    assert db.get(AuditEvent, first.id) is first
    assert {(e.action, e.resource_type, e.organisation_id, e.api_key_id) for e in events} == {
        (AuditAction.create, "team", tenant.id, None)
    }
    assert {tuple(e.changed_fields) for e in events} == {("name",)}
    assert len({e.created_at for e in events}) == 1
    total = db.exec(
        select(func.count()).select_from(AuditEvent).where(col(AuditEvent.resource_id).in_(ids))
    ).one()
    assert total == 1500
