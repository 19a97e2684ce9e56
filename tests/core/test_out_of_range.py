"""Dates and times at the edge of what Python can hold are 422, never 500 (review finding)."""

import pytest
from fastapi.testclient import TestClient

from tests.conftest import Tenant
from tests.helpers import assert_problem

EDGES = ["0001-01-01T00:00:00+05:00", "9999-12-31T23:59:59-05:00"]


@pytest.mark.parametrize("since", EDGES)
def test_updated_since_at_the_edges(client: TestClient, tenant: Tenant, since: str) -> None:
    for path in ("/v1/employees", "/v1/teams"):
        r = client.get(path, headers=tenant.read, params={"updated_since": since})
        assert r.status_code in (200, 422), r.text
        if r.status_code == 422:
            assert_problem(r, 422, "value-out-of-range")


def test_report_dates_at_the_edges(client: TestClient, tenant: Tenant) -> None:
    for path, params in (
        ("/v1/reports/refreshers-due", {"on": "9999-12-31"}),
        ("/v1/reports/overview", {"period_to": "0001-01-01"}),
    ):
        r = client.get(path, headers=tenant.read, params=params)
        assert r.status_code < 500, (path, r.text)
