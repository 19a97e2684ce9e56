"""A deactivated employee's enrolments in sessions that have not started are cancelled,
and a deactivated employee cannot be enrolled (PATCH /v1/employees/{id} active=false).

The import path (rows with ``actief: nee``, ``deactivate_missing``) is tested in
tests/imports/test_employee_rules.py.
"""

import uuid
from datetime import timedelta

from fastapi.testclient import TestClient
from sqlmodel import Session, col, select

from app.audit.models import AuditAction, AuditEvent
from app.core.models import utcnow
from app.core.tenancy import bind_organisation
from app.organisation import service as organisation_service
from app.organisation.hooks import HOOKS
from app.organisation.models import Employee
from app.training import service
from app.training.models import Enrolment, EnrolmentStatus, SessionStatus, TrainingSession
from tests.conftest import Tenant
from tests.factories.core import make_employee
from tests.factories.training import make_completion, make_enrolment, make_session
from tests.helpers import assert_problem, count_statements
from tests.training.conftest import World


def _deactivate(client: TestClient, tenant: Tenant, db: Session, employee: Employee) -> None:
    r = client.patch(f"/v1/employees/{employee.id}", json={"active": False}, headers=tenant.write)
    assert r.status_code == 200, r.text
    assert r.json()["active"] is False
    bind_organisation(db, tenant.id)
    db.expire_all()


def _status(db: Session, enrolment: Enrolment) -> EnrolmentStatus:
    db.refresh(enrolment)
    return enrolment.status


def _seats_taken(db: Session, ts: TrainingSession) -> int:
    db.refresh(ts)
    return ts.enrolled_count


def _events(db: Session, resource_id: uuid.UUID) -> list[AuditEvent]:
    stmt = (
        select(AuditEvent)
        .where(col(AuditEvent.resource_id) == resource_id)
        .order_by(col(AuditEvent.id))
    )
    return list(db.exec(stmt).all())


def test_deactivation_cancels_enrolments_in_sessions_not_started(
    client: TestClient, db: Session, world: World, tenant: Tenant
) -> None:
    coming = make_enrolment(db, training_session=world.staff_session, employee=world.staff)
    colleague = make_enrolment(db, training_session=world.staff_session, employee=world.colleague)
    started_session = make_session(
        db, program=world.program, starts_at=utcnow() - timedelta(hours=1)
    )
    started = make_enrolment(db, training_session=started_session, employee=world.staff)
    past_session = make_session(
        db,
        program=world.program,
        starts_at=utcnow() - timedelta(days=40),
        status=SessionStatus.completed,
    )
    past = make_enrolment(
        db, training_session=past_session, employee=world.staff, status=EnrolmentStatus.completed
    )
    completion = make_completion(db, employee=world.staff, program=world.program)
    assert _seats_taken(db, world.staff_session) == 2

    _deactivate(client, tenant, db, world.staff)

    assert _status(db, coming) == EnrolmentStatus.cancelled
    assert _seats_taken(db, world.staff_session) == 1  # the seat is free again
    # A colleague's enrolment, a session that already started (attendance can still be
    # recorded) and history are left alone.
    assert _status(db, colleague) == EnrolmentStatus.enrolled
    assert _status(db, started) == EnrolmentStatus.enrolled
    assert _seats_taken(db, started_session) == 1
    assert _status(db, past) == EnrolmentStatus.completed
    record = client.get(f"/v1/employees/{world.staff.id}/training-record", headers=tenant.read)
    assert [c["id"] for c in record.json()["completions"]] == [str(completion.id)]
    assert [u["session_id"] for u in record.json()["upcoming"]] == [str(started_session.id)]
    # Audited like every write: the enrolment and the session's seat count.
    bind_organisation(db, tenant.id)
    last = _events(db, coming.id)[-1]
    assert (last.action, last.changed_fields) == (AuditAction.update, ["status"])
    assert last.api_key_id is not None
    assert "enrolled_count" in _events(db, world.staff_session.id)[-1].changed_fields


def test_a_deactivated_employee_cannot_be_enrolled_again(
    client: TestClient, db: Session, world: World, tenant: Tenant
) -> None:
    for m in (world.senior, world.manager):
        make_completion(db, employee=m, program=world.management)
    url = f"/v1/training-sessions/{world.staff_session.id}/enrolments"
    r = client.post(url, json={"employee_id": str(world.staff.id)}, headers=tenant.write)
    assert r.status_code == 201, r.text

    _deactivate(client, tenant, db, world.staff)

    # Not by reviving the cancelled row, not as a new enrolment elsewhere, not in the check.
    r = client.post(url, json={"employee_id": str(world.staff.id)}, headers=tenant.write)
    body = assert_problem(r, 409, "enrolment-refused")
    assert [v["rule"] for v in body["violations"]] == ["employee_active"]
    assert "Sanne Bakker" in body["violations"][0]["message"]
    other = make_session(db, program=world.program, starts_at=utcnow() + timedelta(days=30))
    r = client.post(
        f"/v1/training-sessions/{other.id}/enrolments",
        json={"employee_id": str(world.staff.id)},
        headers=tenant.write,
    )
    assert_problem(r, 409, "enrolment-refused")
    r = client.post(f"{url}/check", json={"employee_id": str(world.staff.id)}, headers=tenant.write)
    assert r.json()["allowed"] is False
    # Reactivation does not book them again: the seat may have been given away meanwhile.
    r = client.patch(f"/v1/employees/{world.staff.id}", json={"active": True}, headers=tenant.write)
    assert r.status_code == 200, r.text
    listed = client.get(url, params={"employee_id": str(world.staff.id)}, headers=tenant.read)
    assert [e["status"] for e in listed.json()["items"]] == ["cancelled"]


def test_a_deactivated_manager_no_longer_holds_back_their_staff(
    client: TestClient, db: Session, world: World, tenant: Tenant
) -> None:
    # Managers first counts active managers only: cancelling a deactivated manager's
    # management session leaves their staff's enrolments valid, and new staff enrolments
    # need only the managers who are still active (here: senior management, trained).
    make_completion(db, employee=world.senior, program=world.management)
    booked = make_enrolment(db, training_session=world.management_session, employee=world.manager)
    staff, _warnings = service.enrol(
        db, org=world.org, session_id=world.staff_session.id, employee_id=world.staff.id
    )

    _deactivate(client, tenant, db, world.manager)

    assert _status(db, booked) == EnrolmentStatus.cancelled
    assert _seats_taken(db, world.management_session) == 0
    assert _status(db, staff) == EnrolmentStatus.enrolled
    r = client.post(
        f"/v1/training-sessions/{world.staff_session.id}/enrolments/check",
        json={"employee_id": str(world.colleague.id)},
        headers=tenant.write,
    )
    assert r.json()["allowed"] is True, r.json()


def test_an_unchanged_or_other_change_cancels_nothing(
    client: TestClient, db: Session, world: World, tenant: Tenant
) -> None:
    coming = make_enrolment(db, training_session=world.staff_session, employee=world.staff)
    url = f"/v1/employees/{world.staff.id}"
    assert client.patch(url, json={"active": True}, headers=tenant.write).status_code == 200
    assert client.patch(url, json={"last_name": "Bakker-Smit"}, headers=tenant.write).is_success
    bind_organisation(db, tenant.id)
    assert _status(db, coming) == EnrolmentStatus.enrolled
    assert _seats_taken(db, world.staff_session) == 1


def test_cancelling_is_set_based(db: Session, world: World) -> None:
    # Statements do not grow with the number of employees or enrolments: an import may
    # deactivate thousands at once.
    sessions = [
        make_session(db, program=world.program, starts_at=utcnow() + timedelta(days=d), capacity=60)
        for d in (10, 20)
    ]

    def people(n: int) -> list[uuid.UUID]:
        out = []
        for _ in range(n):
            emp = make_employee(db, team_id=world.team.id)
            for ts in sessions:
                make_enrolment(db, training_session=ts, employee=emp)
            out.append(emp.id)
        return out

    few, many = people(2), people(40)
    idle = [make_employee(db).id for _ in range(5)]
    counts = []
    for ids in (few, many):
        with count_statements(db.get_bind()) as counter:  # type: ignore[arg-type]
            notes = organisation_service.employees_deactivated(db, employee_ids=ids)
        counts.append(counter.count)
        assert notes and f"{2 * len(ids)} enrolment(s) of {len(ids)}" in notes[0]
    assert counts[0] == counts[1], counts
    for ts in sessions:
        assert _seats_taken(db, ts) == 0
    # Nobody booked (and no user to deactivate): one query per hook, nothing written,
    # nothing reported.
    with count_statements(db.get_bind()) as counter:  # type: ignore[arg-type]
        assert organisation_service.employees_deactivated(db, employee_ids=idle) == []
    assert counter.count == len(HOOKS.employees_deactivated)


def test_dry_run_only_counts(db: Session, world: World) -> None:
    coming = make_enrolment(db, training_session=world.staff_session, employee=world.staff)
    notes = organisation_service.employees_deactivated(
        db, employee_ids=[world.staff.id], dry_run=True
    )
    assert notes == [
        "1 enrolment(s) of 1 deactivated employee(s) in sessions that have not started would "
        "be cancelled, freeing the seats."
    ]
    assert _status(db, coming) == EnrolmentStatus.enrolled
    assert _seats_taken(db, world.staff_session) == 1
