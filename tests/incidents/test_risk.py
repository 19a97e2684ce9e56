"""Risk analysis per function group (issue 21 item 4), worked out by hand.

Ten active employees of *Jongerenwerker* (entered likelihood 2, impact 3). Eight incidents
in the last two years: 8 / 10 employees / 2 years = 0.4 per employee per year, which
suggests likelihood 3 (0.2-0.5). One incident of three years ago does not count.
"""

from datetime import date

from fastapi.testclient import TestClient
from sqlmodel import Session

from app.core.dates import today
from app.incidents import service
from app.incidents.risk import assessment_outdated, suggested_likelihood
from app.organisation.models import OrganisationSettings
from tests.factories.core import make_employee
from tests.helpers import assert_problem
from tests.incidents.conftest import Place, ago, make_incident


def _ten_employees_eight_incidents(db: Session, place: Place) -> None:
    for _ in range(8):  # anna, bram, olga + 8 = 11; one inactive: 10 active
        make_employee(db, team_id=place.team.id, function_group_id=place.group.id)
    make_employee(db, team_id=place.team.id, function_group_id=place.group.id, active=False)
    place.olga.function_group_id = None  # not of the group: 10 active members
    db.flush()
    for i in range(8):
        make_incident(db, place, occurred_at=ago(days=30 + 60 * i).isoformat(), severity=2 + i % 2)
    make_incident(db, place, occurred_at=ago(days=365 * 3).isoformat(), severity=5)


def test_hand_worked_analysis(db: Session, place: Place) -> None:
    _ten_employees_eight_incidents(db, place)
    report = service.risk_analyses(db, today=today(), settings=OrganisationSettings())
    (item,) = report.items
    assert (item.employee_count, item.incident_count) == (10, 8)
    assert item.incidents_per_employee_per_year == 0.4
    assert item.suggested_likelihood == 3
    assert item.mean_severity == 2.5 and item.suggested_impact == 2
    assert item.by_category["physical"] == 8 and item.red_count == 8
    # entered 2, suggested 3: in line; no assessment date: outdated
    assert item.likelihood_out_of_line is False
    assert item.assessment_outdated is True and item.needs_attention is True


def test_out_of_line_when_two_steps_apart(db: Session, place: Place) -> None:
    _ten_employees_eight_incidents(db, place)
    place.group.likelihood = 1
    place.group.risk_assessed_on = today()
    db.flush()
    (item,) = service.risk_analyses(db, today=today(), settings=OrganisationSettings()).items
    assert item.likelihood_out_of_line is True and item.assessment_outdated is False
    place.group.likelihood = 5
    db.flush()
    (item,) = service.risk_analyses(db, today=today(), settings=OrganisationSettings()).items
    assert item.likelihood_out_of_line is True


def test_the_thresholds() -> None:
    assert [suggested_likelihood(r) for r in (0, 0.049, 0.05, 0.2, 0.5, 0.99, 1.0, 7)] == [
        1,
        1,
        2,
        3,
        4,
        4,
        5,
        5,
    ]
    day = date(2026, 6, 1)
    assert assessment_outdated(None, today=day, valid_years=4)
    assert not assessment_outdated(date(2022, 6, 1), today=day, valid_years=4)
    assert assessment_outdated(date(2022, 5, 31), today=day, valid_years=4)


def test_over_http(client: TestClient, db: Session, place: Place) -> None:
    _ten_employees_eight_incidents(db, place)
    h = place.tenant.read
    one = client.get(f"/v1/function-groups/{place.group.id}/risk-analysis", headers=h)
    assert one.status_code == 200, one.text
    assert one.json()["suggested_likelihood"] == 3
    every = client.get("/v1/risk-analysis", headers=h).json()
    assert [i["function_group_id"] for i in every["items"]] == [str(place.group.id)]
    from uuid import uuid4

    assert_problem(client.get(f"/v1/function-groups/{uuid4()}/risk-analysis", headers=h), 404)
