"""The role matrix: every route x every role -> the outcome declared in tests/reliability/roles.py.

Each (route, role) gets a fresh world (registry.py), a team whose manager is the
team_manager user, the world's employee as the employee user, the world's sessions run by
the trainer user, and an hr_viewer. A route without a declared rule for every role fails
``test_every_route_has_a_role_rule``, so a new route cannot skip the question.
"""

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from app.core.roles import UserRole
from app.identity.oidc import JWKS
from tests.conftest import Tenant
from tests.identity.idp import AUDIENCE, LoopbackIssuer
from tests.reliability.registry import ROUTES, World, prepared_call
from tests.reliability.roles import OK, ROLE_RULES
from tests.reliability.test_isolation import ALL_ROUTES, _request

TRAINER = "trainer@example.nl"


@pytest.fixture(scope="module")
def issuer() -> Iterator[LoopbackIssuer]:
    server = LoopbackIssuer()
    yield server
    server.close()


def test_every_route_has_a_role_rule() -> None:
    missing = sorted(r for r in ALL_ROUTES if set(ROLE_RULES.get(r, {})) != set(UserRole))
    stale = sorted(set(ROLE_RULES) - set(ALL_ROUTES))
    assert not missing, f"declare what each role gets in tests/reliability/roles.py: {missing}"
    assert not stale, f"these ROLE_RULES entries name no route any more: {stale}"


def _as_role(w: World, issuer: LoopbackIssuer, role: UserRole) -> dict[str, str]:
    """Set up the world for ``role`` and return the headers of a user with that role."""
    c, admin = w.client, w.tenant.admin
    r = c.post(
        "/v1/identity-providers",
        json={
            "name": "IdP",
            "issuer": issuer.url,
            "audience": AUDIENCE,
            "group_roles": {role.value: [role.value]},
        },
        headers=admin,
    )
    assert r.status_code == 201, r.text
    email = f"{role.value}@example.nl"
    if role is UserRole.team_manager:
        manager = w.post(
            "/v1/employees",
            {"first_name": "Mia", "last_name": "Manager", "email": email, "role": "team_manager",
             "team_id": w.id("team_id")},
        )  # fmt: skip
        r = c.patch(f"/v1/teams/{w.id('team_id')}", json={"manager_ids": [manager]}, headers=admin)
        assert r.status_code == 200, r.text
    elif role is UserRole.employee:
        r = c.get(f"/v1/employees/{w.id('employee_id')}", headers=admin)
        email = r.json()["email"]
    elif role is UserRole.trainer:
        email = TRAINER
        for name in ("session_id", "past_session_id"):
            if name in w.ids:
                r = c.patch(f"/v1/training-sessions/{w.ids[name]}", json={"trainer": TRAINER},
                            headers=admin)  # fmt: skip
                assert r.status_code == 200, r.text
    token = issuer.token(sub=f"sub-{role.value}", email=email, groups=[role.value])
    return {"Authorization": f"Bearer {token}"}


@pytest.mark.parametrize("role", list(UserRole))
@pytest.mark.parametrize("route", [r for r in ALL_ROUTES if r in ROUTES])
def test_role_matrix(
    route: str,
    role: UserRole,
    client: TestClient,
    tenant: Tenant,
    issuer: LoopbackIssuer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    JWKS.clear()
    issuer.serve_keys_in_memory(monkeypatch)
    p = prepared_call(route, client, tenant)
    headers = _as_role(p.world, issuer, role)
    r = _request(client, p.method, p.url, p.body, headers, p.query)
    assert r.status_code < 500, r.text
    got: Any = OK if r.status_code in p.call.ok else r.status_code
    expected = ROLE_RULES[route][role]
    assert got == expected, f"{route} as {role}: got {got}, declared {expected}: {r.text[:300]}"
