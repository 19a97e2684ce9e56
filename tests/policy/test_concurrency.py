"""Races on PostgreSQL: two publishes at once, two acknowledgements at once."""

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from threading import Barrier
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from app.core import engine as core_engine
from app.core.tenancy import bind_organisation
from app.policy.models import NormCreate
from app.policy.norms import create_norm
from tests.conftest import Tenant
from tests.helpers import assert_problem, wait_until_waiting
from tests.policy.helpers import create_protocol, publish

ROUNDS = 5


@pytest.fixture(autouse=True)
def _postgres_only(is_postgres: bool) -> None:
    if not is_postgres:
        pytest.skip("row locks and concurrent transactions need PostgreSQL")


def _at_once(calls: list[Callable[[], httpx.Response]]) -> list[httpx.Response]:
    barrier = Barrier(len(calls))

    def run(call: Callable[[], httpx.Response]) -> httpx.Response:
        barrier.wait()
        return call()

    with ThreadPoolExecutor(len(calls)) as pool:
        return list(pool.map(run, calls))


def test_two_concurrent_publishes_leave_exactly_one_published(
    live_client: TestClient, live_tenant: Tenant
) -> None:
    for _ in range(ROUNDS):
        drafts = [create_protocol(live_client, live_tenant) for _ in range(2)]
        responses = _at_once(
            [
                partial(
                    live_client.post, f"/v1/protocols/{d['id']}/publish", headers=live_tenant.write
                )
                for d in drafts
            ]
        )
        statuses = sorted(r.status_code for r in responses)
        assert statuses in ([200, 200], [200, 409]), [r.text for r in responses]
        listed = live_client.get("/v1/protocols?status=published", headers=live_tenant.read).json()[
            "items"
        ]
        assert len(listed) == 1
        # The newer draft wins whichever order the two ran in.
        assert listed[0]["id"] == drafts[1]["id"]


def test_concurrent_acknowledgements_store_one_record(
    live_client: TestClient, live_tenant: Tenant
) -> None:
    protocol = publish(live_client, live_tenant, create_protocol(live_client, live_tenant)["id"])
    url = f"/v1/protocols/{protocol['id']}/acknowledgements"
    for n in range(ROUNDS):
        emp = live_client.post(
            "/v1/employees",
            headers=live_tenant.write,
            json={"first_name": "Noor", "last_name": f"Bakker {n}"},
        ).json()
        body: dict[str, Any] = {"employee_id": emp["id"]}
        post = partial(live_client.post, url, headers=live_tenant.write, json=body)
        responses = _at_once([post] * 4)
        statuses = sorted(r.status_code for r in responses)
        assert statuses == [200, 200, 200, 201], [r.text for r in responses]
        assert len({r.json()["id"] for r in responses}) == 1
        listed = live_client.get(f"{url}?employee_id={emp['id']}", headers=live_tenant.read).json()[
            "items"
        ]
        assert len(listed) == 1


@pytest.mark.parametrize("made_red", ["created", "changed"])
def test_a_team_norm_and_a_red_organisation_norm_written_side_by_side(
    engine: Engine, live_client: TestClient, live_tenant: Tenant, made_red: str
) -> None:
    # Each would pass against the other's rows as they were: a team accepting what the
    # organisation, a moment later, marks red (a new norm, or an orange one made red).
    # They take turns, so the second is refused.
    team = live_client.post("/v1/teams", headers=live_tenant.write, json={"name": "Noord"})
    assert team.status_code == 201, team.text
    if made_red == "created":
        send = partial(live_client.post, "/v1/norms", json={"title": "schreeuwen", "level": "red"})
    else:
        org_norm = live_client.post(
            "/v1/norms", headers=live_tenant.write, json={"title": "schreeuwen", "level": "orange"}
        )
        assert org_norm.status_code == 201, org_norm.text
        url = f"/v1/norms/{org_norm.json()['id']}"
        send = partial(live_client.patch, url, json={"level": "red"})
    first = core_engine.new_session(engine)
    bind_organisation(first, live_tenant.id)
    try:
        body = {"title": "Schreeuwen", "level": "orange", "team_id": team.json()["id"]}
        create_norm(first, data=NormCreate.model_validate(body))
        with ThreadPoolExecutor(1) as pool:
            red = pool.submit(send, headers=live_tenant.write)
            wait_until_waiting(engine, red, 1)
            first.commit()
            answer = red.result(timeout=30)
    finally:
        first.close()
    assert_problem(answer, 409, "team-norm-softens-organisation-norm")
    red_norms = live_client.get("/v1/norms?level=red", headers=live_tenant.read).json()
    assert red_norms["items"] == []
