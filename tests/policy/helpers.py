"""Request helpers of the policy tests."""

from typing import Any

from fastapi.testclient import TestClient

from tests.conftest import Tenant


def section_json(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "kind": "agreement",
        "title": "Wij accepteren geen dreiging",
        "body": "Bij dreiging beëindig je het gesprek en meld je het incident.",
        "pillar": 3,
    }
    data.update(overrides)
    return data


def create_protocol(client: TestClient, tenant: Tenant, **overrides: Any) -> dict[str, Any]:
    body = {"title": "Agressieprotocol", "sections": [section_json()], **overrides}
    r = client.post("/v1/protocols", headers=tenant.write, json=body)
    assert r.status_code == 201, r.text
    data: dict[str, Any] = r.json()
    return data


def publish(client: TestClient, tenant: Tenant, protocol_id: str) -> dict[str, Any]:
    r = client.post(f"/v1/protocols/{protocol_id}/publish", headers=tenant.write)
    assert r.status_code == 200, r.text
    data: dict[str, Any] = r.json()
    return data
