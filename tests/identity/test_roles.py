"""Roles: what each signed-in person reaches (404 outside it) and may change (403)."""

import uuid
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import insert, select, update
from sqlmodel import Session

from app.audit.models import AuditEvent
from app.core.errors import Forbidden
from app.core.models import utcnow
from app.core.roles import Reach, UserRole
from app.identity.models import User
from app.identity.reach import bind_reach
from app.learning.models import PersonalGoal
from app.organisation.models import Employee
from app.training.models import Audience
from tests.conftest import Tenant
from tests.factories.core import make_employee, make_function_group, make_team
from tests.factories.followup import acknowledge, publish_protocol
from tests.factories.learning import make_personal_goal, skill
from tests.factories.training import (
    make_completion,
    make_enrolment,
    make_program,
    make_session,
)
from tests.helpers import assert_problem
from tests.identity.conftest import bearer, configure
from tests.identity.idp import LoopbackIssuer


@pytest.fixture(autouse=True)
def _keys_in_memory(issuer: LoopbackIssuer, monkeypatch: pytest.MonkeyPatch) -> None:
    # These tests are about what a role may do; fetching the keys over HTTP is test_tokens.py's.
    issuer.serve_keys_in_memory(monkeypatch)


def _post(client: TestClient, tenant: Tenant, path: str, body: dict[str, Any]) -> dict[str, Any]:
    r = client.post(path, json=body, headers=tenant.admin)
    assert r.status_code == 201, r.text
    result: dict[str, Any] = r.json()
    return result


class Org:
    """Two teams: Noord (managed by Marieke, with Sanne) and Zuid (with Piet)."""

    def __init__(self, client: TestClient, tenant: Tenant) -> None:
        self.marieke = _post(client, tenant, "/v1/employees", {
            "first_name": "Marieke", "last_name": "de Vries", "email": "marieke@example.nl",
            "role": "team_manager",
        })  # fmt: skip
        self.noord = _post(client, tenant, "/v1/teams", {
            "name": "Noord", "manager_ids": [self.marieke["id"]],
        })  # fmt: skip
        self.zuid = _post(client, tenant, "/v1/teams", {"name": "Zuid"})
        self.sanne = _post(client, tenant, "/v1/employees", {
            "first_name": "Sanne", "last_name": "Visser", "email": "sanne@example.nl",
            "team_id": self.noord["id"],
        })  # fmt: skip
        self.piet = _post(client, tenant, "/v1/employees", {
            "first_name": "Piet", "last_name": "Bakker", "email": "piet@example.nl",
            "team_id": self.zuid["id"],
        })  # fmt: skip

    @staticmethod
    def row(db: Session, person: dict[str, Any]) -> Employee:
        """The employee's row, for the factories."""
        employee = db.get(Employee, uuid.UUID(person["id"]))
        assert employee is not None
        return employee


def _allow_unaligned_goals(client: TestClient, tenant: Tenant) -> None:
    """Personal goals need no team objective: these tests are about roles, not alignment."""
    r = client.patch(
        "/v1/organisation",
        json={"settings": {"allow_unaligned_personal_goals": True}},
        headers=tenant.admin,
    )
    assert r.status_code == 200, r.text


def _as(issuer: LoopbackIssuer, email: str, group: str) -> dict[str, str]:
    return bearer(issuer.token(sub=f"sub-{email}", email=email, groups=[group]))


def test_first_sign_in_creates_a_user_linked_by_email(
    client: TestClient, db: Session, tenant: Tenant, issuer: LoopbackIssuer
) -> None:
    configure(client, tenant, issuer)
    org = Org(client, tenant)
    r = client.get("/v1/me", headers=_as(issuer, "sanne@example.nl", "staff"))
    assert r.status_code == 200, r.text
    me = r.json()
    assert me["employee_id"] == org.sanne["id"]
    assert me["team_id"] == org.noord["id"]
    assert me["roles"] == ["employee"]
    assert "write" not in me["may"].get("team", [])
    users = client.get("/v1/users", headers=tenant.admin).json()["items"]
    assert [u["employee_id"] for u in users] == [org.sanne["id"]]


def test_no_mapped_group_and_no_user_is_403(
    client: TestClient, tenant: Tenant, issuer: LoopbackIssuer
) -> None:
    configure(client, tenant, issuer)
    r = client.get("/v1/me", headers=_as(issuer, "x@example.nl", "nobody"))
    assert_problem(r, 403, "no-user")
    # The same with an Idempotency-Key, whose middleware signs in before the route does.
    keyed = {**_as(issuer, "x@example.nl", "nobody"), "Idempotency-Key": "k-1"}
    assert_problem(client.post("/v1/teams", json={"name": "X"}, headers=keyed), 403, "no-user")


def test_team_manager_reaches_only_their_teams(
    client: TestClient, tenant: Tenant, issuer: LoopbackIssuer
) -> None:
    configure(client, tenant, issuer)
    org = Org(client, tenant)
    manager = _as(issuer, "marieke@example.nl", "managers")
    listed = client.get("/v1/employees", headers=manager).json()["items"]
    assert {e["id"] for e in listed} == {org.marieke["id"], org.sanne["id"]}
    assert client.get(f"/v1/employees/{org.sanne['id']}", headers=manager).status_code == 200
    assert_problem(client.get(f"/v1/employees/{org.piet['id']}", headers=manager), 404)
    # Visible but not theirs to change: 403; out of reach: 404.
    r = client.patch(f"/v1/teams/{org.noord['id']}", json={"name": "X"}, headers=manager)
    assert_problem(r, 403, "role-forbids")
    r = client.patch(f"/v1/teams/{org.zuid['id']}", json={"name": "X"}, headers=manager)
    assert_problem(r, 404)
    # Their own people they may enrol and set goals for; others are not found.
    skill = client.get("/v1/skills?limit=1", headers=tenant.admin).json()["items"][0]["id"]
    _allow_unaligned_goals(client, tenant)
    goal = {"employee_id": org.sanne["id"], "skill_id": skill, "description": "Rustig blijven"}
    r = client.post("/v1/personal-goals", json=goal, headers=manager)
    assert r.status_code == 201, r.text
    r = client.post(
        "/v1/personal-goals", json={**goal, "employee_id": org.piet["id"]}, headers=manager
    )
    assert r.status_code in (404, 422), r.text


def test_employee_sees_self_only_and_viewer_writes_nothing(
    client: TestClient, tenant: Tenant, issuer: LoopbackIssuer
) -> None:
    configure(client, tenant, issuer)
    org = Org(client, tenant)
    sanne = _as(issuer, "sanne@example.nl", "staff")
    listed = client.get("/v1/employees", headers=sanne).json()["items"]
    assert [e["id"] for e in listed] == [org.sanne["id"]]
    assert_problem(client.get(f"/v1/employees/{org.piet['id']}", headers=sanne), 404)
    assert_problem(client.get("/v1/api-keys", headers=sanne), 403, "insufficient-scope")

    viewer = _as(issuer, "piet@example.nl", "hr-viewers")
    listed = client.get("/v1/employees", headers=viewer).json()["items"]
    assert len(listed) == 3
    r = client.patch(f"/v1/teams/{org.zuid['id']}", json={"name": "X"}, headers=viewer)
    assert_problem(r, 403, "insufficient-scope")


def test_audit_trail_records_the_user(
    client: TestClient, db: Session, tenant: Tenant, issuer: LoopbackIssuer
) -> None:
    configure(client, tenant, issuer)
    admin = _as(issuer, "hr@example.nl", "hr-admins")
    r = client.post("/v1/teams", json={"name": "Oost"}, headers=admin)
    assert r.status_code == 201, r.text
    db.info.clear()
    events = client.get(
        f"/v1/audit-events?resource_id={r.json()['id']}", headers=tenant.admin
    ).json()["items"]
    user_id = db.execute(select(User.id).where(User.email == "hr@example.nl")).scalar_one()
    assert [(e["user_id"], e["api_key_id"]) for e in events] == [(str(user_id), None)]
    assert db.execute(select(AuditEvent).where(AuditEvent.user_id == user_id)).first()
    by_user = client.get(f"/v1/audit-events?user_id={user_id}", headers=tenant.admin).json()
    assert {e["resource_id"] for e in by_user["items"]} == {r.json()["id"]}


def test_users_are_deactivated_with_their_employee(
    client: TestClient, tenant: Tenant, issuer: LoopbackIssuer
) -> None:
    configure(client, tenant, issuer)
    org = Org(client, tenant)
    sanne = _as(issuer, "sanne@example.nl", "staff")
    assert client.get("/v1/me", headers=sanne).status_code == 200
    r = client.patch(
        f"/v1/employees/{org.sanne['id']}", json={"active": False}, headers=tenant.admin
    )
    assert r.status_code == 200, r.text
    users = client.get("/v1/users", headers=tenant.admin).json()["items"]
    assert [u["active"] for u in users] == [False]
    assert_problem(client.get("/v1/me", headers=sanne), 403, "user-deactivated")


def test_erasing_an_employee_clears_their_user_email_and_name(
    client: TestClient, tenant: Tenant, issuer: LoopbackIssuer
) -> None:
    configure(client, tenant, issuer)
    org = Org(client, tenant)
    assert client.get("/v1/me", headers=_as(issuer, "sanne@example.nl", "staff")).status_code == 200
    sanne = f"/v1/employees/{org.sanne['id']}"
    assert client.patch(sanne, json={"active": False}, headers=tenant.admin).status_code == 200
    assert client.post(f"{sanne}/erase", headers=tenant.admin).status_code == 200
    users = client.get("/v1/users", headers=tenant.admin).json()["items"]
    assert [(u["email"], u["name"]) for u in users] == [(None, None)]


def test_attendance_is_recorded_by_others_not_by_the_person_enrolled(
    client: TestClient, db: Session, tenant: Tenant, issuer: LoopbackIssuer
) -> None:
    # An employee may cancel their own enrolment but not mark it attended (that would earn
    # them a completion), nor overrule a no-show; their manager may record it.
    configure(client, tenant, issuer)
    org = Org(client, tenant)
    started = utcnow().replace(microsecond=0) - timedelta(hours=1)
    ts = make_session(db, program=make_program(db), starts_at=started)
    sanne = org.row(db, org.sanne)
    enrolment = make_enrolment(db, training_session=ts, employee=sanne)
    db.commit()
    url = f"/v1/training-sessions/{ts.id}/enrolments/{enrolment.id}"
    as_sanne = _as(issuer, "sanne@example.nl", "staff")
    for status in ("attended", "no_show"):
        r = client.patch(url, json={"status": status}, headers=as_sanne)
        assert_problem(r, 403, "role-forbids")
    as_manager = _as(issuer, "marieke@example.nl", "managers")
    r = client.patch(url, json={"status": "no_show"}, headers=as_manager)
    assert r.status_code == 200 and r.json()["status"] == "no_show", r.text
    r = client.patch(url, json={"status": "attended"}, headers=as_sanne)
    assert_problem(r, 403, "role-forbids")
    assert client.get(url, headers=tenant.read).json()["status"] == "no_show"
    r = client.patch(url, json={"status": "cancelled"}, headers=as_sanne)
    assert r.status_code == 200 and r.json()["status"] == "cancelled", r.text


def test_a_trainer_completing_their_session_decides_on_the_organisations_facts(
    client: TestClient, db: Session, tenant: Tenant, issuer: LoopbackIssuer
) -> None:
    # The trainer's role does not read protocol acknowledgements, yet readiness, and so the
    # completion, must count them: a participant who read the protocol completes.
    configure(client, tenant, issuer)
    org = Org(client, tenant)
    sanne = org.row(db, org.sanne)
    protocol = publish_protocol(db)
    acknowledge(db, protocol, sanne)
    started = utcnow().replace(microsecond=0) - timedelta(hours=2)
    ts = make_session(
        db, program=make_program(db), starts_at=started, hours=1, trainer="trainer@example.nl"
    )
    enrolment = make_enrolment(db, training_session=ts, employee=sanne)
    db.commit()
    trainer = _as(issuer, "trainer@example.nl", "trainers")
    readiness = f"/v1/training-sessions/{ts.id}/readiness"
    as_trainer = client.get(readiness, headers=trainer)
    assert as_trainer.status_code == 200, as_trainer.text
    assert as_trainer.json() == client.get(readiness, headers=tenant.read).json()
    # An acknowledgement is still not the trainer's to read.
    acks = f"/v1/protocols/{protocol.id}/acknowledgements"
    assert len(client.get(acks, headers=tenant.read).json()["items"]) == 1
    assert client.get(acks, headers=trainer).json()["items"] == []
    r = client.post(f"/v1/training-sessions/{ts.id}/complete", headers=trainer)
    assert r.status_code == 200, r.text
    url = f"/v1/training-sessions/{ts.id}/enrolments/{enrolment.id}"
    assert client.get(url, headers=tenant.read).json()["status"] == "completed"


def test_a_trainer_s_name_names_their_sessions_only_while_no_one_else_has_it(
    client: TestClient, db: Session, tenant: Tenant, issuer: LoopbackIssuer
) -> None:
    # Sessions name their trainer in free text, by email or name. Two trainers called
    # "Jan de Vries" must not see each other's participants through the name.
    configure(client, tenant, issuer)
    org = Org(client, tenant)
    ts = make_session(db, program=make_program(db), trainer="Jan de Vries")
    make_enrolment(db, training_session=ts, employee=org.row(db, org.sanne))
    own = make_session(db, program=make_program(db), trainer="jan2@example.nl")
    make_enrolment(db, training_session=own, employee=org.row(db, org.sanne))
    db.commit()

    def as_jan(n: int) -> dict[str, str]:
        token = issuer.token(
            sub=f"jan-{n}", email=f"jan{n}@example.nl", name="Jan de Vries", groups=["trainers"]
        )
        return bearer(token)

    def participants(n: int, session: uuid.UUID) -> int:
        r = client.get(f"/v1/training-sessions/{session}/enrolments", headers=as_jan(n))
        assert r.status_code == 200, r.text
        return len(r.json()["items"])

    assert participants(1, ts.id) == 1  # the only Jan: the name is theirs
    assert participants(2, ts.id) == 0  # a namesake signed in: the name is no one's
    assert participants(1, ts.id) == 0
    # Their email still names their own sessions.
    assert participants(2, own.id) == 1


def test_managers_first_counts_managers_beyond_the_callers_reach(
    client: TestClient, db: Session, tenant: Tenant, issuer: LoopbackIssuer
) -> None:
    # Senior management is responsible for everyone, and outside a team manager's reach:
    # the rule must still find them untrained when that team manager enrols their staff.
    configure(client, tenant, issuer)
    org = Org(client, tenant)
    _post(client, tenant, "/v1/employees", {
        "first_name": "Dirk", "last_name": "Directeur", "role": "senior_management",
    })  # fmt: skip
    marieke = org.row(db, org.marieke)
    management = make_program(db, audience=Audience.management)
    make_completion(db, employee=marieke, program=management)
    ts = make_session(db, program=make_program(db))
    db.commit()
    enrol = {"employee_id": org.sanne["id"]}
    url = f"/v1/training-sessions/{ts.id}/enrolments"
    for who, headers in (
        ("hr", tenant.write),
        ("team manager", _as(issuer, "marieke@example.nl", "managers")),
    ):
        r = client.post(url, json=enrol, headers=headers)
        assert r.status_code == 409, (who, r.text)
        body = assert_problem(r, 409, "enrolment-refused")
        (refusal,) = [v for v in body["violations"] if v["rule"] == "managers_first"]
        missing = refusal["details"]["missing_managers"]
        assert [m["name"] for m in missing] == ["Dirk Directeur"], missing


def test_comparable_functions_count_participants_beyond_the_callers_reach(
    client: TestClient, db: Session, tenant: Tenant, issuer: LoopbackIssuer
) -> None:
    # Piet (team Zuid, outside Marieke's reach) sits in the session with a high-exposure
    # function; Sanne's is low: the warning is the same whoever enrols her.
    configure(client, tenant, issuer)
    org = Org(client, tenant)
    sanne, piet = org.row(db, org.sanne), org.row(db, org.piet)
    sanne.function_group_id = make_function_group(db, likelihood=1, impact=1).id
    piet.function_group_id = make_function_group(db, likelihood=5, impact=5).id
    marieke = org.row(db, org.marieke)
    make_completion(db, employee=marieke, program=make_program(db, audience=Audience.management))
    ts = make_session(db, program=make_program(db))
    make_enrolment(db, training_session=ts, employee=piet)
    db.commit()
    url = f"/v1/training-sessions/{ts.id}/enrolments"
    r = client.post(
        url,
        json={"employee_id": org.sanne["id"]},
        headers=_as(issuer, "marieke@example.nl", "managers"),
    )
    assert r.status_code == 201, r.text
    assert "comparable_functions" in {w["rule"] for w in r.json()["warnings"]}, r.text


def test_a_team_manager_reads_the_team_report_rows_of_their_teams(
    client: TestClient, db: Session, tenant: Tenant, issuer: LoopbackIssuer
) -> None:
    configure(client, tenant, issuer)
    org = Org(client, tenant)
    acknowledge(db, publish_protocol(db), Org.row(db, org.sanne))
    db.commit()
    every = client.get("/v1/reports/teams", headers=tenant.read).json()["items"]
    assert {r["team_id"] for r in every} == {org.noord["id"], org.zuid["id"]}
    manager = _as(issuer, "marieke@example.nl", "managers")
    r = client.get("/v1/reports/teams", headers=manager)
    assert r.status_code == 200, r.text
    # Their team's row, exactly as HR reads it; no row of a team they do not manage.
    assert r.json()["items"] == [row for row in every if row["team_id"] == org.noord["id"]]
    assert r.json()["items"][0]["protocol_ready"] == 1
    csv = client.get("/v1/reports/teams", headers={**manager, "Accept": "text/csv"})
    assert csv.status_code == 200 and "Zuid" not in csv.text and "Noord" in csv.text
    # The organisation's totals stay with HR.
    assert_problem(client.get("/v1/reports/overview", headers=manager), 403, "role-forbids")
    for person, group in (("sanne@example.nl", "staff"), ("piet@example.nl", "trainers")):
        r = client.get("/v1/reports/teams", headers=_as(issuer, person, group))
        assert_problem(r, 403, "role-forbids")


def test_imports_and_exports_are_for_hr_roles_and_keys(
    client: TestClient, tenant: Tenant, issuer: LoopbackIssuer
) -> None:
    # Both work set-based, past the per-row reach: a team manager or an employee could
    # otherwise read everyone's data or write goals for people outside their reach.
    configure(client, tenant, issuer)
    Org(client, tenant)
    client.post(
        "/v1/employees",
        json={"first_name": "Piet", "last_name": "Ext", "external_id": "E-9"},
        headers=tenant.admin,
    )
    goals = "employee_external_id;skill_code;description\nE-9;peer_support;Van een collega\n"
    team_goals = "team_external_id;skill_code;description\nZuid;deescalation;Geplant\n"
    csv = {"Content-Type": "text/csv"}
    for person, group in (("sanne@example.nl", "staff"), ("marieke@example.nl", "managers")):
        who = _as(issuer, person, group)
        r = client.get("/v1/exports/employees", headers=who)
        assert_problem(r, 403, "role-forbids")
        for kind, body in (("personal-goals", goals), ("team-goals", team_goals)):
            r = client.post(f"/v1/imports/{kind}", content=body, headers={**who, **csv})
            assert_problem(r, 403, "role-forbids")
    assert client.get("/v1/personal-goals", headers=tenant.read).json()["items"] == []
    hr_viewer = _as(issuer, "hr@example.nl", "hr-viewers")
    exported = client.get("/v1/exports/employees", headers=hr_viewer)
    assert exported.status_code == 200 and "E-9" in exported.text
    r = client.post("/v1/imports/personal-goals", content=goals, headers={**hr_viewer, **csv})
    assert_problem(r, 403, "insufficient-scope")
    # hr_viewer beside a role that writes: reading everyone is not writing for everyone.
    # Marieke may set her own people's goals, so she has the write scope; E-9 is not hers.
    both = bearer(issuer.token(sub="sub-m", email="marieke@example.nl",
                               groups=["hr-viewers", "managers"]))  # fmt: skip
    assert client.get("/v1/exports/employees", headers=both).status_code == 200
    _allow_unaligned_goals(client, tenant)  # nothing but the role stands in the way
    for kind, body in (("personal-goals", goals), ("team-goals", team_goals)):
        r = client.post(f"/v1/imports/{kind}", content=body, headers={**both, **csv})
        assert_problem(r, 403, "role-forbids")
    assert client.get("/v1/personal-goals", headers=tenant.read).json()["items"] == []
    assert client.get("/v1/team-goals", headers=tenant.read).json()["items"] == []


def test_bulk_writes_keep_to_what_the_writing_roles_reach(db: Session, tenant: Tenant) -> None:
    # Bulk statements meet no row-by-row check of a role's changes: an INSERT's rows are
    # refused outright, and an UPDATE or DELETE of hr_viewer beside team_manager hits only
    # the team manager's people, though the same person reads everyone.
    team = make_team(db, name="Noord")
    mine, theirs = make_employee(db, team_id=team.id), make_employee(db)
    goals = {
        emp.id: make_personal_goal(db, employee=emp, skill_row=skill(db, "deescalation"))
        for emp in (mine, theirs)
    }
    reach = Reach(
        user_id=uuid.uuid4(),
        roles=frozenset({UserRole.hr_viewer, UserRole.team_manager}),
        managed_team_ids=frozenset({team.id}),
        managed_employee_ids=frozenset({mine.id}),
    )
    bind_reach(db, reach)
    assert len(db.scalars(select(PersonalGoal)).all()) == 2
    hit = db.execute(update(PersonalGoal).values(description="Overal")).rowcount  # type: ignore[attr-defined]
    assert hit == 1
    db.expire_all()
    assert {g.id: g.description == "Overal" for g in db.scalars(select(PersonalGoal))} == {
        goals[mine.id].id: True, goals[theirs.id].id: False}  # fmt: skip
    row = {"employee_id": theirs.id, "skill_id": goals[theirs.id].skill_id,
           "description": "Van een ander", "organisation_id": tenant.id}  # fmt: skip
    with pytest.raises(Forbidden, match="in bulk"):
        db.execute(insert(PersonalGoal).values(**row))


def test_a_team_manager_does_not_write_their_own_hrm_conversation(
    client: TestClient, tenant: Tenant, issuer: LoopbackIssuer
) -> None:
    # Marieke is a member of the team she manages: her appraisal, held by senior
    # management, is hers to read but not to rewrite. Her own goals she still sets.
    configure(client, tenant, issuer)
    org = Org(client, tenant)
    client.patch(
        f"/v1/employees/{org.marieke['id']}",
        json={"team_id": org.noord["id"]},
        headers=tenant.admin,
    )
    director = _post(client, tenant, "/v1/employees", {
        "first_name": "Kevin", "last_name": "ter Horst", "role": "senior_management",
    })  # fmt: skip
    own = _post(client, tenant, "/v1/hrm-conversations", {
        "employee_id": org.marieke["id"], "manager_id": director["id"],
        "held_on": "2026-11-02", "kind": "appraisal", "notes": "Goed jaar",
    })  # fmt: skip
    theirs = _post(client, tenant, "/v1/hrm-conversations", {
        "employee_id": org.sanne["id"], "manager_id": org.marieke["id"],
        "held_on": "2026-11-02", "kind": "appraisal",
    })  # fmt: skip
    manager = _as(issuer, "marieke@example.nl", "managers")
    assert client.get(f"/v1/hrm-conversations/{own['id']}", headers=manager).status_code == 200
    r = client.patch(
        f"/v1/hrm-conversations/{own['id']}", json={"notes": "Uitstekend"}, headers=manager
    )
    assert_problem(r, 403, "role-forbids")
    r = client.patch(
        f"/v1/hrm-conversations/{theirs['id']}", json={"notes": "Besproken"}, headers=manager
    )
    assert r.status_code == 200, r.text
    _allow_unaligned_goals(client, tenant)
    skill = client.get("/v1/skills?limit=1", headers=tenant.admin).json()["items"][0]["id"]
    r = client.post(
        "/v1/personal-goals",
        json={"employee_id": org.marieke["id"], "skill_id": skill, "description": "Leiden"},
        headers=manager,
    )
    assert r.status_code == 201, r.text
    # Nor the goals her appraisal records: the links are the conversation's.
    r = client.patch(
        f"/v1/hrm-conversations/{own['id']}",
        json={"personal_goal_ids": [r.json()["id"]]},
        headers=manager,
    )
    assert_problem(r, 403, "role-forbids")
    kept = client.get(f"/v1/hrm-conversations/{own['id']}", headers=tenant.read).json()
    assert kept["personal_goal_ids"] == []


def test_an_employee_does_not_rewrite_the_goals_their_hrm_conversation_records(
    client: TestClient, tenant: Tenant, issuer: LoopbackIssuer
) -> None:
    # The conversation is the manager's record: its goals, added or taken away, are not
    # the employee's to change, though their goals are theirs and the conversation is
    # theirs to read.
    configure(client, tenant, issuer)
    org = Org(client, tenant)
    _allow_unaligned_goals(client, tenant)
    skill = client.get("/v1/skills?limit=1", headers=tenant.admin).json()["items"][0]["id"]
    first, second = (
        _post(client, tenant, "/v1/personal-goals", {
            "employee_id": org.sanne["id"], "skill_id": skill, "description": text,
        })["id"]
        for text in ("Rustig blijven", "Grenzen stellen")
    )  # fmt: skip
    conversation = _post(client, tenant, "/v1/hrm-conversations", {
        "employee_id": org.sanne["id"], "manager_id": org.marieke["id"],
        "held_on": "2026-11-02", "kind": "progress", "personal_goal_ids": [first],
    })  # fmt: skip
    path = f"/v1/hrm-conversations/{conversation['id']}"
    sanne = _as(issuer, "sanne@example.nl", "staff")
    assert client.get(path, headers=sanne).status_code == 200
    for goal_ids in ([second], [first, second], []):
        r = client.patch(path, json={"personal_goal_ids": goal_ids}, headers=sanne)
        assert_problem(r, 403, "role-forbids")
    assert client.get(path, headers=tenant.read).json()["personal_goal_ids"] == [first]
    manager = _as(issuer, "marieke@example.nl", "managers")
    r = client.patch(path, json={"personal_goal_ids": [first, second]}, headers=manager)
    assert r.status_code == 200 and set(r.json()["personal_goal_ids"]) == {first, second}
    r = client.patch(path, json={"personal_goal_ids": []}, headers=manager)
    assert r.status_code == 200 and r.json()["personal_goal_ids"] == []


def test_a_user_made_for_one_provider_is_not_claimed_through_another(
    client: TestClient, tenant: Tenant, issuer: LoopbackIssuer
) -> None:
    # HR made the director's user for provider X before the first sign-in. Someone at
    # provider Y with the same email claim must not take it over (and lock the director out).
    x = configure(client, tenant, issuer, create_users=False)
    configure(client, tenant, issuer, name="Tweede IdP", audience="api://other")
    made = client.post(
        "/v1/users",
        json={
            "email": "director@example.nl",
            "roles": ["hr_admin"],
            "identity_provider_id": x["id"],
        },
        headers=tenant.admin,
    )
    assert made.status_code == 201, made.text
    other = bearer(
        issuer.token(sub="intruder", email="Director@example.nl", aud="api://other", groups=[])
    )
    assert_problem(client.get("/v1/me", headers=other), 403, "no-user")
    own = bearer(issuer.token(sub="director", email="director@example.nl", groups=[]))
    me = client.get("/v1/me", headers=own)
    assert me.status_code == 200 and me.json()["roles"] == ["hr_admin"], me.text


def test_an_unverified_or_taken_email_links_no_employee(
    client: TestClient, tenant: Tenant, issuer: LoopbackIssuer
) -> None:
    # Linking by email trusts the address only when the provider does not say it is
    # unverified, and one employee gets one user.
    configure(client, tenant, issuer, link_by="email", create_users=True)
    org = Org(client, tenant)
    unverified = issuer.token(
        sub="typed-it", email="sanne@example.nl", email_verified=False, groups=["staff"]
    )
    me = client.get("/v1/me", headers=bearer(unverified)).json()
    assert me["employee_id"] is None
    # Nor is the address kept on the user (a trainer's reach matches it); "false" as a
    # string counts as unverified too.
    as_text = issuer.token(
        sub="typed-too", email="piet@example.nl", email_verified="false", groups=["staff"]
    )
    assert client.get("/v1/me", headers=bearer(as_text)).json()["employee_id"] is None
    users = client.get("/v1/users", headers=tenant.admin).json()["items"]
    emails = {u["subject"]: u["email"] for u in users}
    assert emails["typed-it"] is None and emails["typed-too"] is None
    assert_problem(client.get(f"/v1/employees/{org.sanne['id']}", headers=bearer(unverified)), 404)
    real = issuer.token(
        sub="sanne", email="sanne@example.nl", email_verified=True, groups=["staff"]
    )
    assert client.get("/v1/me", headers=bearer(real)).json()["employee_id"] == org.sanne["id"]
    second = issuer.token(sub="sanne-2", email="sanne@example.nl", groups=["staff"])
    assert client.get("/v1/me", headers=bearer(second)).json()["employee_id"] is None
