"""Evaluation after training (issue 20, item 3): attendance, feedback and the trainer's
note per participant, goal progress and achieved goals at completion, the report per
programme."""

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func
from sqlmodel import Session, select

from app.core.dates import CALENDAR_ZONE
from app.learning.models import PersonalGoal, PersonalGoalStatus
from app.training.method_models import GoalProgress, TrainingEvaluation
from app.training.models import SessionStatus
from tests.conftest import Tenant
from tests.factories.core import make_employee
from tests.factories.learning import make_personal_goal, make_team_goal, skill
from tests.factories.training import make_completion, make_enrolment, make_session
from tests.helpers import assert_problem, set_clock
from tests.training.conftest import World

URL = "/v1/training-evaluations"


@pytest.fixture
def run(db: Session, world: World) -> dict[str, Any]:
    """Three participants of the staff session, and Sanne's and Daan's goals."""
    for m in (world.senior, world.manager):
        make_completion(db, employee=m, program=world.management)
    newcomer = make_employee(
        db, first_name="Noor", team_id=world.team.id, function_group_id=world.fg.id
    )
    enrolments = {
        e.id: make_enrolment(db, training_session=world.staff_session, employee=e)
        for e in (world.staff, world.colleague, newcomer)
    }
    deescalation = make_team_goal(db, team=world.team, skill_row=skill(db, "deescalation"))
    boundaries = make_team_goal(db, team=world.team, skill_row=skill(db, "peer_support"))
    return {
        "newcomer": newcomer,
        "enrolments": enrolments,
        # on a skill of the programme: practised
        "sanne_goal": make_personal_goal(db, employee=world.staff, team_goal=deescalation),
        "daan_goal": make_personal_goal(db, employee=world.colleague, team_goal=deescalation),
        # on another skill: practised only when a reflection brings it
        "sanne_other": make_personal_goal(db, employee=world.staff, team_goal=boundaries),
        "daan_other": make_personal_goal(db, employee=world.colleague, team_goal=boundaries),
    }


def _evaluate(client: TestClient, tenant: Tenant, enrolment: Any, **body: Any) -> Any:
    return client.post(URL, json={"enrolment_id": str(enrolment.id), **body}, headers=tenant.write)


def test_attendance_feedback_progress_and_achieved_goals(
    client: TestClient,
    db: Session,
    world: World,
    tenant: Tenant,
    run: dict[str, Any],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    enrolments = run["enrolments"]
    sanne, daan, noor = (enrolments[e.id] for e in (world.staff, world.colleague, run["newcomer"]))
    # Sanne brings her other goal to the training.
    r = client.post(
        "/v1/training-reflections",
        json={
            "enrolment_id": str(sanne.id),
            "personal_goal_ids": [str(run["sanne_other"].id)],
            "situation": "Een cliënt die blijft schelden aan de balie",
        },
        headers=tenant.write,
    )
    assert r.status_code == 201, r.text
    assert_problem(
        _evaluate(client, tenant, sanne, attendance="present"), 409, "session-not-started"
    )

    set_clock(monkeypatch, world.staff_session.starts_at + timedelta(hours=5))
    r = _evaluate(
        client,
        tenant,
        sanne,
        attendance="present",
        rating=5,
        helped="De acteur",
        practise_more="Begrenzen",
        trainer_note="Benoemt het gedrag helder.",
        achieved_goal_ids=[str(run["sanne_goal"].id)],
    )
    assert r.status_code == 201, r.text
    assert r.json()["program_id"] == str(world.program.id)
    assert _evaluate(client, tenant, daan, attendance="partly", rating=3).status_code == 201
    assert _evaluate(client, tenant, noor, attendance="absent").status_code == 201
    assert_problem(_evaluate(client, tenant, noor, attendance="present"), 409, "already-exists")
    base = f"/v1/training-sessions/{world.staff_session.id}"
    statuses = {
        e["employee_id"]: e["status"]
        for e in client.get(f"{base}/enrolments", headers=tenant.read).json()["items"]
    }
    assert statuses == {
        str(world.staff.id): "attended",
        str(world.colleague.id): "attended",
        str(run["newcomer"].id): "no_show",
    }

    assert client.post(f"{base}/complete", headers=tenant.write).status_code == 200
    statuses = {
        e["employee_id"]: e["status"]
        for e in client.get(f"{base}/enrolments", headers=tenant.read).json()["items"]
    }
    assert statuses[str(run["newcomer"].id)] == "no_show"  # absent is not completed
    assert statuses[str(world.staff.id)] == statuses[str(world.colleague.id)] == "completed"
    noor_record = client.get(
        f"/v1/employees/{run['newcomer'].id}/training-record", headers=tenant.read
    ).json()
    assert noor_record["completions"] == []

    progress = client.get("/v1/goal-progress", params={"session_id": str(world.staff_session.id)},
                          headers=tenant.read).json()["items"]  # fmt: skip
    practised = {(p["personal_goal_id"], p["achieved"]) for p in progress}
    assert practised == {
        (str(run["sanne_goal"].id), True),
        (str(run["sanne_other"].id), False),  # brought by her reflection
        (str(run["daan_goal"].id), False),
    }
    db.expire_all()
    assert db.get(PersonalGoal, run["sanne_goal"].id).status == PersonalGoalStatus.achieved  # type: ignore[union-attr]
    assert db.get(PersonalGoal, run["daan_goal"].id).status != PersonalGoalStatus.achieved  # type: ignore[union-attr]

    # After completion: feedback and the note may change, attendance and goals may not.
    evaluation_id = r.json()["id"]
    r = client.patch(
        f"{URL}/{evaluation_id}", json={"trainer_note": "Sterk."}, headers=tenant.write
    )
    assert r.status_code == 200, r.text
    assert_problem(
        client.patch(f"{URL}/{evaluation_id}", json={"attendance": "absent"}, headers=tenant.write),
        409,
        "session-closed",
    )

    report = client.get(
        "/v1/reports/training-evaluations", params={"program_id": str(world.program.id)},
        headers=tenant.read,
    )  # fmt: skip
    assert report.status_code == 200, report.text
    [item] = report.json()["items"]
    assert item["program_title"] == world.program.title
    assert (item["sessions_completed"], item["evaluations"]) == (1, 3)
    assert (item["present"], item["partly"], item["absent"]) == (1, 1, 1)
    assert item["average_rating"] == 4.0
    assert item["ratings"] == {"1": 0, "2": 0, "3": 1, "4": 0, "5": 1}
    assert (item["goals_practised"], item["goals_achieved"]) == (3, 1)
    assert item["practise_more"] == ["Begrenzen"]


def test_goals_reached_are_the_participants_own_and_nothing_is_half_written(
    client: TestClient,
    db: Session,
    world: World,
    tenant: Tenant,
    run: dict[str, Any],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    sanne = run["enrolments"][world.staff.id]
    set_clock(monkeypatch, world.staff_session.starts_at + timedelta(hours=1))
    body = assert_problem(
        _evaluate(client, tenant, sanne, attendance="present",
                  achieved_goal_ids=[str(run["daan_goal"].id)]),
        409,
        "goal-of-another-employee",
    )  # fmt: skip
    assert body["violations"][0]["rule"] == "evaluation_goals"
    assert_problem(_evaluate(client, tenant, sanne, attendance="present", rating=6), 422)
    assert_problem(_evaluate(client, tenant, sanne, attendance="maybe"), 422)
    count = db.exec(select(func.count()).select_from(TrainingEvaluation)).one()
    assert count == 0
    assert db.exec(select(func.count()).select_from(GoalProgress)).one() == 0
    base = f"/v1/training-sessions/{world.staff_session.id}/enrolments/{sanne.id}"
    assert client.get(base, headers=tenant.read).json()["status"] == "enrolled"


def test_a_cancelled_enrolment_takes_no_attendance_by_a_changed_evaluation(
    client: TestClient,
    db: Session,
    world: World,
    tenant: Tenant,
    run: dict[str, Any],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Cancelled after its evaluation, the enrolment holds no seat: a changed attendance
    # must not bring it back (it would complete with the session, past seats and rules).
    sanne = run["enrolments"][world.staff.id]
    set_clock(monkeypatch, world.staff_session.starts_at + timedelta(hours=1))
    evaluation = _evaluate(client, tenant, sanne, attendance="present").json()
    base = f"/v1/training-sessions/{world.staff_session.id}/enrolments/{sanne.id}"
    cancelled = client.patch(base, json={"status": "cancelled"}, headers=tenant.write)
    assert cancelled.status_code == 200, cancelled.text
    r = client.patch(
        f"{URL}/{evaluation['id']}", json={"attendance": "present"}, headers=tenant.write
    )
    assert_problem(r, 409, "enrolment-cancelled")
    assert client.get(base, headers=tenant.read).json()["status"] == "cancelled"
    # What does not touch attendance may still change.
    r = client.patch(f"{URL}/{evaluation['id']}", json={"rating": 4}, headers=tenant.write)
    assert r.status_code == 200, r.text


def test_a_goal_dropped_after_its_evaluation_stays_dropped_at_completion(
    client: TestClient,
    db: Session,
    world: World,
    tenant: Tenant,
    run: dict[str, Any],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The evaluation named the goal reached, then the employee and manager dropped it:
    # completing the session records the progress but must not bring the goal back.
    sanne = run["enrolments"][world.staff.id]
    goal = run["sanne_goal"]
    set_clock(monkeypatch, world.staff_session.starts_at + timedelta(hours=5))
    r = _evaluate(client, tenant, sanne, attendance="present", achieved_goal_ids=[str(goal.id)])
    assert r.status_code == 201, r.text
    r = client.patch(
        f"/v1/personal-goals/{goal.id}", json={"status": "dropped"}, headers=tenant.write
    )
    assert r.status_code == 200, r.text

    base = f"/v1/training-sessions/{world.staff_session.id}"
    assert client.post(f"{base}/complete", headers=tenant.write).status_code == 200
    r = client.get(f"/v1/personal-goals/{goal.id}", headers=tenant.read)
    assert r.json()["status"] == "dropped"


def test_the_report_s_starting_day_is_a_dutch_day(
    client: TestClient, db: Session, world: World, tenant: Tenant
) -> None:
    # A session at 00:30 in Amsterdam on 2 October starts that day, though in UTC it is
    # still 1 October (core/dates.py): `starts_from=2025-10-02` includes it.
    first_hour = datetime(2025, 10, 2, 0, 30, tzinfo=CALENDAR_ZONE).astimezone(UTC)
    make_session(db, program=world.program, starts_at=first_hour, status=SessionStatus.completed)
    db.commit()

    def sessions(day: str) -> int:
        r = client.get(
            "/v1/reports/training-evaluations",
            params={"program_id": str(world.program.id), "starts_from": day},
            headers=tenant.read,
        )
        assert r.status_code == 200, r.text
        return sum(item["sessions_completed"] for item in r.json()["items"])

    assert sessions("2025-10-02") == 1
    assert sessions("2025-10-03") == 0
