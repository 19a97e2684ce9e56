"""Cursor pagination, updated_since, and If-Match: the shared list and change machinery."""

from datetime import timedelta

from fastapi.testclient import TestClient
from sqlmodel import Session

from app.core.models import utcnow
from app.core.pagination import CURSOR_PATTERN
from tests.conftest import Tenant
from tests.factories.core import make_team
from tests.helpers import assert_problem, built_app


def _pages(client: TestClient, tenant: Tenant, url: str, between=None) -> list[str]:  # type: ignore[no-untyped-def]
    seen: list[str] = []
    cursor = None
    pages = 0
    while True:
        sep = "&" if "?" in url else "?"
        r = client.get(url + (f"{sep}cursor={cursor}" if cursor else ""), headers=tenant.read)
        assert r.status_code == 200, r.text
        page = r.json()
        seen.extend(item["id"] for item in page["items"])
        pages += 1
        cursor = page["next_cursor"]
        if cursor is None:
            return seen
        if between is not None:
            between(pages)


def test_pages_have_no_gaps_or_repeats_while_rows_are_inserted(
    client: TestClient, db: Session, tenant: Tenant, other_tenant: Tenant
) -> None:
    originals = [str(make_team(db).id) for _ in range(11)]
    inserted: list[str] = []

    def insert(_page: int) -> None:
        # Another client keeps adding teams while this one pages through.
        for _ in range(2):
            r = client.post("/v1/teams", headers=tenant.write, json={"name": "Nieuw team"})
            inserted.append(r.json()["id"])
        # Rows of another organisation never show up.
        client.post("/v1/teams", headers=other_tenant.write, json={"name": "Ander"})

    seen = _pages(client, tenant, "/v1/teams?limit=4", between=insert)
    assert len(seen) == len(set(seen)), "a row was repeated"
    assert set(originals) <= set(seen), "a row that existed before the scan was skipped"
    # Rows inserted during the scan sort after the cursor (time-ordered ids): all seen.
    assert set(inserted) <= set(seen)
    assert len(seen) == len(originals) + len(inserted)


def test_limit_bounds_and_malformed_cursor(client: TestClient, tenant: Tenant) -> None:
    for bad in ("limit=0", "limit=201", "limit=x"):
        body = assert_problem(client.get(f"/v1/teams?{bad}", headers=tenant.read), 422)
        assert body["errors"][0]["pointer"] == "/query/limit"
    assert client.get("/v1/teams?limit=200", headers=tenant.read).status_code == 200
    # A cursor not of the declared shape (22 characters of base64url) is refused as such.
    body = assert_problem(
        client.get("/v1/teams?cursor=!!notacursor", headers=tenant.read), 422, "validation-error"
    )
    assert [e["pointer"] for e in body["errors"]] == ["/query/cursor"]


def test_updated_since(client: TestClient, db: Session, tenant: Tenant) -> None:
    old, recent = make_team(db), make_team(db)
    old.updated_at = utcnow() - timedelta(days=10)
    db.add(old)
    db.flush()
    since = (utcnow() - timedelta(days=1)).isoformat().replace("+00:00", "Z")
    r = client.get("/v1/teams", headers=tenant.read, params={"updated_since": since})
    assert [t["id"] for t in r.json()["items"]] == [str(recent.id)]
    # A change brings the old team back into the sync window.
    client.patch(f"/v1/teams/{old.id}", headers=tenant.write, json={"name": "Hernoemd"})
    r = client.get("/v1/teams", headers=tenant.read, params={"updated_since": since})
    assert {t["id"] for t in r.json()["items"]} == {str(old.id), str(recent.id)}
    # Without a zone the moment is ambiguous: refused.
    body = assert_problem(
        client.get("/v1/teams?updated_since=2026-01-01T00:00:00", headers=tenant.read), 422
    )
    assert body["errors"][0]["pointer"] == "/query/updated_since"


def test_if_match_on_patch(client: TestClient, tenant: Tenant) -> None:
    created = client.post("/v1/teams", headers=tenant.write, json={"name": "Ambulant"})
    url, etag = f"/v1/teams/{created.json()['id']}", created.headers["ETag"]
    assert client.get(url, headers=tenant.read).headers["ETag"] == etag
    body = assert_problem(
        client.patch(url, headers={**tenant.write, "If-Match": '"stale"'}, json={"name": "X"}),
        412,
        "etag-mismatch",
    )
    assert body["current_etag"] == etag
    assert client.get(url, headers=tenant.read).json()["name"] == "Ambulant"
    ok = client.patch(url, headers={**tenant.write, "If-Match": etag}, json={"name": "Ambulant 2"})
    assert ok.status_code == 200 and ok.json()["name"] == "Ambulant 2"
    assert ok.headers["ETag"] != etag
    # The old version's tag no longer matches; a weak form of the current one does.
    assert_problem(
        client.patch(url, headers={**tenant.write, "If-Match": etag}, json={"name": "Y"}), 412
    )
    weak = client.patch(
        url, headers={**tenant.write, "If-Match": f"W/{ok.headers['ETag']}"}, json={"name": "Z"}
    )
    assert weak.status_code == 200


def test_if_match_on_delete(client: TestClient, tenant: Tenant) -> None:
    created = client.post("/v1/teams", headers=tenant.write, json={"name": "Crisisdienst"})
    url, etag = f"/v1/teams/{created.json()['id']}", created.headers["ETag"]
    changed = client.patch(url, headers=tenant.write, json={"name": "Crisisteam"})
    assert_problem(client.delete(url, headers={**tenant.write, "If-Match": etag}), 412)
    assert client.get(url, headers=tenant.read).status_code == 200
    r = client.delete(url, headers={**tenant.write, "If-Match": changed.headers["ETag"]})
    assert r.status_code == 204
    assert_problem(client.get(url, headers=tenant.read), 404)


def test_every_list_bounds_its_limit_and_cursor() -> None:
    # Every list takes its paging parameters from one declaration (core/pagination.py);
    # a list declaring its own would lose the bounds without anyone noticing.

    paged = 0
    for path, item in built_app().openapi()["paths"].items():
        for method, op in item.items():
            params = {p["name"]: p for p in op.get("parameters", []) if p["in"] == "query"}
            if "limit" not in params:
                continue
            paged += 1
            limit = params["limit"]["schema"]
            assert (limit.get("minimum"), limit.get("maximum")) == (1, 200), (method, path)
            # A list cursor has its declared shape (issue 19); the change feed names its
            # cursor `after` (issue 17) and bounds its length.
            if "cursor" in params:
                cursor = params["cursor"]["schema"]["anyOf"][0]
                assert cursor.get("pattern") == CURSOR_PATTERN, (method, path)
            else:
                cursor = params["after"]["schema"]["anyOf"][0]
                assert cursor.get("maxLength") == 100, (method, path)
    assert paged >= 20  # the discovery itself still works
