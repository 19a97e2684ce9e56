"""Risk assessment due (issue 20, item 10): a filter on function groups and a figure of the
overview report, both with the answer each function group shows."""

from datetime import date, timedelta

from fastapi.testclient import TestClient
from sqlmodel import Session

from app.organisation.function_groups import _add_years, risk_assessment_cutoff
from app.organisation.models import OrganisationSettings
from tests.conftest import Tenant
from tests.factories.core import make_function_group


def test_the_cutoff_agrees_with_the_rule_on_every_day_of_eight_years() -> None:
    for years in (1, 4):
        settings = OrganisationSettings(risk_assessment_valid_years=years)
        day = date(2024, 1, 1)
        while day < date(2032, 1, 1):
            cutoff = risk_assessment_cutoff(settings, day)
            assert _add_years(cutoff, years) <= day < _add_years(cutoff + timedelta(days=1), years)
            day += timedelta(days=1)


def test_filter_and_overview_figure(
    client: TestClient, db: Session, tenant: Tenant, other_tenant: Tenant
) -> None:
    today = date.today()
    never = make_function_group(db, name="Nooit beoordeeld")
    old = make_function_group(db, name="Oud", risk_assessed_on=today - timedelta(days=365 * 5))
    fresh = make_function_group(db, name="Recent", risk_assessed_on=today - timedelta(days=30))
    url = "/v1/function-groups"
    due = client.get(url, params={"risk_assessment_due": "true"}, headers=tenant.read).json()
    assert {g["id"] for g in due["items"]} == {str(never.id), str(old.id)}
    assert all(g["risk_assessment_due"] for g in due["items"])
    not_due = client.get(url, params={"risk_assessment_due": "false"}, headers=tenant.read)
    assert [g["id"] for g in not_due.json()["items"]] == [str(fresh.id)]

    figures = client.get("/v1/reports/overview", headers=tenant.read).json()["risk_assessments"]
    assert figures == {"function_groups": 3, "due": 2, "valid_years": 4}
    # Another organisation's function groups are not counted.
    other = client.get("/v1/reports/overview", headers=other_tenant.read).json()
    assert other["risk_assessments"]["function_groups"] == 0
