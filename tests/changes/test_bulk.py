"""The outbox's bulk path (changes/bulk.py): a long run of rows announced by one statement,
with the states the Python path would write, in order, and never at a derived rule's cost."""

import uuid
from datetime import UTC, date, datetime
from typing import Any

import pytest
import sqlalchemy as sa
from sqlmodel import Session, col

from app.audit.models import AuditAction
from app.audit.trail import Touched
from app.changes import bulk, outbox
from app.core.sqljson import row_json
from app.organisation import service as organisation_service
from app.organisation.models import Employee
from tests.changes.test_events import _events
from tests.conftest import Tenant
from tests.factories.core import make_employee, make_team
from tests.factories.policy import make_acknowledgement, make_protocol
from tests.factories.training import make_completion, make_program
from tests.helpers import count_statements

RUN = bulk.BULK_ROWS + 5

# Values the database's JSON and Python's could write differently.
_AWKWARD: list[dict[str, Any]] = [
    {"first_name": 'O\'Brien "Bob"', "name_particle": None, "email": None},
    {"first_name": "Zoë 😀", "name_particle": "van der", "active": False},
    {"first_name": "back\\slash\nnewline\ttab", "ended_on": date(2026, 2, 28)},
    {"first_name": "Ω", "started_on": date(1999, 12, 31)},
    # A whole second: pydantic leaves the fraction out, and so must the database.
    {"erased_at": datetime(2026, 1, 1, 12, 0, tzinfo=UTC)},
    {"erased_at": datetime(2026, 1, 1, 12, 0, 0, 1, tzinfo=UTC)},
]


def _python_states(db: Session, tenant: Tenant, ids: list[uuid.UUID]) -> list[Any]:
    """The states the outbox's Python path writes for these employees."""
    changes = [outbox.Change(("employee", i), Touched(tenant.id, AuditAction.update)) for i in ids]
    outbox._load_states(db.connection(), changes)
    return [c.state for c in changes]


def _change_event_inserts(statements: list[str]) -> list[str]:
    return [s for s in statements if s.lstrip().upper().startswith("INSERT INTO CHANGE_EVENT")]


def test_a_long_run_is_announced_by_one_statement_with_the_states_python_writes(
    db: Session, tenant: Tenant
) -> None:
    team = make_team(db, name="Noord")
    _, cursor = _events(db, tenant)
    people = [
        make_employee(db, team_id=team.id if n % 2 else None, **_AWKWARD[n % len(_AWKWARD)])
        for n in range(RUN)
    ]
    with count_statements(db.get_bind()) as counter:  # type: ignore[arg-type]
        events, _ = _events(db, tenant, cursor)
    # One statement for the run: no states read back, no row bound per event.
    (insert,) = _change_event_inserts(counter.statements)
    assert "SELECT" in insert.upper()
    assert not [s for s in counter.statements if "FROM employee" in s and "IN (" in s]
    ids = [p.id for p in people]
    assert [e.type for e in events] == ["employee.created"] * RUN
    # In the order of the changes, each event id after the one before.
    assert [e.resource_id for e in events] == ids
    assert [e.id for e in events] == sorted(e.id for e in events)
    assert [e.external_id for e in events] == [p.external_id for p in people]
    assert [e.data for e in events] == _python_states(db, tenant, ids)
    # Keys in the Python path's order too, for readers who keep the JSON as it is.
    assert [list(e.data) for e in events] == [list(s) for s in _python_states(db, tenant, ids)]


def test_a_short_run_takes_the_python_path(db: Session, tenant: Tenant) -> None:
    _, cursor = _events(db, tenant)
    people = [make_employee(db) for _ in range(bulk.BULK_ROWS - 1)]
    with count_statements(db.get_bind()) as counter:  # type: ignore[arg-type]
        events, _ = _events(db, tenant, cursor)
    (insert,) = _change_event_inserts(counter.statements)
    assert "SELECT" not in insert.upper()
    assert [e.data for e in events] == _python_states(db, tenant, [p.id for p in people])


def test_a_run_with_a_row_gone_keeps_its_tombstone(db: Session, tenant: Tenant) -> None:
    people = [make_employee(db) for _ in range(RUN)]
    _, cursor = _events(db, tenant)
    everyone = col(Employee.id).in_([p.id for p in people])
    db.exec(sa.update(Employee).where(everyone).values(last_name="Bakker"))  # type: ignore[call-overload]
    leaver = people[RUN // 2]
    organisation_service.delete_employee(db, employee=leaver)
    events, _ = _events(db, tenant, cursor)
    by_row = {e.resource_id: (e.type, e.external_id) for e in events}
    assert len(events) == RUN
    assert by_row.pop(leaver.id) == ("employee.deleted", leaver.external_id)
    assert {t for t, _ in by_row.values()} == {"employee.updated"}
    # Its tombstone stands where its change does: between the others' events.
    assert 0 < [e.resource_id for e in events].index(leaver.id) < RUN - 1


def test_a_long_run_of_completions_still_changes_the_training_records(
    db: Session, tenant: Tenant
) -> None:
    # The derived rule reads each completion's employee from its state.
    people = [make_employee(db) for _ in range(RUN)]
    program = make_program(db)
    _, cursor = _events(db, tenant)
    for person in people:
        make_completion(db, employee=person, program=program)
    events, _ = _events(db, tenant, cursor)
    records = [e.resource_id for e in events if e.type == "employee.training_record_changed"]
    assert records == [p.id for p in people]


def test_a_long_run_of_acknowledgements_is_judged_again_for_readiness(
    db: Session, tenant: Tenant
) -> None:
    # The readiness rule reads each acknowledgement's employee from its state.
    people = [make_employee(db) for _ in range(RUN)]
    protocol = make_protocol(db, publish=True)
    _, cursor = _events(db, tenant)
    for person in people:
        make_acknowledgement(db, protocol=protocol, employee=person)
    events, _ = _events(db, tenant, cursor)
    changed = [e for e in events if e.type == "employee.readiness_changed"]
    assert sorted(e.resource_id for e in changed) == sorted(p.id for p in people)
    assert {e.data["protocol_ready"] for e in changed if e.data} == {True}


@pytest.mark.parametrize("dialect", ["sqlite", "postgresql"])
def test_columns_the_database_would_write_otherwise_are_refused(dialect: str) -> None:
    program, plan = (
        sa.Table(name, sa.MetaData(), sa.Column("id", sa.Integer), sa.Column("x", kind))
        for name, kind in (("program", sa.Float()), ("plan", sa.JSON()))
    )
    with pytest.raises(TypeError, match="float"):
        row_json(dialect, program, ["id", "x"])
    with pytest.raises(TypeError):
        row_json(dialect, plan, ["id", "x"])

    class Shouting(sa.types.TypeDecorator[str]):
        # Changes values on the way out: the database's text would not be what Python reads.
        impl = sa.String()
        cache_ok = True

        def process_result_value(self, value: str | None, dialect: Any) -> str | None:
            return value.upper() if value else value

    loud = sa.Table("loud", sa.MetaData(), sa.Column("id", sa.Integer), sa.Column("x", Shouting()))
    with pytest.raises(TypeError):
        row_json(dialect, loud, ["id", "x"])
    for table_name, announced_in_bulk in (("training_program", False), ("employee", True)):
        columns = outbox.public_columns(table_name)
        assert bulk.supported(dialect, table_name, columns) is announced_in_bulk
