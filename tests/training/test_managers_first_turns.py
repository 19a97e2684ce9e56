"""Managers first under concurrent writers (PostgreSQL; SQLite's writers take turns anyway):
an enrolment and a change of the managers' seats it rests on take turns, so the second
checks what the first committed."""

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from app.core import engine as core_engine
from app.core.tenancy import bind_organisation
from app.organisation.models import Organisation
from app.training import service
from tests.conftest import Tenant
from tests.factories.training import make_enrolment
from tests.helpers import assert_problem
from tests.training.conftest import build_world


def test_a_managers_seat_is_not_cancelled_while_their_staff_enrol(
    engine: Engine, live_client: TestClient, live_tenant: Tenant, is_postgres: bool
) -> None:
    if not is_postgres:
        pytest.skip("concurrent writers need PostgreSQL (SQLite serialises them)")
    setup = core_engine.new_session(engine)
    bind_organisation(setup, live_tenant.id)
    try:
        org = setup.get(Organisation, live_tenant.id)
        assert org is not None
        world = build_world(setup, org)
        seat = make_enrolment(
            setup, training_session=world.management_session, employee=world.manager
        )
        make_enrolment(setup, training_session=world.management_session, employee=world.senior)
        setup.commit()
        seat_url = f"/v1/training-sessions/{world.management_session.id}/enrolments/{seat.id}"
        staff_session_id, staff_id = world.staff_session.id, world.staff.id
    finally:
        setup.close()
    # The staff member's enrolment is checked and written, not yet committed: their
    # manager's seat still counts. Meanwhile the manager's seat is cancelled over HTTP.
    first = core_engine.new_session(engine)
    bind_organisation(first, live_tenant.id)
    try:
        org = first.get(Organisation, live_tenant.id)
        assert org is not None
        service.enrol(first, org=org, session_id=staff_session_id, employee_id=staff_id)
        with ThreadPoolExecutor(1) as pool:
            second = pool.submit(
                live_client.patch,
                seat_url,
                headers=live_tenant.write,
                json={"status": "cancelled"},
            )
            waiting = sa.text(
                "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                "AND datname = current_database() AND query ILIKE '%pg_advisory_xact_lock%'"
            )
            with engine.connect() as watch:
                for _ in range(3000):  # until the PATCH waits its turn (or has answered)
                    found = watch.execute(waiting).scalar_one()
                    watch.rollback()  # pg_stat_activity is a snapshot per transaction
                    if second.done() or found:
                        break
                    threading.Event().wait(0.01)
            assert not second.done(), second.result().text
            first.commit()
            answer = second.result(timeout=30)
    finally:
        first.close()
    # It waited, then saw the committed enrolment that rests on the seat: refused.
    refused = assert_problem(answer, 409, "enrolment-refused")
    assert {v["employee_id"] for v in refused["violations"]} == {str(staff_id)}
    assert live_client.get(seat_url, headers=live_tenant.read).json()["status"] == "enrolled"
