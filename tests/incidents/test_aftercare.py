"""Aftercare (issue 21 item 2): recorded as offered, given or declined; overdue is listed."""

from datetime import datetime, time, timedelta

from fastapi.testclient import TestClient

from app.core.dates import CALENDAR_ZONE, today
from tests.helpers import assert_problem
from tests.incidents.conftest import Place, ago, post

URL = "/v1/aftercare"


def _care(client: TestClient, place: Place, incident_id: str) -> dict[str, dict]:  # type: ignore[type-arg]
    items = client.get(URL, params={"incident_id": incident_id}, headers=place.tenant.admin)
    return {c["kind"]: c for c in items.json()["items"]}


def test_overdue_aftercare_is_listed_until_it_is_recorded(client: TestClient, place: Place) -> None:
    old = post(client, place, occurred_at=ago(days=10).isoformat()).json()
    # The Dutch calendar day's first second: "today" whatever the hour of the run (an hour
    # ago is yesterday in Amsterdam when the suite runs just after midnight there).
    start_of_today = datetime.combine(today(), time(), CALENDAR_ZONE)
    recent = post(client, place, occurred_at=start_of_today.isoformat()).json()
    overdue = client.get(URL, params={"overdue": "true"}, headers=place.tenant.admin).json()
    # both steps of the old one are late; the recent one's first care is due today
    assert {(c["incident_id"], c["kind"]) for c in overdue["items"]} == {
        (old["id"], "first_care"),
        (old["id"], "follow_up_conversation"),
    }
    assert all(c["overdue"] for c in overdue["items"])
    first = _care(client, place, old["id"])["first_care"]
    r = client.patch(f"{URL}/{first['id']}", json={"status": "given"}, headers=place.tenant.admin)
    assert r.status_code == 200, r.text
    assert r.json()["recorded_on"] == today().isoformat() and r.json()["overdue"] is False
    left = client.get(URL, params={"overdue": "true"}, headers=place.tenant.admin).json()
    assert [c["kind"] for c in left["items"]] == ["follow_up_conversation"]
    not_late = client.get(URL, params={"overdue": "false"}, headers=place.tenant.admin).json()
    assert {c["incident_id"] for c in not_late["items"]} == {old["id"], recent["id"]}


def test_declined_counts_as_recorded(client: TestClient, place: Place) -> None:
    incident = post(client, place, occurred_at=ago(days=10).isoformat()).json()
    step = _care(client, place, incident["id"])["follow_up_conversation"]
    r = client.patch(
        f"{URL}/{step['id']}",
        json={"status": "declined", "notes": "Wil er liever met een collega over praten."},
        headers=place.tenant.admin,
    )
    assert r.json()["status"] == "declined" and r.json()["overdue"] is False


def test_the_recorded_day_lies_between_the_incident_and_today(
    client: TestClient, place: Place
) -> None:
    incident = post(client, place, occurred_at=ago(days=5).isoformat()).json()
    step = _care(client, place, incident["id"])["first_care"]
    url = f"{URL}/{step['id']}"
    h = place.tenant.admin
    for day in (today() + timedelta(days=1), today() - timedelta(days=30)):
        r = client.patch(url, json={"status": "given", "recorded_on": day.isoformat()}, headers=h)
        assert_problem(r, 422, "recorded-out-of-range")
    r = client.patch(url, json={"recorded_on": today().isoformat()}, headers=h)
    assert_problem(r, 422, "recorded-on-pending")
    assert client.get(url, headers=h).json()["status"] == "pending"
    given = client.patch(
        url,
        json={"status": "offered", "recorded_on": (today() - timedelta(days=2)).isoformat()},
        headers=h,
    )
    assert given.status_code == 200, given.text
    back = client.patch(url, json={"status": "pending"}, headers=h)
    assert back.json()["recorded_on"] is None


def test_an_incident_may_not_move_past_aftercare_recorded_for_it(
    client: TestClient, place: Place
) -> None:
    # Aftercare lies between the incident and today: correcting the incident's time to a
    # later day than a recorded step would leave that step before it.
    incident = post(client, place, occurred_at=ago(days=10).isoformat()).json()
    care = _care(client, place, incident["id"])
    h = place.tenant.admin
    recorded = (today() - timedelta(days=8)).isoformat()
    r = client.patch(
        f"{URL}/{care['first_care']['id']}",
        json={"status": "given", "recorded_on": recorded},
        headers=h,
    )
    assert r.status_code == 200, r.text
    url = f"/v1/incidents/{incident['id']}"
    later = client.patch(url, json={"occurred_at": ago(days=3).isoformat()}, headers=h)
    assert_problem(later, 409, "recorded-before-incident")
    assert client.get(url, headers=h).json()["occurred_at"] == incident["occurred_at"]
    # Earlier is fine, and every step's due day follows the incident.
    earlier = client.patch(url, json={"occurred_at": ago(days=12).isoformat()}, headers=h)
    assert earlier.status_code == 200, earlier.text
    moved = _care(client, place, incident["id"])
    for kind, step in moved.items():
        assert step["due_on"] < care[kind]["due_on"], kind
