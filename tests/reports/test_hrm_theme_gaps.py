"""The employees the HRM theme has not reached (issue 7, item 4): who they are, the 12-month
boundary, the team filter, pages, CSV, and the same rule as the overview's count."""

import csv
import io
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session

from app.core.dates import add_months, today
from app.core.models import utcnow
from app.core.tenancy import bind_organisation
from app.organisation.models import Employee, FunctionGroup, Role, Team
from app.reports import hrm_theme
from tests.conftest import Tenant
from tests.factories.core import make_employee, make_function_group, make_team
from tests.factories.followup import make_conversation
from tests.helpers import assert_problem
from tests.performance.seed import Bulk
from tests.performance.statements import explain, measure

URL = "/v1/reports/hrm-theme-gaps"
CSV = {"Accept": "text/csv"}


@dataclass
class Gaps:
    day: date
    t1: Team
    t2: Team
    fg: FunctionGroup
    people: dict[str, Employee]
    listed: set[str]  # the names of ``people`` the list must show
    outsider: Employee  # organisation B's, never covered


@pytest.fixture
def gaps(db: Session, tenant: Tenant, other_tenant: Tenant) -> Gaps:
    """Organisation A, dated from the day the reports use (see the comment per person)."""
    day = today()
    since = add_months(day, -12)
    fg = make_function_group(db, name="Ambulant")
    director = make_employee(db, first_name="Sjoerd", role=Role.senior_management)
    t1 = make_team(db, name="Team Één")
    t2 = make_team(db, name="=Zorg & Welzijn")

    def member(first: str, team: Team, **extra: Any) -> Employee:
        return make_employee(
            db, first_name=first, team_id=team.id, function_group_id=fg.id, **extra
        )

    people = {
        "director": director,  # never had a conversation: listed (no team)
        "eleven": member("Elf", t1),  # theme 11 months ago: covered
        "boundary": member("Grens", t1),  # theme exactly 12 months ago: still covered
        "past": member("Voorbij", t1),  # theme 12 months and a day ago: listed
        "no_theme": member("Zonder", t2),  # only a recent talk without the theme: listed
        "never": member("Renée", t2, name_particle="van der", last_name="Ëlst"),  # listed
        "inactive": member("Weg", t2, active=False),  # deactivated: never listed
        "erased": member("Gewist", t2, active=False, erased_at=utcnow()),  # erased: never
    }
    make_conversation(db, people["eleven"], director, add_months(day, -11))
    make_conversation(db, people["boundary"], director, since)
    make_conversation(db, people["past"], director, since - timedelta(days=1))
    make_conversation(db, people["no_theme"], director, add_months(day, -24))
    make_conversation(
        db, people["no_theme"], director, day - timedelta(days=7), theme_discussed=False
    )
    bind_organisation(db, other_tenant.id)
    outsider = make_employee(db, first_name="Buiten")
    bind_organisation(db, tenant.id)
    db.flush()
    listed = {"director", "past", "no_theme", "never"}
    return Gaps(day, t1, t2, fg, people, listed, outsider)


def _all(client: TestClient, tenant: Tenant, **query: str) -> list[dict[str, Any]]:
    """Every row, page after page."""
    rows: list[dict[str, Any]] = []
    cursor: str | None = None
    while True:
        params = {**query, **({"cursor": cursor} if cursor else {})}
        r = client.get(URL, params=params, headers=tenant.read)
        assert r.status_code == 200, r.text
        rows += r.json()["items"]
        cursor = r.json()["next_cursor"]
        if cursor is None:
            return rows


def _names(g: Gaps, rows: list[dict[str, Any]]) -> set[str]:
    by_id = {str(e.id): name for name, e in g.people.items()}
    return {by_id.get(row["employee_id"], row["employee_id"]) for row in rows}


def test_lists_the_active_employees_the_theme_has_not_reached(
    client: TestClient, tenant: Tenant, gaps: Gaps
) -> None:
    assert_problem(client.get(URL), 401)
    r = client.get(URL, headers=tenant.read)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["generated_on"] == gaps.day.isoformat()
    assert body["covered_since"] == add_months(gaps.day, -12).isoformat()
    assert body["next_cursor"] is None
    # 11 months and exactly 12 months ago: covered; a day more, no theme, never: listed;
    # inactive, erased and organisation B's employee: never.
    assert _names(gaps, body["items"]) == gaps.listed
    assert str(gaps.outsider.id) not in r.text
    rows = {row["employee_id"]: row for row in body["items"]}
    never, past = gaps.people["never"], gaps.people["past"]
    assert rows[str(never.id)] == {
        "employee_id": str(never.id),
        "external_id": never.external_id,
        "full_name": "Renée van der Ëlst",
        "team_id": str(gaps.t2.id),
        "team_name": "=Zorg & Welzijn",
        "function_group_id": str(gaps.fg.id),
        "function_group_name": "Ambulant",
        "last_theme_conversation_on": None,
    }
    since = add_months(gaps.day, -12)
    assert rows[str(past.id)]["last_theme_conversation_on"] == str(since - timedelta(days=1))
    assert rows[str(past.id)]["team_name"] == "Team Één"
    # The latest conversation that discussed the theme, not the latest conversation.
    no_theme = rows[str(gaps.people["no_theme"].id)]
    assert no_theme["last_theme_conversation_on"] == str(add_months(gaps.day, -24))
    director = rows[str(gaps.people["director"].id)]
    assert (director["team_id"], director["team_name"]) == (None, None)
    # In creation order, the keyset of every list.
    assert [row["employee_id"] for row in body["items"]] == sorted(rows)


@pytest.mark.parametrize(
    ("day", "covered_since"),
    [
        (date(2026, 6, 15), date(2025, 6, 15)),
        (date(2028, 2, 29), date(2027, 2, 28)),  # clamped at month end, as add_months does
        (date(2027, 3, 31), date(2026, 3, 31)),
    ],
)
def test_the_boundary_is_twelve_months_back_inclusive(
    db: Session, tenant: Tenant, day: date, covered_since: date
) -> None:
    manager = make_employee(db, role=Role.senior_management)
    on_it, before_it = make_employee(db), make_employee(db)
    make_conversation(db, manager, on_it, day)  # today counts: keeps the manager off the list
    make_conversation(db, on_it, manager, covered_since)
    make_conversation(db, before_it, manager, covered_since - timedelta(days=1))
    make_conversation(db, before_it, manager, day + timedelta(days=1))  # not yet held on day
    assert hrm_theme.covered_since(day, 12) == covered_since
    listed, _ = hrm_theme.theme_gaps(db, today=day)
    assert [(g.employee_id, g.last_theme_conversation_on) for g in listed] == [
        (before_it.id, covered_since - timedelta(days=1))
    ]
    # The day after, the conversation on the boundary no longer covers.
    listed, _ = hrm_theme.theme_gaps(db, today=day + timedelta(days=1))
    assert [g.employee_id for g in listed] == [on_it.id]


def test_the_overview_counts_exactly_those_not_listed(
    client: TestClient, tenant: Tenant, gaps: Gaps
) -> None:
    """One expression for the count and the list: they cannot disagree at the boundary."""
    listed = _all(client, tenant)
    overview = client.get("/v1/reports/overview", headers=tenant.read).json()["hrm_theme"]
    assert overview["not_covered"] == len(listed) == 4
    assert overview["covered"] == 2  # eleven and boundary
    teams = client.get("/v1/reports/teams", headers=tenant.read).json()["items"]
    for team in teams:
        in_team = [row for row in listed if row["team_id"] == team["team_id"]]
        assert team["active_employees"] - team["hrm_theme_covered"] == len(in_team), team


def test_team_filter(client: TestClient, tenant: Tenant, other_tenant: Tenant, gaps: Gaps) -> None:
    assert _names(gaps, _all(client, tenant, team_id=str(gaps.t1.id))) == {"past"}
    assert _names(gaps, _all(client, tenant, team_id=str(gaps.t2.id))) == {"no_theme", "never"}
    # Another organisation's team is answered like a missing one.
    body = assert_problem(
        client.get(URL, params={"team_id": str(gaps.t1.id)}, headers=other_tenant.read),
        422,
        "unknown-reference",
    )
    assert body["errors"][0]["pointer"] == "/query/team_id"


def test_pages_walk_the_whole_list_once(client: TestClient, tenant: Tenant, gaps: Gaps) -> None:
    first = client.get(URL, params={"limit": 3}, headers=tenant.read).json()
    assert len(first["items"]) == 3 and first["next_cursor"]
    second = client.get(
        URL, params={"limit": 3, "cursor": first["next_cursor"]}, headers=tenant.read
    ).json()
    assert len(second["items"]) == 1 and second["next_cursor"] is None
    ids = [row["employee_id"] for row in first["items"] + second["items"]]
    assert ids == sorted(ids) and _names(gaps, first["items"] + second["items"]) == gaps.listed
    assert_problem(
        client.get(URL, params={"cursor": "not-a-cursor"}, headers=tenant.read),
        422,
        "validation-error",
    )


def test_csv_is_the_whole_list_and_spreadsheet_safe(
    client: TestClient, tenant: Tenant, gaps: Gaps
) -> None:
    r = client.get(URL, params={"limit": 1}, headers={**tenant.read, **CSV})
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("text/csv")
    assert f"hrm-theme-gaps-{gaps.day.isoformat()}.csv" in r.headers["content-disposition"]
    assert r.content.startswith(b"\xef\xbb\xbf"), "UTF-8 byte-order mark for Excel"
    assert b"\r\n" in r.content
    rows = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig")), delimiter=";"))
    assert rows[0] == [
        "employee_id",
        "external_id",
        "full_name",
        "team_id",
        "team_name",
        "function_group_id",
        "function_group_name",
        "last_theme_conversation_on",
    ]
    # Every row despite limit=1: a spreadsheet gets the whole list.
    by_id = {row[0]: dict(zip(rows[0], row, strict=True)) for row in rows[1:]}
    assert _names(gaps, [{"employee_id": i} for i in by_id]) == gaps.listed
    never = by_id[str(gaps.people["never"].id)]
    assert never["full_name"] == "Renée van der Ëlst"
    assert never["team_name"] == "'=Zorg & Welzijn"  # would run as a formula in Excel
    assert never["last_theme_conversation_on"] == ""
    assert "Renée van der Ëlst".encode() in r.content
    director = by_id[str(gaps.people["director"].id)]
    assert director["team_id"] == "" and director["team_name"] == ""


def test_a_page_costs_the_same_statements_for_5_and_100_rows(
    client: TestClient, db: Session, engine: Engine, tenant: Tenant
) -> None:
    """No N+1: each listed employee has its own team, function group and (old) theme
    conversation, so a query per row would show up as more statements."""
    Bulk(db, tenant.id).uncovered_employees(60)  # 60 employees and their 60 managers

    def page(limit: int) -> None:
        r = client.get(URL, params={"limit": limit}, headers=tenant.read)
        assert r.status_code == 200, r.text
        assert len(r.json()["items"]) == limit

    page(1)  # once-per-key work (last_used_at) is not part of the list
    small, large = measure(engine, db, lambda: page(5)), measure(engine, db, lambda: page(100))
    assert small.count == large.count, explain("limit=5", small, "limit=100", large)


def test_the_csv_costs_the_same_statements_for_4_and_100_rows(
    client: TestClient, db: Session, engine: Engine, tenant: Tenant
) -> None:
    """The file holds every row: an organisation of 4 listed and one of 100 compared."""
    bulk = Bulk(db, tenant.id)

    def download(rows: int) -> None:
        r = client.get(URL, headers={**tenant.read, **CSV})
        assert r.status_code == 200, r.text
        assert r.content.count(b"\r\n") == 1 + rows

    bulk.uncovered_employees(2)  # two employees and their two managers
    download(4)  # once-per-key work (last_used_at) is not part of the file
    small = measure(engine, db, lambda: download(4))
    bulk.uncovered_employees(48)
    large = measure(engine, db, lambda: download(100))
    assert small.count == large.count, explain("4 rows", small, "100 rows", large)
