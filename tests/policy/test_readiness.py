"""Protocol readiness: read the version in force, or the team discussed it (seed step 2)."""

import csv
import io
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from app.core.dates import CALENDAR_ZONE
from app.organisation.models import Employee, Role, Team
from app.policy import service
from app.policy.models import Protocol
from tests.conftest import Tenant
from tests.factories.core import make_employee, make_team
from tests.factories.policy import (
    make_acknowledgement,
    make_protocol,
    make_team_discussion,
    set_published_at,
)
from tests.helpers import assert_problem, count_statements

T0 = datetime(2025, 1, 6, 9, 0, tzinfo=UTC)
T1 = datetime(2025, 9, 1, 9, 0, tzinfo=UTC)


@pytest.fixture
def history(db: Session, tenant: Tenant) -> dict[str, Any]:
    """v1 in force from T0 to T1, v2 since T1 (published now, moved back to T1)."""
    v1 = make_protocol(db, publish=True)
    v2 = make_protocol(db, publish=True)
    set_published_at(db, v1, T0, T1)
    set_published_at(db, v2, T1, None)
    return {"v1": v1, "v2": v2}


def test_ready_by_acknowledgement_or_team_discussion_of_the_version_in_force(
    db: Session, history: dict[str, Protocol]
) -> None:
    v1, v2 = history["v1"], history["v2"]
    discussed_old, plain = make_team(db), make_team(db)
    read_old = make_employee(db, team_id=plain.id)
    read_old_late = make_employee(db, team_id=plain.id)
    read_new = make_employee(db, team_id=plain.id)
    in_discussed_team = make_employee(db, team_id=discussed_old.id)
    nobody = make_employee(db, team_id=plain.id)
    make_acknowledgement(db, protocol=v1, employee=read_old, read_at=T0 + timedelta(days=1))
    make_acknowledgement(db, protocol=v1, employee=read_old_late, read_at=T0 + timedelta(days=30))
    make_acknowledgement(db, protocol=v2, employee=read_new, read_at=T1 + timedelta(days=1))
    make_team_discussion(db, protocol=v1, team=discussed_old, discussed_on=date(2025, 1, 20))
    ids = [e.id for e in (read_old, read_old_late, read_new, in_discussed_team, nobody)]

    assert service.protocol_ready_ids(db, employee_ids=ids, at=T0 + timedelta(days=10)) == {
        read_old.id
    }
    assert service.protocol_ready_ids(db, employee_ids=ids, at=T0 + timedelta(days=60)) == {
        read_old.id,
        read_old_late.id,
        in_discussed_team.id,
    }
    # Now v2 is in force: reading or discussing v1 no longer counts.
    assert service.protocol_ready_ids(db, employee_ids=ids) == {read_new.id}
    assert service.protocol_ready_ids(db, employee_ids=ids, at=T0 - timedelta(days=1)) == set()
    assert service.is_protocol_ready(db, employee=read_new)
    assert not service.is_protocol_ready(db, employee=nobody)
    assert service.current_protocol(db) == v2


def test_a_team_discussion_counts_from_the_start_of_its_dutch_day(
    db: Session, history: dict[str, Protocol]
) -> None:
    # A discussion on 2 October makes its participants ready for a session at 00:30 in
    # Amsterdam that day, which is still 1 October in UTC (core/dates.py).
    team = make_team(db)
    emp = make_employee(db, team_id=team.id)
    make_team_discussion(db, protocol=history["v2"], team=team, discussed_on=date(2025, 10, 2))
    first_hour = datetime(2025, 10, 2, 0, 30, tzinfo=CALENDAR_ZONE).astimezone(UTC)
    assert service.protocol_ready_ids(db, employee_ids=[emp.id], at=first_hour) == {emp.id}
    day_before = datetime(2025, 10, 1, 23, 30, tzinfo=CALENDAR_ZONE).astimezone(UTC)
    assert service.protocol_ready_ids(db, employee_ids=[emp.id], at=day_before) == set()


def test_a_future_session_counts_todays_reading(db: Session, history: dict[str, Protocol]) -> None:
    emp = make_employee(db)
    make_acknowledgement(db, protocol=history["v2"], employee=emp)
    next_month = datetime.now(UTC) + timedelta(days=30)
    assert service.is_protocol_ready(db, employee=emp, at=next_month)


def test_nobody_is_ready_without_a_published_protocol(db: Session, tenant: Tenant) -> None:
    emp = make_employee(db)
    make_protocol(db)  # a draft only
    assert service.current_protocol(db) is None
    assert service.protocol_ready_ids(db, employee_ids=[emp.id]) == set()
    assert service.protocol_ready_ids(db, employee_ids=[]) == set()


def test_batch_readiness_takes_a_bounded_number_of_queries(
    db: Session, engine: Engine, history: dict[str, Protocol]
) -> None:
    team = make_team(db)
    few = [make_employee(db, team_id=team.id) for _ in range(2)]
    make_team_discussion(db, protocol=history["v2"], team=team)
    many = few + [make_employee(db) for _ in range(40)]
    for emp in many[::3]:
        make_acknowledgement(db, protocol=history["v2"], employee=emp)
    with count_statements(engine) as small:
        service.protocol_ready_ids(db, employee_ids=[e.id for e in few])
    with count_statements(engine) as large:
        ready = service.protocol_ready_ids(db, employee_ids=[e.id for e in many])
    # One query per 5,000 ids: the version in force with the ready employees joined to it.
    assert large.count == small.count == 1
    assert ready == {e.id for e in many[::3]} | {e.id for e in few}


def test_readiness_of_a_select_of_employees(db: Session, history: dict[str, Protocol]) -> None:
    """A plan asks about a whole scope as a subquery instead of a list of ids."""
    team, other = make_team(db), make_team(db)
    discussed = make_employee(db, team_id=team.id)
    make_team_discussion(db, protocol=history["v2"], team=team)
    read = make_employee(db, team_id=other.id)
    make_employee(db, team_id=other.id)
    outside = make_employee(db, team_id=team.id, active=False)
    make_acknowledgement(db, protocol=history["v2"], employee=read)
    scope = select(col(Employee.id)).where(col(Employee.active).is_(True))
    version, ready = service.ready_ids_at(db, employee_ids=scope)
    assert version == history["v2"].version
    assert ready == {discussed.id, read.id}
    assert outside.id not in ready
    # Before any version was in force: no version, nobody ready.
    assert service.ready_ids_at(db, employee_ids=scope, at=T0 - timedelta(days=1)) == (None, set())
    assert service.ready_ids_at(db, employee_ids=[], at=T1) == (history["v2"].version, set())


# --- the readiness report, against a hand-computed organisation ---------------------------


@pytest.fixture
def organisation(db: Session, tenant: Tenant) -> dict[str, Any]:
    """Three teams and one senior manager, with readiness worked out by hand:

    Crisisdienst (5 active): 2 read v2, 1 read only v1, 2 nothing; 1 inactive who read v2
        -> ready 2, not ready 3, acknowledged 2, not discussed.
    Jongerenwerk Noord (3 active): discussed v2 on 12 Jan; 1 also read it -> ready 3.
    Servicepunt Centrum (2 active): discussed only v1 -> ready 0, not ready 2.
    No team: 1 senior manager who read v2 -> ready 1.
    Totals: 11 active, 6 ready, 5 not ready.
    """
    old = make_protocol(db, publish=True)
    current = make_protocol(db, publish=True)
    crisis = make_team(db, name="Crisisdienst")
    youth = make_team(db, name="Jongerenwerk Noord")
    desk = make_team(db, name="Servicepunt Centrum")

    def people(team: Team, n: int, **kw: Any) -> list[Employee]:
        return [make_employee(db, team_id=team.id, **kw) for _ in range(n)]

    c_read, c_old, c_none = people(crisis, 2), people(crisis, 1), people(crisis, 2)
    c_inactive = people(crisis, 1, active=False)
    youth_members = people(youth, 3)
    desk_members = people(desk, 2)
    director = make_employee(db, role=Role.senior_management)
    for emp in [*c_read, *c_inactive, youth_members[0], director]:
        make_acknowledgement(db, protocol=current, employee=emp)
    make_acknowledgement(db, protocol=old, employee=c_old[0])
    make_team_discussion(db, protocol=current, team=youth, discussed_on=date(2026, 1, 12))
    make_team_discussion(db, protocol=old, team=desk, discussed_on=date(2025, 6, 2))
    return {
        "current": current,
        "teams": (crisis, youth, desk),
        "not_ready": {crisis.id: [*c_old, *c_none], desk.id: desk_members},
        "director": director,
        "ready_crisis": c_read,
    }


def test_readiness_report_matches_the_hand_computed_numbers(
    client: TestClient, tenant: Tenant, organisation: dict[str, Any]
) -> None:
    r = client.get("/v1/protocols/current/readiness", headers=tenant.read)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["protocol_id"] == str(organisation["current"].id)
    assert (body["active_employees"], body["ready"], body["not_ready"]) == (11, 6, 5)
    _crisis, youth, desk = organisation["teams"]
    rows = [
        (t["team_name"], t["active_employees"], t["ready"], t["not_ready"], t["acknowledged"])
        for t in body["teams"]
    ]
    assert rows == [
        ("Crisisdienst", 5, 2, 3, 2),
        ("Jongerenwerk Noord", 3, 3, 0, 1),
        ("Servicepunt Centrum", 2, 0, 2, 0),
        (None, 1, 1, 0, 1),
    ]
    by_team = {t["team_id"]: t for t in body["teams"]}
    assert by_team[str(youth.id)]["discussed_on"] == "2026-01-12"
    assert by_team[str(desk.id)]["discussed_on"] is None  # discussed only v1
    for team_id, expected in organisation["not_ready"].items():
        names = {e["id"] for e in by_team[str(team_id)]["not_ready_employees"]}
        assert names == {str(e.id) for e in expected}


def test_readiness_filtered_by_team(
    client: TestClient, tenant: Tenant, organisation: dict[str, Any]
) -> None:
    crisis = organisation["teams"][0]
    body = client.get(
        f"/v1/protocols/current/readiness?team_id={crisis.id}", headers=tenant.read
    ).json()
    assert [t["team_name"] for t in body["teams"]] == ["Crisisdienst"]
    assert (body["active_employees"], body["ready"], body["not_ready"]) == (5, 2, 3)


def test_another_organisations_protocol_is_not_current(
    client: TestClient, tenant: Tenant, other_tenant: Tenant, organisation: dict[str, Any]
) -> None:
    r = client.get("/v1/protocols/current/readiness", headers=other_tenant.read)
    assert_problem(r, 404, "no-current-protocol")
    assert_problem(client.get("/v1/protocols/current", headers=other_tenant.read), 404)


def test_readiness_team_filter_of_another_organisation_is_422(
    client: TestClient, tenant: Tenant, organisation: dict[str, Any], db: Session
) -> None:
    from app.core.tenancy import bind_organisation
    from tests.factories.core import make_organisation

    other, *_keys = make_organisation(db, name="Stichting C")
    foreign_team = make_team(db)
    bind_organisation(db, tenant.id)
    r = client.get(
        f"/v1/protocols/current/readiness?team_id={foreign_team.id}", headers=tenant.read
    )
    problem = assert_problem(r, 422, "unknown-reference")
    assert problem["errors"][0]["pointer"] == "/query/team_id"
    assert other.id != tenant.id


def test_readiness_without_a_published_protocol_is_404(client: TestClient, tenant: Tenant) -> None:
    assert_problem(
        client.get("/v1/protocols/current/readiness", headers=tenant.read),
        404,
        "no-current-protocol",
    )


def test_readiness_report_takes_a_bounded_number_of_queries(
    client: TestClient, tenant: Tenant, organisation: dict[str, Any], db: Session, engine: Engine
) -> None:
    client.get("/v1/protocols/current/readiness", headers=tenant.read)  # warm-up
    with count_statements(engine) as before:
        client.get("/v1/protocols/current/readiness", headers=tenant.read)
    extra = make_team(db, name="Ambulante begeleiding")
    for _ in range(20):
        make_employee(db, team_id=extra.id)
    db.commit()  # the set-up's change events are written now, not inside the count
    with count_statements(engine) as after:
        client.get("/v1/protocols/current/readiness", headers=tenant.read)
    assert after.count == before.count


# --- CSV ----------------------------------------------------------------------------------


def _csv(response: Any) -> list[list[str]]:
    raw: bytes = response.content
    assert raw.startswith("\ufeff".encode())  # Excel reads UTF-8 only with a BOM
    return list(csv.reader(io.StringIO(raw.decode("utf-8-sig")), delimiter=";"))


def test_readiness_csv_is_one_row_per_active_employee(
    client: TestClient, tenant: Tenant, organisation: dict[str, Any]
) -> None:
    r = client.get("/v1/protocols/current/readiness", headers={**tenant.read, "Accept": "text/csv"})
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("text/csv")
    assert "attachment" in r.headers["content-disposition"]
    rows = _csv(r)
    assert rows[0] == service.READINESS_CSV_HEADER
    data = [dict(zip(rows[0], row, strict=True)) for row in rows[1:]]
    assert len(data) == 11
    assert sum(1 for d in data if d["protocol_ready"] == "yes") == 6
    director = next(d for d in data if d["employee_id"] == str(organisation["director"].id))
    assert (director["team"], director["ready_via"]) == ("", "acknowledged")
    youth_rows = [d for d in data if d["team"] == "Jongerenwerk Noord"]
    assert sorted(d["ready_via"] for d in youth_rows) == [
        "acknowledged+team_discussion",
        "team_discussion",
        "team_discussion",
    ]


def test_readiness_csv_neutralises_formulas(
    client: TestClient, tenant: Tenant, db: Session, organisation: dict[str, Any]
) -> None:
    team = make_team(db, name='=HYPERLINK("http://x")')
    make_employee(db, team_id=team.id, first_name="+31 6 1234", last_name="@SUM(A1)")
    make_employee(db, team_id=team.id, first_name="-2+3", last_name="Gülşen")
    r = client.get(
        f"/v1/protocols/current/readiness?team_id={team.id}",
        headers={**tenant.read, "Accept": "text/csv"},
    )
    rows = _csv(r)[1:]
    assert {row[0] for row in rows} == {'\'=HYPERLINK("http://x")'}
    assert sorted(row[4] for row in rows) == ["'+31 6 1234 @SUM(A1)", "'-2+3 Gülşen"]


def test_json_stays_the_default(
    client: TestClient, tenant: Tenant, organisation: dict[str, Any]
) -> None:
    r = client.get(
        "/v1/protocols/current/readiness",
        headers={**tenant.read, "Accept": "application/json, text/csv;q=0.5"},
    )
    assert r.headers["content-type"].startswith("application/json")
