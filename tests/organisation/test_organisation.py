"""The organisation's settings, teams with managers, function groups and their exposure."""

from datetime import date, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session

from app.core import dates
from app.organisation.function_groups import _add_years
from app.organisation.models import DEFAULT_BANDS, ExposureLevel, Role, exposure_level
from tests.conftest import Tenant
from tests.factories.core import make_employee, make_function_group, make_team, manage
from tests.helpers import assert_problem, count_statements

# --- organisation settings ----------------------------------------------------------------


def test_settings_have_the_documented_defaults(client: TestClient, tenant: Tenant) -> None:
    r = client.get("/v1/organisation", headers=tenant.read)
    assert r.status_code == 200 and r.headers["ETag"]
    settings = r.json()["settings"]
    assert settings["rule_severities"] == {
        "managers_first": "error",
        "protocol_ready": "error",
        "comparable_functions": "warning",
        "exposure_fit": "warning",
        "audience_fit": "error",
        "reflected_before_training": "warning",
    }
    assert settings["review_interval_months"] == 3
    assert settings["risk_assessment_valid_years"] == 4


def test_settings_patch_is_admin_only(client: TestClient, tenant: Tenant) -> None:
    for headers in (tenant.read, tenant.write):
        assert_problem(
            client.patch("/v1/organisation", headers=headers, json={"name": "X"}),
            403,
            "insufficient-scope",
        )
    r = client.patch("/v1/organisation", headers=tenant.admin, json={"name": "Stichting Kompas"})
    assert r.status_code == 200 and r.json()["name"] == "Stichting Kompas"


def test_settings_patch_merges_deeply(client: TestClient, tenant: Tenant) -> None:
    first = client.patch(
        "/v1/organisation",
        headers=tenant.admin,
        json={"settings": {"rule_severities": {"exposure_fit": "error"}}},
    )
    assert first.status_code == 200, first.text
    second = client.patch(
        "/v1/organisation",
        headers=tenant.admin,
        json={
            "settings": {
                "rule_severities": {"managers_first": "warning"},
                "review_interval_months": 6,
            }
        },
    )
    settings = second.json()["settings"]
    assert settings["rule_severities"]["exposure_fit"] == "error"  # kept from the first
    assert settings["rule_severities"]["managers_first"] == "warning"
    assert settings["rule_severities"]["audience_fit"] == "error"  # default untouched
    assert settings["review_interval_months"] == 6
    assert client.get("/v1/organisation", headers=tenant.read).json()["settings"] == settings


@pytest.mark.parametrize(
    ("payload", "pointer"),
    [
        ({"settings": {"review_interval_months": 0}}, "/settings/review_interval_months"),
        (
            {"settings": {"rule_severities": {"managers_first": "sometimes"}}},
            "/settings/rule_severities/managers_first",
        ),
        (
            {"settings": {"rule_severities": {"no_such_rule": "off"}}},
            "/settings/rule_severities/no_such_rule",
        ),
        ({"settings": {"unknown": 1}}, "/settings/unknown"),
        ({"name": ""}, "/name"),
    ],
)
def test_settings_validation(
    client: TestClient, tenant: Tenant, payload: dict, pointer: str
) -> None:  # type: ignore[type-arg]
    body = assert_problem(client.patch("/v1/organisation", headers=tenant.admin, json=payload), 422)
    assert pointer in [e["pointer"] for e in body["errors"]]


def test_settings_patch_honours_if_match(client: TestClient, tenant: Tenant) -> None:
    etag = client.get("/v1/organisation", headers=tenant.read).headers["ETag"]
    client.patch("/v1/organisation", headers=tenant.admin, json={"name": "Eerst"})
    assert_problem(
        client.patch(
            "/v1/organisation", headers={**tenant.admin, "If-Match": etag}, json={"name": "Later"}
        ),
        412,
    )


# --- teams and managers --------------------------------------------------------------------


def test_team_with_managers(client: TestClient, db: Session, tenant: Tenant) -> None:
    tm = make_employee(db, role=Role.team_manager)
    director = make_employee(db, role=Role.senior_management)
    r = client.post(
        "/v1/teams",
        headers=tenant.write,
        json={
            "name": "Jongerenwerk",
            "external_id": "AFD-12",
            "manager_ids": [str(tm.id), str(director.id)],
        },
    )
    assert r.status_code == 201, r.text
    team = r.json()
    assert sorted(team["manager_ids"]) == sorted([str(tm.id), str(director.id)])
    assert r.headers["Location"] == f"/v1/teams/{team['id']}"
    # A manager may manage several teams.
    other = client.post(
        "/v1/teams", headers=tenant.write, json={"name": "Buurtwerk", "manager_ids": [str(tm.id)]}
    )
    assert other.status_code == 201
    managed = client.get(f"/v1/teams?manager_id={tm.id}", headers=tenant.read).json()["items"]
    assert {t["name"] for t in managed} == {"Jongerenwerk", "Buurtwerk"}
    # PATCH replaces the list.
    r = client.patch(
        f"/v1/teams/{team['id']}", headers=tenant.write, json={"manager_ids": [str(director.id)]}
    )
    assert r.json()["manager_ids"] == [str(director.id)]
    assert client.get(f"/v1/teams/{team['id']}", headers=tenant.read).json()["manager_ids"] == [
        str(director.id)
    ]
    assert (
        client.get("/v1/teams?external_id=AFD-12", headers=tenant.read).json()["items"][0]["id"]
        == team["id"]
    )


def test_team_manager_must_have_a_manager_role(
    client: TestClient, db: Session, tenant: Tenant
) -> None:
    tm = make_employee(db, role=Role.team_manager)
    worker = make_employee(db, role=Role.employee)
    body = assert_problem(
        client.post(
            "/v1/teams",
            headers=tenant.write,
            json={"name": "T", "manager_ids": [str(tm.id), str(worker.id)]},
        ),
        409,
        "not-a-manager",
    )
    assert body["errors"] == [{"pointer": "/manager_ids/1", "detail": "not a manager"}]
    team = make_team(db)
    assert_problem(
        client.patch(
            f"/v1/teams/{team.id}", headers=tenant.write, json={"manager_ids": [str(worker.id)]}
        ),
        409,
        "not-a-manager",
    )


def test_a_new_team_manager_must_still_be_employed(
    client: TestClient, db: Session, tenant: Tenant
) -> None:
    current = make_employee(db, role=Role.team_manager)
    left = make_employee(db, role=Role.team_manager, active=False)
    leaving = make_employee(db, role=Role.team_manager, ended_on=date.today() - timedelta(days=1))
    db.commit()
    for gone in (left, leaving):
        body = assert_problem(
            client.post(
                "/v1/teams",
                headers=tenant.write,
                json={"name": "T", "manager_ids": [str(current.id), str(gone.id)]},
            ),
            409,
            "not-a-manager",
        )
        assert body["errors"] == [{"pointer": "/manager_ids/1", "detail": "no longer employed"}]
    # A manager the team already has may stay: a sync sending the team unchanged after
    # its manager left is not refused.
    team = client.post(
        "/v1/teams", headers=tenant.write, json={"name": "T", "manager_ids": [str(current.id)]}
    ).json()
    url = f"/v1/teams/{team['id']}"
    patch = client.patch
    assert_problem(
        patch(url, headers=tenant.write, json={"manager_ids": [str(current.id), str(left.id)]}),
        409,
        "not-a-manager",
    )
    gone = client.patch(f"/v1/employees/{current.id}", headers=tenant.write, json={"active": False})
    assert gone.status_code == 200, gone.text
    r = patch(url, headers=tenant.write, json={"name": "T2", "manager_ids": [str(current.id)]})
    assert r.status_code == 200, r.text
    assert r.json()["manager_ids"] == [str(current.id)]


def test_team_manager_must_exist_in_the_organisation(
    client: TestClient, db: Session, tenant: Tenant, other_tenant: Tenant
) -> None:
    tm = make_employee(db, role=Role.team_manager)
    foreign = client.post(
        "/v1/employees",
        headers=other_tenant.write,
        json={"first_name": "Piet", "last_name": "Bakker", "role": "team_manager"},
    ).json()
    for unknown in (foreign["id"], "01900000-0000-7000-8000-000000000000"):
        body = assert_problem(
            client.post(
                "/v1/teams",
                headers=tenant.write,
                json={"name": "T", "manager_ids": [str(tm.id), unknown]},
            ),
            422,
            "unknown-reference",
        )
        assert body["errors"][0]["pointer"] == "/manager_ids/1"


def test_team_external_id_is_unique_per_organisation(
    client: TestClient, tenant: Tenant, other_tenant: Tenant
) -> None:
    assert (
        client.post(
            "/v1/teams", headers=tenant.write, json={"name": "A", "external_id": "T-1"}
        ).status_code
        == 201
    )
    body = assert_problem(
        client.post("/v1/teams", headers=tenant.write, json={"name": "B", "external_id": "T-1"}),
        409,
        "already-exists",
    )
    assert body["errors"][0]["pointer"] == "/external_id"
    assert (
        client.post(
            "/v1/teams", headers=other_tenant.write, json={"name": "A", "external_id": "T-1"}
        ).status_code
        == 201
    )


def test_delete_team(client: TestClient, db: Session, tenant: Tenant) -> None:
    staffed, empty = make_team(db), make_team(db)
    make_employee(db, team_id=staffed.id)
    assert_problem(
        client.delete(f"/v1/teams/{staffed.id}", headers=tenant.write), 409, "team-has-employees"
    )
    assert client.get(f"/v1/teams/{staffed.id}", headers=tenant.read).status_code == 200
    # A team with only managers (no members) can go; the manager links go with it.
    manage(db, empty, make_employee(db, role=Role.team_manager))
    assert client.delete(f"/v1/teams/{empty.id}", headers=tenant.write).status_code == 204
    assert_problem(client.get(f"/v1/teams/{empty.id}", headers=tenant.read), 404)


# --- function groups -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("score", "level"),
    [
        (1, ExposureLevel.low),
        (4, ExposureLevel.low),
        (5, ExposureLevel.moderate),
        (9, ExposureLevel.moderate),
        (10, ExposureLevel.high),
        (16, ExposureLevel.high),
        (17, ExposureLevel.very_high),
        (25, ExposureLevel.very_high),
    ],
)
def test_exposure_level_boundaries(score: int, level: ExposureLevel) -> None:
    assert exposure_level(score, DEFAULT_BANDS) == level


@pytest.mark.parametrize(
    ("likelihood", "impact", "score", "level"),
    [
        (1, 4, 4, "low"),
        (1, 5, 5, "moderate"),
        (3, 3, 9, "moderate"),
        (2, 5, 10, "high"),
        (4, 4, 16, "high"),
        (4, 5, 20, "very_high"),
        (5, 5, 25, "very_high"),
    ],
)
def test_function_group_exposure(
    client: TestClient, tenant: Tenant, likelihood: int, impact: int, score: int, level: str
) -> None:
    r = client.post(
        "/v1/function-groups",
        headers=tenant.write,
        json={"name": "Ambulant begeleider", "likelihood": likelihood, "impact": impact},
    )
    assert r.status_code == 201, r.text
    assert (r.json()["exposure_score"], r.json()["exposure_level"]) == (score, level)


def test_function_group_exposure_follows_a_change(
    client: TestClient, db: Session, tenant: Tenant
) -> None:
    fg = make_function_group(db, likelihood=1, impact=2)
    r = client.patch(
        f"/v1/function-groups/{fg.id}", headers=tenant.write, json={"likelihood": 5, "impact": 4}
    )
    assert (r.json()["exposure_score"], r.json()["exposure_level"]) == (20, "very_high")


@pytest.mark.parametrize("field", ["likelihood", "impact"])
@pytest.mark.parametrize("value", [0, 6])
def test_function_group_ranges(client: TestClient, tenant: Tenant, field: str, value: int) -> None:
    payload = {"name": "X", "likelihood": 3, "impact": 3, field: value}
    body = assert_problem(
        client.post("/v1/function-groups", headers=tenant.write, json=payload), 422
    )
    assert body["errors"][0]["pointer"] == f"/{field}"


def test_risk_assessment_due_after_four_years(
    client: TestClient, db: Session, tenant: Tenant
) -> None:
    today = dates.today()  # the day the service judges by (Dutch), not the machine's
    four_years_ago = _add_years(today, -4)
    cases = {
        "never": (None, True),
        "recent": (today - timedelta(days=30), False),
        "day-before-due": (four_years_ago + timedelta(days=1), False),
        "exactly-four-years": (four_years_ago, True),
        "older": (four_years_ago - timedelta(days=1), True),
    }
    for name, (assessed, _) in cases.items():
        make_function_group(db, name=name, risk_assessed_on=assessed)
    items = client.get("/v1/function-groups", headers=tenant.read).json()["items"]
    due = {i["name"]: i["risk_assessment_due"] for i in items}
    assert due == {name: expected for name, (_, expected) in cases.items()}
    # The validity is the organisation's setting.
    client.patch(
        "/v1/organisation",
        headers=tenant.admin,
        json={"settings": {"risk_assessment_valid_years": 10}},
    )
    items = client.get("/v1/function-groups", headers=tenant.read).json()["items"]
    assert {i["name"] for i in items if i["risk_assessment_due"]} == {"never"}


def test_add_years_on_29_february() -> None:
    assert _add_years(date(2024, 2, 29), 4) == date(2028, 2, 29)
    assert _add_years(date(2024, 2, 29), 1) == date(2025, 2, 28)


def test_delete_function_group(client: TestClient, db: Session, tenant: Tenant) -> None:
    used, unused = make_function_group(db), make_function_group(db)
    make_employee(db, function_group_id=used.id)
    assert_problem(
        client.delete(f"/v1/function-groups/{used.id}", headers=tenant.write),
        409,
        "function-group-in-use",
    )
    assert (
        client.delete(f"/v1/function-groups/{unused.id}", headers=tenant.write).status_code == 204
    )


def test_a_team_patch_reads_its_managers_once(
    client: TestClient, db: Session, tenant: Tenant, engine: Engine
) -> None:
    # The managers read to check who may stay are the ones the new list is compared with.
    tm = make_employee(db, role=Role.team_manager)
    director = make_employee(db, role=Role.senior_management)
    team = make_team(db, name="Jongerenwerk", managers=[tm])
    with count_statements(engine) as counted:
        r = client.patch(
            f"/v1/teams/{team.id}",
            headers=tenant.write,
            json={"manager_ids": [str(tm.id), str(director.id)]},
        )
    assert r.status_code == 200, r.text
    assert sorted(r.json()["manager_ids"]) == sorted([str(tm.id), str(director.id)])
    read_managers = [
        s
        for s in counted.statements
        if s.lstrip().upper().startswith("SELECT") and "FROM team_manager" in s
    ]
    # Once for the check and the write, once for the answer.
    assert len(read_managers) == 2, read_managers
