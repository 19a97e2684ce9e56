"""Scheduling a plan (issue 6, part 3): planned sessions and enrolments through the same
enrolment rules as a manual enrolment, management first, all or nothing, never stale."""

from datetime import UTC, datetime, time, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func
from sqlmodel import Session, col, select

from app.core.dates import CALENDAR_ZONE
from app.core.errors import Conflict, InvalidInput, RuleViolation
from app.selection.models import (
    PhaseDate,
    PlanStatus,
    TrainingPlan,
    TrainingPlanCreate,
    TrainingPlanGroup,
    TrainingPlanSchedule,
)
from app.selection.service import create_plan, schedule_plan
from app.training.models import Enrolment, TrainingProgram, TrainingSession
from tests.conftest import Tenant
from tests.factories.core import make_employee
from tests.factories.policy import make_acknowledgement
from tests.helpers import assert_problem
from tests.selection.conftest import STARTS_ON, Org, make_everyone_ready, set_severities


def at(days: int, hour: int = 9) -> datetime:
    """A moment ``days`` after the plan's start day."""
    return datetime.combine(STARTS_ON + timedelta(days=days), time(hour), tzinfo=UTC)


# phase 1 management, 2 high, 3 moderate, 4 low (test_plans.py)
GOOD = {1: at(1), 2: at(8), 3: at(9), 4: at(10)}


def _dates(dates: dict[int, datetime]) -> TrainingPlanSchedule:
    return TrainingPlanSchedule(
        phases=[PhaseDate(phase=p, starts_at=d, location="Leslokaal 1") for p, d in dates.items()]
    )


def _plan(db: Session) -> TrainingPlan:
    return create_plan(db, data=TrainingPlanCreate(starts_on=STARTS_ON))


def _count(db: Session, model: Any) -> int:
    return db.exec(select(func.count()).select_from(model)).one()


def test_scheduling_creates_the_sessions_and_enrolments(db: Session, org: Org) -> None:
    make_everyone_ready(db, org)
    plan = _plan(db)
    schedule_plan(db, org=org.org, plan=plan, data=_dates(GOOD))
    assert plan.status == PlanStatus.scheduled and plan.scheduled_at is not None
    groups = db.exec(select(TrainingPlanGroup).order_by(col(TrainingPlanGroup.phase))).all()
    assert len(groups) == plan.session_count == _count(db, TrainingSession)
    for group in groups:
        ts = db.get(TrainingSession, group.session_id)
        assert ts is not None and ts.program_id == group.program_id
        enrolled = {
            e.employee_id for e in db.exec(select(Enrolment).where(Enrolment.session_id == ts.id))
        }
        assert {str(e) for e in enrolled} == {m["employee_id"] for m in group.members}
        assert ts.enrolled_count == len(enrolled) <= ts.capacity
        program = db.get(TrainingProgram, ts.program_id)
        assert program is not None
        assert ts.starts_at == GOOD[group.phase]
        assert ts.ends_at == GOOD[group.phase] + timedelta(hours=program.duration_hours)
        assert ts.location == "Leslokaal 1"
    management_end = max(
        db.get(TrainingSession, g.session_id).ends_at
        for g in groups
        if g.phase == 1  # type: ignore[union-attr]
    )
    staff_start = min(
        db.get(TrainingSession, g.session_id).starts_at for g in groups if g.phase > 1
    )  # type: ignore[union-attr]
    assert management_end <= staff_start


def test_a_plan_is_scheduled_once(db: Session, org: Org) -> None:
    make_everyone_ready(db, org)
    plan = _plan(db)
    schedule_plan(db, org=org.org, plan=plan, data=_dates(GOOD))
    with pytest.raises(Conflict) as exc:
        schedule_plan(db, org=org.org, plan=plan, data=_dates(GOOD))
    assert exc.value.code == "plan-already-scheduled"


def test_a_stale_plan_is_refused(db: Session, org: Org) -> None:
    make_everyone_ready(db, org)
    plan = _plan(db)
    make_employee(db, team_id=org.team_a.id, function_group_id=org.crisis.id)
    with pytest.raises(Conflict) as exc:
        schedule_plan(db, org=org.org, plan=plan, data=_dates(GOOD))
    assert exc.value.code == "plan-stale"
    assert _count(db, TrainingSession) == 0


def test_staff_before_management_ends_is_refused(db: Session, org: Org) -> None:
    make_everyone_ready(db, org)
    plan = _plan(db)
    # the management session (4 hours) still runs when the high phase starts
    dates = {**GOOD, 2: at(1, hour=11)}
    with pytest.raises(RuleViolation) as exc:
        schedule_plan(db, org=org.org, plan=plan, data=_dates(dates))
    assert exc.value.code == "managers-first-order"
    assert [v["phase"] for v in exc.value.violations or []] == [2]
    # Times in details are written as in every body: UTC with `Z`, never `+00:00`.
    assert all(v["earliest_start_at"].endswith("Z") for v in exc.value.violations or [])
    assert "+00:00" not in str(exc.value.violations)
    assert _count(db, TrainingSession) == 0


def test_with_managers_first_as_a_warning_the_rules_record_it(db: Session, org: Org) -> None:
    make_everyone_ready(db, org)
    set_severities(db, org.org, managers_first="warning")
    plan = _plan(db)
    dates = {**GOOD, 2: at(1, hour=11)}
    schedule_plan(db, org=org.org, plan=plan, data=_dates(dates))
    staff = org.crisis_staff[0]
    warned = db.exec(select(Enrolment).where(Enrolment.employee_id == staff.id)).all()
    assert warned and all(any(w["rule"] == "managers_first" for w in e.warnings) for e in warned)


def test_a_plan_is_scheduled_while_some_have_yet_to_read_the_protocol(
    db: Session, org: Org
) -> None:
    # Team B has not read or discussed the protocol yet. Readiness counts before the
    # training, not at booking (issue 20, item 4): the whole plan is scheduled, team B's
    # enrolments await readiness and protocol_ready decides at each session's start.
    make_acknowledgement(db, protocol=org.protocol, employee=org.senior)
    plan = _plan(db)
    schedule_plan(db, org=org.org, plan=plan, data=_dates(GOOD))
    assert plan.status == PlanStatus.scheduled
    team_b = {e.id for e in [*org.housing_staff, *org.ambulant_staff, org.manager_b]}
    awaiting = {
        e.employee_id
        for e in db.exec(select(Enrolment))
        if any(w["rule"] == "awaiting_readiness" for w in e.warnings)
    }
    assert awaiting == team_b
    seats = sum(len(g.members) for g in db.exec(select(TrainingPlanGroup)))
    assert _count(db, Enrolment) == seats


def test_staff_are_refused_while_their_managers_cannot_be_trained_first(
    db: Session, org: Org
) -> None:
    make_everyone_ready(db, org)
    org.management.active = False
    db.flush()
    plan = _plan(db)
    with pytest.raises(RuleViolation) as exc:
        schedule_plan(db, org=org.org, plan=plan, data=_dates({2: at(8), 3: at(9), 4: at(10)}))
    assert {v["rule"] for v in exc.value.violations or []} == {"managers_first"}
    assert len({v["employee_id"] for v in exc.value.violations or []}) == len(org.staff)
    assert _count(db, TrainingSession) == 0


def test_strict_settings_for_every_rule_still_schedule(db: Session, org: Org) -> None:
    # Groups never mix exposure levels, suit their programme's audience and exposure range
    # and fit the seats: with every rule an error, the plan is still accepted.
    make_everyone_ready(db, org)
    set_severities(
        db, org.org, comparable_functions="error", exposure_fit="error", audience_fit="error"
    )
    plan = _plan(db)
    schedule_plan(db, org=org.org, plan=plan, data=_dates(GOOD))
    assert all(not e.warnings for e in db.exec(select(Enrolment)))


def test_every_phase_needs_a_date_in_the_future(db: Session, org: Org) -> None:
    make_everyone_ready(db, org)
    plan = _plan(db)
    with pytest.raises(InvalidInput) as exc:
        schedule_plan(db, org=org.org, plan=plan, data=_dates({1: at(1), 2: at(8)}))
    assert exc.value.code == "plan-phase-dates"
    with pytest.raises(InvalidInput):
        schedule_plan(db, org=org.org, plan=plan, data=_dates({**GOOD, 9: at(20)}))
    with pytest.raises(InvalidInput):
        schedule_plan(db, org=org.org, plan=plan, data=_dates({**GOOD, 1: at(-1)}))


def test_a_phase_may_start_in_the_first_dutch_hour_of_the_plan_s_start_day(
    db: Session, org: Org
) -> None:
    # 00:30 in Amsterdam on the plan's first day is the day before in UTC; the plan's
    # `starts_on` is a Dutch day (core/dates.py), so the phase starts on it, not before.
    make_everyone_ready(db, org)
    plan = _plan(db)
    first_hour = datetime.combine(STARTS_ON, time(0, 30), tzinfo=CALENDAR_ZONE).astimezone(UTC)
    assert first_hour.date() < STARTS_ON
    schedule_plan(db, org=org.org, plan=plan, data=_dates({**GOOD, 1: first_hour}))
    assert plan.status == PlanStatus.scheduled


# --- the route -----------------------------------------------------------------------------


def _body(dates: dict[int, datetime]) -> dict[str, Any]:
    return {"phases": [{"phase": p, "starts_at": d.isoformat()} for p, d in dates.items()]}


def test_the_schedule_route(client: TestClient, tenant: Tenant, org: Org, db: Session) -> None:
    make_everyone_ready(db, org)
    created = client.post(
        "/v1/training-plans", json={"starts_on": STARTS_ON.isoformat()}, headers=tenant.write
    )
    url = f"/v1/training-plans/{created.json()['id']}/schedule"
    stale_etag = {"If-Match": '"not-it"'}
    assert_problem(client.post(url, json=_body(GOOD), headers=tenant.write | stale_etag), 412)
    assert_problem(client.post(url, json=_body(GOOD), headers=tenant.read), 403)
    dup = {"phases": [{"phase": 1, "starts_at": at(1).isoformat()}] * 2}
    assert_problem(client.post(url, json=dup, headers=tenant.write), 422)
    etag = {"If-Match": created.headers["ETag"]}
    resp = client.post(url, json=_body(GOOD), headers=tenant.write | etag)
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert body["status"] == "scheduled"
    assert all(g["session_id"] for p in body["phases"] for g in p["groups"])
    again = client.post(url, json=_body(GOOD), headers=tenant.write)
    assert_problem(again, 409, "plan-already-scheduled")


def test_the_schedule_route_answers_409_on_a_stale_plan(
    client: TestClient, tenant: Tenant, org: Org, db: Session
) -> None:
    make_everyone_ready(db, org)
    created = client.post(
        "/v1/training-plans", json={"starts_on": STARTS_ON.isoformat()}, headers=tenant.write
    ).json()
    make_acknowledgement(db, protocol=org.protocol, employee=org.housing_staff[0])
    resp = client.post(
        f"/v1/training-plans/{created['id']}/schedule", json=_body(GOOD), headers=tenant.write
    )
    body = assert_problem(resp, 409, "plan-stale")
    assert "POST /v1/training-plans" in body["detail"]
    plan = client.get(f"/v1/training-plans/{created['id']}", headers=tenant.read).json()
    assert plan["stale"] is True and plan["status"] == "proposed"
