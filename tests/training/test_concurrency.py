"""Two requests for the last seat never both succeed (committed transactions, threads).

Runs on both databases; on PostgreSQL it exercises the guarded seat UPDATE under real row
locks (READ COMMITTED re-evaluates ``enrolled_count < capacity`` after the first commit).
"""

from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from threading import Barrier
from typing import Any

from fastapi.testclient import TestClient

from app.core.models import utcnow
from tests.conftest import Tenant


def _setup(
    client: TestClient, tenant: Tenant, *, staff: int, capacity: int
) -> tuple[str, list[str]]:
    r = client.patch(
        "/v1/organisation",
        json={"settings": {"rule_severities": {"managers_first": "off", "protocol_ready": "off"}}},
        headers=tenant.admin,
    )
    assert r.status_code == 200, r.text
    fg = client.post(
        "/v1/function-groups",
        json={"name": "Jongerenwerk", "likelihood": 3, "impact": 3},
        headers=tenant.write,
    ).json()
    ids = []
    for i in range(staff):
        r = client.post(
            "/v1/employees",
            json={"first_name": "Medewerker", "last_name": str(i), "function_group_id": fg["id"]},
            headers=tenant.write,
        )
        assert r.status_code == 201, r.text
        ids.append(r.json()["id"])
    program = client.post(
        "/v1/training-programs",
        json={"title": "De-escalatie met trainingsacteur", "audience": "staff"},
        headers=tenant.write,
    ).json()
    start = utcnow() + timedelta(days=10)
    r = client.post(
        "/v1/training-sessions",
        json={
            "program_id": program["id"],
            "starts_at": start.isoformat(),
            "ends_at": (start + timedelta(hours=3)).isoformat(),
            "capacity": capacity,
        },
        headers=tenant.write,
    )
    assert r.status_code == 201, r.text
    return r.json()["id"], ids


def _race(
    client: TestClient, tenant: Tenant, session_id: str, employee_ids: list[str]
) -> list[Any]:
    barrier = Barrier(len(employee_ids))

    def attempt(employee_id: str) -> Any:
        barrier.wait()
        return client.post(
            f"/v1/training-sessions/{session_id}/enrolments",
            json={"employee_id": employee_id},
            headers=tenant.write,
        )

    with ThreadPoolExecutor(max_workers=len(employee_ids)) as pool:
        return list(pool.map(attempt, employee_ids))


def test_last_seat_is_taken_once(live_client: TestClient, live_tenant: Tenant) -> None:
    session_id, employees = _setup(live_client, live_tenant, staff=6, capacity=2)
    first = live_client.post(
        f"/v1/training-sessions/{session_id}/enrolments",
        json={"employee_id": employees[0]},
        headers=live_tenant.write,
    )
    assert first.status_code == 201, first.text
    responses = _race(live_client, live_tenant, session_id, employees[1:])
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [201, 409, 409, 409, 409], [r.text for r in responses]
    for r in responses:
        if r.status_code == 409:
            assert r.json()["code"] == "enrolment-refused"
            assert r.json()["violations"][0]["rule"] == "capacity"
    ts = live_client.get(f"/v1/training-sessions/{session_id}", headers=live_tenant.read).json()
    assert ts["enrolled_count"] == 2
    listed = live_client.get(
        f"/v1/training-sessions/{session_id}/enrolments", headers=live_tenant.read
    ).json()["items"]
    assert len(listed) == 2


def test_same_employee_twice_at_once_is_enrolled_once(
    live_client: TestClient, live_tenant: Tenant
) -> None:
    session_id, employees = _setup(live_client, live_tenant, staff=1, capacity=5)
    responses = _race(live_client, live_tenant, session_id, employees * 3)
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [201, 409, 409], [r.text for r in responses]
    ts = live_client.get(f"/v1/training-sessions/{session_id}", headers=live_tenant.read).json()
    assert ts["enrolled_count"] == 1
