"""Employees: ``q`` finds a Dutch name by its full name and by the surname with its
tussenvoegsel, as HR officers search, within the caller's organisation only."""

from urllib.parse import urlencode

import pytest
from fastapi.testclient import TestClient

from tests.conftest import Tenant


def _create(client: TestClient, tenant: Tenant, **name: str | None) -> str:
    r = client.post("/v1/employees", headers=tenant.write, json=name)
    assert r.status_code == 201, r.text
    return str(r.json()["id"])


def _found(client: TestClient, tenant: Tenant, q: str) -> set[str]:
    r = client.get(f"/v1/employees?{urlencode({'q': q})}", headers=tenant.read)
    assert r.status_code == 200, r.text
    return {e["id"] for e in r.json()["items"]}


@pytest.fixture
def names(client: TestClient, tenant: Tenant, other_tenant: Tenant) -> dict[str, str]:
    """Ids of the employees searched for; the other organisation has a namesake."""
    mirjam = {"first_name": "Mirjam", "name_particle": "van der", "last_name": "Berg"}
    ids = {
        "mirjam": _create(client, tenant, **mirjam),
        "hooft": _create(
            client, tenant, first_name="Pieter", name_particle="'t", last_name="Hooft"
        ),
        "smit": _create(client, tenant, first_name="Sanne", last_name="Smit"),
        "bakker": _create(client, tenant, first_name="Kees", name_particle="", last_name="Bakker"),
    }
    _create(client, other_tenant, **mirjam)
    return ids


@pytest.mark.parametrize(
    "q",
    [
        "van der Berg",  # the surname with its tussenvoegsel
        "van der",
        "Mirjam van der Berg",  # her full_name, as the API writes it
        "MIRJAM VAN DER BERG",  # case-insensitive, as the other names
        "Berg",  # the last name alone, as before
    ],
)
def test_q_finds_the_surname_with_its_particle_and_the_full_name(
    client: TestClient, tenant: Tenant, names: dict[str, str], q: str
) -> None:
    assert _found(client, tenant, q) == {names["mirjam"]}


def test_q_finds_a_particle_with_an_apostrophe(
    client: TestClient, tenant: Tenant, names: dict[str, str]
) -> None:
    assert _found(client, tenant, "'t Hooft") == {names["hooft"]}
    assert _found(client, tenant, "Pieter 't Hooft") == {names["hooft"]}


def test_q_full_name_without_a_particle(
    client: TestClient, tenant: Tenant, names: dict[str, str]
) -> None:
    # A missing or empty tussenvoegsel is left out of the full name, not a NULL that would
    # make the whole name match nothing, nor a second space.
    assert _found(client, tenant, "Sanne Smit") == {names["smit"]}
    assert _found(client, tenant, "Kees Bakker") == {names["bakker"]}


@pytest.mark.parametrize("q", ["van den Berg", "Mirjam Berg", "van_der", "Berg Mirjam"])
def test_q_that_is_not_in_the_name_finds_nothing(
    client: TestClient, tenant: Tenant, names: dict[str, str], q: str
) -> None:
    assert _found(client, tenant, q) == set()


def test_q_does_not_find_another_organisations_namesake(
    client: TestClient, tenant: Tenant, other_tenant: Tenant, names: dict[str, str]
) -> None:
    assert _found(client, tenant, "Mirjam van der Berg") == {names["mirjam"]}
    theirs = _found(client, other_tenant, "Mirjam van der Berg")
    assert len(theirs) == 1 and names["mirjam"] not in theirs
    assert _found(client, other_tenant, "'t Hooft") == set()


@pytest.mark.parametrize(
    ("stored", "q"),
    [
        ({"first_name": "Daniëlle", "last_name": "Öztürk"}, "DANIËLLE"),
        ({"first_name": "Daniëlle", "last_name": "Öztürk"}, "öZTÜRK"),
        ({"first_name": "Inês", "last_name": "Gonçalves"}, "GONÇALVES"),
    ],
)
def test_q_ignores_case_beyond_ascii_on_both_databases(
    client: TestClient, tenant: Tenant, stored: dict[str, str], q: str
) -> None:
    # SQLite's own LIKE folds ASCII only: names of Dutch social workers are not all ASCII.
    employee = _create(client, tenant, **stored)
    assert _found(client, tenant, q) == {employee}
    assert _found(client, tenant, q + "x") == set()
