"""Erasure (AVG/GDPR): a deactivated employee's personal data is removed, history stays."""

import uuid
from datetime import date

import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlmodel import Session, SQLModel, col, func, select

from app.audit import service
from app.audit.models import AuditAction, AuditEvent
from app.core.tenancy import bind_organisation
from app.followup.models import HrmConversation
from app.learning.models import PersonalGoal, Skill
from app.organisation.models import Employee
from app.training.models import Audience, TrainingCompletion, TrainingProgram
from tests.changes.test_feed import read_all
from tests.conftest import Tenant
from tests.factories.core import make_employee
from tests.factories.training import make_enrolment, make_program, make_session
from tests.helpers import assert_problem


def _goal(db: Session, employee: Employee) -> PersonalGoal:
    skill = Skill(code=f"s{uuid.uuid4().hex[:8]}", label_nl="Vaardigheid", label_en="Skill")
    db.add(skill)
    db.flush()
    goal = PersonalGoal(
        employee_id=employee.id,
        skill_id=skill.id,
        description="Sanne wil na het incident van maart beter leren de-escaleren.",
    )
    db.add(goal)
    db.flush()
    return goal


def _completion(db: Session, employee: Employee) -> None:
    program = TrainingProgram(title="Omgaan met agressie", audience=Audience.staff)
    db.add(program)
    db.flush()
    db.add(
        TrainingCompletion(
            employee_id=employee.id, program_id=program.id, completed_on=sa.func.current_date()
        )
    )  # type: ignore[arg-type]
    db.flush()


def test_erase_removes_personal_data_and_keeps_history(
    client: TestClient, db: Session, tenant: Tenant
) -> None:
    emp = make_employee(db, active=False, name_particle="van der")
    other = make_employee(db, active=False)
    goal, other_goal = _goal(db, emp), _goal(db, other)
    _completion(db, emp)

    r = client.post(f"/v1/employees/{emp.id}/erase", headers=tenant.admin)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["erased_at"] is not None
    assert body["email"] is None and body["external_id"] is None
    assert body["name_particle"] is None
    assert "Sanne" not in r.text and "de Vries" not in r.text

    bind_organisation(db, tenant.id)
    db.expire_all()
    stored = db.get(Employee, emp.id)
    assert stored is not None and stored.erased_at is not None
    assert (stored.first_name, stored.last_name) == (service.ERASED, service.ERASED)
    assert db.get(PersonalGoal, goal.id).description == service.ERASED  # type: ignore[union-attr]
    assert "Sanne" in db.get(PersonalGoal, other_goal.id).description  # type: ignore[union-attr]
    # The training history is still countable (reports count rows, not names).
    completions = select(func.count()).select_from(TrainingCompletion)
    assert db.exec(completions.where(TrainingCompletion.employee_id == emp.id)).one() == 1
    assert db.get(Employee, other.id).first_name == "Sanne"  # type: ignore[union-attr]

    erase_events = db.exec(
        select(AuditEvent).where(AuditEvent.resource_id == emp.id, AuditEvent.action == "erase")
    ).all()
    assert len(erase_events) == 1
    assert set(erase_events[0].changed_fields) >= {"first_name", "last_name", "email"}
    goal_events = db.exec(select(AuditEvent).where(AuditEvent.resource_id == goal.id)).all()
    assert [(e.action, e.changed_fields) for e in goal_events][-1] == (
        AuditAction.update,
        ["description"],
    )


def test_every_identifying_column_of_an_employee_is_erased(
    client: TestClient, db: Session, tenant: Tenant
) -> None:
    # SCIM provisioning keeps the identity provider's userName (usually the email) and its
    # key on the row: erasure clears them too, and a new text column must be listed.
    text_columns = {
        c.name
        for c in Employee.__table__.columns  # type: ignore[attr-defined]
        if isinstance(getattr(c.type, "impl", c.type), sa.String)  # AutoString wraps one
    }
    assert text_columns == set(service._IDENTIFYING) | set(service.NOT_IDENTIFYING)
    emp = make_employee(db, active=False)
    emp.user_name, emp.scim_external_id = "sanne.devries@example.nl", "entra-oid-123"
    db.commit()
    assert client.post(f"/v1/employees/{emp.id}/erase", headers=tenant.admin).status_code == 200
    bind_organisation(db, tenant.id)
    db.expire_all()
    stored = db.get(Employee, emp.id)
    assert stored is not None
    assert (stored.user_name, stored.scim_external_id) == (None, None)


def test_erasing_twice_changes_nothing(client: TestClient, db: Session, tenant: Tenant) -> None:
    emp = make_employee(db, active=False)
    first = client.post(f"/v1/employees/{emp.id}/erase", headers=tenant.admin)
    second = client.post(f"/v1/employees/{emp.id}/erase", headers=tenant.admin)
    assert first.status_code == second.status_code == 200
    assert first.json()["erased_at"] == second.json()["erased_at"]
    bind_organisation(db, tenant.id)
    events = db.exec(select(AuditEvent).where(AuditEvent.resource_id == emp.id)).all()
    assert [e.action for e in events].count(AuditAction.erase) == 1


def test_an_active_employee_is_not_erased(client: TestClient, db: Session, tenant: Tenant) -> None:
    emp = make_employee(db, first_name="Daan")
    db.commit()  # a refused request rolls back to here, not past the employee
    assert_problem(
        client.post(f"/v1/employees/{emp.id}/erase", headers=tenant.admin), 409, "employee-active"
    )
    bind_organisation(db, tenant.id)
    db.expire_all()
    assert db.get(Employee, emp.id).first_name == "Daan"  # type: ignore[union-attr]


def test_erase_needs_admin_and_the_own_organisation(
    client: TestClient, db: Session, tenant: Tenant, other_tenant: Tenant
) -> None:
    emp = make_employee(db, active=False)
    assert_problem(client.post(f"/v1/employees/{emp.id}/erase", headers=tenant.write), 403)
    assert_problem(client.post(f"/v1/employees/{emp.id}/erase", headers=other_tenant.admin), 404)
    assert_problem(client.post(f"/v1/employees/{uuid.uuid4()}/erase", headers=tenant.admin), 404)


def _is_free_text(column: sa.Column) -> bool:  # type: ignore[type-arg]
    t = getattr(column.type, "impl_instance", column.type)
    return (
        isinstance(t, sa.String)
        and not isinstance(t, sa.Enum)
        and (t.length is None or t.length >= 1000)
    )


def test_every_free_text_about_an_employee_is_erased_or_explained() -> None:
    """A new notes field next to an employee reference must join the erasure registry."""
    import app.models  # noqa: F401

    missing = []
    for table in SQLModel.metadata.sorted_tables:
        refs = {
            c.name
            for c in table.columns
            if any(fk.column.table.name == "employee" for fk in c.foreign_keys)
        }
        texts = {c.name for c in table.columns if _is_free_text(c)}
        if table.name == "employee" or not refs or not texts:
            continue
        if table.name in service.NOT_ABOUT_THE_EMPLOYEE:
            continue
        registered_refs, registered_texts = service.FREE_TEXT_ABOUT_EMPLOYEE.get(
            table.name, ((), ())
        )
        if not set(registered_refs) & refs or texts - set(registered_texts):
            missing.append((table.name, sorted(refs), sorted(texts - set(registered_texts))))
    assert missing == [], "add these to FREE_TEXT_ABOUT_EMPLOYEE (or NOT_ABOUT_THE_EMPLOYEE)"
    for table_name, (refs_, texts_) in service.FREE_TEXT_ABOUT_EMPLOYEE.items():
        table = SQLModel.metadata.tables.get(table_name)
        if table is not None:  # typos in the registry would erase nothing
            assert set(refs_) | set(texts_) <= set(table.columns.keys()), table_name
    assert col(Employee.erased_at) is not None


def test_an_erased_employee_cannot_be_filled_in_again(
    client: TestClient, db: Session, tenant: Tenant
) -> None:
    emp = make_employee(db, first_name="Daan", active=False)
    db.commit()
    assert client.post(f"/v1/employees/{emp.id}/erase", headers=tenant.admin).status_code == 200
    r = client.patch(
        f"/v1/employees/{emp.id}",
        headers=tenant.write,
        json={"active": True, "first_name": "Daan", "email": "daan@example.nl"},
    )
    assert_problem(r, 409, "employee-erased")
    bind_organisation(db, tenant.id)
    db.expire_all()
    again = db.get(Employee, emp.id)
    assert again is not None and again.first_name != "Daan" and again.email is None
    assert again.active is False


def test_erasure_scrubs_the_names_in_rule_findings_and_their_events(
    client: TestClient, db: Session, tenant: Tenant
) -> None:
    # An enrolment keeps the rules' findings as text: their own ("... has not yet read the
    # protocol") and, in managers first, the managers still missing. Both go with erasure,
    # in the API and in the change feed.
    kevin = make_employee(db, first_name="Kevin", name_particle="ter", last_name="Horst")
    staff = make_employee(db, first_name="Anna", last_name="Smit")
    ts = make_session(db, program=make_program(db))
    own = make_enrolment(db, training_session=ts, employee=kevin)
    own.warnings = [
        {
            "rule": "awaiting_readiness",
            "severity": "warning",
            "message": "Kevin ter Horst has not read it.",
            "details": {},
        }
    ]
    theirs = make_enrolment(db, training_session=ts, employee=staff)
    theirs.warnings = [
        {
            "rule": "managers_first",
            "severity": "warning",
            "message": "Anna Smit can be trained once Kevin ter Horst (team_manager) is.",
            "details": {"missing_managers": [{"id": str(kevin.id), "name": "Kevin ter Horst"}]},
        }
    ]
    db.commit()
    client.patch(f"/v1/employees/{kevin.id}", json={"active": False}, headers=tenant.write)
    assert "Kevin" in client.get("/v1/changes", headers=tenant.read).text
    r = client.post(f"/v1/employees/{kevin.id}/erase", headers=tenant.admin)
    assert r.status_code == 200, r.text
    listed = client.get(f"/v1/training-sessions/{ts.id}/enrolments", headers=tenant.read)
    assert listed.status_code == 200 and len(listed.json()["items"]) == 2
    assert "Kevin" not in listed.text and "Horst" not in listed.text
    assert "Anna Smit can be trained once [erased] (team_manager) is." in listed.text
    feed = client.get("/v1/changes", headers=tenant.read)
    assert feed.status_code == 200 and "Kevin" not in feed.text and "Horst" not in feed.text


def test_erasure_scrubs_the_feed_of_rows_it_can_no_longer_change(
    client: TestClient, db: Session, tenant: Tenant
) -> None:
    # A goal deleted before the erasure, and HRM notes cleared before it: their earlier
    # events still held the text about the person. They mention them, so they go too.
    sanne = make_employee(db, first_name="Sanne")
    boss = make_employee(db, first_name="Baas")
    goal = _goal(db, sanne)
    talk = HrmConversation(
        employee_id=sanne.id,
        manager_id=boss.id,
        held_on=date(2026, 1, 5),
        kind="progress",
        notes="Sanne vertelde over haar scheiding.",
    )
    db.add(talk)
    db.commit()
    assert client.delete(f"/v1/personal-goals/{goal.id}", headers=tenant.write).status_code == 204
    cleared = client.patch(
        f"/v1/hrm-conversations/{talk.id}", json={"notes": None}, headers=tenant.write
    )
    assert cleared.status_code == 200, cleared.text
    feed = client.get("/v1/changes", headers=tenant.read).text
    assert "incident van maart" in feed and "scheiding" in feed
    client.patch(f"/v1/employees/{sanne.id}", json={"active": False}, headers=tenant.write)
    assert client.post(f"/v1/employees/{sanne.id}/erase", headers=tenant.admin).status_code == 200
    events, _ = read_all(client, tenant)
    assert [e for e in events if "maart" in str(e) or "scheiding" in str(e)] == []
    # The manager's other rows are no rows about Sanne: their events keep their data.
    assert any(e["resource_id"] == str(boss.id) and e["data"] for e in events)


def test_erasure_forgets_stored_answers_that_name_the_employee(
    client: TestClient, db: Session, tenant: Tenant
) -> None:
    # A retried POST is answered from its stored response for a day: one naming them
    # would show them after the erasure. Forgotten, the retry runs again.
    kevin = make_employee(db, first_name="Kevin", last_name="Horst")
    ts = make_session(db, program=make_program(db))
    db.commit()
    check = f"/v1/training-sessions/{ts.id}/enrolments/check"
    keyed = {**tenant.write, "Idempotency-Key": "check-kevin"}
    other = {**tenant.write, "Idempotency-Key": "a-team"}
    assert "Horst" in client.post(check, json={"employee_id": str(kevin.id)}, headers=keyed).text
    assert client.post("/v1/teams", json={"name": "Oost"}, headers=other).status_code == 201
    client.patch(f"/v1/employees/{kevin.id}", json={"active": False}, headers=tenant.write)
    assert client.post(f"/v1/employees/{kevin.id}/erase", headers=tenant.admin).status_code == 200
    again = client.post(check, json={"employee_id": str(kevin.id)}, headers=keyed)
    assert again.status_code == 200 and "Horst" not in again.text
    assert again.headers.get("idempotent-replayed") is None
    # Answers that do not name them are still replayed.
    replay = client.post("/v1/teams", json={"name": "Oost"}, headers=other)
    assert replay.status_code == 201
    assert replay.headers.get("idempotent-replayed") == "true"
