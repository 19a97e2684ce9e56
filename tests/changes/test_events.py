"""Derived status events, erasure, secrets and retention of the change feed (issue 17)."""

from datetime import date, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.changes import outbox, readiness
from app.changes import service as changes_service
from app.core.models import utcnow
from app.core.tenancy import bind_organisation
from app.learning import goals
from app.learning import service as learning_service
from app.learning.models import PersonalGoalCreate, TeamGoalStatus, TeamGoalUpdate
from app.policy import protocols
from app.policy.models import TeamDiscussion
from app.training.models import EnrolmentStatus
from tests.changes.test_feed import read_all
from tests.conftest import Tenant
from tests.factories.core import make_employee, make_function_group, make_team
from tests.factories.learning import make_team_goal, skill
from tests.factories.policy import make_acknowledgement, make_protocol, took_part
from tests.factories.training import make_completion, make_enrolment, make_program, make_session
from tests.helpers import assert_problem


def _events(db: Session, tenant: Tenant, after: str | None = None) -> tuple[list[Any], str]:
    db.commit()  # the outbox is written at commit
    bind_organisation(db, tenant.id)
    rows, cursor, _ = changes_service.read_changes(
        db, organisation_id=tenant.id, after=after, limit=1000, now=utcnow()
    )
    return rows, cursor


@pytest.mark.parametrize("outcome", [EnrolmentStatus.cancelled, EnrolmentStatus.completed])
def test_an_enrolment_cancelled_or_completed_is_announced(
    db: Session, tenant: Tenant, outcome: EnrolmentStatus
) -> None:
    employee = make_employee(db)
    enrolment = make_enrolment(
        db, training_session=make_session(db, program=make_program(db)), employee=employee
    )
    events, cursor = _events(db, tenant)
    assert [e.type for e in events if e.resource_id == enrolment.id] == ["enrolment.created"]
    enrolment.status = outcome
    events, _ = _events(db, tenant, cursor)
    assert [e.type for e in events if e.resource_id == enrolment.id] == [
        "enrolment.updated",
        f"enrolment.{outcome.value}",
    ]
    # Another change of a cancelled enrolment is no second cancellation.
    enrolment.warnings = [{"rule": "capacity"}]
    events, _ = _events(db, tenant, _)
    assert [e.type for e in events if e.resource_id == enrolment.id] == ["enrolment.updated"]


def test_a_recorded_completion_changes_the_training_record(db: Session, tenant: Tenant) -> None:
    employee = make_employee(db, external_id="HR-7")
    _, cursor = _events(db, tenant)
    make_completion(db, employee=employee, program=make_program(db))
    events, _ = _events(db, tenant, cursor)
    (record,) = [e for e in events if e.type == "employee.training_record_changed"]
    assert (record.resource_type, record.resource_id) == ("employee", employee.id)
    assert record.external_id == "HR-7"
    assert record.data == {"employee_id": str(employee.id), "reasons": ["completion_recorded"]}


def test_a_goal_losing_its_alignment_is_announced(db: Session, tenant: Tenant) -> None:
    home = make_team(db, name="Noord")
    member = make_employee(db, team_id=home.id, function_group_id=make_function_group(db).id)
    objective = make_team_goal(db, team=home, description="Samen de-escaleren")
    data = PersonalGoalCreate(
        employee_id=member.id, skill_id=skill(db, "deescalation").id, description="Rustig blijven"
    )
    goal = learning_service.create_personal_goal(db, org=tenant.org, data=data)
    events, cursor = _events(db, tenant)
    assert "personal_goal.alignment_changed" not in [e.type for e in events]
    goals.update_team_goal(db, goal=objective, data=TeamGoalUpdate(status=TeamGoalStatus.archived))
    events, _ = _events(db, tenant, cursor)
    (changed,) = [e for e in events if e.type == "personal_goal.alignment_changed"]
    assert changed.resource_id == goal.id and changed.data["alignment"] == "unaligned"


def test_an_erased_employee_s_events_carry_no_personal_data(
    client: TestClient, tenant: Tenant
) -> None:
    body = {
        "first_name": "Sanne",
        "last_name": "de Vries",
        "email": "sanne@example.nl",
        "external_id": "HR-100231",
    }
    employee_id = client.post("/v1/employees", headers=tenant.write, json=body).json()["id"]
    client.patch(f"/v1/employees/{employee_id}", headers=tenant.write, json={"active": False})
    r = client.post(f"/v1/employees/{employee_id}/erase", headers=tenant.admin)
    assert r.status_code == 200, r.text
    items, _ = read_all(client, tenant, types="employee")
    mine = [e for e in items if e["resource_id"] == employee_id]
    assert [e["type"] for e in mine] == ["employee.created", "employee.updated", "employee.updated"]
    text = str(mine)
    for personal in ("Sanne", "de Vries", "sanne@example.nl", "HR-100231"):
        assert personal not in text
    assert mine[-1]["data"]["erased_at"] is not None  # the erasure itself is announced


def test_events_never_carry_secrets(client: TestClient, tenant: Tenant) -> None:
    r = client.post("/v1/api-keys", headers=tenant.admin, json={"name": "sync", "scope": "read"})
    assert r.status_code == 201, r.text
    secret = r.json()["key"]
    items, _ = read_all(client, tenant, as_admin=True, types="api_key")
    assert items and all("key_hash" not in e["data"] and "prefix" not in e["data"] for e in items)
    assert secret not in str(items) and secret.split("_")[1] not in str(items)


def test_a_cursor_older_than_the_retention_is_gone(
    client: TestClient, db: Session, tenant: Tenant, monkeypatch: pytest.MonkeyPatch
) -> None:
    client.post("/v1/teams", headers=tenant.write, json={"name": "T"})
    _, cursor = read_all(client, tenant)
    later = utcnow() + timedelta(days=31)
    monkeypatch.setattr("app.changes.router.utcnow", lambda: later)
    r = client.get("/v1/changes", headers=tenant.read, params={"after": cursor})
    body = assert_problem(r, 410, "cursor-expired")
    assert "resync" in body["detail"].lower()
    # Within the retention the same cursor still works.
    monkeypatch.setattr("app.changes.router.utcnow", lambda: later - timedelta(days=2))
    assert (
        client.get("/v1/changes", headers=tenant.read, params={"after": cursor}).status_code == 200
    )


def test_purge_deletes_only_events_older_than_the_retention(db: Session, tenant: Tenant) -> None:
    make_team(db, name="Oud")
    events, _ = _events(db, tenant)
    assert events
    assert changes_service.purge(db, now=utcnow() + timedelta(days=29)) == 0
    assert changes_service.purge(db, now=utcnow() + timedelta(days=31)) >= len(events)
    events, _ = _events(db, tenant)
    assert events == []


def _readiness(events: list[Any], employee_id: Any) -> list[Any]:
    return [
        e.data
        for e in events
        if e.type == "employee.readiness_changed" and e.resource_id == employee_id
    ]


def test_protocol_readiness_changes_are_announced(db: Session, tenant: Tenant) -> None:
    team = make_team(db, name="Zuid")
    reader, colleague = make_employee(db, team_id=team.id), make_employee(db, team_id=team.id)
    v1 = make_protocol(db, publish=True)
    events, cursor = _events(db, tenant)
    # Published: everyone is told they are not ready for version 1.
    assert _readiness(events, reader.id) == [{"protocol_version": 1, "protocol_ready": False}]
    make_acknowledgement(db, protocol=v1, employee=reader)
    events, cursor = _events(db, tenant, cursor)
    assert _readiness(events, reader.id) == [{"protocol_version": 1, "protocol_ready": True}]
    assert _readiness(events, colleague.id) == []
    # The team discusses it: the colleague becomes ready, the reader already was.
    discussion = TeamDiscussion(protocol_id=v1.id, team_id=team.id, discussed_on=date.today())
    db.add(discussion)
    db.flush()
    took_part(db, discussion)
    events, cursor = _events(db, tenant, cursor)
    assert _readiness(events, colleague.id) == [{"protocol_version": 1, "protocol_ready": True}]
    assert _readiness(events, reader.id) == []
    # A new version: nobody is ready for it.
    v2 = make_protocol(db)
    protocols.publish_protocol(db, protocol=v2)
    events, _ = _events(db, tenant, cursor)
    assert _readiness(events, reader.id) == [{"protocol_version": 2, "protocol_ready": False}]


def test_events_are_written_a_chunk_of_rows_at_a_time_with_the_derived_ones_after(
    db: Session, tenant: Tenant, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Memory is bounded by writing each chunk's own events and keeping of each state only
    # what a derived rule reads; the derived events still see what they need.
    monkeypatch.setattr(outbox, "_EVENT_CHUNK", 2)
    north, south = make_team(db, name="Noord"), make_team(db, name="Zuid")
    people = [make_employee(db, team_id=north.id) for _ in range(4)]
    protocol = make_protocol(db, publish=True)
    enrolment = make_enrolment(
        db, training_session=make_session(db, program=make_program(db)), employee=people[0]
    )
    refresher = make_program(db)
    _, cursor = _events(db, tenant)
    for n, person in enumerate(people):
        person.last_name = f"Nieuw {n}"
    people[3].team_id = south.id
    enrolment.status = EnrolmentStatus.cancelled
    completion = make_completion(db, employee=people[1], program=refresher)
    ack = make_acknowledgement(db, protocol=protocol, employee=people[2])
    seen: dict[Any, Any] = {}
    inserts: list[int] = []

    def derived_seeing(conn: Any, changes: Any) -> Any:
        seen.update({c.resource_id: c.state for c in changes})
        return derive(conn, changes)

    def counting(conn: Any, specs: Any, now: Any) -> Any:
        inserts.append(len(specs))
        return rows(conn, specs, now)

    concerned: set[Any] = set()

    def concerned_seeing(db: Session, changes: Any) -> Any:
        found = concern(db, changes)
        concerned.update(found)
        return found

    derive, rows, concern = outbox.derived_events, outbox.event_rows, readiness._concerned
    monkeypatch.setattr(outbox, "derived_events", derived_seeing)
    monkeypatch.setattr(outbox, "event_rows", counting)
    monkeypatch.setattr(readiness, "_concerned", concerned_seeing)
    events, _ = _events(db, tenant, cursor)
    own = [(e.type, e.resource_id) for e in events if e.type.endswith((".updated", ".created"))]
    assert sorted(own, key=str) == sorted(
        [
            *(("employee.updated", p.id) for p in people),
            ("enrolment.updated", enrolment.id),
            ("training_completion.created", completion.id),
            ("protocol_acknowledgement.created", ack.id),
        ],
        key=str,
    )
    assert all(e.data for e in events if e.type == "employee.updated")
    derived = [(e.type, e.resource_id) for e in events[len(own) :]]
    assert derived == [
        ("enrolment.cancelled", enrolment.id),
        ("employee.training_record_changed", people[1].id),
        ("employee.readiness_changed", people[2].id),
    ]
    assert _readiness(events, people[2].id) == [{"protocol_version": 1, "protocol_ready": True}]
    # Four chunks of the rows' own events, then the derived ones: five inserts.
    assert inserts == [2, 2, 2, 1, 3]
    # Kept of each state: what a rule reads; of the rest, nothing.
    assert [seen[p.id] for p in people] == [None, None, None, {}]  # the last moved team
    assert seen[completion.id] == {"employee_id": str(people[1].id)}
    assert seen[ack.id] == {"employee_id": str(people[2].id)}
    assert seen[enrolment.id]["status"] == "cancelled"
    # Readiness is judged again for who read the protocol and who moved team.
    assert concerned == {people[2].id, people[3].id}
