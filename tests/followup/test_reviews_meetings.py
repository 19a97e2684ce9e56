"""Practice reviews (next review from the interval) and team meetings (the fixed item)."""

from datetime import date, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.core.dates import add_months, today
from tests.conftest import Tenant
from tests.factories.core import make_employee, make_team
from tests.factories.followup import skill, uid
from tests.helpers import assert_problem

TODAY = today()  # the service's Dutch calendar day, not the machine's


@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [
        (date(2026, 1, 15), 3, date(2026, 4, 15)),
        (date(2025, 11, 30), 3, date(2026, 2, 28)),
        (date(2023, 11, 30), 3, date(2024, 2, 29)),
        (date(2026, 10, 31), 3, date(2027, 1, 31)),
        (date(2026, 3, 31), -1, date(2026, 2, 28)),
        (date(2026, 5, 1), -12, date(2025, 5, 1)),
    ],
)
def test_add_months_clamps_to_month_end(day: date, months: int, expected: date) -> None:
    assert add_months(day, months) == expected


def test_review_next_date_follows_the_interval_setting(
    client: TestClient, tenant: Tenant, db: Session
) -> None:
    team = make_team(db)
    held = TODAY - timedelta(days=10)
    body = {"team_id": str(team.id), "held_on": str(held)}
    r = client.post("/v1/practice-reviews", headers=tenant.write, json=body)
    assert r.status_code == 201, r.text
    assert r.json()["next_review_on"] == str(add_months(held, 3))
    client.patch(
        "/v1/organisation", headers=tenant.admin, json={"settings": {"review_interval_months": 6}}
    )
    r = client.post("/v1/practice-reviews", headers=tenant.write, json=body)
    assert r.json()["next_review_on"] == str(add_months(held, 6))
    override = str(held + timedelta(days=30))
    r = client.post(
        "/v1/practice-reviews", headers=tenant.write, json={**body, "next_review_on": override}
    )
    assert r.json()["next_review_on"] == override
    r = client.post(
        "/v1/practice-reviews", headers=tenant.write, json={**body, "next_review_on": str(held)}
    )
    assert assert_problem(r, 422)["errors"][0]["pointer"] == "/next_review_on"


def test_review_with_ratings_participants_and_update(
    client: TestClient, tenant: Tenant, db: Session
) -> None:
    team = make_team(db)
    a, b = make_employee(db, team_id=team.id), make_employee(db, team_id=team.id)
    deesc, peer = skill(db, "deescalation"), skill(db, "peer_support")
    held = TODAY - timedelta(days=40)
    r = client.post(
        "/v1/practice-reviews",
        headers=tenant.write,
        json={
            "team_id": str(team.id),
            "held_on": str(held),
            "summary": "De-escaleren lukt beter; nazorg blijft lastig.",
            "ratings": [
                {"skill_id": str(deesc.id), "rating": 4, "notes": "Goed toegepast bij balie"},
                {"skill_id": str(peer.id), "rating": 2},
            ],
            "participant_ids": [str(a.id), str(b.id)],
        },
    )
    assert r.status_code == 201, r.text
    review = r.json()
    assert [x["rating"] for x in review["ratings"]] == [4, 2]
    assert set(review["participant_ids"]) == {str(a.id), str(b.id)}
    new_held = TODAY - timedelta(days=5)
    r = client.patch(
        f"/v1/practice-reviews/{review['id']}",
        headers=tenant.write,
        json={"held_on": str(new_held), "ratings": [{"skill_id": str(peer.id), "rating": 3}]},
    )
    assert r.status_code == 200, r.text
    assert r.json()["next_review_on"] == str(add_months(new_held, 3))
    assert r.json()["ratings"] == [{"skill_id": str(peer.id), "rating": 3, "notes": None}]
    listed = client.get(f"/v1/practice-reviews?team_id={team.id}", headers=tenant.read).json()
    assert [x["id"] for x in listed["items"]] == [review["id"]]


def test_review_refusals(client: TestClient, tenant: Tenant, db: Session) -> None:
    team = make_team(db)
    deesc = skill(db, "deescalation")
    base = {"team_id": str(team.id), "held_on": str(TODAY)}
    tomorrow = {**base, "held_on": str(TODAY + timedelta(days=1))}
    body = assert_problem(
        client.post("/v1/practice-reviews", headers=tenant.write, json=tomorrow),
        422,
        "held-on-in-future",
    )
    assert body["errors"][0]["pointer"] == "/held_on"
    twice = {**base, "ratings": [{"skill_id": str(deesc.id), "rating": 3}] * 2}
    assert_problem(
        client.post("/v1/practice-reviews", headers=tenant.write, json=twice),
        422,
        "duplicate-reference",
    )
    out_of_range = {**base, "ratings": [{"skill_id": str(deesc.id), "rating": 6}]}
    assert_problem(
        client.post("/v1/practice-reviews", headers=tenant.write, json=out_of_range), 422
    )
    ghost = {**base, "participant_ids": [uid()]}
    body = assert_problem(
        client.post("/v1/practice-reviews", headers=tenant.write, json=ghost),
        422,
        "unknown-reference",
    )
    assert body["errors"][0]["pointer"] == "/participant_ids/0"


def test_meeting_derives_the_fixed_item(client: TestClient, tenant: Tenant, db: Session) -> None:
    team = make_team(db)
    r = client.post(
        "/v1/team-meetings",
        headers=tenant.write,
        json={
            "team_id": str(team.id),
            "held_on": str(TODAY),
            "agenda_items": [
                {"title": "Mededelingen"},
                {"kind": "safe_resilient_work", "notes": "Incident bij de balie besproken"},
            ],
        },
    )
    assert r.status_code == 201, r.text
    meeting = r.json()
    assert meeting["safe_resilient_work_on_agenda"] is True
    assert meeting["agenda_items"][1]["title"] == "Veilig en veerkrachtig werken"
    # A general item titled like the fixed one is not the fixed item: the kind decides.
    r = client.patch(
        f"/v1/team-meetings/{meeting['id']}",
        headers=tenant.write,
        json={"agenda_items": [{"title": "Veilig en veerkrachtig werken"}]},
    )
    assert r.status_code == 200, r.text
    assert r.json()["safe_resilient_work_on_agenda"] is False
    without = client.get(
        f"/v1/team-meetings?team_id={team.id}&safe_resilient_work_on_agenda=false",
        headers=tenant.read,
    ).json()
    assert [m["id"] for m in without["items"]] == [meeting["id"]]


def test_meeting_refusals(client: TestClient, tenant: Tenant, db: Session) -> None:
    team = make_team(db)
    untitled = {"team_id": str(team.id), "held_on": str(TODAY), "agenda_items": [{}]}
    assert_problem(client.post("/v1/team-meetings", headers=tenant.write, json=untitled), 422)
    future = {"team_id": str(team.id), "held_on": str(TODAY + timedelta(days=1))}
    assert_problem(
        client.post("/v1/team-meetings", headers=tenant.write, json=future),
        422,
        "held-on-in-future",
    )
    unknown = {"team_id": uid(), "held_on": str(TODAY)}
    assert_problem(
        client.post("/v1/team-meetings", headers=tenant.write, json=unknown),
        422,
        "unknown-reference",
    )


@pytest.mark.parametrize("path", ["/v1/practice-reviews", "/v1/team-meetings"])
def test_update_to_a_future_held_on_is_refused_and_changes_nothing(
    client: TestClient, tenant: Tenant, db: Session, path: str
) -> None:
    """Recorded once held (issue 7, bad input): a PATCH may not move held_on past today."""
    team = make_team(db)
    held = TODAY - timedelta(days=10)
    created = client.post(
        path, headers=tenant.write, json={"team_id": str(team.id), "held_on": str(held)}
    )
    assert created.status_code == 201, created.text
    before = created.json()
    url = f"{path}/{before['id']}"
    tomorrow = str(TODAY + timedelta(days=1))
    # With another change in the same request: refused as a whole, nothing half-applied.
    other = {"summary": "Verplaatst"} if path == "/v1/practice-reviews" else {"notes": "Verplaatst"}
    body = assert_problem(
        client.patch(url, headers=tenant.write, json={"held_on": tomorrow, **other}),
        422,
        "held-on-in-future",
    )
    assert body["errors"] == [{"pointer": "/held_on", "detail": "must not be in the future"}]
    after = client.get(url, headers=tenant.read).json()
    assert after == before
    # Today is not the future: the same PATCH with today's date is taken.
    r = client.patch(url, headers=tenant.write, json={"held_on": str(TODAY)})
    assert r.status_code == 200, r.text
    assert r.json()["held_on"] == str(TODAY)
