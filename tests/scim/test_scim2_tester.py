"""scim2-tester's conformance checks against a live server on loopback (issue 22).

A real ``veerkracht serve`` process on a free port and the test database; scim2-tester
(through scim2-client, over httpx) discovers the service and creates, reads, queries,
replaces, patches and deletes Users and Groups. Every check must pass; the checks left
out are named in README.md ("Connect your identity provider") with why.
"""

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from scim2_client.client import BaseSyncSCIMClient, RawResponse
from scim2_tester import Status, check_server

from tests.reliability.server import Server, create_organisation

pytestmark = pytest.mark.slow
PASSING = {Status.SUCCESS, Status.COMPLIANT, Status.ACCEPTABLE}
# Checks named in README.md ("Connect your identity provider", scim2-tester) with why:
# (check, the attribute it names). Every employee is active or not and has a role, so
# removing `active`, `role` or the extension holding it cannot leave them unassigned.
EMPLOYEE = "urn:ietf:params:scim:schemas:extension:veerkracht:2.0:Employee"
LEFT_OUT = {
    ("check_remove_attribute", "'active'"),
    ("check_remove_attribute", f"'{EMPLOYEE}'"),
    ("check_remove_attribute", f"'{EMPLOYEE}:role'"),
}


def _left_out(title: str | None, reason: str | None) -> bool:
    return any(title == check and (reason or "").endswith(f"attribute {attr}")
               for check, attr in LEFT_OUT)  # fmt: skip


class HttpxSCIMClient(BaseSyncSCIMClient):
    """scim2-client's sync client over httpx (its own engine needs httpx2, not installed)."""

    def __init__(self, client: httpx.Client, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.client = client

    def _stays_under_base_url(self, endpoint: str) -> bool:
        url = self.client.build_request("GET", endpoint).url
        base = self.client.base_url
        return (url.scheme, url.host, url.port) == (base.scheme, base.host, base.port) and (
            url.raw_path.startswith(base.raw_path)
        )

    def _parse_json(self, response: RawResponse) -> Any:
        return response.json()  # type: ignore[attr-defined]

    def request(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        return self.client.request(method, url, **kwargs)


@pytest.fixture
def server(database_url: str, tmp_path: Path) -> Iterator[Server]:
    running = Server(database_url, tmp_path / "server.log").start()
    yield running
    running.stop()


def test_scim2_tester_passes(server: Server) -> None:
    admin = create_organisation(server.database_url, f"Stichting SCIM {uuid.uuid4().hex[:6]}")
    auth = {"Authorization": f"Bearer {admin}"}
    with httpx.Client(base_url=server.url, timeout=30) as http:
        r = http.post("/v1/api-keys", json={"name": "tester", "scope": "scim"}, headers=auth)
        assert r.status_code == 201, r.text
        scim_key = r.json()["key"]
        # A function group, so `functionGroup` has a canonical value the tester can send.
        r = http.post("/v1/function-groups", headers=auth,
                      json={"name": "Ambulant", "likelihood": 3, "impact": 3})  # fmt: skip
        assert r.status_code == 201, r.text
    with httpx.Client(
        base_url=f"{server.url}/scim/v2/",
        headers={"Authorization": f"Bearer {scim_key}"},
        timeout=30,
    ) as http:
        results = check_server(HttpxSCIMClient(http))
    failed = [
        f"{r.title} [{r.resource_type}]: {r.status.name} {r.reason}"
        for r in results
        if r.status not in PASSING
        and r.status != Status.SKIPPED
        and not _left_out(r.title, r.reason)
    ]
    assert len(results) > 50
    assert not failed, "\n".join(failed)
