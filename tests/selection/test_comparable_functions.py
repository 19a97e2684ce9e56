"""Comparable functions means comparable functions (issue 20, item 6): the plan composes
staff groups by sets of comparable function groups first, by exposure level only for the
function groups in no set, and says per group which basis it used.

Against the hand-worked organisation of conftest (test_plans.py walks the plan without sets).
"""

from datetime import UTC, datetime, time, timedelta

from fastapi.testclient import TestClient
from sqlmodel import Session

from app.organisation.models import ExposureLevel, Grouping
from app.selection.models import (
    PhaseDate,
    PhaseKind,
    PlanScope,
    TrainingPlanCreate,
    TrainingPlanSchedule,
)
from app.selection.planning import ComputedPlan, compute_plan
from app.selection.service import create_plan, schedule_plan
from tests.conftest import Tenant
from tests.selection.conftest import STARTS_ON, Org, make_everyone_ready, set_severities


def _plan(db: Session) -> ComputedPlan:
    return compute_plan(db, scope=PlanScope(), starts_on=STARTS_ON)


def _function_groups(plan: ComputedPlan) -> list[set[object]]:
    return [set(g.function_group_ids) for p in plan.phases[1:] for g in p.groups]


def test_without_sets_groups_are_composed_by_exposure_level(db: Session, org: Org) -> None:
    plan = _plan(db)
    staff = [g for p in plan.phases[1:] for g in p.groups]
    assert {g.grouping for g in staff} == {Grouping.exposure_level}
    assert all(g.comparable_group is None for g in staff)
    # The fallback: Crisisteam and Beschermd wonen (both high) share a session.
    assert {org.crisis.id, org.housing.id} in _function_groups(plan)


def test_a_set_joins_its_function_groups_across_exposure_levels(db: Session, org: Org) -> None:
    org.crisis.comparable_group = org.ambulant.comparable_group = "hulpverlening"
    db.flush()
    plan = _plan(db)
    assert [(p.kind, p.exposure_level, p.comparable_group) for p in plan.phases] == [
        (PhaseKind.management, None, None),
        (PhaseKind.staff, ExposureLevel.high, "hulpverlening"),
        (PhaseKind.staff, ExposureLevel.high, None),
        (PhaseKind.staff, ExposureLevel.low, None),
    ]
    in_set = plan.phases[1].groups
    assert {g.grouping for g in in_set} == {Grouping.function_groups}
    assert {g.comparable_group for g in in_set} == {"hulpverlening"}
    # Crisisteam (high) and Ambulant (moderate) are trained together ...
    assert {org.crisis.id, org.ambulant.id} in [set(g.function_group_ids) for g in in_set]
    # ... and Crisisteam no longer shares a session with Beschermd wonen, although both
    # are high: the set comes first, exposure level is only the fallback.
    for groups in _function_groups(plan):
        assert not {org.crisis.id, org.housing.id} <= groups
    housing = plan.phases[2].groups
    assert {g.grouping for g in housing} == {Grouping.exposure_level}
    # A programme for high exposure only (Fysieke veiligheid) is still given per level
    # inside the set: the Ambulant worker is not sent to it.
    physical = [g for g in in_set if g.program.id == org.physical.id]
    assert physical and all(set(g.function_group_ids) == {org.crisis.id} for g in physical)


def test_two_sets_at_one_level_never_share_a_session(db: Session, org: Org) -> None:
    org.crisis.comparable_group = "crisis"
    org.housing.comparable_group = "wonen"
    db.flush()
    plan = _plan(db)
    assert [p.comparable_group for p in plan.phases[1:]] == ["crisis", "wonen", None, None]
    for groups in _function_groups(plan):
        assert not {org.crisis.id, org.housing.id} <= groups


def test_a_plan_composed_by_sets_passes_the_rule_when_scheduled(db: Session, org: Org) -> None:
    """The plan and the comparable_functions rule agree (severity error, nothing refused)."""
    set_severities(db, org.org, comparable_functions="error", exposure_fit="error")
    org.crisis.comparable_group = org.ambulant.comparable_group = "hulpverlening"
    make_everyone_ready(db, org)
    plan = create_plan(db, data=TrainingPlanCreate(starts_on=STARTS_ON))
    start = datetime.combine(STARTS_ON + timedelta(days=1), time(9), tzinfo=UTC)
    phases = [
        PhaseDate(phase=p["phase"], starts_at=start + timedelta(days=7 * i))
        for i, p in enumerate(plan.phases)
    ]

    schedule_plan(db, org=org.org, plan=plan, data=TrainingPlanSchedule(phases=phases))


def test_the_stored_plan_explains_its_basis(
    client: TestClient, tenant: Tenant, db: Session, org: Org
) -> None:
    org.crisis.comparable_group = org.ambulant.comparable_group = "hulpverlening"
    db.flush()
    resp = client.post(
        "/v1/training-plans", json={"starts_on": STARTS_ON.isoformat()}, headers=tenant.write
    )
    assert resp.status_code == 201, resp.text
    phases = resp.json()["phases"]
    assert phases[1]["comparable_group"] == "hulpverlening"
    mixed = next(g for g in phases[1]["groups"] if len(g["function_group_ids"]) == 2)
    assert mixed["grouping"] == "function_groups"
    assert mixed["comparable_group"] == "hulpverlening"
    assert sorted(mixed["function_group_names"]) == ["Ambulant", "Crisisteam"]
    assert {g["grouping"] for g in phases[2]["groups"]} == {"exposure_level"}
