"""Current skills, refreshers due and the refresher arithmetic."""

from datetime import date, timedelta

from sqlalchemy import Engine
from sqlmodel import Session

from app.core.dates import add_months
from app.learning import service as learning_service
from app.training import service
from tests.factories.core import make_employee
from tests.factories.training import make_completion, make_program
from tests.helpers import count_statements
from tests.training.conftest import World


def test_add_months_clamps_to_month_end() -> None:
    assert add_months(date(2025, 1, 31), 1) == date(2025, 2, 28)
    assert add_months(date(2024, 2, 29), 12) == date(2025, 2, 28)
    assert add_months(date(2025, 11, 15), 24) == date(2027, 11, 15)


def test_current_skills_follow_refresher_months(db: Session, world: World) -> None:
    codes = learning_service.skill_ids_by_code(db)
    physical = make_program(db, skills=("tension_control",), refresher_months=12)
    make_completion(db, employee=world.staff, program=world.program, completed_on=date(2025, 3, 1))
    make_completion(db, employee=world.staff, program=physical, completed_on=date(2025, 3, 1))
    on_time = service.current_skills(db, employee_ids=[world.staff.id], on=date(2026, 2, 28))
    assert on_time[world.staff.id] == {
        codes["deescalation"],
        codes["redirecting_emotion"],
        codes["tension_control"],
    }
    # completed_on + refresher_months must lie after the day: on that day it has lapsed.
    lapsed = service.current_skills(db, employee_ids=[world.staff.id], on=date(2026, 3, 1))
    assert lapsed[world.staff.id] == {codes["deescalation"], codes["redirecting_emotion"]}
    everyone = service.current_skills(db, employee_ids=None, on=date(2027, 3, 1))
    assert everyone == {}


def test_latest_completion_counts(db: Session, world: World) -> None:
    make_completion(db, employee=world.staff, program=world.program, completed_on=date(2020, 1, 1))
    make_completion(db, employee=world.staff, program=world.program, completed_on=date(2025, 1, 1))
    assert world.staff.id in service.current_skills(
        db, employee_ids=[world.staff.id], on=date(2026, 1, 1)
    )


def test_on_a_day_in_the_past_a_training_done_since_counts_for_nothing(
    db: Session, world: World
) -> None:
    # The record as it stood that day: no skill is current before its training, and a
    # lapse then is not undone by the refresher taken years later.
    first, refresher = date(2020, 1, 1), date(2025, 1, 1)
    for day in (first, refresher):
        make_completion(db, employee=world.staff, program=world.program, completed_on=day)
    lapsed_on = add_months(first, world.program.refresher_months)
    assert lapsed_on < refresher
    staff = [world.staff.id]
    for before in (first - timedelta(days=1), lapsed_on + timedelta(days=30)):
        assert service.current_skills(db, employee_ids=staff, on=before) == {}
        assert service.skills_current_until(db, employee_ids=staff, on=before) == {}
        record = service.training_record(db, employee=world.staff, on=before)
        assert not any(s.current for s in record.skills)
        assert refresher not in {c.completed_on for c in record.completions}
    then = lapsed_on + timedelta(days=30)
    due = service.refreshers_due(db, within_days=0, on=then, employee_ids=staff)
    assert [(d.employee_id, d.due_on) for d in due] == [(world.staff.id, lapsed_on)]
    assert world.staff.id in service.current_skills(db, employee_ids=staff, on=refresher)


def test_refreshers_due_within_window_and_overdue(db: Session, world: World) -> None:
    on = date(2026, 6, 1)
    make_completion(db, employee=world.staff, program=world.program, completed_on=date(2024, 7, 1))
    make_completion(
        db, employee=world.colleague, program=world.program, completed_on=date(2024, 5, 1)
    )
    late = make_employee(db)
    make_completion(db, employee=late, program=world.program, completed_on=date(2024, 10, 1))
    due = service.refreshers_due(db, within_days=90, on=on)
    assert [(d.employee_id, d.due_on, d.overdue) for d in due] == [
        (world.colleague.id, date(2026, 5, 1), True),
        (world.staff.id, date(2026, 7, 1), False),
    ]
    assert set(due[0].skill_ids) == set(
        service.skill_ids_by_program(db, [world.program.id])[world.program.id]
    )


def test_a_later_refresher_programme_keeps_the_skills_current(db: Session, world: World) -> None:
    refresher = make_program(
        db, title="Opfrisser de-escalatie", skills=("deescalation", "redirecting_emotion")
    )
    make_completion(db, employee=world.staff, program=world.program, completed_on=date(2024, 7, 1))
    make_completion(db, employee=world.staff, program=refresher, completed_on=date(2026, 5, 1))
    assert service.refreshers_due(db, within_days=90, on=date(2026, 6, 1)) == []


def test_a_later_programme_covering_some_skills_leaves_the_others_lapsing(
    db: Session, world: World
) -> None:
    # The earlier programme is still due, but only with the skill no later completion
    # keeps current; another employee's completions do not count for this one.
    codes = learning_service.skill_ids_by_code(db)
    partial = make_program(db, title="Opfrisser de-escalatie", skills=("deescalation",))
    make_completion(db, employee=world.staff, program=world.program, completed_on=date(2024, 7, 1))
    make_completion(db, employee=world.staff, program=partial, completed_on=date(2026, 5, 1))
    make_completion(
        db, employee=world.colleague, program=world.program, completed_on=date(2024, 7, 1)
    )
    due = service.refreshers_due(db, within_days=90, on=date(2026, 6, 1))
    assert {d.employee_id: d.skill_ids for d in due} == {
        world.staff.id: [codes["redirecting_emotion"]],
        world.colleague.id: sorted([codes["deescalation"], codes["redirecting_emotion"]]),
    }


def test_inactive_employees_are_not_due(db: Session, world: World) -> None:
    make_completion(db, employee=world.staff, program=world.program, completed_on=date(2024, 7, 1))
    world.staff.active = False
    db.flush()
    assert service.refreshers_due(db, within_days=90, on=date(2026, 6, 1)) == []


def test_the_record_lists_the_refreshers_due_exactly_as_the_report(
    db: Session, world: World
) -> None:
    """The record computes an employee's refreshers from the completions it loaded; the
    report from the database. Both must agree: due, overdue, kept current, inactive."""
    on = date(2026, 6, 1)
    refresher = make_program(
        db, title="Opfrisser de-escalatie", skills=("deescalation", "redirecting_emotion")
    )
    other = make_program(db, title="Zonder vaardigheden", skills=(), refresher_months=12)
    make_completion(db, employee=world.staff, program=world.program, completed_on=date(2024, 7, 1))
    make_completion(db, employee=world.staff, program=other, completed_on=date(2025, 3, 1))
    make_completion(db, employee=world.staff, program=other, completed_on=date(2024, 3, 1))
    make_completion(
        db, employee=world.colleague, program=world.program, completed_on=date(2024, 5, 1)
    )
    make_completion(db, employee=world.colleague, program=refresher, completed_on=date(2026, 5, 1))
    inactive = make_employee(db, active=False)
    make_completion(db, employee=inactive, program=world.program, completed_on=date(2024, 5, 1))
    for emp in (world.staff, world.colleague, inactive):
        expected = service.refreshers_due(db, within_days=90, on=on, employee_ids=[emp.id])
        assert service.training_record(db, employee=emp, on=on).refreshers_due == expected
    record = service.training_record(db, employee=world.staff, on=on)
    assert [d.program_id for d in record.refreshers_due] == [other.id, world.program.id]


def test_the_record_takes_four_queries_whatever_the_history(
    db: Session, engine: Engine, world: World
) -> None:
    programs = [make_program(db, title=f"Programma {i}") for i in range(5)]
    for i, program in enumerate(programs):
        day = date(2025, 1, i + 1)
        make_completion(db, employee=world.staff, program=program, completed_on=day)
    # Completions, programmes with their skills, the skills, upcoming enrolments.
    with count_statements(engine) as few:
        service.training_record(db, employee=world.colleague, on=date(2026, 6, 1))
    with count_statements(engine) as many:
        record = service.training_record(db, employee=world.staff, on=date(2026, 6, 1))
    assert len(record.completions) == 5
    assert many.count == 4 and few.count <= many.count


def test_the_record_lists_refreshers_due_within_90_days(db: Session, world: World) -> None:
    """Issue 5: the record lists the refreshers due in the next 90 days, not later ones."""
    make_completion(db, employee=world.staff, program=world.program, completed_on=date(2024, 7, 1))
    due = add_months(date(2024, 7, 1), world.program.refresher_months)
    inside = service.training_record(db, employee=world.staff, on=due - timedelta(days=89))
    outside = service.training_record(db, employee=world.staff, on=due - timedelta(days=91))
    assert [d.due_on for d in inside.refreshers_due] == [due]
    assert outside.refreshers_due == []
