"""Who may use /scim/v2: keys with the `scim` scope only; and that scope only there."""

from collections.abc import Iterator

import pytest
from fastapi.routing import iter_route_contexts
from fastapi.testclient import TestClient

from app.identity.oidc import JWKS
from tests.conftest import Tenant
from tests.helpers import built_app
from tests.identity.idp import AUDIENCE, LoopbackIssuer
from tests.scim.conftest import SCIM, assert_scim_error, user_body


def scim_routes() -> list[tuple[str, str]]:
    """Every (method, path) under /scim/v2, ids filled with a made-up one."""
    out = []
    for route in iter_route_contexts(built_app().routes):
        path = route.path or ""
        if path.startswith("/scim/v2"):
            for method in sorted(route.methods or ()):
                if method not in ("HEAD", "OPTIONS"):
                    filled = path.replace("{user_id}", "x").replace("{group_id}", "x")
                    filled = filled.replace("{name}", "User").replace("{urn}", "x")
                    out.append((method, filled))
    return sorted(set(out))


ROUTES = scim_routes()


@pytest.fixture(scope="module")
def issuer() -> Iterator[LoopbackIssuer]:
    server = LoopbackIssuer()
    yield server
    server.close()


def test_every_scim_route_is_covered() -> None:
    # 20 routes: discovery (5), searches (3), Users (6) and Groups (6).
    assert len(ROUTES) == 20, ROUTES


@pytest.mark.parametrize(("method", "path"), ROUTES)
def test_refused_without_a_key(client: TestClient, method: str, path: str) -> None:
    r = client.request(method, path, json={}, headers={"Content-Type": SCIM})
    assert_scim_error(r, 401)
    assert r.headers["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.parametrize("scope", ["read", "write", "admin"])
def test_refused_to_other_keys(client: TestClient, tenant: Tenant, scope: str) -> None:
    for method, path in ROUTES:
        r = client.request(method, path, json={}, headers=getattr(tenant, scope))
        assert_scim_error(r, 403)


def test_refused_to_signed_in_people(
    client: TestClient, tenant: Tenant, issuer: LoopbackIssuer, monkeypatch: pytest.MonkeyPatch
) -> None:
    JWKS.clear()
    issuer.serve_keys_in_memory(monkeypatch)
    r = client.post("/v1/identity-providers", headers=tenant.admin, json={
        "name": "IdP", "issuer": issuer.url, "audience": AUDIENCE,
        "group_roles": {"hr": ["hr_admin"]},
    })  # fmt: skip
    assert r.status_code == 201, r.text
    token = issuer.token(sub="sub-hr", email="hr@example.nl", groups=["hr"])
    assert client.get("/v1/me", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    for method, path in ROUTES:
        r = client.request(method, path, json={}, headers={"Authorization": f"Bearer {token}"})
        assert_scim_error(r, 403)


@pytest.mark.parametrize(
    ("method", "path"),
    [("GET", "/v1/employees"), ("GET", "/v1/organisation"), ("POST", "/v1/employees"),
     ("GET", "/v1/me"), ("GET", "/v1/changes")],
)  # fmt: skip
def test_a_scim_key_is_refused_on_v1(
    client: TestClient, scim: dict[str, str], method: str, path: str
) -> None:
    r = client.request(method, path, json={"first_name": "A", "last_name": "B"}, headers=scim)
    assert r.status_code == 403, r.text


def test_a_scim_key_can_only_be_made_by_an_admin(client: TestClient, tenant: Tenant) -> None:
    r = client.post("/v1/api-keys", json={"name": "x", "scope": "scim"}, headers=tenant.write)
    assert r.status_code == 403


def test_another_organisations_users_are_not_found(
    client: TestClient, tenant: Tenant, other_tenant: Tenant, scim: dict[str, str]
) -> None:
    r = client.post("/scim/v2/Users", json=user_body(), headers=scim)
    uid = r.json()["id"]
    r = client.post("/v1/api-keys", json={"name": "B", "scope": "scim"}, headers=other_tenant.admin)
    other = {"Authorization": f"Bearer {r.json()['key']}", "Content-Type": SCIM}
    assert_scim_error(client.get(f"/scim/v2/Users/{uid}", headers=other), 404)
    assert client.get("/scim/v2/Users", headers=other).json()["totalResults"] == 0
    r = client.get("/scim/v2/Users", params={"filter": f'id eq "{uid}"'}, headers=other)
    assert r.json()["totalResults"] == 0
