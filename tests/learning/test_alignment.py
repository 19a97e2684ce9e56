"""The alignment rule (seed step 3: check each personal goal against the team's objectives)."""

import uuid

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from app.core.errors import NotFound, RuleViolation
from app.learning import goals, service
from app.learning.models import (
    Alignment,
    PersonalGoal,
    PersonalGoalCreate,
    PersonalGoalStatus,
    PersonalGoalUpdate,
    TeamGoalCreate,
    TeamGoalStatus,
    TeamGoalUpdate,
)
from app.organisation import service as organisation_service
from app.organisation.models import EmployeeUpdate
from tests.conftest import Tenant
from tests.factories.learning import make_personal_goal, make_team_goal, skill
from tests.helpers import assert_problem
from tests.learning.conftest import Teams, allow_unaligned


def _create(db: Session, tenant: Tenant, t: Teams, code: str = "deescalation", **kw: object):  # type: ignore[no-untyped-def]
    data = PersonalGoalCreate(
        employee_id=t.member.id,
        skill_id=skill(db, code).id,
        description="Rustig blijven als een jongere dreigt",
        **kw,  # type: ignore[arg-type]
    )
    return service.create_personal_goal(db, org=tenant.org, data=data)


# --- the rule itself ---------------------------------------------------------------------


def test_same_team_same_skill_is_aligned(db: Session, tenant: Tenant, teams: Teams) -> None:
    goal = _create(db, tenant, teams)
    assert goal.alignment == Alignment.aligned
    assert goal.aligned_team_goal_id == teams.goal.id


def test_goal_of_another_team_does_not_count(db: Session, tenant: Tenant, teams: Teams) -> None:
    make_team_goal(db, team=teams.other, skill_row=skill(db, "peer_support"))
    with pytest.raises(RuleViolation) as exc:
        _create(db, tenant, teams, code="peer_support")
    assert exc.value.code == "goal-not-aligned"
    violation = exc.value.violations[0]  # type: ignore[index]
    assert violation["reason"] == "no-active-team-goal"
    assert violation["skill_code"] == "peer_support"
    # The team's own objectives are listed so the frontend can offer them.
    assert violation["team_objectives"] == [
        {
            "team_goal_id": str(teams.goal.id),
            "skill_id": str(teams.goal.skill_id),
            "skill_code": "deescalation",
            "description": "Samen de-escaleren bij dreiging",
        }
    ]


def test_archived_or_achieved_goal_does_not_count(
    db: Session, tenant: Tenant, teams: Teams
) -> None:
    teams.goal.status = TeamGoalStatus.archived
    db.flush()
    with pytest.raises(RuleViolation) as exc:
        _create(db, tenant, teams)
    assert exc.value.violations[0]["team_objectives"] == []  # type: ignore[index]
    teams.goal.status = TeamGoalStatus.achieved
    db.flush()
    with pytest.raises(RuleViolation):
        _create(db, tenant, teams)


def test_explicit_team_goal_must_be_exactly_such_a_goal(
    db: Session, tenant: Tenant, teams: Teams
) -> None:
    other_skill = make_team_goal(db, team=teams.home, skill_row=skill(db, "peer_support"))
    with pytest.raises(RuleViolation) as exc:
        _create(db, tenant, teams, team_goal_id=other_skill.id)
    assert exc.value.violations[0]["reason"] == "team-goal-other-skill"  # type: ignore[index]

    other_team = make_team_goal(db, team=teams.other)
    with pytest.raises(RuleViolation) as exc:
        _create(db, tenant, teams, team_goal_id=other_team.id)
    assert exc.value.violations[0]["reason"] == "team-goal-of-other-team"  # type: ignore[index]

    archived = make_team_goal(db, team=teams.home, status=TeamGoalStatus.archived)
    with pytest.raises(RuleViolation) as exc:
        _create(db, tenant, teams, team_goal_id=archived.id)
    assert exc.value.violations[0]["reason"] == "team-goal-not-active"  # type: ignore[index]

    second = make_team_goal(db, team=teams.home)
    goal = _create(db, tenant, teams, team_goal_id=second.id)
    assert goal.aligned_team_goal_id == second.id


def test_an_inactive_chosen_team_goal_read_from_the_database_is_refused_by_the_rule(
    client: TestClient, tenant: Tenant, teams: Teams
) -> None:
    # Over HTTP the team goal is loaded afresh, its status a plain string from the column:
    # the rule's message must not need the enum (it once failed with a 500 here).
    goal = client.post(
        "/v1/team-goals",
        headers=tenant.write,
        json={
            "team_id": str(teams.home.id),
            "skill_id": str(teams.goal.skill_id),
            "description": "Grenzen stellen zonder escalatie",
        },
    )
    assert goal.status_code == 201, goal.text
    archived = client.patch(
        f"/v1/team-goals/{goal.json()['id']}", headers=tenant.write, json={"status": "archived"}
    )
    assert archived.status_code == 200
    body = {
        "employee_id": str(teams.member.id),
        "skill_id": str(teams.goal.skill_id),
        "description": "Rustig blijven",
        "team_goal_id": goal.json()["id"],
    }
    refused = assert_problem(
        client.post("/v1/personal-goals", headers=tenant.write, json=body), 409, "goal-not-aligned"
    )
    check = {k: body[k] for k in ("employee_id", "skill_id", "team_goal_id")}
    checked = client.post("/v1/personal-goals/check", headers=tenant.read, json=check)
    assert checked.status_code == 200, checked.text
    for violation in (refused["violations"][0], checked.json()["violations"][0]):
        assert violation["reason"] == "team-goal-not-active"
        assert "the chosen team goal is archived" in violation["message"]


def test_employee_without_team_is_not_aligned(db: Session, tenant: Tenant, teams: Teams) -> None:
    teams.member.team_id = None
    db.flush()
    with pytest.raises(RuleViolation) as exc:
        _create(db, tenant, teams)
    assert exc.value.violations[0]["reason"] == "no-team"  # type: ignore[index]


def test_setting_on_stores_unaligned_goal_flagged(
    db: Session, tenant: Tenant, teams: Teams
) -> None:
    allow_unaligned(tenant.org)
    goal = _create(db, tenant, teams, code="peer_support")
    assert goal.alignment == Alignment.unaligned and goal.aligned_team_goal_id is None
    allow_unaligned(tenant.org, False)
    with pytest.raises(RuleViolation):
        _create(db, tenant, teams, code="peer_support")


def test_unknown_skill_or_team_goal_is_404(db: Session, tenant: Tenant, teams: Teams) -> None:
    with pytest.raises(NotFound):
        service.check_alignment(db, employee=teams.member, skill_id=uuid.uuid4(), team_goal_id=None)
    with pytest.raises(NotFound):
        service.check_alignment(
            db,
            employee=teams.member,
            skill_id=teams.goal.skill_id,
            team_goal_id=uuid.uuid4(),
        )


# --- re-evaluation ----------------------------------------------------------------------


def test_archiving_the_team_goal_makes_personal_goals_unaligned(
    db: Session, tenant: Tenant, teams: Teams
) -> None:
    goal = _create(db, tenant, teams)
    done = _create(db, tenant, teams)
    done.status = "achieved"
    db.flush()
    goals.update_team_goal(db, goal=teams.goal, data=TeamGoalUpdate(status=TeamGoalStatus.archived))
    db.refresh(goal)
    assert goal.alignment == Alignment.unaligned and goal.aligned_team_goal_id is None
    assert db.get(PersonalGoal, goal.id) is not None  # never deleted
    # History stays as it was: an achieved goal is not re-judged.
    db.refresh(done)
    assert done.alignment == Alignment.aligned

    # Reactivating it aligns the goal again.
    goals.update_team_goal(db, goal=teams.goal, data=TeamGoalUpdate(status=TeamGoalStatus.active))
    db.refresh(goal)
    assert goal.alignment == Alignment.aligned and goal.aligned_team_goal_id == teams.goal.id


def test_archiving_moves_to_another_active_objective_of_the_same_skill(
    db: Session, tenant: Tenant, teams: Teams
) -> None:
    goal = _create(db, tenant, teams)
    second = make_team_goal(db, team=teams.home)
    goals.update_team_goal(db, goal=teams.goal, data=TeamGoalUpdate(status=TeamGoalStatus.archived))
    db.refresh(goal)
    assert goal.alignment == Alignment.aligned and goal.aligned_team_goal_id == second.id


def test_explicitly_chosen_goal_archived_becomes_unaligned(
    db: Session, tenant: Tenant, teams: Teams
) -> None:
    make_team_goal(db, team=teams.home)  # same skill, but not the one chosen
    goal = _create(db, tenant, teams, team_goal_id=teams.goal.id)
    goals.update_team_goal(db, goal=teams.goal, data=TeamGoalUpdate(status=TeamGoalStatus.archived))
    db.refresh(goal)
    assert goal.alignment == Alignment.unaligned


def test_moving_team_makes_personal_goals_unaligned(
    db: Session, tenant: Tenant, teams: Teams
) -> None:
    goal = _create(db, tenant, teams)
    organisation_service.update_employee(
        db, employee=teams.member, data=EmployeeUpdate(team_id=teams.other.id)
    )
    db.refresh(goal)
    assert goal.alignment == Alignment.unaligned and goal.aligned_team_goal_id is None
    # Back home: aligned again.
    organisation_service.update_employee(
        db, employee=teams.member, data=EmployeeUpdate(team_id=teams.home.id)
    )
    db.refresh(goal)
    assert goal.alignment == Alignment.aligned and goal.aligned_team_goal_id == teams.goal.id


def test_moving_to_a_team_with_the_same_objective_stays_aligned(
    db: Session, tenant: Tenant, teams: Teams
) -> None:
    goal = _create(db, tenant, teams)
    theirs = make_team_goal(db, team=teams.other)
    organisation_service.update_employee(
        db, employee=teams.member, data=EmployeeUpdate(team_id=teams.other.id)
    )
    db.refresh(goal)
    assert goal.alignment == Alignment.aligned and goal.aligned_team_goal_id == theirs.id


def test_new_team_goal_aligns_flagged_goals(db: Session, tenant: Tenant, teams: Teams) -> None:
    flagged = make_personal_goal(db, employee=teams.member, skill_row=skill(db, "peer_support"))
    created = goals.create_team_goal(
        db,
        data=TeamGoalCreate(
            team_id=teams.home.id,
            skill_id=skill(db, "peer_support").id,
            description="Elkaar opvangen na een incident",
        ),
    )
    db.refresh(flagged)
    assert flagged.alignment == Alignment.aligned
    assert flagged.aligned_team_goal_id == created.id


def test_update_to_another_skill_reruns_the_rule(db: Session, tenant: Tenant, teams: Teams) -> None:
    goal = _create(db, tenant, teams)
    change = PersonalGoalUpdate(skill_id=skill(db, "peer_support").id)
    with pytest.raises(RuleViolation):
        goals.update_personal_goal(db, org=tenant.org, goal=goal, data=change)
    # Only the description: no check.
    goals.update_personal_goal(
        db, org=tenant.org, goal=goal, data=PersonalGoalUpdate(description="Anders verwoord")
    )
    assert goal.description == "Anders verwoord"


def test_reopening_an_unaligned_goal_reruns_the_rule(
    db: Session, tenant: Tenant, teams: Teams
) -> None:
    dropped = make_personal_goal(
        db, employee=teams.member, skill_row=skill(db, "peer_support"), status="dropped"
    )
    with pytest.raises(RuleViolation):
        goals.update_personal_goal(
            db,
            org=tenant.org,
            goal=dropped,
            data=PersonalGoalUpdate(status=PersonalGoalStatus.agreed),
        )


# --- over HTTP ---------------------------------------------------------------------------


def test_post_personal_goal_aligned_and_refused(
    client: TestClient, db: Session, tenant: Tenant, teams: Teams
) -> None:
    body = {
        "employee_id": str(teams.member.id),
        "skill_id": str(skill(db, "deescalation").id),
        "description": "Rustig blijven",
    }
    resp = client.post("/v1/personal-goals", headers=tenant.write, json=body)
    assert resp.status_code == 201, resp.text
    assert resp.json()["alignment"] == "aligned"
    assert resp.json()["aligned_team_goal_id"] == str(teams.goal.id)

    refused = {**body, "skill_id": str(skill(db, "manipulative_behaviour").id)}
    problem = assert_problem(
        client.post("/v1/personal-goals", headers=tenant.write, json=refused),
        409,
        "goal-not-aligned",
    )
    violation = problem["violations"][0]
    assert violation["rule"] == "alignment"
    assert violation["skill_code"] == "manipulative_behaviour"
    assert [o["skill_code"] for o in violation["team_objectives"]] == ["deescalation"]
    assert "deescalation" in violation["message"]

    # With the organisation setting on, it is stored and flagged.
    client.patch(
        "/v1/organisation",
        headers=tenant.admin,
        json={"settings": {"allow_unaligned_personal_goals": True}},
    ).raise_for_status()
    resp = client.post("/v1/personal-goals", headers=tenant.write, json=refused)
    assert resp.status_code == 201 and resp.json()["alignment"] == "unaligned"
    listed = client.get(
        "/v1/personal-goals", headers=tenant.read, params={"alignment": "unaligned"}
    ).json()
    assert [g["id"] for g in listed["items"]] == [resp.json()["id"]]


def test_team_goal_of_another_team_is_409_explained(
    client: TestClient, db: Session, tenant: Tenant, teams: Teams
) -> None:
    theirs = make_team_goal(db, team=teams.other)
    body = {
        "employee_id": str(teams.member.id),
        "skill_id": str(theirs.skill_id),
        "team_goal_id": str(theirs.id),
        "description": "Meedoen met het doel van de crisisdienst",
    }
    problem = assert_problem(
        client.post("/v1/personal-goals", headers=tenant.write, json=body), 409, "goal-not-aligned"
    )
    assert problem["violations"][0]["reason"] == "team-goal-of-other-team"


def test_other_organisations_skill_or_team_goal_is_404(
    client: TestClient, db: Session, tenant: Tenant, teams: Teams, other_tenant: Tenant
) -> None:
    their_skill = client.get("/v1/skills", headers=other_tenant.read).json()["items"][0]["id"]
    body = {
        "employee_id": str(teams.member.id),
        "skill_id": their_skill,
        "description": "x",
    }
    problem = assert_problem(
        client.post("/v1/personal-goals", headers=tenant.write, json=body), 404
    )
    assert problem["errors"][0]["pointer"] == "/skill_id"
    # B's view of A's team goal.
    assert_problem(client.get(f"/v1/team-goals/{teams.goal.id}", headers=other_tenant.read), 404)
    body = {
        "employee_id": str(teams.member.id),
        "skill_id": str(teams.goal.skill_id),
        "team_goal_id": str(teams.goal.id),
        "description": "x",
    }
    # For B, A's employee, skill and team goal do not exist.
    assert_problem(client.post("/v1/personal-goals", headers=other_tenant.write, json=body), 404)


def test_check_runs_the_rule_without_storing(
    client: TestClient, db: Session, tenant: Tenant, teams: Teams
) -> None:
    body = {"employee_id": str(teams.member.id), "skill_id": str(skill(db, "peer_support").id)}
    resp = client.post("/v1/personal-goals/check", headers=tenant.read, json=body)
    assert resp.status_code == 200, resp.text
    verdict = resp.json()
    assert verdict["alignment"] == "unaligned" and verdict["allowed"] is False
    assert verdict["violations"][0]["team_objectives"][0]["team_goal_id"] == str(teams.goal.id)
    ok = {**body, "skill_id": str(teams.goal.skill_id)}
    verdict = client.post("/v1/personal-goals/check", headers=tenant.read, json=ok).json()
    assert verdict == {
        "alignment": "aligned",
        "aligned_team_goal_id": str(teams.goal.id),
        "allowed": True,
        "violations": [],
    }
    assert db.exec(select(PersonalGoal)).all() == []


def test_archive_and_move_over_http(
    client: TestClient, db: Session, tenant: Tenant, teams: Teams
) -> None:
    body = {
        "employee_id": str(teams.member.id),
        "skill_id": str(teams.goal.skill_id),
        "description": "Rustig blijven",
    }
    goal_id = client.post("/v1/personal-goals", headers=tenant.write, json=body).json()["id"]
    client.patch(
        f"/v1/employees/{teams.member.id}",
        headers=tenant.write,
        json={"team_id": str(teams.other.id)},
    ).raise_for_status()
    got = client.get(f"/v1/personal-goals/{goal_id}", headers=tenant.read).json()
    assert got["alignment"] == "unaligned"
    client.patch(
        f"/v1/employees/{teams.member.id}",
        headers=tenant.write,
        json={"team_id": str(teams.home.id)},
    ).raise_for_status()
    assert (
        client.get(f"/v1/personal-goals/{goal_id}", headers=tenant.read).json()["alignment"]
        == "aligned"
    )
    client.patch(
        f"/v1/team-goals/{teams.goal.id}", headers=tenant.write, json={"status": "archived"}
    ).raise_for_status()
    got = client.get(f"/v1/personal-goals/{goal_id}", headers=tenant.read).json()
    assert got["alignment"] == "unaligned" and got["aligned_team_goal_id"] is None
