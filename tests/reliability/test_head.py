"""``HEAD`` wherever ``GET`` is answered (RFC 9110 9.1, 9.3.2).

Every GET route of the API is called for real, as its owner (tests/reliability/
registry.py), once with GET and once with HEAD: the HEAD answer has the GET's status and
headers (``ETag`` and ``Content-Length`` included) and no body. The outside routes too:
the probes and the OpenAPI document.
"""

from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.conftest import Tenant
from tests.helpers import built_app
from tests.reliability.registry import api_routes, prepared_call

GETS = [f"{m} {p}" for m, p in api_routes(built_app()) if m == "GET"]
# What differs between two answers by nature, not by method.
PER_ANSWER = {"date", "x-request-id"}


def _same_answer(got: Any, head: Any) -> None:
    assert head.status_code == got.status_code, head.text
    assert head.content == b""
    sent = {k: v for k, v in got.headers.items() if k not in PER_ANSWER}
    assert {k: v for k, v in head.headers.items() if k not in PER_ANSWER} == sent


@pytest.mark.parametrize("route", GETS)
def test_head_is_the_get_without_its_body(route: str, client: TestClient, tenant: Tenant) -> None:
    p = prepared_call(route, client, tenant)
    got = client.get(p.url, params=p.query, headers=tenant.admin)
    assert got.status_code == 200, got.text
    assert got.content
    _same_answer(got, client.head(p.url, params=p.query, headers=tenant.admin))


@pytest.mark.parametrize("path", ["/healthz", "/readyz", "/openapi.json"])
def test_head_outside_the_api(path: str, client: TestClient) -> None:
    _same_answer(client.get(path), client.head(path))


def test_head_keeps_refusals_and_conditional_answers(client: TestClient, tenant: Tenant) -> None:
    # Without a key: the GET's 401, without its problem body.
    _same_answer(client.get("/v1/teams"), client.head("/v1/teams"))
    team = client.post("/v1/teams", json={"name": "Noord"}, headers=tenant.write).json()
    url = f"/v1/teams/{team['id']}"
    etag = client.get(url, headers=tenant.read).headers["ETag"]
    unchanged = client.head(url, headers={**tenant.read, "If-None-Match": etag})
    assert unchanged.status_code == 304 and unchanged.headers["ETag"] == etag
