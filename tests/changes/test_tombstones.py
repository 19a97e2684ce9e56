"""A tombstone for every delete route: a reader with a read key learns of deletions."""

import pytest
from fastapi.testclient import TestClient

from tests.changes.test_feed import read_all
from tests.conftest import Tenant
from tests.helpers import built_app
from tests.reliability.registry import PARAM, api_routes, prepared_call

# Webhook subscriptions are the feed's own configuration, not announced in it (outbox.py).
NOT_ANNOUNCED = {"DELETE /v1/webhook-subscriptions/{subscription_id}"}
DELETES = [
    route
    for m, p in api_routes(built_app())
    if m == "DELETE" and (route := f"DELETE {p}") not in NOT_ANNOUNCED
]


@pytest.mark.parametrize("route", DELETES)
def test_every_delete_route_leaves_a_tombstone(
    route: str, client: TestClient, tenant: Tenant
) -> None:
    p = prepared_call(route, client, tenant)
    if route.endswith("/needs"):  # delete all needs of a function group: make one first
        r = client.put(
            p.url, headers=tenant.admin, json={"needs": [{"skill_id": p.world.id("skill_id")}]}
        )
        assert r.status_code == 200, r.text
    _, cursor = read_all(client, tenant, as_admin=True)
    r = client.request("DELETE", p.url, headers=tenant.admin)
    assert r.status_code in (200, 204), r.text
    items, _ = read_all(client, tenant, as_admin=True, after=cursor)
    if route == "DELETE /v1/api-keys/{api_key_id}":  # a key is revoked, not deleted
        (revoked,) = items
        assert revoked["type"] == "api_key.updated" and revoked["data"]["revoked_at"]
        return
    tombstones = [e for e in items if e["deleted"]]
    assert tombstones, f"{route} announced {[e['type'] for e in items]}"
    assert all(e["data"] is None and e["type"].endswith(".deleted") for e in tombstones)
    last = PARAM.findall(route)[-1] if route.endswith("}") else None
    if last is not None:
        assert p.world.ids[last] in {e["resource_id"] for e in tombstones}
