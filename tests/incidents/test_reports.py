"""Reports (issue 21 item 6): incidents per team, function group and month; aftercare
compliance; both as CSV for Dutch Excel."""

from datetime import timedelta

from fastapi.testclient import TestClient
from sqlmodel import Session

from app.core.dates import day_of, today
from app.incidents import service
from app.incidents.models import Aftercare, AftercareStatus
from tests.helpers import assert_problem
from tests.incidents.conftest import Place, ago, body, make_incident


def test_incidents_per_month_team_group_and_category(
    client: TestClient, db: Session, place: Place
) -> None:
    a = ago(days=40)
    make_incident(db, place, occurred_at=a.isoformat(), category="threat")
    make_incident(db, place, occurred_at=a.isoformat(), category="threat", police_informed=False)
    make_incident(db, place, occurred_at=ago(days=400).isoformat())  # outside 12 months
    report = client.get("/v1/reports/incidents", headers=place.tenant.read).json()
    assert report["total"] == 2
    (row,) = report["rows"]
    assert row["month"] == day_of(a).strftime("%Y-%m")
    assert (row["team_name"], row["function_group_name"], row["category"]) == (
        "Jongerenwerk Noord",
        "Jongerenwerker",
        "threat",
    )
    assert (row["incidents"], row["red"], row["police_informed"]) == (2, 2, 1)

    csv = client.get("/v1/reports/incidents", headers={**place.tenant.read, "Accept": "text/csv"})
    assert csv.headers["content-type"].startswith("text/csv")
    text = csv.content.decode("utf-8")
    assert text.startswith("\ufeffmonth;team;function_group;category;incidents;red;police")
    assert f"{row['month']};Jongerenwerk Noord;Jongerenwerker;threat;2;2;1" in text


def test_a_reversed_period_is_a_problem(client: TestClient, place: Place) -> None:
    r = client.get(
        "/v1/reports/incidents",
        params={"period_from": "2026-02-01", "period_to": "2026-01-01"},
        headers=place.tenant.read,
    )
    assert_problem(r, 422, "invalid-period")
    for path in ("/v1/reports/incidents", "/v1/reports/aftercare-compliance"):
        r = client.get(path, params={"period_from": "2099-01-01"}, headers=place.tenant.read)
        assert_problem(r, 422, "invalid-period")


def _record(
    db: Session, incident_id: object, kind: str, status: AftercareStatus, late: int
) -> None:
    from sqlmodel import select

    row = db.exec(
        select(Aftercare).where(Aftercare.incident_id == incident_id, Aftercare.kind == kind)
    ).one()
    row.status = status
    row.recorded_on = row.due_on + timedelta(days=late)
    db.flush()


def test_aftercare_compliance(client: TestClient, db: Session, place: Place) -> None:
    one = make_incident(db, place, occurred_at=ago(days=30).isoformat())
    two = make_incident(db, place, occurred_at=ago(days=20).isoformat())
    _record(db, one.id, "first_care", AftercareStatus.given, 0)  # on time
    _record(db, one.id, "follow_up_conversation", AftercareStatus.declined, 0)  # on time
    _record(db, two.id, "first_care", AftercareStatus.given, 2)  # late
    # two's follow-up conversation is still pending: overdue
    report = service.aftercare_compliance(
        db, period_from=today() - timedelta(days=60), period_to=today(), today=today()
    )
    (team,) = report.teams
    assert (team.due, team.on_time, team.late, team.overdue, team.declined) == (4, 2, 1, 1, 1)
    assert team.compliance_pct == 50.0 and report.total.due == 4
    csv = client.get(
        "/v1/reports/aftercare-compliance",
        headers={**place.tenant.read, "Accept": "text/csv"},
    ).content.decode("utf-8")
    assert "Jongerenwerk Noord;4;2;1;1;1;50,0" in csv  # a decimal comma for Dutch Excel
    assert "(organisatie);4;2;1;1;1;50,0" in csv


def test_dates_at_the_edge_of_the_calendar_are_problems_not_errors(
    client: TestClient, place: Place
) -> None:
    h = place.tenant.read
    for params in (
        {"period_to": "0001-01-01"},
        {"period_from": "0001-01-01", "period_to": "0001-01-02"},
        {"period_to": "9999-12-31"},
    ):
        for path in ("/v1/reports/incidents", "/v1/reports/aftercare-compliance"):
            r = client.get(path, params=params, headers=h)
            assert r.status_code in (200, 422), (path, params, r.text)
    for params in ({"occurred_to": "9999-12-31"}, {"occurred_from": "0001-01-01"}):
        r = client.get("/v1/incidents", params=params, headers=h)
        assert r.status_code in (200, 422), (params, r.text)
    r = client.post(
        "/v1/incidents",
        json={**body(place), "occurred_at": "0001-01-01T00:00:00Z"},
        headers=place.tenant.write,
    )
    assert r.status_code in (201, 422), r.text
