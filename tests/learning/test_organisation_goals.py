"""Organisation-level goals (issue 20, item 9): objectives the team goals serve, shown in
the overview report."""

from fastapi.testclient import TestClient
from sqlmodel import Session

from tests.conftest import Tenant
from tests.factories.core import make_team
from tests.factories.learning import skill
from tests.helpers import assert_problem


def test_team_goals_serve_organisation_goals_in_the_overview(
    client: TestClient, db: Session, tenant: Tenant
) -> None:
    r = client.post(
        "/v1/organisation-goals",
        json={"title": "Minder fysieke agressie in de wijk", "target_on": "2027-12-31"},
        headers=tenant.admin,
    )
    assert r.status_code == 201, r.text
    goal = r.json()
    teams = [make_team(db), make_team(db)]
    for team in teams:
        r = client.post(
            "/v1/team-goals",
            json={
                "team_id": str(team.id),
                "skill_id": str(skill(db, "deescalation").id),
                "description": "Samen de-escaleren",
                "organisation_goal_id": goal["id"],
            },
            headers=tenant.write,
        )
        assert r.status_code == 201, r.text
        assert r.json()["organisation_goal_id"] == goal["id"]
    unknown = "01900000-0000-7000-8000-000000000000"
    problem = assert_problem(
        client.post(
            "/v1/team-goals",
            json={
                "team_id": str(teams[0].id),
                "skill_id": str(skill(db, "deescalation").id),
                "description": "x",
                "organisation_goal_id": unknown,
            },
            headers=tenant.write,
        ),
        404,
    )
    assert problem["errors"][0]["pointer"] == "/organisation_goal_id"

    overview = client.get("/v1/reports/overview", headers=tenant.read).json()
    [figures] = overview["organisation_goals"]
    assert figures["organisation_goal_id"] == goal["id"]
    assert (figures["active_team_goals"], figures["teams"]) == (2, 2)

    url = f"/v1/organisation-goals/{goal['id']}"
    assert_problem(client.delete(url, headers=tenant.admin), 409)
    r = client.patch(url, json={"status": "archived"}, headers=tenant.admin)
    assert r.status_code == 200, r.text
    assert (
        client.get("/v1/reports/overview", headers=tenant.read).json()["organisation_goals"] == []
    )
