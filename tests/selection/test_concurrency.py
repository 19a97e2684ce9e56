"""Two requests scheduling the same plan at once: exactly one wins (committed for real)."""

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime, timedelta
from typing import Any

from fastapi.testclient import TestClient

from tests.conftest import Tenant

SECTION = {"kind": "agreement", "pillar": 3, "title": "Stop het gesprek", "body": "Haal hulp."}


def _post(client: TestClient, tenant: Tenant, path: str, body: dict[str, Any]) -> str:
    resp = client.post(f"/v1/{path}", json=body, headers=tenant.admin)
    assert resp.status_code in (200, 201), resp.text
    return str(resp.json()["id"])


def test_a_plan_is_scheduled_once_under_concurrency(
    live_client: TestClient, live_tenant: Tenant
) -> None:
    c, t = live_client, live_tenant
    fg = _post(c, t, "function-groups", {"name": "Ambulant", "likelihood": 2, "impact": 2})
    boss = _post(
        c, t, "employees", {"first_name": "Henk", "last_name": "Baas", "role": "team_manager"}
    )
    team = _post(c, t, "teams", {"name": "Ambulant Oost", "manager_ids": [boss]})
    for i in range(3):
        _post(
            c,
            t,
            "employees",
            {
                "first_name": "Sanne",
                "last_name": f"Mulder {i}",
                "team_id": team,
                "function_group_id": fg,
            },
        )
    skills = [s["id"] for s in c.get("/v1/skills?limit=200", headers=t.admin).json()["items"]]
    _post(
        c,
        t,
        "training-programs",
        {"title": "Leiding", "audience": "management", "skill_ids": skills},
    )
    _post(c, t, "training-programs", {"title": "Basis", "audience": "staff", "skill_ids": skills})
    protocol = _post(c, t, "protocols", {"title": "Protocol", "sections": [SECTION]})
    assert c.post(f"/v1/protocols/{protocol}/publish", headers=t.admin).status_code == 200
    _post(
        c,
        t,
        f"protocols/{protocol}/team-discussions",
        {"team_id": team, "discussed_on": date.today().isoformat()},
    )
    _post(c, t, f"protocols/{protocol}/acknowledgements", {"employee_id": boss})
    plan = _post(
        c, t, "training-plans", {"starts_on": (date.today() + timedelta(days=7)).isoformat()}
    )
    start = datetime.now(UTC).replace(microsecond=0) + timedelta(days=14)
    body = {
        "phases": [
            {"phase": 1, "starts_at": start.isoformat()},
            {"phase": 2, "starts_at": (start + timedelta(days=7)).isoformat()},
        ]
    }

    def schedule(_: int) -> int:
        return c.post(f"/v1/training-plans/{plan}/schedule", json=body, headers=t.admin).status_code

    with ThreadPoolExecutor(max_workers=2) as pool:
        statuses = sorted(pool.map(schedule, range(2)))
    assert statuses == [200, 409]
    sessions = c.get("/v1/training-sessions?limit=200", headers=t.admin).json()["items"]
    assert len(sessions) == 2  # one management, one staff session: scheduled once
