"""Protocol readiness before the training, not at booking (issue 20, item 4): booked while
unread (awaiting_readiness), reminded per session, decided at the session's start."""

from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.organisation.models import Employee
from tests.conftest import Tenant
from tests.factories.core import make_employee
from tests.factories.policy import make_acknowledgement
from tests.factories.training import make_completion
from tests.helpers import set_clock
from tests.training.conftest import World, set_severities


def _train_managers(db: Session, world: World) -> None:
    for m in (world.senior, world.manager):
        make_completion(db, employee=m, program=world.management)


def _enrol(client: TestClient, tenant: Tenant, world: World, emp: Employee) -> dict:  # type: ignore[type-arg]
    r = client.post(
        f"/v1/training-sessions/{world.staff_session.id}/enrolments",
        json={"employee_id": str(emp.id)},
        headers=tenant.write,
    )
    assert r.status_code == 201, r.text
    body: dict = r.json()  # type: ignore[type-arg]
    return body


def _readiness(client: TestClient, tenant: Tenant, world: World) -> dict:  # type: ignore[type-arg]
    r = client.get(f"/v1/training-sessions/{world.staff_session.id}/readiness", headers=tenant.read)
    assert r.status_code == 200, r.text
    body: dict = r.json()  # type: ignore[type-arg]
    return body


def _book_two_unready(
    client: TestClient, db: Session, world: World, tenant: Tenant
) -> tuple[Employee, Employee, dict, dict]:  # type: ignore[type-arg]
    _train_managers(db, world)
    set_severities(db, world.org, reflected_before_training="off")  # test_reflections.py
    reader = make_employee(db, first_name="Anouk", last_name="Smit", function_group_id=world.fg.id)
    late = make_employee(db, first_name="Bram", last_name="Kok", function_group_id=world.fg.id)
    first, second = _enrol(client, tenant, world, reader), _enrol(client, tenant, world, late)
    return reader, late, first, second


def test_booking_accepts_the_unready_and_lists_whom_to_remind(
    client: TestClient, db: Session, world: World, tenant: Tenant
) -> None:
    # protocol_ready is an error (the default), yet booking a later session is accepted.
    reader, late, first, second = _book_two_unready(client, db, world, tenant)
    for enrolment in (first, second):
        [note] = enrolment["warnings"]
        assert note["rule"] == "awaiting_readiness" and note["severity"] == "warning"
        assert note["details"]["severity_at_start"] == "error"
    body = _readiness(client, tenant, world)
    assert body["started"] is False and body["severity"] == "error"
    assert body["protocol_version"] == world.protocol.version
    assert (body["enrolled"], body["ready"]) == (2, 0)
    assert [p["employee_name"] for p in body["to_remind"]] == ["Anouk Smit", "Bram Kok"]

    make_acknowledgement(db, protocol=world.protocol, employee=reader)
    body = _readiness(client, tenant, world)
    assert (body["enrolled"], body["ready"]) == (2, 1)
    assert [p["employee_id"] for p in body["to_remind"]] == [str(late.id)]


def test_at_the_start_an_error_refuses_completion(
    client: TestClient,
    db: Session,
    world: World,
    tenant: Tenant,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    reader, late, _first, _second = _book_two_unready(client, db, world, tenant)
    make_acknowledgement(db, protocol=world.protocol, employee=reader)
    set_clock(monkeypatch, world.staff_session.starts_at + timedelta(hours=5))
    # Reading it after the start is too late for this session.
    make_acknowledgement(
        db,
        protocol=world.protocol,
        employee=late,
        read_at=world.staff_session.starts_at + timedelta(hours=1),
    )
    base = f"/v1/training-sessions/{world.staff_session.id}"
    r = client.post(f"{base}/complete", headers=tenant.write)
    assert r.status_code == 200, r.text
    enrolments = {
        e["employee_id"]: e
        for e in client.get(f"{base}/enrolments", headers=tenant.read).json()["items"]
    }
    done, refused = enrolments[str(reader.id)], enrolments[str(late.id)]
    assert done["status"] == "completed" and done["warnings"] == []  # the note is settled
    assert refused["status"] == "attended"
    [result] = refused["warnings"]
    assert (result["rule"], result["severity"]) == ("protocol_ready", "error")
    record = client.get(f"/v1/employees/{late.id}/training-record", headers=tenant.read).json()
    assert record["completions"] == []
    record = client.get(f"/v1/employees/{reader.id}/training-record", headers=tenant.read).json()
    assert len(record["completions"]) == 1
    body = _readiness(client, tenant, world)
    assert body["started"] is True
    assert [p["employee_id"] for p in body["to_remind"]] == [str(late.id)]


def test_at_the_start_a_warning_records_it(
    client: TestClient,
    db: Session,
    world: World,
    tenant: Tenant,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    set_severities(db, world.org, protocol_ready="warning")
    _reader, _late, _first, _second = _book_two_unready(client, db, world, tenant)
    set_clock(monkeypatch, world.staff_session.starts_at + timedelta(hours=5))
    base = f"/v1/training-sessions/{world.staff_session.id}"
    assert client.post(f"{base}/complete", headers=tenant.write).status_code == 200
    items = client.get(f"{base}/enrolments", headers=tenant.read).json()["items"]
    assert {e["status"] for e in items} == {"completed"}
    for e in items:
        assert [(w["rule"], w["severity"]) for w in e["warnings"]] == [
            ("protocol_ready", "warning")
        ]
        # Instants in details are written as everywhere else: UTC with Z (issue 19).
        assert e["warnings"][0]["details"]["at"].endswith("Z")


def test_off_neither_notes_nor_decides(
    client: TestClient,
    db: Session,
    world: World,
    tenant: Tenant,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    set_severities(db, world.org, protocol_ready="off")
    _reader, _late, first, second = _book_two_unready(client, db, world, tenant)
    assert first["warnings"] == second["warnings"] == []
    set_clock(monkeypatch, world.staff_session.starts_at + timedelta(hours=5))
    base = f"/v1/training-sessions/{world.staff_session.id}"
    assert client.post(f"{base}/complete", headers=tenant.write).status_code == 200
    items = client.get(f"{base}/enrolments", headers=tenant.read).json()["items"]
    assert [(e["status"], e["warnings"]) for e in items] == [("completed", [])] * 2
