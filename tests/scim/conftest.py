"""A SCIM key of the test organisation, and helpers to speak SCIM."""

from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.conftest import Tenant
from tests.imports.conftest import post_import  # noqa: F401  (imports beside SCIM)
from tests.training.conftest import world  # noqa: F401  (the training world, for rules tests)

SCIM = "application/scim+json"
USER = "urn:ietf:params:scim:schemas:core:2.0:User"
GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group"
ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
EMPLOYEE = "urn:ietf:params:scim:schemas:extension:veerkracht:2.0:Employee"
PATCH = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
ERROR = "urn:ietf:params:scim:api:messages:2.0:Error"


def scim_key(client: TestClient, tenant: Tenant) -> dict[str, str]:
    """Headers with a new `scim` key of the tenant."""
    r = client.post(
        "/v1/api-keys", json={"name": "Entra ID", "scope": "scim"}, headers=tenant.admin
    )
    assert r.status_code == 201, r.text
    return {"Authorization": f"Bearer {r.json()['key']}", "Content-Type": SCIM}


@pytest.fixture
def scim(client: TestClient, tenant: Tenant) -> dict[str, str]:
    return scim_key(client, tenant)


def user_body(user_name: str = "jan.berg@example.nl", **extra: Any) -> dict[str, Any]:
    """A User as identity providers send it."""
    return {
        "schemas": [USER, ENTERPRISE],
        "userName": user_name,
        "name": {"givenName": "Jan", "middleName": "van der", "familyName": "Berg"},
        "emails": [{"value": user_name, "type": "work", "primary": True}],
        "active": True,
        **extra,
    }


def assert_scim_error(r: Any, status: int, scim_type: str | None = None) -> dict[str, Any]:
    """The response is a SCIM error of this status (and scimType)."""
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith(SCIM), r.headers
    body: dict[str, Any] = r.json()
    assert body["schemas"] == [ERROR]
    assert body["status"] == str(status)
    if scim_type is not None:
        assert body.get("scimType") == scim_type, body
    return body
