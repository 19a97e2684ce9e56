"""Team goals over HTTP, and a team's learning-needs overview."""

from datetime import date

from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session

from app.learning.models import NeedPriority
from app.policy.models import Norm, NormLevel, Protocol, ProtocolSection, SectionKind
from tests.conftest import Tenant
from tests.factories.core import make_employee, make_function_group, make_team
from tests.factories.learning import make_personal_goal, make_team_goal, set_needs, skill
from tests.helpers import assert_problem, count_statements
from tests.learning.conftest import Teams


def _section(db: Session) -> ProtocolSection:
    protocol = Protocol(title="Agressieprotocol", version=1)
    db.add(protocol)
    db.flush()
    section = ProtocolSection(
        protocol_id=protocol.id,
        position=1,
        kind=SectionKind.agreement,
        title="Bij dreiging haal je een collega erbij",
        body="...",
        pillar=3,
    )
    db.add(section)
    db.flush()
    return section


def test_create_team_goal_with_sources(client: TestClient, db: Session, tenant: Tenant) -> None:
    team = make_team(db)
    norm = Norm(title="Schelden", level=NormLevel.orange)
    db.add(norm)
    section = _section(db)
    body = {
        "team_id": str(team.id),
        "skill_id": str(skill(db, "deescalation").id),
        "description": "Iedereen herkent oplopende spanning en grijpt op tijd in",
        "target_on": "2027-06-30",
        "source_norm_ids": [str(norm.id)],
        "source_protocol_section_id": str(section.id),
    }
    resp = client.post("/v1/team-goals", headers=tenant.write, json=body)
    assert resp.status_code == 201, resp.text
    goal = resp.json()
    assert goal["status"] == "active" and goal["source_norm_ids"] == [str(norm.id)]
    assert goal["source_protocol_section_id"] == str(section.id)
    etag = resp.headers["ETag"]

    got = client.get(f"/v1/team-goals/{goal['id']}", headers=tenant.read)
    assert got.json() == goal and got.headers["ETag"] == etag
    patched = client.patch(
        f"/v1/team-goals/{goal['id']}",
        headers={**tenant.write, "If-Match": etag},
        json={"source_norm_ids": [], "target_on": None},
    )
    assert patched.status_code == 200, patched.text
    assert patched.json()["source_norm_ids"] == [] and patched.json()["target_on"] is None
    stale = client.patch(
        f"/v1/team-goals/{goal['id']}", headers={**tenant.write, "If-Match": etag}, json={}
    )
    assert_problem(stale, 412)


def test_team_goal_bad_references(
    client: TestClient, db: Session, tenant: Tenant, other_tenant: Tenant
) -> None:
    team = make_team(db)
    body = {
        "team_id": str(team.id),
        "skill_id": str(skill(db, "deescalation").id),
        "description": "x",
    }
    # For B, A's team and skill do not exist.
    assert_problem(client.post("/v1/team-goals", headers=other_tenant.write, json=body), 404)
    unknown_norm = {**body, "source_norm_ids": [str(team.id)]}
    problem = assert_problem(
        client.post("/v1/team-goals", headers=tenant.write, json=unknown_norm), 404
    )
    assert problem["errors"][0]["pointer"] == "/source_norm_ids/0"
    assert_problem(client.post("/v1/team-goals", headers=tenant.read, json=body), 403)


def test_list_team_goals_filters_and_pages(
    client: TestClient, db: Session, tenant: Tenant, teams: Teams
) -> None:
    make_team_goal(db, team=teams.other)
    make_team_goal(db, team=teams.home, skill_row=skill(db, "peer_support"), status="archived")
    home = client.get(
        "/v1/team-goals", headers=tenant.read, params={"team_id": str(teams.home.id)}
    ).json()
    assert len(home["items"]) == 2
    active = client.get(
        "/v1/team-goals",
        headers=tenant.read,
        params={"team_id": str(teams.home.id), "status": "active"},
    ).json()
    assert [g["id"] for g in active["items"]] == [str(teams.goal.id)]
    first = client.get("/v1/team-goals", headers=tenant.read, params={"limit": 2}).json()
    assert len(first["items"]) == 2 and first["next_cursor"]
    rest = client.get(
        "/v1/team-goals", headers=tenant.read, params={"cursor": first["next_cursor"]}
    ).json()
    assert len(rest["items"]) == 1 and rest["next_cursor"] is None


def test_delete_team_goal_in_use_is_refused(
    client: TestClient, db: Session, tenant: Tenant, teams: Teams
) -> None:
    make_personal_goal(db, employee=teams.member, team_goal=teams.goal)
    resp = client.delete(f"/v1/team-goals/{teams.goal.id}", headers=tenant.write)
    assert_problem(resp, 409, "team-goal-in-use")
    spare = make_team_goal(db, team=teams.other)
    assert client.delete(f"/v1/team-goals/{spare.id}", headers=tenant.write).status_code == 204


def test_personal_goal_lifecycle(
    client: TestClient, db: Session, tenant: Tenant, teams: Teams
) -> None:
    body = {
        "employee_id": str(teams.member.id),
        "skill_id": str(teams.goal.skill_id),
        "description": "Rustig blijven",
    }
    created = client.post("/v1/personal-goals", headers=tenant.write, json=body)
    goal_id = created.json()["id"]
    resp = client.patch(
        f"/v1/personal-goals/{goal_id}",
        headers={**tenant.write, "If-Match": created.headers["ETag"]},
        json={"status": "agreed"},
    )
    assert resp.status_code == 200 and resp.json()["status"] == "agreed"
    listed = client.get(
        "/v1/personal-goals", headers=tenant.read, params={"team_id": str(teams.home.id)}
    ).json()
    assert [g["id"] for g in listed["items"]] == [goal_id]
    by_goal = client.get(
        "/v1/personal-goals", headers=tenant.read, params={"team_goal_id": str(teams.goal.id)}
    ).json()
    assert len(by_goal["items"]) == 1
    assert client.delete(f"/v1/personal-goals/{goal_id}", headers=tenant.write).status_code == 204
    assert_problem(client.get(f"/v1/personal-goals/{goal_id}", headers=tenant.read), 404)


# --- team learning needs ----------------------------------------------------------------


def test_team_learning_needs(client: TestClient, db: Session, tenant: Tenant) -> None:
    team = make_team(db)
    high = make_function_group(db, likelihood=4, impact=3)  # high: all nine
    low = make_function_group(db, likelihood=1, impact=2)  # low: the three basics
    own = make_function_group(db)
    set_needs(db, own, [(skill(db, "deescalation"), NeedPriority.recommended)])
    members = [
        make_employee(db, team_id=team.id, function_group_id=high.id),
        make_employee(db, team_id=team.id, function_group_id=high.id),
        make_employee(db, team_id=team.id, function_group_id=low.id),
        make_employee(db, team_id=team.id, function_group_id=own.id),
        make_employee(db, team_id=team.id),
    ]
    make_employee(db, team_id=team.id, function_group_id=high.id, active=False)
    goal = make_team_goal(db, team=team)  # deescalation
    make_personal_goal(db, employee=members[0], team_goal=goal)
    make_personal_goal(db, employee=members[1], team_goal=goal, status="dropped")

    resp = client.get(f"/v1/teams/{team.id}/learning-needs", headers=tenant.read)
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert body["member_count"] == 5 and body["members_without_function_group"] == 1
    by_code = {s["skill_code"]: s for s in body["skills"]}
    assert len(by_code) == 9
    assert by_code["deescalation"] == {
        **by_code["deescalation"],
        "members_needing": 3,
        "members_requiring": 2,
        "covered_by_team_goal": True,
        "team_goal_ids": [str(goal.id)],
        "personal_goal_count": 1,
    }
    assert by_code["peer_support"]["members_needing"] == 3
    assert by_code["peer_support"]["covered_by_team_goal"] is False
    assert by_code["risk_assessment"]["members_needing"] == 2
    assert [s["pillar"] for s in body["skills"]] == sorted(s["pillar"] for s in body["skills"])


def test_team_learning_needs_in_bounded_queries(
    client: TestClient, db: Session, tenant: Tenant, engine: Engine
) -> None:
    def team_of(size: int) -> str:
        team = make_team(db)
        for i in range(size):
            fg = make_function_group(db, likelihood=1 + i % 5, impact=2)
            if i % 3 == 0:
                set_needs(db, fg, [(skill(db, "peer_support"), NeedPriority.required)])
            emp = make_employee(db, team_id=team.id, function_group_id=fg.id)
            goal = make_team_goal(db, team=team, target_on=date(2027, 1, 1))
            make_personal_goal(db, employee=emp, team_goal=goal)
        return f"/v1/teams/{team.id}/learning-needs"

    small, large = team_of(2), team_of(25)
    client.get(small, headers=tenant.read)  # warm up (the key's last_used_at is written once)

    def statements(url: str) -> int:
        with count_statements(engine) as counter:
            resp = client.get(url, headers=tenant.read)
        assert resp.status_code == 200
        return counter.count

    assert statements(small) == statements(large) <= 10
    assert_problem(client.get(f"/v1/teams/{tenant.id}/learning-needs", headers=tenant.read), 404)
