"""The rule checks for one enrolment run a bounded number of SQL statements, whatever the
size of the organisation (no N+1 over employees, managers or participants)."""

from sqlalchemy import Engine
from sqlmodel import Session, col, select

from app.organisation.models import Employee, Role
from app.training import rules, service
from tests.factories.core import make_team
from tests.factories.training import make_completion, make_enrolment, make_session
from tests.helpers import count_statements
from tests.training.conftest import World


def grow(db: Session, world: World, size: int) -> None:
    """Grow the organisation to ``size`` employees over teams of 20, each with a manager,
    with a few more senior managers; fill the session with participants."""
    existing = 5
    seniors = [
        Employee(first_name="Directie", last_name=str(i), role=Role.senior_management)
        for i in range(3)
    ]
    db.add_all(seniors)
    db.flush()
    for m in seniors:
        make_completion(db, employee=m, program=world.management)
    n = existing + len(seniors)
    while n < size:
        manager = Employee(first_name="Leiding", last_name=str(n), role=Role.team_manager)
        db.add(manager)
        db.flush()
        team = make_team(db, managers=[manager])
        members = [
            Employee(
                first_name="Medewerker",
                last_name=f"{n}-{i}",
                team_id=team.id,
                function_group_id=world.fg.id,
            )
            for i in range(min(19, size - n - 1))
        ]
        db.add_all(members)
        n += 1 + len(members)
    db.flush()
    for m in (world.senior, world.manager):
        make_completion(db, employee=m, program=world.management)


def statements_for_one_enrolment(db: Session, engine: Engine, world: World) -> tuple[int, int, int]:
    ts = make_session(db, program=world.program, capacity=30)
    for participant in [world.colleague]:
        make_enrolment(db, training_session=ts, employee=participant)
    db.expire_all()
    ts = db.get(type(ts), ts.id)  # type: ignore[assignment]
    staff = db.get(Employee, world.staff.id)
    assert ts is not None and staff is not None
    with count_statements(engine) as checked:
        results = rules.check_enrolment(db, org=world.org, training_session=ts, employee=staff)
    assert results == []
    with count_statements(engine) as dry_run:
        assert service.check(db, org=world.org, session_id=ts.id, employee_id=staff.id).allowed
    with count_statements(engine) as enrolled:
        service.enrol(db, org=world.org, session_id=ts.id, employee_id=staff.id)
    return checked.count, dry_run.count, enrolled.count


def test_bounded_statements_at_100_and_2000_employees(
    db: Session, engine: Engine, world: World
) -> None:
    grow(db, world, 100)
    small = statements_for_one_enrolment(db, engine, world)
    grow(db, world, 2000)
    large = statements_for_one_enrolment(db, engine, world)
    assert small == large
    checked, dry_run, enrolled = large
    # Programme, participants (with their function groups), the employee's function group,
    # responsible managers (senior management and the team's, one query), their
    # completions and bookings (one query), the ready employees (with the protocol version).
    assert checked == 6, checked
    # The dry run finds the session in the identity map (as after the route's dependency)
    # and loads the employee with their function group and the programme in one query.
    assert dry_run == 5, dry_run
    # Enrolling also takes the organisation's managers-first turn on PostgreSQL (one
    # statement; docs/training.md).
    turn = 1 if engine.dialect.name == "postgresql" else 0
    assert enrolled <= dry_run + 6 + turn, enrolled


def test_batch_check_is_bounded_in_the_number_of_employees(
    db: Session, engine: Engine, world: World
) -> None:
    grow(db, world, 400)
    ts = make_session(db, program=world.program, capacity=500)
    db.expire_all()
    staff = list(db.exec(select(Employee).where(col(Employee.role) == Role.employee)))
    # A first call loads the organisation and programme the later ones find in the session.
    rules.check_enrolments(db, org=world.org, training_session=ts, employees=staff[:1])
    with count_statements(engine) as few:
        rules.check_enrolments(db, org=world.org, training_session=ts, employees=staff[:10])
    with count_statements(engine) as many:
        out = rules.check_enrolments(db, org=world.org, training_session=ts, employees=staff)
    assert few.count == many.count
    assert len(out) == len(staff)
