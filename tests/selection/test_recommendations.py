"""Ranked, explained recommendations (issue 6, part 2), checked against hand-worked numbers.

Team B (see conftest): 3 *Beschermd wonen* staff (high, weight 3) need all nine skills,
1 *Ambulant* (moderate, weight 2) needs C N P R T E, Ahmed (manager, no function group,
weight 1) needs C for the team goal and his personal goal, Henk needs nothing. Every need
is required (weight 2). Scores:
- De-escalatie (R T E D): high 3 x (4 skills x 3 people x 2) = 72, moderate 2 x (3 x 2) = 12: 84
- Basis (C N P): high 3 x (3 x 3 x 2) = 54, moderate 2 x (3 x 2) = 12: 66
- Fysieke veiligheid (D M, high only): 3 x (2 x 3 x 2) = 36
- Leidinggeven aan veiligheid (C P, managers): 1 x (1 x 2) = 2
Nothing trains L, which the three high-exposure staff need.
"""

from datetime import timedelta

from fastapi.testclient import TestClient
from sqlmodel import Session

from app.selection.models import PlanScope, TrainingRecommendations
from app.selection.ranking import recommend
from tests.conftest import Tenant
from tests.factories.core import make_team
from tests.factories.training import make_completion, make_program
from tests.helpers import assert_problem
from tests.selection.conftest import STARTS_ON, Org

URL = "/v1/training-recommendations"


def _team_b(db: Session, org: Org) -> TrainingRecommendations:
    return recommend(db, scope=PlanScope(team_id=org.team_b.id), on=STARTS_ON)


def test_hand_worked_ranking(db: Session, org: Org) -> None:
    result = _team_b(db, org)
    assert [(i.rank, i.title, i.score) for i in result.items] == [
        (1, "De-escalatie", 84.0),
        (2, "Basis", 66.0),
        (3, "Fysieke veiligheid", 36.0),
        (4, "Leidinggeven aan veiligheid", 2.0),
    ]
    assert result.employee_count == 6  # 4 staff, Ahmed, Henk
    assert result.employees_with_needs == 5
    assert [(u.skill_code, u.employee_count) for u in result.uncovered] == [
        ("less_influenceable_behaviour", 3)
    ]


def test_each_recommendation_explains_itself(db: Session, org: Org) -> None:
    deesc, basis, physical, management = _team_b(db, org).items
    assert (deesc.employees_suited, deesc.employees_helped, deesc.sessions_needed) == (4, 4, 1)
    assert {c.skill_code: c.employee_count for c in deesc.skills_covered} == {
        "risk_assessment": 4,
        "tension_control": 4,
        "redirecting_emotion": 4,
        "deescalation": 3,
    }
    # what the four it helps still need afterwards
    assert {u.skill_code: u.employee_count for u in deesc.leaves_uncovered} == {
        "contact_bad_news": 4,
        "naming_discomfort": 4,
        "peer_support": 4,
        "manipulative_behaviour": 3,
        "less_influenceable_behaviour": 3,
    }
    # Basis serves team B's goal (contact_bad_news) for its four staff
    assert basis.team_goal_ids == [org.goal_b.id]
    assert basis.sessions_needed == 2  # 4 people, groups of 3
    contact = next(c for c in basis.skills_covered if c.skill_code == "contact_bad_news")
    assert (contact.employee_count, contact.team_goal_count) == (4, 1)
    # Fysieke veiligheid suits only the three high-exposure staff
    assert (physical.employees_suited, physical.employees_helped) == (3, 3)
    # the management programme suits Ahmed and Henk and serves Ahmed's goals
    assert (management.employees_suited, management.employees_helped) == (2, 1)
    assert management.team_goal_ids == [org.goal_b.id]
    assert management.personal_goal_count == 1
    assert "1 of the 2 employees" in management.explanation


def test_programmes_suit_by_audience_and_exposure(db: Session, org: Org) -> None:
    # Team A: reception staff are low exposure, so De-escalatie (moderate and up) does not
    # suit them; their team goal (deescalation) is uncovered for them and for Jolanda.
    result = recommend(db, scope=PlanScope(team_id=org.team_a.id), on=STARTS_ON)
    deesc = next(i for i in result.items if i.title == "De-escalatie")
    assert deesc.employees_suited == 5
    assert {(u.skill_code, u.employee_count) for u in result.uncovered} == {
        ("deescalation", 3),
        ("less_influenceable_behaviour", 5),
    }


def test_ties_are_broken_by_programme_id(db: Session, org: Org) -> None:
    twin = make_program(
        db,
        title="Basis (tweede aanbieder)",
        skills=("contact_bad_news", "naming_discomfort", "peer_support"),
        max_group_size=3,
    )
    titles = [i.title for i in _team_b(db, org).items]
    assert titles.index("Basis") + 1 == titles.index(twin.title)
    assert _team_b(db, org) == _team_b(db, org)


def test_inactive_programmes_are_not_recommended(db: Session, org: Org) -> None:
    org.deesc.active = False
    db.flush()
    result = _team_b(db, org)
    assert "De-escalatie" not in [i.title for i in result.items]
    # Fysieke veiligheid still trains D; R T E are now uncovered
    assert {u.skill_code for u in result.uncovered} == {
        "less_influenceable_behaviour",
        "risk_assessment",
        "tension_control",
        "redirecting_emotion",
    }


def test_the_route_ranks_for_a_team_a_function_group_or_everyone(
    client: TestClient, tenant: Tenant, org: Org
) -> None:
    resp = client.get(URL, params={"team_id": str(org.team_b.id)}, headers=tenant.read)
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert body["scope"] == {
        "kind": "team",
        "team_id": str(org.team_b.id),
        "function_group_id": None,
    }
    assert body["items"][0]["title"] == "De-escalatie"
    by_fg = client.get(URL, params={"function_group_id": str(org.crisis.id)}, headers=tenant.read)
    assert by_fg.json()["scope"]["kind"] == "function_group"
    everyone = client.get(URL, headers=tenant.read).json()
    assert everyone["scope"]["kind"] == "organisation"
    assert everyone["employee_count"] == 14
    assert client.get(URL, headers=tenant.read).json() == everyone  # deterministic


def test_the_route_refuses_bad_scopes(
    client: TestClient, tenant: Tenant, other_tenant: Tenant, org: Org, db: Session
) -> None:
    both = {"team_id": str(org.team_a.id), "function_group_id": str(org.crisis.id)}
    assert_problem(client.get(URL, params=both, headers=tenant.read), 422)
    body = assert_problem(
        client.get(URL, params={"team_id": str(org.crisis.id)}, headers=tenant.read),
        422,
        "unknown-reference",
    )
    assert body["errors"][0]["pointer"] == "/query/team_id"
    from app.core.tenancy import bind_organisation

    bind_organisation(db, other_tenant.id)
    foreign = make_team(db, name="Ander team")
    bind_organisation(db, tenant.id)
    resp = client.get(URL, params={"team_id": str(foreign.id)}, headers=tenant.read)
    assert_problem(resp, 422, "unknown-reference")
    assert_problem(client.get(URL), 401)


def test_no_forced_retraining_for_a_team_goal_shown_as_practice(db: Session, org: Org) -> None:
    # Team B's goal is contact_bad_news. Two staff completed Basis (C N P) recently: the
    # goal does not send them back to training; it is practice for the team, explained.
    trained = org.housing_staff[:2]
    for emp in trained:
        make_completion(
            db, employee=emp, program=org.basis, completed_on=STARTS_ON - timedelta(days=30)
        )
    result = _team_b(db, org)
    basis = next(i for i in result.items if i.title == "Basis")
    contact = next(c for c in basis.skills_covered if c.skill_code == "contact_bad_news")
    assert contact.employee_count == 4 - len(trained)
    assert "Not proposed for retraining, as their training is current: 2 for contact_bad_news" in (
        basis.explanation
    )
    [practice] = result.practice_needs
    assert (practice.team_id, practice.skill_code, practice.employee_count) == (
        org.team_b.id,
        "contact_bad_news",
        2,
    )
    assert practice.team_goal_ids == [org.goal_b.id]
    assert "not to train again" in practice.explanation
