"""Bad SCIM input gets a SCIM error (never a 500, never a problem document) and changes
nothing."""

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, func, select

from app.core.errors import unique_fields
from app.core.tenancy import bind_organisation
from app.organisation.models import Employee, Team
from app.scim import service as scim_service
from tests.conftest import Tenant
from tests.factories.core import make_employee
from tests.scim.conftest import PATCH, SCIM, USER, assert_scim_error, user_body


def _counts(db: Session, tenant: Tenant) -> tuple[int, int, list[Any]]:
    bind_organisation(db, tenant.id)
    db.expire_all()
    employees = db.exec(select(func.count()).select_from(Employee)).one()
    teams = db.exec(select(func.count()).select_from(Team)).one()
    rows = db.exec(select(Employee.first_name, Employee.active, Employee.updated_at)).all()
    return employees, teams, sorted(rows)


@pytest.fixture
def existing(client: TestClient, scim: dict[str, str]) -> str:
    r = client.post("/scim/v2/Users", json=user_body(), headers=scim)
    assert r.status_code == 201, r.text
    uid: str = r.json()["id"]
    return uid


@pytest.mark.parametrize(
    ("flt", "why"),
    [
        ("userName eq", "no value"),
        ('userName eq "a" and', "dangling and"),
        ('((userName eq "a")', "unbalanced"),
        ('nickName eq "a"', "attribute not supported"),
        ('active co "tr"', "operator the attribute does not take"),
        ("userName eq 42", "wrong value type"),
        ('meta.lastModified gt "yesterday"', "not a date-time"),
        ('meta.lastModified gt "2026-01-01T00:00:00"', "no time zone"),
        ('urn:example:foo:userName eq "a"', "unknown schema"),
        ("x" * 3000, "too long"),
    ],
)
def test_an_unsupported_filter_is_invalid_filter(
    client: TestClient, scim: dict[str, str], flt: str, why: str
) -> None:
    for path in ("/scim/v2/Users", "/scim/v2/Groups"):
        r = client.get(path, params={"filter": flt}, headers=scim)
        if len(flt) > 2000:
            assert_scim_error(r, 400)
        else:
            assert_scim_error(r, 400, "invalidFilter")


def test_a_search_with_a_bad_filter_is_invalid_filter(
    client: TestClient, scim: dict[str, str]
) -> None:
    body = {"schemas": ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"],
            "filter": "userName zz 1"}  # fmt: skip
    assert_scim_error(client.post("/scim/v2/Users/.search", json=body, headers=scim), 400,
                      "invalidFilter")  # fmt: skip


BAD_USERS: list[tuple[str, Any, str]] = [
    ("unknown schema", {**user_body(), "schemas": [USER, "urn:example:made:up:1.0:Thing"]},
     "invalidValue"),
    ("no schemas at all", {k: v for k, v in user_body().items() if k != "schemas"} | {
        "schemas": ["urn:example:made:up:1.0:Thing"]}, "invalidValue"),
    ("userName a number", {**user_body(), "userName": 12}, "invalidValue"),
    ("active a word", {**user_body(), "active": "perhaps"}, "invalidValue"),
    ("emails not a list", {**user_body(), "emails": "a@b.nl"}, "invalidValue"),
    ("email not an address", {**user_body(), "emails": [{"value": "nope"}]}, "invalidValue"),
    ("name missing", {k: v for k, v in user_body().items() if k != "name"}, "invalidValue"),
    ("userName missing", {k: v for k, v in user_body().items() if k != "userName"},
     "invalidValue"),
    ("unknown function group",
     {**user_body(), "urn:ietf:params:scim:schemas:extension:veerkracht:2.0:Employee":
      {"functionGroup": "Nowhere"}}, "invalidValue"),
    ("unknown role",
     {**user_body(), "urn:ietf:params:scim:schemas:extension:veerkracht:2.0:Employee":
      {"role": "king"}}, "invalidValue"),
    ("a list, not an object", [user_body()], "invalidSyntax"),
    # Longer than their columns: SQLite would store them whole, PostgreSQL refuse them.
    ("externalId too long", {**user_body(), "externalId": "x" * 101}, "invalidValue"),
    ("userName too long", {**user_body(), "userName": "x" * 321}, "invalidValue"),
    ("empty userName", {**user_body(), "userName": " "}, "invalidValue"),
]  # fmt: skip


@pytest.mark.parametrize(("why", "body", "scim_type"), BAD_USERS, ids=[b[0] for b in BAD_USERS])
def test_a_bad_user_changes_nothing(
    client: TestClient, tenant: Tenant, scim: dict[str, str], db: Session, existing: str,
    why: str, body: Any, scim_type: str,
) -> None:  # fmt: skip
    before = _counts(db, tenant)
    if isinstance(body, dict) and body.get("userName") == user_body()["userName"]:
        body = {**body, "userName": "other@example.nl"}  # not refused for being taken
    if isinstance(body, dict) and body.get("emails") == user_body()["emails"]:
        body["emails"] = [{"value": "other@example.nl"}]
    assert_scim_error(client.post("/scim/v2/Users", json=body, headers=scim), 400, scim_type)
    put = client.put(f"/scim/v2/Users/{existing}", json=body, headers=scim)
    assert put.status_code == 400, put.text
    assert _counts(db, tenant) == before


BAD_PATCHES: list[tuple[str, Any, str | None]] = [
    ("unknown op", {"schemas": [PATCH], "Operations": [{"op": "merge", "path": "active",
                                                        "value": False}]}, "invalidValue"),
    ("no operations", {"schemas": [PATCH], "Operations": []}, "invalidValue"),
    ("unknown path", {"schemas": [PATCH], "Operations": [{"op": "replace", "path": "nickName[",
                                                          "value": "x"}]}, None),
    ("active a word", {"schemas": [PATCH], "Operations": [{"op": "replace", "path": "active",
                                                           "value": "perhaps"}]}, None),
    ("userName removed", {"schemas": [PATCH], "Operations": [{"op": "remove",
                                                              "path": "userName"}]}, None),
    ("read-only id", {"schemas": [PATCH], "Operations": [{"op": "replace", "path": "id",
                                                          "value": "x"}]}, None),
]  # fmt: skip


@pytest.mark.parametrize(("why", "body", "scim_type"), BAD_PATCHES,
                         ids=[b[0] for b in BAD_PATCHES])  # fmt: skip
def test_a_bad_patch_changes_nothing(
    client: TestClient, tenant: Tenant, scim: dict[str, str], db: Session, existing: str,
    why: str, body: Any, scim_type: str | None,
) -> None:  # fmt: skip
    before = _counts(db, tenant)
    r = client.patch(f"/scim/v2/Users/{existing}", json=body, headers=scim)
    assert_scim_error(r, 400, scim_type)
    assert _counts(db, tenant) == before


def test_an_oversized_body_is_refused(
    client: TestClient, tenant: Tenant, scim: dict[str, str], db: Session
) -> None:
    before = _counts(db, tenant)
    big = {**user_body(), "externalId": "x" * 2_000_000}
    assert_scim_error(client.post("/scim/v2/Users", json=big, headers=scim), 413)
    assert _counts(db, tenant) == before


def test_unreadable_json_and_wrong_content_types(
    client: TestClient, tenant: Tenant, scim: dict[str, str], db: Session
) -> None:
    before = _counts(db, tenant)
    r = client.post("/scim/v2/Users", content=b'{"userName": ', headers=scim)
    assert_scim_error(r, 400, "invalidSyntax")
    xml = {**scim, "Content-Type": "application/xml"}
    assert_scim_error(client.post("/scim/v2/Users", content=b"<user/>", headers=xml), 415)
    r = client.post("/scim/v2/Users", content=b'{"userName": "\\u0000"}', headers=scim)
    assert_scim_error(r, 400, "invalidValue")
    assert _counts(db, tenant) == before


def test_a_taken_user_name_is_a_uniqueness_error(
    client: TestClient, tenant: Tenant, scim: dict[str, str], db: Session, existing: str
) -> None:
    before = _counts(db, tenant)
    body = user_body("JAN.BERG@example.nl")
    body["emails"] = [{"value": "someone.else@example.nl"}]
    assert_scim_error(client.post("/scim/v2/Users", json=body, headers=scim), 409, "uniqueness")
    body = user_body("someone.else@example.nl")  # the email is taken
    assert_scim_error(client.post("/scim/v2/Users", json=body | {"emails": [
        {"value": "jan.berg@example.nl"}]}, headers=scim), 409, "uniqueness")  # fmt: skip
    assert _counts(db, tenant) == before


def test_unknown_ids_are_not_found(client: TestClient, scim: dict[str, str]) -> None:
    for path in (
        "/scim/v2/Users/nope",
        "/scim/v2/Groups/6c8f7a4e-0000-0000-0000-000000000000",
        "/scim/v2/Schemas/urn:nope",
        "/scim/v2/ResourceTypes/Nope",
        "/scim/v2/Nope",
    ):
        assert_scim_error(client.get(path, headers=scim), 404)  # fmt: skip
    r = client.patch("/scim/v2/Users/nope", json={"schemas": [PATCH], "Operations": []},
                     headers={**scim, "Content-Type": SCIM})  # fmt: skip
    assert_scim_error(r, 404)


def test_the_database_refuses_a_user_name_taken_in_another_case(
    db: Session, tenant: Tenant, other_tenant: Tenant
) -> None:
    # The last word when two provisioning calls race past the service's check: the index
    # on the folded name (migration 0019), on both databases.
    make_employee(db, user_name="Jan.Berg@Example.nl")
    make_employee(db, user_name=None)
    make_employee(db, user_name=None)  # many employees without a userName of their own
    bind_organisation(db, other_tenant.id)
    make_employee(db, user_name="jan.berg@example.nl")  # another organisation may
    bind_organisation(db, tenant.id)
    with db.begin_nested(), pytest.raises(IntegrityError) as refused:
        make_employee(db, user_name="jan.berg@example.nl")
    assert unique_fields(refused.value) == ["user_name"]


def test_a_race_past_the_check_is_still_a_uniqueness_error(
    client: TestClient,
    tenant: Tenant,
    scim: dict[str, str],
    db: Session,
    existing: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # As if another call committed the name between this call's check and its insert.
    monkeypatch.setattr(scim_service, "_refuse_taken_user_name", lambda *_: None)
    before = _counts(db, tenant)
    body = user_body("JAN.BERG@example.nl")
    body["emails"] = [{"value": "someone.else@example.nl"}]
    r = client.post("/scim/v2/Users", json=body, headers=scim)
    assert_scim_error(r, 409, "uniqueness")
    assert r.json()["detail"] == "Another resource already has this userName.", r.text
    assert _counts(db, tenant) == before
