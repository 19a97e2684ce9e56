"""``If-None-Match`` on GET: 304 when the resource is unchanged (issue 19)."""

from fastapi.testclient import TestClient

from tests.conftest import Tenant


def _team(client: TestClient, tenant: Tenant) -> tuple[str, str]:
    r = client.post("/v1/teams", headers=tenant.write, json={"name": "Ambulant"})
    assert r.status_code == 201, r.text
    return r.json()["id"], r.headers["ETag"]


def test_an_unchanged_resource_is_304_without_a_body(client: TestClient, tenant: Tenant) -> None:
    team_id, etag = _team(client, tenant)
    for condition in (etag, f"W/{etag}", f'"other", {etag}', "*"):
        r = client.get(f"/v1/teams/{team_id}", headers={**tenant.read, "If-None-Match": condition})
        assert r.status_code == 304, (condition, r.text)
        assert r.content == b""
        assert r.headers["ETag"] == etag
        assert "content-type" not in r.headers
        assert r.headers["X-Content-Type-Options"] == "nosniff"  # the usual headers stay


def test_a_changed_resource_is_sent_again(client: TestClient, tenant: Tenant) -> None:
    team_id, etag = _team(client, tenant)
    renamed = client.patch(
        f"/v1/teams/{team_id}",
        headers={**tenant.write, "If-Match": etag},
        json={"name": "Ambulant Noord"},
    )
    assert renamed.status_code == 200
    r = client.get(f"/v1/teams/{team_id}", headers={**tenant.read, "If-None-Match": etag})
    assert r.status_code == 200
    assert r.json()["name"] == "Ambulant Noord"
    assert r.headers["ETag"] == renamed.headers["ETag"] != etag


def test_only_successful_reads_with_an_etag_become_304(client: TestClient, tenant: Tenant) -> None:
    team_id, etag = _team(client, tenant)
    # A list has no ETag; a refusal is not a 200; a write is not a conditional GET.
    assert client.get("/v1/teams", headers={**tenant.read, "If-None-Match": "*"}).status_code == 200
    missing = client.get(
        "/v1/teams/01a24000-0000-7000-8000-000000000000",
        headers={**tenant.read, "If-None-Match": "*"},
    )
    assert missing.status_code == 404
    patch = client.patch(
        f"/v1/teams/{team_id}",
        headers={**tenant.write, "If-None-Match": etag},
        json={"name": "Ambulant Zuid"},
    )
    assert patch.status_code == 200
