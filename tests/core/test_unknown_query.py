"""Unknown query parameters are refused (issue 17): a typo is not a filter.

``?externalId=100231`` (for ``external_id``) or ``?team=T-JW-01`` used to answer the first
page of everything, as if unfiltered. Every operation now answers 422 naming the parameter.
"""

import re
import uuid

import pytest
from fastapi.testclient import TestClient

from tests.conftest import Tenant
from tests.helpers import assert_problem, built_app
from tests.reliability.registry import api_routes

ROUTES = api_routes(built_app())


@pytest.mark.parametrize(("method", "path"), ROUTES, ids=[f"{m} {p}" for m, p in ROUTES])
def test_every_operation_refuses_an_unknown_query_parameter(
    method: str, path: str, client: TestClient, tenant: Tenant
) -> None:
    url = re.sub(r"\{[^}]+\}", lambda _m: str(uuid.uuid4()), path)
    r = client.request(method, url, params={"no_such_parameter": "1"}, headers=tenant.admin)
    body = assert_problem(r, 422, "validation-error")
    assert body["errors"][0]["pointer"] == "/query/no_such_parameter"
    assert "no_such_parameter" in body["errors"][0]["detail"]


def test_a_misspelt_filter_is_named_with_the_ones_that_exist(
    client: TestClient, tenant: Tenant
) -> None:
    r = client.get("/v1/employees", params={"externalId": "100231"}, headers=tenant.read)
    body = assert_problem(r, 422)
    assert body["errors"] == [
        {
            "pointer": "/query/externalId",
            "detail": body["errors"][0]["detail"],
        }
    ]
    assert "external_id" in body["errors"][0]["detail"]


def test_declared_parameters_still_pass(client: TestClient, tenant: Tenant) -> None:
    # Parameters of the route itself, of its paging dependency, and a repeated one.
    assert client.get("/v1/employees?limit=5&active=true", headers=tenant.read).status_code == 200
    assert client.get("/v1/teams?limit=5&limit=6", headers=tenant.read).status_code == 200
    assert client.get("/v1/employees?q=", headers=tenant.read).status_code == 200
