"""Reflection before training (issue 20, item 2): the participant's preparation per
enrolment, the list of enrolled people without one, and the rule reflected_before_training
applied when the session is completed."""

from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func
from sqlmodel import Session, select

from app.learning.models import PersonalGoalStatus
from app.training.method_models import TrainingReflection
from app.training.models import Enrolment
from tests.conftest import Tenant
from tests.factories.core import make_employee
from tests.factories.learning import make_personal_goal, make_team_goal, skill
from tests.factories.training import make_completion, make_enrolment
from tests.helpers import assert_problem, set_clock
from tests.training.conftest import World, set_severities

URL = "/v1/training-reflections"


@pytest.fixture
def booked(db: Session, world: World) -> tuple[Enrolment, Enrolment]:
    """Sanne and Daan enrolled in the staff session; the managers trained, all ready."""
    for m in (world.senior, world.manager):
        make_completion(db, employee=m, program=world.management)
    return (
        make_enrolment(db, training_session=world.staff_session, employee=world.staff),
        make_enrolment(db, training_session=world.staff_session, employee=world.colleague),
    )


def _goal(db: Session, world: World, employee: Any = None) -> Any:
    team_goal = make_team_goal(db, team=world.team, skill_row=skill(db, "deescalation"))
    return make_personal_goal(db, employee=employee or world.staff, team_goal=team_goal)


def _reflect(client: TestClient, tenant: Tenant, enrolment: Enrolment, **body: Any) -> Any:
    return client.post(
        URL,
        json={
            "enrolment_id": str(enrolment.id),
            "situation": "Een cliënt die niet wil vertrekken bij de balie",
            **body,
        },
        headers=tenant.write,
    )


def _count(db: Session) -> int:
    return db.exec(select(func.count()).select_from(TrainingReflection)).one()


def test_a_reflection_brings_goals_and_a_situation(
    client: TestClient, db: Session, world: World, tenant: Tenant, booked: Any
) -> None:
    sanne, _daan = booked
    goal = _goal(db, world)
    r = _reflect(
        client, tenant, sanne, personal_goal_ids=[str(goal.id)], question="Hoe begrens ik?"
    )
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["personal_goal_ids"] == [str(goal.id)]
    assert body["session_id"] == str(world.staff_session.id)
    assert body["employee_id"] == str(world.staff.id)
    listed = client.get(
        URL, params={"session_id": str(world.staff_session.id)}, headers=tenant.read
    )
    assert [i["id"] for i in listed.json()["items"]] == [body["id"]]

    status = client.get(
        f"/v1/training-sessions/{world.staff_session.id}/reflections", headers=tenant.read
    ).json()
    assert status["severity"] == "warning"  # the default
    assert (status["enrolled"], status["reflected"]) == (2, 1)
    assert [p["employee_id"] for p in status["without_reflection"]] == [str(world.colleague.id)]

    r = client.patch(f"{URL}/{body['id']}", json={"situation": "Schelden aan de telefoon"},
                     headers=tenant.write)  # fmt: skip
    assert r.status_code == 200 and r.json()["situation"] == "Schelden aan de telefoon"


def test_only_own_goals_once_per_enrolment_and_nothing_half_written(
    client: TestClient, db: Session, world: World, tenant: Tenant, booked: Any
) -> None:
    sanne, daan = booked
    daans_goal = _goal(db, world, employee=world.colleague)
    body = assert_problem(
        _reflect(client, tenant, sanne, personal_goal_ids=[str(daans_goal.id)]),
        409,
        "goal-of-another-employee",
    )
    assert body["violations"][0]["personal_goal_ids"] == [str(daans_goal.id)]
    own = _goal(db, world)
    own.status = PersonalGoalStatus.dropped
    db.flush()
    assert_problem(
        _reflect(client, tenant, sanne, personal_goal_ids=[str(own.id)]),
        409,
        "goal-of-another-employee",
    )
    unknown = "01900000-0000-7000-8000-000000000000"
    body = assert_problem(
        _reflect(client, tenant, sanne, personal_goal_ids=[unknown]), 422, "unknown-reference"
    )
    assert body["errors"][0]["pointer"] == "/personal_goal_ids/0"
    assert_problem(_reflect(client, tenant, sanne, situation=""), 422)
    assert _count(db) == 0

    assert _reflect(client, tenant, sanne).status_code == 201
    assert_problem(_reflect(client, tenant, sanne), 409, "already-exists")
    r = client.patch(
        f"/v1/training-sessions/{world.staff_session.id}/enrolments/{daan.id}",
        json={"status": "cancelled"},
        headers=tenant.write,
    )
    assert r.status_code == 200, r.text
    assert_problem(_reflect(client, tenant, daan), 409, "enrolment-cancelled")
    assert _count(db) == 1


def _complete(client: TestClient, tenant: Tenant, world: World) -> dict[str, Any]:
    base = f"/v1/training-sessions/{world.staff_session.id}"
    r = client.post(f"{base}/complete", headers=tenant.write)
    assert r.status_code == 200, r.text
    items = client.get(f"{base}/enrolments", headers=tenant.read).json()["items"]
    return {e["employee_id"]: e for e in items}


def test_the_rule_as_a_warning_records_who_did_not_reflect(
    client: TestClient,
    db: Session,
    world: World,
    tenant: Tenant,
    booked: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    sanne, _daan = booked
    assert _reflect(client, tenant, sanne).status_code == 201
    set_clock(monkeypatch, world.staff_session.starts_at + timedelta(hours=5))
    enrolments = _complete(client, tenant, world)
    assert enrolments[str(world.staff.id)]["warnings"] == []
    daan = enrolments[str(world.colleague.id)]
    assert daan["status"] == "completed"
    assert [(w["rule"], w["severity"]) for w in daan["warnings"]] == [
        ("reflected_before_training", "warning")
    ]
    assert daan["warnings"][0]["details"]["at"].endswith("Z")  # UTC with Z (issue 19)


def test_the_rule_as_an_error_refuses_completion_and_late_reflections_do_not_count(
    client: TestClient,
    db: Session,
    world: World,
    tenant: Tenant,
    booked: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    r = client.patch(
        "/v1/organisation",
        json={"settings": {"rule_severities": {"reflected_before_training": "error"}}},
        headers=tenant.admin,
    )
    assert r.status_code == 200, r.text
    sanne, daan = booked
    assert _reflect(client, tenant, sanne).status_code == 201
    set_clock(monkeypatch, world.staff_session.starts_at + timedelta(hours=1))
    assert _reflect(client, tenant, daan).status_code == 201  # after the start: too late
    status = client.get(
        f"/v1/training-sessions/{world.staff_session.id}/reflections", headers=tenant.read
    ).json()
    assert [p["employee_id"] for p in status["without_reflection"]] == [str(world.colleague.id)]
    set_clock(monkeypatch, world.staff_session.starts_at + timedelta(hours=5))
    enrolments = _complete(client, tenant, world)
    assert enrolments[str(world.staff.id)]["status"] == "completed"
    refused = enrolments[str(world.colleague.id)]
    assert refused["status"] == "attended"
    assert [(w["rule"], w["severity"]) for w in refused["warnings"]] == [
        ("reflected_before_training", "error")
    ]
    record = client.get(
        f"/v1/employees/{world.colleague.id}/training-record", headers=tenant.read
    ).json()
    assert record["completions"] == []


def test_the_rule_off_records_nothing(
    client: TestClient,
    db: Session,
    world: World,
    tenant: Tenant,
    booked: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    set_severities(db, world.org, reflected_before_training="off")
    set_clock(monkeypatch, world.staff_session.starts_at + timedelta(hours=5))
    enrolments = _complete(client, tenant, world)
    assert [(e["status"], e["warnings"]) for e in enrolments.values()] == [("completed", [])] * 2


def test_a_new_employee_without_goals_may_reflect_on_a_situation_alone(
    client: TestClient, db: Session, world: World, tenant: Tenant, booked: Any
) -> None:
    newcomer = make_employee(db, team_id=world.team.id, function_group_id=world.fg.id)
    enrolment = make_enrolment(db, training_session=world.staff_session, employee=newcomer)
    r = _reflect(client, tenant, enrolment)
    assert r.status_code == 201, r.text
    assert r.json()["personal_goal_ids"] == []
