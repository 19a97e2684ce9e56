"""Conditional PUT by the HR platform's key (RFC 9110 13.1.1, 13.1.2, 13.2.2).

An HR sync that read a row and sends ``If-Match`` must not bring the row back after
someone deleted it, and ``If-None-Match: *`` makes a PUT create only. Both are checked
in ``add_external_id_routes`` before anything is written.
"""

import pytest
from fastapi.testclient import TestClient

from tests.conftest import Tenant
from tests.helpers import assert_problem, built_app

BODIES = {
    "teams": {"name": "Team Noord"},
    "employees": {"first_name": "Mirjam", "last_name": "Berg"},
}
OTHER_BODIES = {
    "teams": {"name": "Team Zuid"},
    "employees": {"first_name": "Daan", "last_name": "Berg"},
}


@pytest.mark.parametrize("kind", sorted(BODIES))
def test_if_match_on_a_deleted_row_is_412_and_creates_nothing(
    client: TestClient, tenant: Tenant, kind: str
) -> None:
    url = f"/v1/by-external-id/{kind}/GONE-1"
    created = client.put(url, json=BODIES[kind], headers=tenant.write)
    assert created.status_code == 201, created.text
    etag = created.headers["ETag"]
    gone = client.delete(f"/v1/{kind}/{created.json()['id']}", headers=tenant.write)
    assert gone.status_code == 204, gone.text
    for tag in (etag, "*", '"deadbeefdeadbeefdeadbeef"'):
        r = client.put(url, json=BODIES[kind], headers={**tenant.write, "If-Match": tag})
        assert_problem(r, 412, "etag-mismatch")
    assert_problem(client.get(url, headers=tenant.read), 404)
    # Without the condition the same PUT creates, as before.
    assert client.put(url, json=BODIES[kind], headers=tenant.write).status_code == 201


@pytest.mark.parametrize("kind", sorted(BODIES))
def test_if_none_match_star_creates_only(client: TestClient, tenant: Tenant, kind: str) -> None:
    url = f"/v1/by-external-id/{kind}/NEW-1"
    only_new = {**tenant.write, "If-None-Match": "*"}
    created = client.put(url, json=BODIES[kind], headers=only_new)
    assert created.status_code == 201, created.text
    again = client.put(url, json=OTHER_BODIES[kind], headers=only_new)
    assert_problem(again, 412, "precondition-failed")
    assert again.json()["current_etag"] == created.headers["ETag"]
    # Unchanged: the same version as created.
    got = client.get(url, headers=tenant.read)
    assert got.headers["ETag"] == created.headers["ETag"]
    assert got.json() == created.json()
    # A tag names the versions to skip: another version's tag lets the replacement through.
    skip_other = {**tenant.write, "If-None-Match": '"deadbeefdeadbeefdeadbeef"'}
    assert client.put(url, json=BODIES[kind], headers=skip_other).status_code == 200
    current = client.get(url, headers=tenant.read).headers["ETag"]
    skip_current = {**tenant.write, "If-None-Match": current}
    assert_problem(client.put(url, json=BODIES[kind], headers=skip_current), 412)


def test_every_put_by_external_id_documents_if_none_match() -> None:
    paths = built_app().openapi()["paths"]
    puts = [
        (p, ops["put"])
        for p, ops in paths.items()
        if p.startswith("/v1/by-external-id/") and "put" in ops
    ]
    assert puts
    for path, op in puts:
        headers = {x["name"] for x in op.get("parameters", []) if x["in"] == "header"}
        assert {"If-Match", "If-None-Match"} <= headers, path
