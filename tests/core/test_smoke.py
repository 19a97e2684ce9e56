"""The request cycle end to end: auth, scoping, problem documents, ETags."""

from fastapi.testclient import TestClient

from tests.conftest import Tenant
from tests.helpers import assert_problem


def test_create_and_read_employee(client: TestClient, tenant: Tenant, other_tenant: Tenant) -> None:
    r = client.post(
        "/v1/employees",
        headers=tenant.write,
        json={
            "first_name": "Mirjam",
            "name_particle": "van der",
            "last_name": "Berg",
            "email": "M.vanderBerg@example.nl",
            "external_id": "100231",
        },
    )
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["full_name"] == "Mirjam van der Berg"
    assert body["email"] == "m.vanderberg@example.nl"
    assert r.headers["ETag"]
    got = client.get(f"/v1/employees/{body['id']}", headers=tenant.read)
    assert got.status_code == 200
    assert got.headers["ETag"] == r.headers["ETag"]
    assert_problem(
        client.get(f"/v1/employees/{body['id']}", headers=other_tenant.read), 404, "not-found"
    )
    listed = client.get("/v1/employees", headers=other_tenant.read).json()
    assert listed["items"] == []
