"""Fixtures of the policy tests."""

from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.conftest import Tenant
from tests.policy.helpers import create_protocol, publish


@pytest.fixture
def published(client: TestClient, tenant: Tenant) -> dict[str, Any]:
    """A published protocol of the tenant, as the API returns it."""
    return publish(client, tenant, create_protocol(client, tenant)["id"])
