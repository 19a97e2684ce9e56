"""Tenant isolation over every route of the app (issue 10).

For each route: organisation B's key cannot read, list, change or delete organisation A's
resources (404 on A's ids, no A id in any answer, A's rows untouched), A's `read` key
cannot write (403), and the owner's own call succeeds, so the refusals are meaningful.
Routes are discovered from the app: a route missing from ``registry.ROUTES`` fails
``test_every_route_is_registered``.
"""

import json
import re
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from tests.conftest import Tenant
from tests.helpers import assert_problem, built_app
from tests.reliability.conftest import snapshot
from tests.reliability.registry import PARAM, ROUTES, api_routes, prepared_call

ALL_ROUTES = [f"{m} {p}" for m, p in api_routes(built_app())]


def test_every_route_is_registered() -> None:
    missing = sorted(set(ALL_ROUTES) - set(ROUTES))
    stale = sorted(set(ROUTES) - set(ALL_ROUTES))
    assert not missing, f"add these routes to tests/reliability/registry.py ROUTES: {missing}"
    assert not stale, f"these ROUTES entries name no route any more: {stale}"


def _resource_params(route: str, fixed: dict[str, str]) -> list[str]:
    return [p for p in PARAM.findall(route) if not (p in fixed and not fixed[p].startswith("@"))]


def _request(
    client: TestClient,
    method: str,
    url: str,
    body: Any,
    headers: dict[str, str],
    query: dict[str, str] | None = None,
) -> Any:
    if body is None:
        return client.request(method, url, headers=headers, params=query)
    return client.request(method, url, json=body, headers=headers, params=query)


@pytest.mark.parametrize("route", [r for r in ALL_ROUTES if r in ROUTES])
def test_other_organisation_is_refused_and_read_key_cannot_write(
    route: str, client: TestClient, db: Session, tenant: Tenant, other_tenant: Tenant
) -> None:
    p = prepared_call(route, client, tenant)
    method, template, call, w = p.method, p.template, p.call, p.world
    url, body, query = p.url, p.body, p.query
    a_ids = {*w.created, str(tenant.id)}
    before = snapshot(db, tenant.id)

    r = _request(client, method, url, body, other_tenant.admin, query)
    assert r.status_code < 500, r.text
    if _resource_params(template, call.path) and not call.upsert:
        assert_problem(r, 404)
    elif any(i in json.dumps([body, query]) for i in a_ids):
        assert 400 <= r.status_code < 500 and r.status_code not in (401, 403), r.text
    sent = (
        url + json.dumps(body) + json.dumps(query)
    )  # a 404 may name the id B itself sent: not a leak
    leaked = sorted(i for i in a_ids if i not in sent and re.search(re.escape(i), r.text))
    assert not leaked, f"organisation B saw A's ids {leaked}"
    assert snapshot(db, tenant.id) == before, "organisation B changed A's data"

    if method != "GET":
        r = _request(client, method, url, body, tenant.read, query)
        if call.writes:
            assert_problem(r, 403, "insufficient-scope")
        assert snapshot(db, tenant.id) == before, "a read key changed data"

    r = _request(client, method, url, body, tenant.admin, query)
    assert r.status_code in call.ok, f"the owner's own call failed: {r.status_code} {r.text}"
