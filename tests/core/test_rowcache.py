"""Row versions' JSON remembered per process (core/rowcache.py): never stale, bounded.

The list of employees reads ids and versions, and takes the JSON of versions it has seen
before from the cache: every way an employee changes must therefore reach the next page.
"""

from collections.abc import Hashable, Iterator

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.core.config import get_settings
from app.core.rowcache import RowJsonCache
from app.organisation import employees
from tests.conftest import Tenant
from tests.factories.core import make_employee, make_team


@pytest.fixture
def cache_on(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setattr(get_settings(), "row_cache_entries", 1000)
    yield


def _page(client: TestClient, tenant: Tenant, team_id: object) -> list[dict[str, object]]:
    r = client.get(f"/v1/employees?team_id={team_id}", headers=tenant.read)
    assert r.status_code == 200, r.text
    items: list[dict[str, object]] = r.json()["items"]
    return items


def test_a_change_reaches_the_next_page(
    client: TestClient, db: Session, tenant: Tenant, cache_on: None
) -> None:
    team = make_team(db)
    emp = make_employee(db, team_id=team.id, first_name="Sanne")
    assert [e["first_name"] for e in _page(client, tenant, team.id)] == ["Sanne"]
    assert len(employees._EMPLOYEE_JSON) >= 1  # remembered

    r = client.patch(f"/v1/employees/{emp.id}", headers=tenant.write, json={"first_name": "Sanna"})
    assert r.status_code == 200, r.text
    page = _page(client, tenant, team.id)
    assert [(e["first_name"], e["full_name"]) for e in page] == [
        ("Sanna", f"Sanna {emp.last_name}")
    ]
    assert page[0]["updated_at"] == r.json()["updated_at"]


def test_an_erased_employee_is_listed_erased(
    client: TestClient, db: Session, tenant: Tenant, cache_on: None
) -> None:
    team = make_team(db)
    emp = make_employee(db, team_id=team.id, email="s.devries@example.nl")
    assert _page(client, tenant, team.id)[0]["email"] == "s.devries@example.nl"
    assert client.patch(
        f"/v1/employees/{emp.id}", headers=tenant.write, json={"active": False}
    ).is_success
    erased = client.post(f"/v1/employees/{emp.id}/erase", headers=tenant.admin)
    assert erased.status_code == 200, erased.text
    (listed,) = _page(client, tenant, team.id)
    assert listed["email"] is None
    assert listed["erased_at"] is not None
    assert listed == client.get(f"/v1/employees/{emp.id}", headers=tenant.read).json()


def test_remembered_versions_skip_the_fetch() -> None:
    cache = RowJsonCache("test")
    calls: list[list[Hashable]] = []

    def fetch(ids: list[Hashable]) -> list[tuple[Hashable, Hashable, str]]:
        calls.append(ids)
        return [(i, "v1", f'{{"id":"{i}"}}') for i in ids]

    assert cache.texts([("a", "v1"), ("b", "v1")], fetch) == ['{"id":"a"}', '{"id":"b"}']
    assert cache.texts([("b", "v1"), ("c", "v1")], fetch) == ['{"id":"b"}', '{"id":"c"}']
    assert calls == [["a", "b"], ["c"]]
    # A new version is a new key: fetched again, never the old text.
    assert cache.texts([("a", "v2")], lambda ids: [("a", "v2", "new")]) == ["new"]


def test_rows_changed_or_deleted_between_the_reads() -> None:
    cache = RowJsonCache("test")
    # "b" was deleted after the page was read; "a" changed to v2 in between.
    out = cache.texts([("a", "v1"), ("b", "v1")], lambda ids: [("a", "v2", "a2")])
    assert out == ["a2"]
    # Remembered under the version the database returned, not the one asked for.
    assert cache.texts([("a", "v2")], lambda ids: pytest.fail("fetched")) == ["a2"]


def test_bounded_and_switchable(monkeypatch: pytest.MonkeyPatch) -> None:
    cache = RowJsonCache("test")

    def fetch(ids: list[Hashable]) -> list[tuple[Hashable, Hashable, str]]:
        return [(i, 1, str(i)) for i in ids]

    monkeypatch.setattr(get_settings(), "row_cache_entries", 3)
    cache.texts([(i, 1) for i in range(3)], fetch)
    assert len(cache) == 3
    cache.texts([(9, 1)], fetch)  # full: starts afresh rather than growing
    assert len(cache) == 1
    monkeypatch.setattr(get_settings(), "row_cache_entries", 0)
    cache.clear()
    cache.texts([(1, 1)], fetch)
    assert len(cache) == 0
