"""Employees: filters, search, uniqueness (also under concurrency) and deletion rules."""

import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.organisation.models import Role
from tests.conftest import Tenant
from tests.factories.core import make_employee, make_function_group, make_team, manage
from tests.helpers import assert_problem


def _names(client: TestClient, tenant: Tenant, query: str) -> set[str]:
    r = client.get(f"/v1/employees?{query}", headers=tenant.read)
    assert r.status_code == 200, r.text
    return {e["last_name"] for e in r.json()["items"]}


def test_filters(client: TestClient, db: Session, tenant: Tenant, other_tenant: Tenant) -> None:
    team, other_team = make_team(db), make_team(db)
    fg, other_fg = make_function_group(db), make_function_group(db)
    make_employee(
        db, last_name="Jansen", team_id=team.id, function_group_id=fg.id, external_id="HR-1"
    )
    make_employee(
        db,
        last_name="Bakker",
        team_id=team.id,
        function_group_id=other_fg.id,
        role=Role.team_manager,
    )
    make_employee(
        db, last_name="Visser", team_id=other_team.id, function_group_id=fg.id, active=False
    )
    assert _names(client, tenant, f"team_id={team.id}") == {"Jansen", "Bakker"}
    assert _names(client, tenant, f"function_group_id={fg.id}") == {"Jansen", "Visser"}
    assert _names(client, tenant, "role=team_manager") == {"Bakker"}
    assert _names(client, tenant, "active=false") == {"Visser"}
    assert _names(client, tenant, "active=true") == {"Jansen", "Bakker"}
    assert _names(client, tenant, "external_id=HR-1") == {"Jansen"}
    assert _names(client, tenant, f"team_id={team.id}&role=employee") == {"Jansen"}
    assert _names(client, other_tenant, "") == set()
    assert_problem(client.get("/v1/employees?role=boss", headers=tenant.read), 422)


def test_q_searches_names_and_email_literally(
    client: TestClient, db: Session, tenant: Tenant
) -> None:
    make_employee(db, first_name="Anne_Marie", last_name="de Wit", email="am.dewit@example.nl")
    make_employee(db, first_name="AnneXMarie", last_name="Smit", email="ax@example.nl")
    make_employee(db, first_name="Kees", last_name="100% Mulder", email="kees@wijkteam.nl")
    assert _names(client, tenant, "q=de%20wit") == {"de Wit"}  # case-insensitive
    assert _names(client, tenant, "q=e_M") == {"de Wit"}  # _ is a character, not a wildcard
    assert _names(client, tenant, "q=%25") == {"100% Mulder"}  # so is %
    assert _names(client, tenant, "q=0%25 M") == {"100% Mulder"}
    assert _names(client, tenant, "q=WIJKTEAM") == {"100% Mulder"}  # email
    assert _names(client, tenant, "q=%5C") == set()  # a backslash matches nothing here


def test_create_and_change(client: TestClient, db: Session, tenant: Tenant) -> None:
    team, fg = make_team(db), make_function_group(db)
    r = client.post(
        "/v1/employees",
        headers=tenant.write,
        json={
            "first_name": "Fatima",
            "last_name": "El Amrani",
            "email": "F.ElAmrani@Example.nl",
            "team_id": str(team.id),
            "function_group_id": str(fg.id),
            "started_on": "2024-09-01",
        },
    )
    assert r.status_code == 201, r.text
    emp = r.json()
    assert (emp["email"], emp["role"], emp["active"]) == ("f.elamrani@example.nl", "employee", True)
    assert r.headers["Location"] == f"/v1/employees/{emp['id']}"
    changed = client.patch(
        f"/v1/employees/{emp['id']}",
        headers={**tenant.write, "If-Match": r.headers["ETag"]},
        json={"active": False, "role": "team_manager"},
    )
    assert changed.status_code == 200
    assert (changed.json()["active"], changed.json()["role"]) == (False, "team_manager")


def test_references_must_be_the_organisations_own(
    client: TestClient, db: Session, tenant: Tenant, other_tenant: Tenant
) -> None:
    foreign_team = client.post("/v1/teams", headers=other_tenant.write, json={"name": "B"}).json()
    for field, value in (("team_id", foreign_team["id"]), ("function_group_id", str(uuid.uuid4()))):
        body = assert_problem(
            client.post(
                "/v1/employees",
                headers=tenant.write,
                json={"first_name": "A", "last_name": "B", field: value},
            ),
            422,
            "unknown-reference",
        )
        assert body["errors"][0]["pointer"] == f"/{field}"


@pytest.mark.parametrize(
    ("field", "first", "second"),
    [
        ("external_id", {"external_id": "HR-77"}, {"external_id": "HR-77"}),
        ("email", {"email": "sanne@example.nl"}, {"email": "SANNE@example.nl"}),
    ],
)
def test_unique_fields_are_409_naming_the_field(
    client: TestClient,
    tenant: Tenant,
    other_tenant: Tenant,
    field: str,
    first: dict,
    second: dict,  # type: ignore[type-arg]
) -> None:
    base = {"first_name": "Sanne", "last_name": "Smit"}
    assert (
        client.post("/v1/employees", headers=tenant.write, json={**base, **first}).status_code
        == 201
    )
    body = assert_problem(
        client.post("/v1/employees", headers=tenant.write, json={**base, **second}),
        409,
        "already-exists",
    )
    assert [e["pointer"] for e in body["errors"]] == [f"/{field}"]
    assert field in body["detail"]
    # Unique per organisation, not globally.
    assert (
        client.post(
            "/v1/employees", headers=other_tenant.write, json={**base, **second}
        ).status_code
        == 201
    )
    # A change that collides is refused the same way.
    other = client.post("/v1/employees", headers=tenant.write, json=base).json()
    body = assert_problem(
        client.patch(f"/v1/employees/{other['id']}", headers=tenant.write, json=second),
        409,
        "already-exists",
    )
    assert body["errors"][0]["pointer"] == f"/{field}"


@pytest.mark.parametrize("field", ["external_id", "email"])
def test_unique_under_concurrent_creation(
    live_client: TestClient, live_tenant: Tenant, is_postgres: bool, field: str
) -> None:
    if not is_postgres:
        pytest.skip("concurrent writers need PostgreSQL (SQLite serialises writes)")
    value = {"external_id": "HR-RACE", "email": "race@example.nl"}[field]

    def create(i: int) -> tuple[int, dict]:  # type: ignore[type-arg]
        r = live_client.post(
            "/v1/employees",
            headers=live_tenant.write,
            json={"first_name": "Race", "last_name": f"Deelnemer {i}", field: value},
        )
        return r.status_code, r.json()

    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(create, range(16)))
    statuses = sorted(s for s, _ in results)
    assert statuses == [201] + [409] * 15, statuses
    for status, body in results:
        if status == 409:
            assert body["code"] == "already-exists"
            assert body["errors"][0]["pointer"] == f"/{field}"
    listed = live_client.get("/v1/employees?limit=200", headers=live_tenant.read).json()["items"]
    assert len([e for e in listed if e[field] == value]) == 1


def test_team_creation_is_unique_under_concurrency(
    live_client: TestClient, live_tenant: Tenant, is_postgres: bool
) -> None:
    if not is_postgres:
        pytest.skip("concurrent writers need PostgreSQL")

    def create(_: int) -> int:
        return live_client.post(
            "/v1/teams", headers=live_tenant.write, json={"name": "Race", "external_id": "T-RACE"}
        ).status_code

    with ThreadPoolExecutor(max_workers=6) as pool:
        assert sorted(pool.map(create, range(12))) == [201] + [409] * 11


def test_delete_employee_without_history(client: TestClient, db: Session, tenant: Tenant) -> None:
    emp = make_employee(db)
    assert client.delete(f"/v1/employees/{emp.id}", headers=tenant.write).status_code == 204
    assert_problem(client.get(f"/v1/employees/{emp.id}", headers=tenant.read), 404)


def test_delete_employee_who_manages_a_team_is_refused(
    client: TestClient, db: Session, tenant: Tenant
) -> None:
    # Managing a team is history: deactivate instead of delete.
    manager = make_employee(db, role=Role.team_manager)
    manage(db, make_team(db), manager)
    body = assert_problem(
        client.delete(f"/v1/employees/{manager.id}", headers=tenant.write),
        409,
        "employee-has-history",
    )
    assert "active=false" in body["detail"]
    assert client.get(f"/v1/employees/{manager.id}", headers=tenant.read).status_code == 200
    r = client.patch(f"/v1/employees/{manager.id}", headers=tenant.write, json={"active": False})
    assert r.status_code == 200 and r.json()["active"] is False


def test_a_manager_of_a_team_keeps_a_manager_role(
    client: TestClient, db: Session, tenant: Tenant
) -> None:
    manager = make_employee(db, role=Role.team_manager)
    team = make_team(db)
    manage(db, team, manager)
    url = f"/v1/employees/{manager.id}"
    body = assert_problem(
        client.patch(url, headers=tenant.write, json={"role": "employee"}),
        409,
        "still-manages-teams",
    )
    assert body["team_ids"] == [str(team.id)]
    assert body["errors"][0]["pointer"] == "/role"
    # Another manager role is fine; so is any change once they no longer manage the team.
    r = client.patch(url, headers=tenant.write, json={"role": "senior_management"})
    assert r.status_code == 200, r.text
    client.patch(f"/v1/teams/{team.id}", headers=tenant.write, json={"manager_ids": []})
    r = client.patch(url, headers=tenant.write, json={"role": "employee"})
    assert r.status_code == 200 and r.json()["role"] == "employee"
