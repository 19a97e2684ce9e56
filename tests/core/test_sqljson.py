"""JSON written by the database (core/sqljson.py) is the JSON pydantic would write.

The employee routes send rows the database serialised; these tests compare them, key by
key and in order, with ``EmployeePublic`` serialising the same rows, on awkward values.
"""

import json
import uuid
from datetime import UTC, date, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pydantic import BaseModel
from sqlalchemy import update
from sqlmodel import Session, col

from app.core.pagination import PageEnd
from app.core.sqljson import joined_words, json_object, page_body
from app.organisation.models import Employee, EmployeePublic, Role
from tests.conftest import Tenant
from tests.factories.core import make_employee, make_function_group, make_team

AWKWARD: list[dict[str, Any]] = [
    # quotes, backslash, a control character and non-ASCII in names
    {"first_name": 'Jan "J.\\B."', "last_name": "Çelik-Ëlzinga\t", "name_particle": "van 't"},
    # missing and empty optional parts: full_name skips both
    {"first_name": "Fleur", "name_particle": "", "email": None, "external_id": None},
    {"first_name": "Ömer 🌷", "name_particle": None, "started_on": None, "active": False},
    {"first_name": "Lotte", "role": Role.senior_management, "started_on": date(1999, 12, 31)},
]


def _expected(db: Session, employee_id: uuid.UUID) -> dict[str, Any]:
    emp = db.get(Employee, employee_id)
    assert emp is not None
    db.refresh(emp)
    dumped: dict[str, Any] = EmployeePublic.model_validate(emp, from_attributes=True).model_dump(
        mode="json"
    )
    return dumped


def _awkward_employees(db: Session) -> list[Employee]:
    team, fg = make_team(db), make_function_group(db)
    made = [
        make_employee(db, **{"team_id": team.id, "function_group_id": fg.id, **values})
        for values in AWKWARD
    ]
    made.append(make_employee(db, team_id=None, function_group_id=None))
    # Timestamps with and without a fraction, and an erased employee's erased_at.
    db.execute(
        update(Employee)
        .where(col(Employee.id) == made[0].id)
        .values(updated_at=datetime(2026, 3, 1, 8, 0, 0, tzinfo=UTC))
    )
    db.execute(
        update(Employee)
        .where(col(Employee.id) == made[1].id)
        .values(
            updated_at=datetime(2026, 3, 1, 8, 0, 0, 500, tzinfo=UTC),
            erased_at=datetime(2026, 3, 2, 9, 30, 15, 120000, tzinfo=UTC),
        )
    )
    db.flush()
    return made


def test_one_employee_is_written_as_pydantic_writes_it(
    client: TestClient, db: Session, tenant: Tenant
) -> None:
    for emp in _awkward_employees(db):
        r = client.get(f"/v1/employees/{emp.id}", headers=tenant.read)
        assert r.status_code == 200, r.text
        got = r.json()
        expected = _expected(db, emp.id)
        assert got == expected
        assert list(got) == list(expected)  # the same keys in the same order


def test_a_page_is_written_as_pydantic_writes_it(
    client: TestClient, db: Session, tenant: Tenant
) -> None:
    made = _awkward_employees(db)
    team_id = made[0].team_id
    r = client.get(f"/v1/employees?team_id={team_id}&limit=2", headers=tenant.read)
    assert r.status_code == 200, r.text
    page = r.json()
    in_team = sorted((e.id for e in made if e.team_id == team_id), key=str)
    assert [item["id"] for item in page["items"]] == [str(i) for i in in_team[:2]]
    assert page["items"] == [_expected(db, i) for i in in_team[:2]]
    assert page["next_cursor"]
    rest = client.get(
        f"/v1/employees?team_id={team_id}&limit=2&cursor={page['next_cursor']}",
        headers=tenant.read,
    ).json()
    assert rest["items"] == [_expected(db, i) for i in in_team[2:]]
    assert rest["next_cursor"] is None


def test_another_organisations_employee_is_not_found(
    client: TestClient, db: Session, tenant: Tenant, other_tenant: Tenant
) -> None:
    emp = make_employee(db)
    r = client.get(f"/v1/employees/{emp.id}", headers=other_tenant.read)
    assert r.status_code == 404
    listed = client.get("/v1/employees", headers=other_tenant.read).json()["items"]
    assert str(emp.id) not in {e["id"] for e in listed}


class _Unsupported(BaseModel):
    values: list[int]


@pytest.mark.parametrize("dialect", ["sqlite", "postgresql"])
def test_a_field_without_a_database_writer_is_refused(dialect: str) -> None:
    with pytest.raises(TypeError, match="values"):
        json_object(dialect, _Unsupported, {"values": col(Employee.first_name)})


def test_computed_fields_must_match_the_model() -> None:
    columns = {name: col(getattr(Employee, name)) for name in EmployeePublic.model_fields}
    with pytest.raises(TypeError, match="full_name"):
        json_object("sqlite", EmployeePublic, columns)


def test_joined_words_needs_parts() -> None:
    with pytest.raises(ValueError):
        joined_words([])


def test_page_body_is_json() -> None:
    body = page_body(['{"a" : 1}', '{"a": 2}'], PageEnd("Abc-_1", "MC4wLjA"))
    assert json.loads(body) == {
        "items": [{"a": 1}, {"a": 2}],
        "next_cursor": "Abc-_1",
        "sync_token": "MC4wLjA",
    }
    assert json.loads(page_body([], PageEnd(None))) == {
        "items": [],
        "next_cursor": None,
        "sync_token": None,
    }
