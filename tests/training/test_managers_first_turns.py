"""Managers first under concurrent writers (PostgreSQL; SQLite's writers take turns anyway):
an enrolment and a change it rests on (the managers' seats, whom the programme trains) take
turns, so the second checks what the first committed."""

import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import timedelta
from typing import NamedTuple

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session as SQLModelSession
from sqlmodel import select

from app.core import engine as core_engine
from app.core.tenancy import bind_organisation
from app.organisation.models import Organisation
from app.selection.models import (
    PhaseDate,
    PlanScope,
    TrainingPlanCreate,
    TrainingPlanGroup,
    TrainingPlanSchedule,
)
from app.selection.service import create_plan, schedule_plan
from app.training import service
from app.training.models import TrainingSession
from app.training.sessions import take_turns_on_managers_first
from tests.conftest import Tenant
from tests.factories.training import make_enrolment
from tests.helpers import assert_problem, wait_until_waiting, waits_for_lock
from tests.training.conftest import build_world


@pytest.fixture(autouse=True)
def _concurrent_writers(is_postgres: bool) -> None:
    if not is_postgres:
        pytest.skip("concurrent writers need PostgreSQL (SQLite serialises them)")


def test_a_managers_seat_is_not_cancelled_while_their_staff_enrol(
    engine: Engine, live_client: TestClient, live_tenant: Tenant
) -> None:
    ids = _managers_seated(engine, live_tenant)
    # The staff member's enrolment is checked and written, not yet committed: their
    # manager's seat still counts. Meanwhile the manager's seat is cancelled over HTTP.
    refused = _cancel_seat_beside(engine, live_client, live_tenant, ids, _enrolment_of(ids))
    assert refused == {str(ids.staff)}


def test_whom_a_programme_trains_does_not_change_under_an_enrolment(
    engine: Engine, live_client: TestClient, live_tenant: Tenant
) -> None:
    ids = _managers_seated(engine, live_tenant)
    program_url = f"/v1/training-programs/{ids.program}"
    # The first enrolment in the staff programme is written, not yet committed; meanwhile
    # the programme is made a management training over HTTP, as if nobody were enrolled.
    answer = _answer_beside(
        engine,
        live_tenant,
        _enrolment_of(ids),
        lambda: live_client.patch(
            program_url, headers=live_tenant.write, json={"audience": "management"}
        ),
    )
    # It waited, then saw the enrolment: whom the programme trains is fixed.
    assert_problem(answer, 409, "program-audience-fixed")
    assert live_client.get(program_url, headers=live_tenant.read).json()["audience"] == "staff"


def test_cancelling_staff_seats_waits_for_no_turn(
    engine: Engine, live_client: TestClient, live_tenant: Tenant
) -> None:
    # Nobody's managers first rests on a staff session's seats: cancelling one, or an
    # enrolment in it, does not queue behind the organisation's enrolments.
    ids = _managers_seated(engine, live_tenant)
    staff_session = f"/v1/training-sessions/{ids.staff_session}"
    enrolled = live_client.post(
        f"{staff_session}/enrolments",
        headers=live_tenant.write,
        json={"employee_id": str(ids.staff)},
    )
    assert enrolled.status_code == 201, enrolled.text  # seats taken, of a staff programme
    waited, answer = _beside_a_held_turn(
        engine,
        live_tenant,
        lambda: live_client.patch(
            staff_session, headers=live_tenant.write, json={"status": "cancelled"}
        ),
    )
    assert not waited, "the cancellation waited for the managers-first turn"
    assert answer.status_code == 200, answer.text
    assert answer.json()["status"] == "cancelled"


def test_a_catalogue_sync_that_changes_no_audience_waits_for_no_turn(
    engine: Engine, live_client: TestClient, live_tenant: Tenant
) -> None:
    # The nightly catalogue sync names every programme's audience, unchanged: nothing to
    # decide, so it does not queue behind the organisation's enrolments.
    body = {"title": "Leiding", "audience": "staff", "external_id": "TP-S"}
    created = live_client.post("/v1/training-programs", json=body, headers=live_tenant.write)
    assert created.status_code == 201, created.text
    csv = b"external_id;title;audience\nTP-S;Leiding;staff\n"
    waited, answer = _beside_a_held_turn(
        engine, live_tenant, lambda: _import_catalogue(live_client, live_tenant, csv)
    )
    assert not waited, "the import waited for the managers-first turn"
    assert answer.status_code == 200, answer.text


def test_a_managers_seat_is_not_cancelled_while_a_plan_schedules_their_staff(
    engine: Engine, live_client: TestClient, live_tenant: Tenant
) -> None:
    # Scheduling a plan enrols people through the same rules as one enrolment, so it takes
    # the same turn: its staff phase rests on the manager's seat as one enrolment does.
    ids = _managers_seated(engine, live_tenant)

    def schedule(db: SQLModelSession, org: Organisation) -> None:
        ends = db.get(TrainingSession, ids.management_session).ends_at  # type: ignore[union-attr]
        scope = PlanScope(team_id=ids.team)
        plan = create_plan(
            db, data=TrainingPlanCreate(scope=scope, starts_on=ends.date() + timedelta(days=2))
        )
        groups = db.exec(select(TrainingPlanGroup).where(TrainingPlanGroup.plan_id == plan.id))
        assert {g.phase for g in groups} == {2}  # staff only: their managers are seated
        start = ends + timedelta(days=3)
        schedule_plan(db, org=org, plan=plan, data=TrainingPlanSchedule(
            phases=[PhaseDate(phase=2, starts_at=start)]))  # fmt: skip

    assert str(ids.staff) in _cancel_seat_beside(engine, live_client, live_tenant, ids, schedule)


Write = Callable[[SQLModelSession, Organisation], object]


def _enrolment_of(ids: "_Seated") -> Write:
    """The staff member's enrolment in the staff session."""
    return lambda db, org: service.enrol(
        db, org=org, session_id=ids.staff_session, employee_id=ids.staff
    )


def _cancel_seat_beside(
    engine: Engine, client: TestClient, tenant: Tenant, ids: "_Seated", write: Write
) -> set[str]:
    """The staff whose enrolments refuse the cancellation of the manager's seat, sent over
    HTTP while ``write`` is done but not committed: it waited, then saw them (409), and the
    seat is still taken."""
    seat_url = f"/v1/training-sessions/{ids.management_session}/enrolments/{ids.seat}"
    answer = _answer_beside(
        engine,
        tenant,
        write,
        lambda: client.patch(seat_url, headers=tenant.write, json={"status": "cancelled"}),
    )
    refused = assert_problem(answer, 409, "enrolment-refused")
    assert client.get(seat_url, headers=tenant.read).json()["status"] == "enrolled"
    return {v["employee_id"] for v in refused["violations"]}


def _answer_beside(
    engine: Engine,
    tenant: Tenant,
    write: Write,
    request: Callable[[], httpx.Response],
) -> httpx.Response:
    """The answer to ``request``, sent while ``write`` is done but not committed: it
    commits once the request waits for its managers-first turn (and the test fails if the
    request answers without waiting)."""
    first = core_engine.new_session(engine)
    bind_organisation(first, tenant.id)
    try:
        org = first.get(Organisation, tenant.id)
        assert org is not None
        write(first, org)
        with ThreadPoolExecutor(1) as pool:
            second = pool.submit(request)
            wait_until_waiting(engine, second, 1)
            first.commit()
            return second.result(timeout=30)
    finally:
        first.close()


def test_an_import_and_a_patch_of_one_programme_do_not_deadlock(
    engine: Engine, live_client: TestClient, live_tenant: Tenant
) -> None:
    body = {"title": "Leiding", "audience": "staff", "external_id": "TP-D"}
    created = live_client.post("/v1/training-programs", json=body, headers=live_tenant.write)
    assert created.status_code == 201, created.text
    program_url = f"/v1/training-programs/{created.json()['id']}"
    csv = b"external_id;title;audience\nTP-D;Leiding en veiligheid;mixed\n"
    # An enrolment in progress holds the managers-first turn. The import queues for it
    # first, then a PATCH: both change whom the programme trains, so each waits for the turn (the
    # import also for the programme's row, or the PATCH for it). Once the enrolment
    # commits, the import that took the turn before the programme's row would have waited
    # for the PATCH, which held the row and waited for the turn: a deadlock, one 503.
    with _turn_held(engine, live_tenant) as holder, ThreadPoolExecutor(2) as pool:
        imported = pool.submit(_import_catalogue, live_client, live_tenant, csv)
        wait_until_waiting(engine, imported, 1)
        patched = pool.submit(
            live_client.patch,
            program_url,
            headers=live_tenant.write,
            json={"audience": "management"},
        )
        wait_until_waiting(engine, patched, 2)
        holder.commit()
        answers = [imported.result(timeout=30), patched.result(timeout=30)]
    assert [a.status_code for a in answers] == [200, 200], [a.text for a in answers]
    after = live_client.get(program_url, headers=live_tenant.read).json()  # the PATCH came last
    assert (after["title"], after["audience"]) == ("Leiding en veiligheid", "management")


@contextmanager
def _turn_held(engine: Engine, tenant: Tenant) -> Iterator[SQLModelSession]:
    """A transaction holding the organisation's managers-first turn, as an enrolment in
    progress does, until it commits (or the block ends)."""
    holder = core_engine.new_session(engine)
    bind_organisation(holder, tenant.id)
    try:
        take_turns_on_managers_first(holder)
        yield holder
    finally:
        holder.close()


def _beside_a_held_turn(
    engine: Engine, tenant: Tenant, request: Callable[[], httpx.Response]
) -> tuple[bool, httpx.Response]:
    """Whether ``request``, sent while the turn is held elsewhere, waited for a lock, and
    its answer once the turn is given back."""
    with _turn_held(engine, tenant) as holder, ThreadPoolExecutor(1) as pool:
        sent = pool.submit(request)
        waited = waits_for_lock(engine, sent, 1)
        holder.commit()
        return waited, sent.result(timeout=30)


def _import_catalogue(client: TestClient, tenant: Tenant, csv: bytes) -> httpx.Response:
    headers = {**tenant.write, "Content-Type": "text/csv"}
    answer: httpx.Response = client.post(
        "/v1/imports/training-programs", content=csv, headers=headers
    )
    return answer


class _Seated(NamedTuple):
    management_session: uuid.UUID
    seat: uuid.UUID  # the team manager's enrolment in it
    program: uuid.UUID  # the staff programme, nobody enrolled yet
    staff_session: uuid.UUID
    staff: uuid.UUID
    team: uuid.UUID


def _managers_seated(engine: Engine, tenant: Tenant) -> _Seated:
    """A committed world whose managers are enrolled in the management session, so the
    staff member may enrol in the later staff session."""
    setup = core_engine.new_session(engine)
    bind_organisation(setup, tenant.id)
    try:
        org = setup.get(Organisation, tenant.id)
        assert org is not None
        world = build_world(setup, org)
        seat = make_enrolment(
            setup, training_session=world.management_session, employee=world.manager
        )
        make_enrolment(setup, training_session=world.management_session, employee=world.senior)
        setup.commit()
        return _Seated(
            world.management_session.id,
            seat.id,
            world.program.id,
            world.staff_session.id,
            world.staff.id,
            world.team.id,
        )
    finally:
        setup.close()
