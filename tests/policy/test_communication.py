"""Acknowledgements (an employee read a version) and team discussions (a team discussed it)."""

from datetime import UTC, date, datetime, timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlmodel import Session, func, select

from app.core.tenancy import bind_organisation
from app.policy.models import ProtocolAcknowledgement, TeamDiscussion
from tests.conftest import Tenant
from tests.factories.core import make_employee, make_team
from tests.helpers import assert_problem
from tests.policy.helpers import create_protocol, publish


def _count(db: Session, model: Any) -> int:
    return int(db.scalar(select(func.count()).select_from(model)) or 0)


def test_acknowledging_twice_returns_the_first_record(
    client: TestClient, tenant: Tenant, db: Session, published: dict[str, Any]
) -> None:
    emp = make_employee(db)
    url = f"/v1/protocols/{published['id']}/acknowledgements"
    read_at = "2026-01-05T09:30:00Z"
    first = client.post(
        url, headers=tenant.write, json={"employee_id": str(emp.id), "read_at": read_at}
    )
    assert first.status_code == 201, first.text
    assert first.json()["read_at"] == read_at
    again = client.post(url, headers=tenant.write, json={"employee_id": str(emp.id)})
    assert again.status_code == 200, again.text
    assert again.json() == first.json()
    assert _count(db, ProtocolAcknowledgement) == 1


def test_read_at_defaults_to_now_and_may_not_be_in_the_future(
    client: TestClient, tenant: Tenant, db: Session, published: dict[str, Any]
) -> None:
    emp = make_employee(db)
    url = f"/v1/protocols/{published['id']}/acknowledgements"
    future = (datetime.now(UTC) + timedelta(days=1)).isoformat()
    r = client.post(url, headers=tenant.write, json={"employee_id": str(emp.id), "read_at": future})
    assert assert_problem(r, 422, "read-at-in-future")["errors"][0]["pointer"] == "/read_at"
    before = datetime.now(UTC).replace(microsecond=0)  # stored at a second's precision, maybe
    r = client.post(url, headers=tenant.write, json={"employee_id": str(emp.id)})
    after = datetime.now(UTC)
    read_at = datetime.fromisoformat(r.json()["read_at"])
    assert before <= read_at <= after, (before, read_at, after)


def test_naive_read_at_is_422(
    client: TestClient, tenant: Tenant, db: Session, published: dict[str, Any]
) -> None:
    emp = make_employee(db)
    r = client.post(
        f"/v1/protocols/{published['id']}/acknowledgements",
        headers=tenant.write,
        json={"employee_id": str(emp.id), "read_at": "2026-01-05T09:30:00"},
    )
    assert assert_problem(r, 422)["errors"][0]["pointer"] == "/read_at"


def test_only_the_published_version_can_be_acknowledged_or_discussed(
    client: TestClient, tenant: Tenant, db: Session
) -> None:
    emp = make_employee(db)
    team = make_team(db)
    draft = create_protocol(client, tenant)
    old = publish(client, tenant, create_protocol(client, tenant)["id"])
    publish(client, tenant, create_protocol(client, tenant)["id"])  # supersedes `old`
    for protocol in (draft, old):
        r = client.post(
            f"/v1/protocols/{protocol['id']}/acknowledgements",
            headers=tenant.write,
            json={"employee_id": str(emp.id)},
        )
        assert_problem(r, 409, "protocol-not-published")
        r = client.post(
            f"/v1/protocols/{protocol['id']}/team-discussions",
            headers=tenant.write,
            json={"team_id": str(team.id), "discussed_on": "2026-01-05"},
        )
        assert_problem(r, 409, "protocol-not-published")
    assert _count(db, ProtocolAcknowledgement) == 0 and _count(db, TeamDiscussion) == 0


def test_unknown_or_foreign_employee_and_team_are_422(
    client: TestClient,
    tenant: Tenant,
    other_tenant: Tenant,
    db: Session,
    published: dict[str, Any],
) -> None:
    bind_organisation(db, other_tenant.id)
    foreign_emp = make_employee(db)
    foreign_team = make_team(db)
    bind_organisation(db, tenant.id)
    base = f"/v1/protocols/{published['id']}"
    r = client.post(
        f"{base}/acknowledgements", headers=tenant.write, json={"employee_id": str(foreign_emp.id)}
    )
    assert assert_problem(r, 422, "unknown-reference")["errors"][0]["pointer"] == "/employee_id"
    r = client.post(
        f"{base}/team-discussions",
        headers=tenant.write,
        json={"team_id": str(foreign_team.id), "discussed_on": "2026-01-05"},
    )
    assert assert_problem(r, 422, "unknown-reference")["errors"][0]["pointer"] == "/team_id"
    assert _count(db, ProtocolAcknowledgement) == 0 and _count(db, TeamDiscussion) == 0


def test_record_and_list_team_discussions(
    client: TestClient, tenant: Tenant, db: Session, published: dict[str, Any]
) -> None:
    north, south = make_team(db), make_team(db)
    url = f"/v1/protocols/{published['id']}/team-discussions"
    for team, on in ((north, "2026-01-05"), (south, "2026-01-12"), (north, "2026-02-02")):
        r = client.post(
            url,
            headers=tenant.write,
            json={"team_id": str(team.id), "discussed_on": on, "notes": "Werkoverleg"},
        )
        assert r.status_code == 201, r.text
    listed = client.get(f"{url}?team_id={north.id}", headers=tenant.read).json()["items"]
    assert [d["discussed_on"] for d in listed] == ["2026-01-05", "2026-02-02"]
    assert len(client.get(url, headers=tenant.read).json()["items"]) == 3


def test_a_recorded_discussion_is_found_at_its_location(
    client: TestClient, tenant: Tenant, db: Session, published: dict[str, Any]
) -> None:
    team = make_team(db)
    url = f"/v1/protocols/{published['id']}/team-discussions"
    r = client.post(
        url, headers=tenant.write, json={"team_id": str(team.id), "discussed_on": "2026-01-05"}
    )
    assert r.status_code == 201, r.text
    assert r.headers["Location"] == f"{url}/{r.json()['id']}"
    shown = client.get(r.headers["Location"], headers=tenant.read)
    assert shown.status_code == 200, shown.text
    assert shown.json() == r.json() and shown.headers["ETag"] == r.headers["ETag"]
    # Only under its own version: another version's path answers 404, like a missing one.
    draft = create_protocol(client, tenant)
    elsewhere = f"/v1/protocols/{draft['id']}/team-discussions/{r.json()['id']}"
    assert_problem(client.get(elsewhere, headers=tenant.read), 404)


def test_a_discussion_in_the_future_or_with_oversized_notes_is_422(
    client: TestClient, tenant: Tenant, db: Session, published: dict[str, Any]
) -> None:
    team = make_team(db)
    url = f"/v1/protocols/{published['id']}/team-discussions"
    tomorrow = (date.today() + timedelta(days=2)).isoformat()
    r = client.post(
        url, headers=tenant.write, json={"team_id": str(team.id), "discussed_on": tomorrow}
    )
    assert (
        assert_problem(r, 422, "discussed-on-in-future")["errors"][0]["pointer"] == "/discussed_on"
    )
    r = client.post(
        url,
        headers=tenant.write,
        json={"team_id": str(team.id), "discussed_on": "2026-01-05", "notes": "x" * 10_001},
    )
    assert assert_problem(r, 422)["errors"][0]["pointer"] == "/notes"


def test_list_acknowledgements_by_employee(
    client: TestClient, tenant: Tenant, db: Session, published: dict[str, Any]
) -> None:
    a, b = make_employee(db), make_employee(db)
    url = f"/v1/protocols/{published['id']}/acknowledgements"
    for emp in (a, b):
        client.post(url, headers=tenant.write, json={"employee_id": str(emp.id)})
    items = client.get(f"{url}?employee_id={b.id}", headers=tenant.read).json()["items"]
    assert [i["employee_id"] for i in items] == [str(b.id)]
    assert len(client.get(url, headers=tenant.read).json()["items"]) == 2
