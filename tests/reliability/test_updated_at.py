"""Every write moves the resource's version: ``updated_at`` and so its ETag.

Sync clients page with ``updated_since`` and guard changes with ``If-Match``; both trust
that a row which changed has a new ``updated_at`` (core/models.py maintains it with
``onupdate``). The writes come from the route registry: every PATCH and PUT, and every
POST action on a resource (``/publish``, ``/complete``, ...). The version is read before
and after with a GET of the resource the write answers for: its own path, or for an action
or a sub-document (``PUT .../needs``) the resource it belongs to.
"""

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from tests.conftest import Tenant
from tests.helpers import built_app
from tests.reliability.registry import ROUTES, api_routes, prepared_call

APP = built_app()
ALL_ROUTES = {f"{m} {p}" for m, p in api_routes(APP)}
PATHS = APP.openapi()["paths"]


def _is_action(template: str) -> bool:
    # A POST on one resource that creates nothing (no 201): a verb such as /publish.
    *parent, last = template.rstrip("/").split("/")
    return (
        bool(parent)
        and parent[-1].startswith("{")
        and not last.startswith("{")
        and "201" not in PATHS[template]["post"]["responses"]
    )


WRITES = sorted(
    route
    for route in ALL_ROUTES & set(ROUTES)
    if route.startswith(("PATCH ", "PUT "))
    or (route.startswith("POST ") and _is_action(route.split(" ", 1)[1]))
)


def _resource_url(client: TestClient, template: str, url: str, tenant: Tenant) -> str:
    # The resource itself when it can be read and has a version; else the one it belongs to.
    if f"GET {template}" in ALL_ROUTES:
        r = client.get(url, headers=tenant.admin)
        if r.status_code == 200 and "updated_at" in r.json():
            return url
    return url.rsplit("/", 1)[0]


def _version(client: TestClient, url: str, tenant: Tenant) -> tuple[Any, Any]:
    r = client.get(url, headers=tenant.admin)
    assert r.status_code == 200, f"GET {url}: {r.status_code} {r.text}"
    return r.headers.get("ETag"), r.json().get("updated_at")


def test_the_registry_has_writes_to_check() -> None:
    # Guards the selection above: a refactor of the registry must not empty this test.
    assert any(w.startswith("PATCH ") for w in WRITES)
    assert any(w.startswith("PUT ") for w in WRITES)
    assert "POST /v1/protocols/{protocol_id}/publish" in WRITES


@pytest.mark.parametrize("route", WRITES)
def test_a_write_moves_updated_at(
    route: str, client: TestClient, db: Session, tenant: Tenant
) -> None:
    p = prepared_call(route, client, tenant)
    target = _resource_url(client, p.template, p.url, tenant)
    etag_before, before = _version(client, target, tenant)
    assert before is not None, f"GET {target} shows no updated_at"

    r = client.request(p.method, p.url, json=p.body, params=p.query, headers=tenant.admin)
    assert r.status_code in p.call.ok, f"{route}: {r.status_code} {r.text}"

    etag_after, after = _version(client, target, tenant)
    assert after != before, f"{route} left {target}'s updated_at at {before}"
    if etag_before is not None:
        assert etag_after != etag_before, f"{route} left {target}'s ETag unchanged"
