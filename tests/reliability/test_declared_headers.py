"""The OpenAPI document declares the headers the API sends: ``ETag``, ``Location``,
``X-Request-ID``, and on a replayed POST ``Idempotent-Replayed``.

The frontend team and HR platforms build from the document alone (API.md). Every route is
called for real, as its owner (tests/reliability/registry.py), and the headers of its
success answer are compared with what its operation declares for that status: a header
sent but not declared fails, and so does one declared but never sent. A ``Location`` must
lead to a GET that shows what was created.
"""

import uuid
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from tests.conftest import Tenant
from tests.helpers import built_app
from tests.reliability.registry import api_routes, prepared_call

HEADERS = ("ETag", "Location", "X-Request-ID")
# DELETE answers 204 without a body or headers to declare; every other route is called.
CALLED = [f"{m} {p}" for m, p in api_routes(built_app()) if m != "DELETE"]


def _operations(app: FastAPI) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (method, path, op)
        for path, item in app.openapi()["paths"].items()
        for method, op in item.items()
        if path.startswith("/v1/")
    ]


@pytest.mark.parametrize("route", CALLED)
def test_headers_sent_are_the_headers_declared(
    route: str, client: TestClient, tenant: Tenant, app_under_test: FastAPI
) -> None:
    p = prepared_call(route, client, tenant)
    method, template, url, body, query = p.method, p.template, p.url, p.body, p.query
    kwargs: dict[str, Any] = {"headers": tenant.admin, "params": query}
    if body is not None:
        kwargs["json"] = body
    r = client.request(method, url, **kwargs)
    assert 200 <= r.status_code < 300, f"the owner's call failed: {r.status_code} {r.text}"

    responses = app_under_test.openapi()["paths"][template][method.lower()]["responses"]
    declared_response = responses.get(str(r.status_code))
    assert declared_response is not None, f"{route} answered {r.status_code}, not declared"
    declared = set(declared_response.get("headers", {}))
    for name in HEADERS:
        sent = name in r.headers
        assert sent == (name in declared), (
            f"{route} {'sends' if sent else 'does not send'} {name} but its "
            f"{r.status_code} response {'does not declare' if sent else 'declares'} it"
        )

    if "Location" in r.headers:
        # The Location is a GET that exists and shows the new resource (or the list it is in).
        shown = client.get(r.headers["Location"], headers=tenant.admin)
        assert shown.status_code == 200, f"Location {r.headers['Location']}: {shown.text}"
        created = r.json()
        ids = [i["id"] for i in created] if isinstance(created, list) else [created["id"]]
        assert all(i in shown.text for i in ids), f"Location {r.headers['Location']}"


def test_every_201_declares_location_and_every_single_get_an_etag(
    app_under_test: FastAPI,
) -> None:
    missing = []
    for method, path, op in _operations(app_under_test):
        for status, response in op["responses"].items():
            headers = response.get("headers", {})
            if status == "201" and "Location" not in headers:
                missing.append(f"{method.upper()} {path} 201: Location")
        if method == "get" and path.endswith("_id}"):
            if "ETag" not in op["responses"]["200"].get("headers", {}):
                missing.append(f"GET {path} 200: ETag")
    assert not missing, missing


def test_api_key_is_read_without_its_secret(client: TestClient, tenant: Tenant) -> None:
    created = client.post(
        "/v1/api-keys", headers=tenant.admin, json={"name": "HR-koppeling", "scope": "read"}
    )
    assert created.status_code == 201, created.text
    secret = created.json()["key"]
    assert created.headers["Location"] == f"/v1/api-keys/{created.json()['id']}"

    r = client.get(created.headers["Location"], headers=tenant.admin)
    assert r.status_code == 200, r.text
    assert "key" not in r.json() and "key_hash" not in r.json()
    assert secret not in r.text
    assert r.json()["prefix"] == created.json()["prefix"]
    assert r.headers["ETag"] == created.headers["ETag"]
    # Keys are the admin's: a write key is refused, like on the list.
    assert client.get(created.headers["Location"], headers=tenant.write).status_code == 403


def test_a_replayed_post_sends_only_declared_headers(
    client: TestClient, tenant: Tenant, app_under_test: FastAPI
) -> None:
    # Any answer below 500 is stored and replayed, a refusal as much as a creation.
    declared = app_under_test.openapi()["paths"]["/v1/teams"]["post"]["responses"]
    for key, body, status in (
        ("team-1", {"name": "Wijkteam"}, 201),
        ("team-2", {"name": "Wijkteam", "manager_ids": [str(uuid.uuid4())]}, 422),
    ):
        headers = {**tenant.admin, "Idempotency-Key": key}
        first = client.post("/v1/teams", headers=headers, json=body)
        again = client.post("/v1/teams", headers=headers, json=body)
        assert (first.status_code, again.status_code) == (status, status), again.text
        assert again.headers["Idempotent-Replayed"] == "true"
        assert "Idempotent-Replayed" in declared[str(status)]["headers"]
    undeclared = [
        f"{method.upper()} {path} {status}: {name}"
        for path, item in app_under_test.openapi()["paths"].items()
        for method, op in item.items()
        for status, response in op.get("responses", {}).items()
        for name, needed in (
            ("Idempotent-Replayed", method == "post" and int(status) < 500),
            ("Retry-After", status == "503" or (method == "post" and status == "409")),
        )
        if needed and name not in response.get("headers", {})
    ]
    assert not undeclared, undeclared


def test_readiness_declares_what_it_sends_when_not_ready(app_under_test: FastAPI) -> None:
    answer = app_under_test.openapi()["paths"]["/readyz"]["get"]["responses"]["503"]
    assert "Retry-After" in answer["headers"]
    assert answer["content"]["application/problem+json"]["example"]["code"] == "not-ready"
