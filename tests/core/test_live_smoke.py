"""The committed path (no test transaction) works: used by concurrency tests."""

from fastapi.testclient import TestClient

from tests.conftest import Tenant


def test_live_client_commits(live_client: TestClient, live_tenant: Tenant) -> None:
    r = live_client.post("/v1/teams", headers=live_tenant.write, json={"name": "Crisisdienst"})
    assert r.status_code == 201, r.text
    listed = live_client.get("/v1/teams", headers=live_tenant.read).json()["items"]
    assert [t["name"] for t in listed] == ["Crisisdienst"]
