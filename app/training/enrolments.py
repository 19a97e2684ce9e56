"""Enrolments: the enrolment rules' verdict, seats and status changes."""

import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from app.core.crud import (
    apply_changes,
)
from app.core.errors import Conflict, NotFound, RuleViolation
from app.core.listing import ListFilters, Listing
from app.core.models import bulk_update, utcnow
from app.core.queries import rowcount
from app.core.tenancy import get_scoped
from app.organisation.models import (
    Employee,
    FunctionGroup,
    Organisation,
    Severity,
)
from app.training import rules
from app.training.deactivation import cancel_future_enrolments as cancel_future_enrolments
from app.training.models import (
    Enrolment,
    EnrolmentCheck,
    EnrolmentPublic,
    EnrolmentStatus,
    RuleResult,
    SessionStatus,
    TrainingProgram,
    TrainingSession,
)
from app.training.sessions import (
    keep_managers_first,
    relying_sessions,
    require_planned,
    take_turns_on_managers_first,
)


class EnrolmentFilters(ListFilters):
    status: EnrolmentStatus | None = None
    employee_id: uuid.UUID | None = None


ENROLMENT_LIST = Listing(
    model=Enrolment,
    filters=EnrolmentFilters,
    public=EnrolmentPublic,
    doc="The enrolments of a session; filter by status or employee.",
)


def get_enrolment(
    db: Session, *, training_session: TrainingSession, enrolment_id: uuid.UUID
) -> Enrolment:
    """One enrolment of this session, or 404."""
    enrolment = get_scoped(db, Enrolment, enrolment_id)
    if enrolment.session_id != training_session.id:
        raise NotFound(resource="enrolment", id_=enrolment_id)
    return enrolment


def _refused(violations: Sequence[RuleResult]) -> RuleViolation:
    names = ", ".join(dict.fromkeys(v.rule for v in violations))
    return RuleViolation(
        f"The enrolment was refused by: {names}.",
        code="enrolment-refused",
        violations=[v.model_dump(mode="json") for v in violations],
    )


@dataclass(frozen=True)
class _Subject:
    """Who is checked for which session, loaded for the rules."""

    training_session: TrainingSession
    program: TrainingProgram
    employee: Employee
    function_group: FunctionGroup | None

    def check(self, db: Session, org: Organisation) -> list[RuleResult]:
        return rules.check_enrolment(
            db,
            org=org,
            training_session=self.training_session,
            employee=self.employee,
            program=self.program,
            function_group=self.function_group,
        )


def _subject(db: Session, *, session_id: uuid.UUID, employee_id: uuid.UUID) -> _Subject:
    # The session usually sits in the identity map already (the route's path dependency
    # loaded it). One query then brings the employee, their function group and the
    # session's programme (a one-row join on the programme's id).
    ts = get_scoped(db, TrainingSession, session_id, name="training session")
    row = db.exec(
        select(Employee, FunctionGroup, TrainingProgram)
        .outerjoin(FunctionGroup, col(FunctionGroup.id) == col(Employee.function_group_id))
        .join(TrainingProgram, col(TrainingProgram.id) == ts.program_id)
        .where(col(Employee.id) == employee_id)
    ).first()
    if row is None:
        raise NotFound(resource=Employee.__tablename__, id_=employee_id)
    employee, function_group, program = row
    return _Subject(
        training_session=ts, program=program, employee=employee, function_group=function_group
    )


def check(
    db: Session, *, org: Organisation, session_id: uuid.UUID, employee_id: uuid.UUID
) -> EnrolmentCheck:
    """Evaluate the enrolment rules for one employee without enrolling (a dry run)."""
    subject = _subject(db, session_id=session_id, employee_id=employee_id)
    ts, employee = subject.training_session, subject.employee
    results = subject.check(db, org)
    errors = rules.errors_of(results)
    return EnrolmentCheck(
        session_id=ts.id,
        employee_id=employee.id,
        allowed=not errors,
        errors=errors,
        warnings=rules.warnings_of(results),
    )


def _take_seat(db: Session, ts: TrainingSession) -> bool:
    # The seat count is raised only while a seat is left, in one statement: of two
    # requests for the last seat the database lets exactly one through (capacity rule).
    taken = db.execute(
        bulk_update(TrainingSession)
        .where(
            col(TrainingSession.id) == ts.id,
            col(TrainingSession.status) == SessionStatus.planned,
            col(TrainingSession.enrolled_count) < col(TrainingSession.capacity),
        )
        .values(enrolled_count=col(TrainingSession.enrolled_count) + 1)
        .execution_options(synchronize_session=False)
    )
    db.expire(ts, ["enrolled_count", "updated_at", "status"])
    return rowcount(taken) == 1


def _free_seat(db: Session, ts: TrainingSession) -> None:
    db.execute(
        bulk_update(TrainingSession)
        .where(col(TrainingSession.id) == ts.id, col(TrainingSession.enrolled_count) > 0)
        .values(enrolled_count=col(TrainingSession.enrolled_count) - 1)
        .execution_options(synchronize_session=False)
    )
    db.expire(ts, ["enrolled_count", "updated_at"])


def _duplicate(employee: Employee) -> RuleResult:
    return RuleResult(
        rule="duplicate",
        severity=Severity.error,
        message=f"{employee.full_name} is already enrolled in this session.",
    )


def enrol(
    db: Session, *, org: Organisation, session_id: uuid.UUID, employee_id: uuid.UUID
) -> tuple[Enrolment, list[RuleResult]]:
    """Enrol an employee after checking every rule: errors refuse (409
    `enrolment-refused`), warnings are recorded on the enrolment and returned."""
    take_turns_on_managers_first(db)
    subject = _subject(db, session_id=session_id, employee_id=employee_id)
    ts, employee = subject.training_session, subject.employee
    results = subject.check(db, org)
    errors = rules.errors_of(results)
    if errors:
        raise _refused(errors)
    warnings = rules.warnings_of(results)
    stored = [w.model_dump(mode="json") for w in warnings]
    cancelled = db.exec(
        select(Enrolment).where(
            col(Enrolment.session_id) == ts.id, col(Enrolment.employee_id) == employee.id
        )
    ).first()
    try:
        # One savepoint: a refused seat or a concurrent duplicate undoes the seat count too.
        with db.begin_nested():
            if not _take_seat(db, ts):
                raise _refused([rules.capacity_violation(ts)])
            if cancelled is None:
                enrolment = Enrolment(session_id=ts.id, employee_id=employee.id, warnings=stored)
                db.add(enrolment)
                db.flush()
            else:
                # Re-enrolling after a cancellation reuses the row (unique per session and
                # employee); guarded so two concurrent re-enrolments cannot both win.
                revived = db.execute(
                    bulk_update(Enrolment)
                    .where(
                        col(Enrolment.id) == cancelled.id,
                        col(Enrolment.status) == EnrolmentStatus.cancelled,
                    )
                    .values(status=EnrolmentStatus.enrolled, warnings=stored)
                    .execution_options(synchronize_session=False)
                )
                if rowcount(revived) != 1:
                    raise _refused([_duplicate(employee)])
                db.expire(cancelled)
                enrolment = cancelled
    except IntegrityError:
        raise _refused([_duplicate(employee)]) from None
    return enrolment, warnings


def _cancel(db: Session, enrolment: Enrolment, ts: TrainingSession) -> None:
    cancelled = db.execute(
        bulk_update(Enrolment)
        .where(
            col(Enrolment.id) == enrolment.id,
            col(Enrolment.status) != EnrolmentStatus.cancelled,
        )
        .values(status=EnrolmentStatus.cancelled)
        .execution_options(synchronize_session=False)
    )
    db.expire(enrolment)
    if rowcount(cancelled) == 1:
        _free_seat(db, ts)


def update_enrolment(
    db: Session, *, enrolment: Enrolment, training_session: TrainingSession, status: str
) -> Enrolment:
    """Record attendance or a no-show, or cancel the enrolment (freeing its seat)."""
    ts = training_session
    require_planned(ts)
    new = EnrolmentStatus(status)
    if enrolment.status == EnrolmentStatus.cancelled:
        if new == EnrolmentStatus.cancelled:
            return enrolment
        raise Conflict(
            "The enrolment is cancelled; enrol the employee again instead.",
            code="enrolment-cancelled",
        )
    if new == EnrolmentStatus.cancelled:
        # A manager's seat in a management session may be what their staff's later
        # enrolments rest on (managers first, seed step 4).
        keep_managers_first(
            db,
            lambda: relying_sessions(db, ts, managers=[enrolment.employee_id]),
            change=lambda: _cancel(db, enrolment, ts),
            what=lambda s: f"Cancelling this enrolment (session {s.id} starts after it)",
            seats_of=ts,
        )
        return enrolment
    if ts.starts_at > utcnow():
        raise Conflict(
            "Attendance can be recorded once the session has started.",
            code="session-not-started",
        )
    apply_changes(enrolment, {"status": new})
    db.flush()
    return enrolment
