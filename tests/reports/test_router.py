"""The report routes: JSON, CSV for spreadsheets, and bounded SQL."""

import csv
import io

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session

from app.organisation.models import Role
from app.reports import service
from tests.conftest import Tenant
from tests.factories.core import make_employee, make_function_group, make_team
from tests.factories.followup import (
    complete,
    make_conversation,
    make_item,
    make_meeting,
    make_program,
    make_review,
    skill,
)
from tests.helpers import assert_problem, count_statements
from tests.reports.conftest import TODAY, Fixture

CSV = {"Accept": "text/csv"}


def _parse(body: bytes) -> list[list[str]]:
    assert body.startswith(b"\xef\xbb\xbf"), "UTF-8 byte-order mark for Excel"
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig")), delimiter=";"))


def test_overview_json_and_auth(client: TestClient, tenant: Tenant, fixture_org: Fixture) -> None:
    assert_problem(client.get("/v1/reports/overview"), 401)
    r = client.get("/v1/reports/overview", headers=tenant.read)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["teams"] == 3
    assert body["protocol_readiness"]["active_employees"] == 7
    assert {c["skill_code"] for c in body["training_coverage"]} >= {"deescalation"}


def test_teams_csv_is_spreadsheet_safe(
    client: TestClient, tenant: Tenant, fixture_org: Fixture
) -> None:
    r = client.get("/v1/reports/teams", headers={**tenant.read, **CSV})
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("text/csv")
    assert "attachment" in r.headers["content-disposition"]
    assert b"\r\n" in r.content
    rows = _parse(r.content)
    assert rows[0] == service.TEAMS_CSV_HEADER
    by_name = {row[1]: dict(zip(rows[0], row, strict=True)) for row in rows[1:]}
    # A name that Excel would run as a formula is neutralised; Dutch letters survive.
    assert set(by_name) == {"'=Team Twee", "Team Één", "Team Drie"}
    assert by_name["Team Één"]["active_employees"] == "3"
    assert by_name["Team Één"]["lacks_item_in_last_meetings"] == "true"
    assert by_name["'=Team Twee"]["protocol_ready_pct"] == "100.0"
    assert "Één".encode() in r.content


def test_overview_csv(client: TestClient, tenant: Tenant, fixture_org: Fixture) -> None:
    r = client.get("/v1/reports/overview", headers={**tenant.read, **CSV})
    rows = _parse(r.content)
    assert rows[0] == ["section", "figure", "scope", "value"]
    values = {(s, f, scope): v for s, f, scope, v in rows[1:]}
    assert values[("protocol_readiness", "active_employees", "")] == "7"
    assert values[("follow_up", "open", "")] == "4"
    assert ("training_coverage", "current_pct", "Crisisdienst / deescalation") in values


def test_json_stays_the_default(client: TestClient, tenant: Tenant) -> None:
    r = client.get("/v1/reports/teams", headers={**tenant.read, "Accept": "application/json"})
    assert r.headers["content-type"].startswith("application/json")
    r = client.get("/v1/reports/teams", headers={**tenant.read, "Accept": "*/*"})
    assert r.headers["content-type"].startswith("application/json")


def test_invalid_period(client: TestClient, tenant: Tenant) -> None:
    r = client.get(
        "/v1/reports/teams?period_from=2026-06-01&period_to=2026-05-01", headers=tenant.read
    )
    assert_problem(r, 422, "invalid-period")
    # One bound left to its default is checked too: period_to is then today.
    for path in ("/v1/reports/teams", "/v1/reports/overview"):
        r = client.get(path, params={"period_from": "2099-01-01"}, headers=tenant.read)
        assert "by default today" in assert_problem(r, 422, "invalid-period")["detail"]


def _grow(db: Session, teams: int) -> None:
    """Teams with members, trainings, items, reviews, meetings and conversations each."""
    fg = make_function_group(db, likelihood=4, impact=4)
    program = make_program(db, skills=[skill(db, "deescalation")], refresher_months=12)
    boss = make_employee(db, role=Role.senior_management)
    for _ in range(teams):
        manager = make_employee(db, role=Role.team_manager, function_group_id=fg.id)
        team = make_team(db, managers=[manager])
        member = make_employee(db, team_id=team.id, function_group_id=fg.id)
        complete(db, member, program, TODAY)
        make_item(db, owner=team, due_on=TODAY)
        make_review(db, team, TODAY)
        make_meeting(db, team, TODAY, with_item=True)
        make_conversation(db, member, boss, TODAY)


@pytest.mark.parametrize("path", ["/v1/reports/overview", "/v1/reports/teams"])
def test_statement_count_does_not_grow_with_teams(
    client: TestClient, tenant: Tenant, db: Session, engine: Engine, path: str
) -> None:
    _grow(db, 2)
    db.commit()  # the set-up's change events are written now, not inside the count
    with count_statements(engine) as few:
        assert client.get(path, headers=tenant.read).status_code == 200
    _grow(db, 20)
    db.commit()
    with count_statements(engine) as many:
        r = client.get(path, headers=tenant.read)
        assert r.status_code == 200
    # Authentication may touch the key's last_used_at once a minute, in a unit of its own
    # (on PostgreSQL with its lock_timeout, core/db.py write_if_free): not the report's doing.
    telemetry = ("api_key", "lock_timeout")
    few_sql = [q for q in few.statements if not any(t in q for t in telemetry)]
    many_sql = [q for q in many.statements if not any(t in q for t in telemetry)]
    assert len(many_sql) == len(few_sql), many_sql
    # Ten: the catalogue, the protocol in force, function groups, skills and their custom
    # needs; then teams, employees, their training, personal goals and follow-up items.
    assert len(few_sql) <= 12, few_sql
