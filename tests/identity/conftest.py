"""Fixtures of the identity tests: a loopback issuer and an organisation that trusts it."""

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from app.identity.oidc import JWKS
from tests.conftest import Tenant
from tests.identity.idp import AUDIENCE, LoopbackIssuer


@pytest.fixture(scope="session")
def issuer() -> Iterator[LoopbackIssuer]:
    server = LoopbackIssuer()
    yield server
    server.close()


@pytest.fixture(autouse=True)
def _fresh_keys() -> Iterator[None]:
    JWKS.clear()
    yield
    JWKS.clear()


def configure(
    client: TestClient, tenant: Tenant, idp: LoopbackIssuer, **overrides: Any
) -> dict[str, Any]:
    """Make ``tenant`` trust ``issuer``: hr-admins -> hr_admin, and one group per role."""
    body = {
        "name": "Test IdP",
        "issuer": idp.url,
        "audience": AUDIENCE,
        "group_roles": {
            "hr-admins": ["hr_admin"],
            "hr-viewers": ["hr_viewer"],
            "managers": ["team_manager"],
            "trainers": ["trainer"],
            "staff": ["employee"],
        },
        **overrides,
    }
    r = client.post("/v1/identity-providers", json=body, headers=tenant.admin)
    assert r.status_code == 201, r.text
    result: dict[str, Any] = r.json()
    return result


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}
