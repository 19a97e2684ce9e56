"""SCIM list queries: filters (translated to SQL), paging, sorting, attribute selection."""

from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import event
from sqlalchemy.engine import Engine

from app.core.models import utcnow
from tests.conftest import Tenant
from tests.scim.conftest import ENTERPRISE, user_body

PEOPLE = [
    ("anna.jansen@example.nl", "Anna", None, "Jansen", True, "ext-1"),
    ("bram.vos@example.nl", "Bram", "de", "Vos", False, "ext-2"),
    ("cora.berg@example.org", "Cora", "van den", "Berg", True, None),
]


@pytest.fixture
def people(client: TestClient, scim: dict[str, str]) -> dict[str, str]:
    ids = {}
    for user_name, given, middle, family, active, external in PEOPLE:
        body = user_body(user_name, active=active)
        body["name"] = {"givenName": given, "middleName": middle, "familyName": family}
        if external:
            body["externalId"] = external
        r = client.post("/scim/v2/Users", json=body, headers=scim)
        assert r.status_code == 201, r.text
        ids[given] = r.json()["id"]
    return ids


def _names(client: TestClient, scim: dict[str, str], **params: Any) -> list[str]:
    r = client.get("/scim/v2/Users", params=params, headers=scim)
    assert r.status_code == 200, r.text
    return sorted(u["name"]["givenName"] for u in r.json()["Resources"])


@pytest.mark.parametrize(
    ("flt", "expected"),
    [
        ('userName eq "ANNA.JANSEN@example.nl"', ["Anna"]),
        ('userName ne "anna.jansen@example.nl"', ["Bram", "Cora"]),
        ('userName co "vos"', ["Bram"]),
        ('userName sw "c"', ["Cora"]),
        ('userName ew ".org"', ["Cora"]),
        ("externalId pr", ["Anna", "Bram"]),
        ('externalId eq "ext-1"', ["Anna"]),
        ('externalId eq "EXT-1"', []),  # case-exact
        ('displayName eq "Bram de Vos"', ["Bram"]),
        ('displayName co "van den"', ["Cora"]),
        ('emails.value sw "anna"', ["Anna"]),
        ('emails[type eq "work" and value co "example.org"]', ["Cora"]),
        ("active eq false", ["Bram"]),
        ('active eq true and userName co "example.nl"', ["Anna"]),
        ('userName sw "a" or userName sw "b"', ["Anna", "Bram"]),
        ("not (active eq true)", ["Bram"]),
        ('name.familyName eq "berg"', ["Cora"]),
        ('userName co "%"', []),  # LIKE wildcards are matched literally
        ('userName co "_"', []),
    ],
)
def test_filters(
    client: TestClient, scim: dict[str, str], people: dict[str, str], flt: str,
    expected: list[str],
) -> None:  # fmt: skip
    assert _names(client, scim, filter=flt) == expected


def test_last_modified_and_id(
    client: TestClient, scim: dict[str, str], people: dict[str, str]
) -> None:
    past = (utcnow() - timedelta(hours=1)).isoformat().replace("+00:00", "Z")
    future = (utcnow() + timedelta(hours=1)).isoformat().replace("+00:00", "Z")
    assert _names(client, scim, filter=f'meta.lastModified gt "{past}"') == ["Anna", "Bram", "Cora"]
    assert _names(client, scim, filter=f'meta.lastModified gt "{future}"') == []
    assert _names(client, scim, filter=f'id eq "{people["Bram"]}"') == ["Bram"]
    assert _names(client, scim, filter='id eq "not-a-uuid"') == []


def test_the_filter_runs_in_sql(
    client: TestClient, scim: dict[str, str], people: dict[str, str], engine: Engine
) -> None:
    seen: list[str] = []

    def record(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        seen.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        assert _names(client, scim, filter='userName co "bram"') == ["Bram"]
    finally:
        event.remove(engine, "before_cursor_execute", record)
    listing = [s for s in seen if "FROM employee" in s and "LIKE" in s]
    assert listing, seen
    assert all("organisation_id" in s for s in listing)


def test_paging_and_sorting(
    client: TestClient, scim: dict[str, str], people: dict[str, str]
) -> None:
    params = {"sortBy": "userName", "count": 2}
    r = client.get("/scim/v2/Users", params=params, headers=scim).json()
    assert (r["totalResults"], r["startIndex"], r["itemsPerPage"]) == (3, 1, 2)
    assert [u["name"]["givenName"] for u in r["Resources"]] == ["Anna", "Bram"]
    r = client.get("/scim/v2/Users", params={**params, "startIndex": 3}, headers=scim).json()
    assert [u["name"]["givenName"] for u in r["Resources"]] == ["Cora"]
    r = client.get("/scim/v2/Users", params={"sortBy": "userName", "sortOrder": "descending"},
                   headers=scim).json()  # fmt: skip
    assert [u["name"]["givenName"] for u in r["Resources"]] == ["Cora", "Bram", "Anna"]
    r = client.get("/scim/v2/Users", params={"count": 0}, headers=scim).json()
    assert (r["totalResults"], r["Resources"]) == (3, [])
    r = client.get("/scim/v2/Users", params={"sortBy": "nickName"}, headers=scim)
    assert r.status_code == 400


def test_attributes_and_excluded_attributes(
    client: TestClient, scim: dict[str, str], people: dict[str, str]
) -> None:
    r = client.get("/scim/v2/Users", params={"attributes": "userName"}, headers=scim).json()
    first = r["Resources"][0]
    assert set(first) <= {"schemas", "id", "userName"}, first
    r = client.get(f"/scim/v2/Users/{people['Anna']}",
                   params={"excludedAttributes": f"emails,name,{ENTERPRISE}"},
                   headers=scim).json()  # fmt: skip
    assert "emails" not in r and "name" not in r and r["userName"] == "anna.jansen@example.nl"


def test_search_by_post(client: TestClient, scim: dict[str, str], people: dict[str, str]) -> None:
    body = {"schemas": ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"],
            "filter": "active eq true", "attributes": ["userName"], "count": 10}  # fmt: skip
    r = client.post("/scim/v2/Users/.search", json=body, headers=scim)
    assert r.status_code == 200, r.text
    assert r.json()["totalResults"] == 2


def test_groups_are_filtered_too(
    client: TestClient, tenant: Tenant, scim: dict[str, str], people: dict[str, str]
) -> None:
    r = client.post("/scim/v2/Groups", headers=scim, json={
        "displayName": "Team Noord", "externalId": "grp-1", "members": [{"value": people["Anna"]}]
    })  # fmt: skip
    assert r.status_code == 201, r.text
    client.post("/v1/teams", json={"name": "Team Zuid"}, headers=tenant.admin)

    def names(flt: str) -> list[str]:
        r = client.get("/scim/v2/Groups", params={"filter": flt}, headers=scim)
        assert r.status_code == 200, r.text
        return sorted(g["displayName"] for g in r.json()["Resources"])

    assert names('displayName sw "team"') == ["Team Noord", "Team Zuid"]
    assert names('externalId eq "grp-1"') == ["Team Noord"]
    assert names(f'members[value eq "{people["Anna"]}"]') == ["Team Noord"]
    assert names(f'members[value eq "{people["Bram"]}"]') == []
    assert names("members pr") == ["Team Noord"]


@pytest.mark.parametrize(
    "flt",
    [
        'name.familyName eq "ÖZDEMIR"',
        'displayName co "DANIËLLE"',
        'userName sw "DANIËLLE"',
        'name.givenName ne "DANIËLLE" and userName co "ØRS"',
    ],
)
def test_case_is_ignored_in_every_script(
    client: TestClient, scim: dict[str, str], flt: str
) -> None:
    # SQLite's lower() folds ASCII only: "Ö" stayed "Ö" there, and these found nobody.
    for user_name, given, family in [
        ("daniëlle.özdemir@example.nl", "Daniëlle", "Özdemir"),
        ("ørsted@example.nl", "Øystein", "Ørsted"),
    ]:
        body = user_body(user_name)
        body["name"] = {"givenName": given, "familyName": family}
        r = client.post("/scim/v2/Users", json=body, headers=scim)
        assert r.status_code == 201, r.text
    expected = ["Øystein"] if " ne " in flt else ["Daniëlle"]
    assert _names(client, scim, filter=flt) == expected
