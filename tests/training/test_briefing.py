"""The trainer's briefing (issue 20, item 1): programmes name what they practise, and
GET /training-sessions/{id}/briefing answers in one response whose statement count does
not grow with the participants."""

from datetime import date, timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session

from app.organisation.models import Employee
from app.policy.models import ProtocolSection
from tests.conftest import Tenant
from tests.factories.core import make_function_group, make_team
from tests.factories.learning import make_personal_goal, make_team_goal, skill
from tests.factories.policy import make_norm
from tests.factories.training import make_enrolment
from tests.helpers import assert_problem, count_statements
from tests.training.conftest import World


def _content(client: TestClient, db: Session, world: World, tenant: Tenant) -> dict[str, Any]:
    section = db.exec(
        ProtocolSection.__table__.select().where(  # type: ignore[attr-defined]
            ProtocolSection.protocol_id == world.protocol.id
        )
    ).first()
    norm = make_norm(db, title="Weigeren te vertrekken")
    desk = make_function_group(db, name="Baliemedewerker", likelihood=2, impact=2)
    body = {
        "norm_ids": [str(norm.id)],
        "protocol_section_ids": [str(section.id)],
        "practice_situations": [
            {"function_group_id": str(world.fg.id), "description": "Cliënt dreigt bij huisbezoek"},
            {"function_group_id": str(desk.id), "description": "Cliënt weigert te vertrekken"},
            {"description": "Slecht nieuws brengen"},
        ],
    }
    r = client.patch(f"/v1/training-programs/{world.program.id}", json=body, headers=tenant.admin)
    assert r.status_code == 200, r.text
    assert r.json()["norm_ids"] == [str(norm.id)]
    assert len(r.json()["practice_situations"]) == 3
    return {"norm": norm, "section": section}


def test_programmes_name_what_they_practise_and_bad_ids_are_422(
    client: TestClient, db: Session, world: World, tenant: Tenant
) -> None:
    _content(client, db, world, tenant)
    unknown = "01900000-0000-7000-8000-000000000000"
    url = f"/v1/training-programs/{world.program.id}"
    for body, pointer in (
        ({"norm_ids": [unknown]}, "/norm_ids/0"),
        ({"protocol_section_ids": [unknown]}, "/protocol_section_ids/0"),
        (
            {"practice_situations": [{"function_group_id": unknown, "description": "x"}]},
            "/practice_situations/0/function_group_id",
        ),
    ):
        problem = assert_problem(client.patch(url, json=body, headers=tenant.admin), 422)
        assert problem["errors"][0]["pointer"] == pointer
    # Nothing half-written: the content is as before.
    kept = client.get(url, headers=tenant.read).json()
    assert len(kept["norm_ids"]) == 1 and len(kept["practice_situations"]) == 3


def _briefing(client: TestClient, tenant: Tenant, world: World) -> dict[str, Any]:
    r = client.get(f"/v1/training-sessions/{world.staff_session.id}/briefing", headers=tenant.read)
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


def test_the_briefing_in_one_answer(
    client: TestClient, db: Session, world: World, tenant: Tenant
) -> None:
    practised = _content(client, db, world, tenant)
    team_goal = make_team_goal(db, team=world.team, skill_row=skill(db, "deescalation"))
    other_goal = make_team_goal(db, team=world.team, skill_row=skill(db, "peer_support"))
    goal = make_personal_goal(db, employee=world.staff, team_goal=team_goal)
    off_topic = make_personal_goal(db, employee=world.staff, team_goal=other_goal)
    for emp in (world.staff, world.colleague):
        make_enrolment(db, training_session=world.staff_session, employee=emp)
    held = date.today() - timedelta(days=10)
    for i, day in enumerate((held - timedelta(days=120), held - timedelta(days=60), held)):
        r = client.post(
            "/v1/practice-reviews",
            json={
                "team_id": str(world.team.id),
                "held_on": day.isoformat(),
                "ratings": [{"skill_id": str(team_goal.skill_id), "rating": 2 + i}],
            },
            headers=tenant.write,
        )
        assert r.status_code == 201, r.text

    body = _briefing(client, tenant, world)
    assert body["program_title"] == world.program.title
    assert {s["code"] for s in body["skills"]} == {"deescalation", "redirecting_emotion"}
    assert [s["id"] for s in body["protocol_sections"]] == [str(practised["section"].id)]
    assert body["protocol_sections"][0]["in_force"] is True
    assert [n["title"] for n in body["norms"]] == ["Weigeren te vertrekken"]
    # Situations for the groups present (and every group), not the front desk's.
    assert sorted(s["description"] for s in body["practice_situations"]) == [
        "Cliënt dreigt bij huisbezoek",
        "Slecht nieuws brengen",
    ]
    people = {p["employee_id"]: p for p in body["participants"]}
    sanne = people[str(world.staff.id)]
    assert sanne["function_group"]["name"] == world.fg.name
    assert [g["id"] for g in sanne["personal_goals"]] == [str(goal.id)]  # not the off-topic one
    assert sanne["reflection"] is None
    [team] = body["teams"]
    assert [g["id"] for g in team["goals"]] == [str(team_goal.id)]
    assert [r["held_on"] for r in team["recent_reviews"]] == [
        held.isoformat(),
        (held - timedelta(days=60)).isoformat(),
    ]
    assert team["recent_reviews"][0]["ratings"][0]["rating"] == 4

    # A reflection shows, and brings its goal even off the programme's skills.
    r = client.post(
        "/v1/training-reflections",
        json={
            "enrolment_id": sanne["enrolment_id"],
            "personal_goal_ids": [str(off_topic.id)],
            "situation": "Collega's steunen na een incident",
        },
        headers=tenant.write,
    )
    assert r.status_code == 201, r.text
    sanne = next(p for p in _briefing(client, tenant, world)["participants"]
                 if p["employee_id"] == str(world.staff.id))  # fmt: skip
    assert sanne["reflection"]["situation"] == "Collega's steunen na een incident"
    assert {g["id"] for g in sanne["personal_goals"]} == {str(goal.id), str(off_topic.id)}


def _add_participants(db: Session, world: World, n: int) -> None:
    for i in range(n):
        fg = make_function_group(db, name=f"Functie {i}", likelihood=2, impact=3)
        team = make_team(db, name=f"Team {i}")
        emp = Employee(first_name="Deelnemer", last_name=str(i), team_id=team.id,
                       function_group_id=fg.id)  # fmt: skip
        db.add(emp)
        db.flush()
        goal = make_team_goal(db, team=team, skill_row=skill(db, "deescalation"))
        make_personal_goal(db, employee=emp, team_goal=goal)
        make_enrolment(db, training_session=world.staff_session, employee=emp)


def test_the_briefing_does_not_grow_with_the_participants(
    client: TestClient, db: Session, engine: Engine, world: World, tenant: Tenant
) -> None:
    _content(client, db, world, tenant)
    world.staff_session.capacity = 30
    db.flush()
    _add_participants(db, world, 2)
    _briefing(client, tenant, world)  # the test's own pending writes go first
    with count_statements(engine) as few:
        small = _briefing(client, tenant, world)
    _add_participants(db, world, 12)
    _briefing(client, tenant, world)  # the test's own pending writes go first
    with count_statements(engine) as many:
        large = _briefing(client, tenant, world)
    assert (len(small["participants"]), len(large["participants"])) == (2, 14)
    assert len(large["teams"]) == 14
    assert many.count == few.count, "\n".join(s[:90] for s in many.statements)
