"""Team discussions count for the people who were there (issue 20, item 5): participants
(default: the team's active members), absentees and later joiners not ready through it,
and the team meeting a discussion was held in."""

from datetime import date, timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import func
from sqlmodel import Session, select

from app.policy import service
from app.policy.models import TeamDiscussion
from tests.conftest import Tenant
from tests.factories.core import make_employee, make_team
from tests.helpers import assert_problem

TODAY = date.today()


def _discuss(client: TestClient, tenant: Tenant, protocol: dict[str, Any], **body: Any) -> Any:
    return client.post(
        f"/v1/protocols/{protocol['id']}/team-discussions",
        json={"discussed_on": str(TODAY), **body},
        headers=tenant.write,
    )


def _ready(db: Session, *employees: Any) -> set[Any]:
    return service.protocol_ready_ids(db, employee_ids=[e.id for e in employees])


def test_the_team_by_default_and_not_who_joins_later(
    client: TestClient, db: Session, tenant: Tenant, published: dict[str, Any]
) -> None:
    team = make_team(db)
    there = [make_employee(db, team_id=team.id) for _ in range(2)]
    left = make_employee(db, team_id=team.id, active=False)
    r = _discuss(client, tenant, published, team_id=str(team.id))
    assert r.status_code == 201, r.text
    assert set(r.json()["participant_ids"]) == {str(e.id) for e in there}
    assert r.json()["team_meeting_id"] is None
    joiner = make_employee(db, team_id=team.id)
    assert _ready(db, *there, left, joiner) == {e.id for e in there}
    one = client.get(r.headers["Location"], headers=tenant.read).json()
    assert one["participant_ids"] == r.json()["participant_ids"]
    report = client.get("/v1/protocols/current/readiness", headers=tenant.read).json()
    [row] = [t for t in report["teams"] if t["team_id"] == str(team.id)]
    assert [e["id"] for e in row["not_ready_employees"]] == [str(joiner.id)]


def test_participants_are_editable_and_absentees_are_not_ready(
    client: TestClient, db: Session, tenant: Tenant, published: dict[str, Any]
) -> None:
    team, other = make_team(db), make_team(db)
    present, absent = make_employee(db, team_id=team.id), make_employee(db, team_id=team.id)
    stranger = make_employee(db, team_id=other.id)
    body = assert_problem(
        _discuss(client, tenant, published, team_id=str(team.id),
                 participant_ids=[str(present.id), str(stranger.id)]),
        422,
        "employee-of-another-team",
    )  # fmt: skip
    assert body["errors"][0]["pointer"] == "/participant_ids/1"
    assert db.exec(select(func.count()).select_from(TeamDiscussion)).one() == 0
    r = _discuss(client, tenant, published, team_id=str(team.id),
                 participant_ids=[str(present.id)])  # fmt: skip
    assert r.status_code == 201, r.text
    assert _ready(db, present, absent) == {present.id}


def _meeting(client: TestClient, tenant: Tenant, team: Any, *, item: bool, on: date = TODAY) -> str:
    agenda = [{"title": "Mededelingen"}]
    if item:
        agenda.append({"kind": "safe_resilient_work", "notes": "Het nieuwe protocol besproken"})
    r = client.post(
        "/v1/team-meetings",
        json={"team_id": str(team.id), "held_on": str(on), "agenda_items": agenda},
        headers=tenant.write,
    )
    assert r.status_code == 201, r.text
    meeting_id: str = r.json()["id"]
    return meeting_id


def test_a_discussion_held_in_a_team_meeting_links_to_it(
    client: TestClient, db: Session, tenant: Tenant, published: dict[str, Any]
) -> None:
    team, other = make_team(db), make_team(db)
    make_employee(db, team_id=team.id)
    fits = _meeting(client, tenant, team, item=True)
    for meeting in (
        _meeting(client, tenant, team, item=False),
        _meeting(client, tenant, other, item=True),
        _meeting(client, tenant, team, item=True, on=TODAY - timedelta(days=7)),
    ):
        assert_problem(
            _discuss(client, tenant, published, team_id=str(team.id), team_meeting_id=meeting),
            409,
            "meeting-does-not-fit",
        )
    r = _discuss(client, tenant, published, team_id=str(team.id), team_meeting_id=fits)
    assert r.status_code == 201, r.text
    assert r.json()["team_meeting_id"] == fits


def test_a_meeting_a_discussion_was_held_in_keeps_fitting_it(
    client: TestClient, db: Session, tenant: Tenant, published: dict[str, Any]
) -> None:
    # The link was checked when the discussion was recorded: a later edit of the meeting
    # (another day, the fixed item off the agenda) must not leave it pointing at a misfit.
    team = make_team(db)
    make_employee(db, team_id=team.id)
    meeting = _meeting(client, tenant, team, item=True)
    r = _discuss(client, tenant, published, team_id=str(team.id), team_meeting_id=meeting)
    assert r.status_code == 201, r.text
    url = f"/v1/team-meetings/{meeting}"
    for change in (
        {"agenda_items": [{"title": "Rooster"}]},
        {"held_on": str(TODAY - timedelta(days=3))},
    ):
        assert_problem(
            client.patch(url, json=change, headers=tenant.write), 409, "meeting-does-not-fit"
        )
    kept = client.get(url, headers=tenant.read).json()
    assert kept["held_on"] == str(TODAY) and kept["safe_resilient_work_on_agenda"] is True
    # A change that keeps it fitting is fine.
    notes = client.patch(url, json={"notes": "Goed gesprek"}, headers=tenant.write)
    assert notes.status_code == 200, notes.text
