"""Training catalogue, sessions, enrolments, completions and training records."""

import uuid
from collections import defaultdict
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, delete, func, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from app.core.crud import apply_changes, delete_or_conflict, resolve_ref, unknown_reference
from app.core.dates import add_months, day_of
from app.core.errors import Conflict, InvalidInput, NotFound, RuleViolation
from app.core.models import utcnow
from app.core.pagination import PageParams, paginate
from app.core.queries import unique_chunks, where_given, where_range
from app.core.tenancy import current_organisation_id, get_scoped
from app.learning.models import Skill
from app.organisation.models import (
    EXPOSURE_RANK,
    Employee,
    ExposureLevel,
    FunctionGroup,
    Organisation,
    Severity,
)
from app.training import rules
from app.training.deactivation import cancel_future_enrolments as cancel_future_enrolments
from app.training.models import (
    Audience,
    CompletionRecord,
    Enrolment,
    EnrolmentCheck,
    EnrolmentStatus,
    ProgramSkill,
    RefresherDue,
    RuleResult,
    SessionStatus,
    SkillRecord,
    TrainingCompletion,
    TrainingProgram,
    TrainingProgramCreate,
    TrainingProgramPublic,
    TrainingProgramUpdate,
    TrainingRecord,
    TrainingSession,
    TrainingSessionCreate,
    TrainingSessionPublic,
    TrainingSessionUpdate,
    UpcomingEnrolment,
)


def _rowcount(result: Any) -> int:
    return cast(CursorResult[Any], result).rowcount


def _fields(obj: TrainingProgram | TrainingSession) -> dict[str, Any]:
    # Attribute values as loaded (a table model's model_dump would re-serialise enums).
    return {name: getattr(obj, name) for name in type(obj).model_fields}


# --- programmes ----------------------------------------------------------------------------


def skill_ids_by_program(
    session: Session, program_ids: Iterable[uuid.UUID]
) -> dict[uuid.UUID, list[uuid.UUID]]:
    """The skills of many programmes in one query."""
    ids = list(program_ids)
    out: dict[uuid.UUID, list[uuid.UUID]] = defaultdict(list)
    if not ids:
        return out
    rows = session.exec(
        select(col(ProgramSkill.program_id), col(ProgramSkill.skill_id))
        .where(
            col(ProgramSkill.program_id).in_(ids),
            col(ProgramSkill.organisation_id) == current_organisation_id(session),
        )
        .order_by(col(ProgramSkill.program_id), col(ProgramSkill.skill_id))
    )
    for program_id, skill_id in rows:
        out[program_id].append(skill_id)
    return out


def programs_public(
    session: Session, programs: Sequence[TrainingProgram]
) -> list[TrainingProgramPublic]:
    """Programmes with their skills, in two queries whatever the count."""
    skills = skill_ids_by_program(session, (p.id for p in programs))
    return [
        TrainingProgramPublic.model_validate({**_fields(p), "skill_ids": skills.get(p.id, [])})
        for p in programs
    ]


def list_programs(
    session: Session,
    *,
    params: PageParams,
    audience: Audience | None = None,
    active: bool | None = None,
    skill_id: uuid.UUID | None = None,
    external_id: str | None = None,
) -> tuple[Sequence[TrainingProgram], str | None]:
    """The catalogue, filtered by audience, active, a skill it trains or external id."""
    stmt = select(TrainingProgram)
    stmt = where_given(
        stmt, TrainingProgram, audience=audience, active=active, external_id=external_id
    )
    if skill_id is not None:
        stmt = stmt.where(
            col(TrainingProgram.id).in_(
                select(col(ProgramSkill.program_id)).where(col(ProgramSkill.skill_id) == skill_id)
            )
        )
    return paginate(session, stmt, TrainingProgram, params)


def _check_skills(session: Session, skill_ids: Sequence[uuid.UUID]) -> None:
    unique = set(skill_ids)
    if not unique:
        return
    found = set(session.exec(select(col(Skill.id)).where(col(Skill.id).in_(unique))))
    for i, sid in enumerate(skill_ids):
        if sid not in found:
            raise unknown_reference(f"/skill_ids/{i}", "skill", sid)


def _check_exposure_range(low: ExposureLevel, high: ExposureLevel) -> None:
    if EXPOSURE_RANK[low] > EXPOSURE_RANK[high]:
        raise InvalidInput(
            f"min_exposure_level {low} is above max_exposure_level {high}.",
            code="invalid-exposure-range",
            errors=[{"pointer": "/max_exposure_level", "detail": "below min_exposure_level"}],
        )


def _set_skills(session: Session, program: TrainingProgram, skill_ids: Sequence[uuid.UUID]) -> None:
    session.execute(delete(ProgramSkill).where(col(ProgramSkill.program_id) == program.id))
    for sid in dict.fromkeys(skill_ids):
        session.add(
            ProgramSkill(
                program_id=program.id, skill_id=sid, organisation_id=program.organisation_id
            )
        )


def create_program(session: Session, *, data: TrainingProgramCreate) -> TrainingProgram:
    """A new programme in the catalogue; its skills must be the organisation's."""
    _check_exposure_range(data.min_exposure_level, data.max_exposure_level)
    _check_skills(session, data.skill_ids)
    program = TrainingProgram(**data.model_dump(exclude={"skill_ids"}))
    session.add(program)
    session.flush()
    _set_skills(session, program, data.skill_ids)
    session.flush()
    return program


def update_program(
    session: Session, *, program: TrainingProgram, data: TrainingProgramUpdate
) -> TrainingProgram:
    """Change a programme; `skill_ids`, when given, replaces its skills."""
    changes = data.model_dump(exclude_unset=True, exclude={"skill_ids"})
    _check_exposure_range(
        changes.get("min_exposure_level", program.min_exposure_level),
        changes.get("max_exposure_level", program.max_exposure_level),
    )
    apply_changes(program, changes)
    if data.skill_ids is not None:
        _check_skills(session, data.skill_ids)
        _set_skills(session, program, data.skill_ids)
        program.updated_at = utcnow()
    session.flush()
    return program


def delete_program(session: Session, *, program: TrainingProgram) -> None:
    """Delete a programme without sessions or completions (otherwise deactivate it)."""
    delete_or_conflict(
        session,
        program,
        "The programme has sessions or completions; deactivate it (active=false) instead.",
        code="program-has-history",
    )


# --- sessions ------------------------------------------------------------------------------


def session_public(ts: TrainingSession) -> TrainingSessionPublic:
    """The API shape of a session, with the seats left."""
    return TrainingSessionPublic.model_validate(
        {**_fields(ts), "seats_left": max(ts.capacity - ts.enrolled_count, 0)}
    )


def list_sessions(
    session: Session,
    *,
    params: PageParams,
    program_id: uuid.UUID | None = None,
    status: SessionStatus | None = None,
    starts_from: datetime | None = None,
    starts_before: datetime | None = None,
) -> tuple[Sequence[TrainingSession], str | None]:
    """Sessions, filtered by programme, status or start time."""
    stmt = select(TrainingSession)
    stmt = where_given(stmt, TrainingSession, program_id=program_id, status=status)
    stmt = where_range(
        stmt, col(TrainingSession.starts_at), at_least=starts_from, below=starts_before
    )
    return paginate(session, stmt, TrainingSession, params)


def _check_times(starts_at: datetime, ends_at: datetime) -> None:
    if ends_at <= starts_at:
        raise InvalidInput(
            "A session must end after it starts.",
            code="ends-before-start",
            errors=[{"pointer": "/ends_at", "detail": "must be after starts_at"}],
        )


def create_session(session: Session, *, data: TrainingSessionCreate) -> TrainingSession:
    """Schedule a session of an active programme; capacity defaults to its group size."""
    program = resolve_ref(
        session, TrainingProgram, data.program_id, pointer="/program_id", what="training program"
    )
    _check_times(data.starts_at, data.ends_at)
    if not program.active:
        raise Conflict(
            f"'{program.title}' is not active; activate it before scheduling sessions.",
            code="program-inactive",
        )
    ts = TrainingSession(
        **data.model_dump(exclude={"capacity"}),
        capacity=data.capacity or program.max_group_size,
    )
    session.add(ts)
    session.flush()
    return ts


def _require_planned(ts: TrainingSession) -> None:
    if ts.status != SessionStatus.planned:
        raise Conflict(
            f"The session is {ts.status}; it can no longer change.", code="session-closed"
        )


def update_session(
    session: Session, *, training_session: TrainingSession, data: TrainingSessionUpdate
) -> TrainingSession:
    """Change a planned session; `status: cancelled` cancels it with its enrolments."""
    ts = training_session
    changes = data.model_dump(exclude_unset=True, exclude={"status"})
    if changes:
        _require_planned(ts)
        _check_times(changes.get("starts_at", ts.starts_at), changes.get("ends_at", ts.ends_at))
        if changes.get("capacity", ts.capacity) < ts.enrolled_count:
            raise Conflict(
                f"{ts.enrolled_count} employees are enrolled; cancel enrolments before lowering "
                "the capacity below that.",
                code="capacity-below-enrolments",
            )
        apply_changes(ts, changes)
        session.flush()
    if data.status == SessionStatus.cancelled:
        cancel_session(session, training_session=ts)
    return ts


def cancel_session(session: Session, *, training_session: TrainingSession) -> TrainingSession:
    """Cancel a planned session: every enrolment is cancelled and the seats freed."""
    ts = training_session
    if ts.status == SessionStatus.cancelled:
        return ts
    now = utcnow()
    taken = session.execute(
        update(TrainingSession)
        .where(
            col(TrainingSession.id) == ts.id, col(TrainingSession.status) == SessionStatus.planned
        )
        .values(status=SessionStatus.cancelled, enrolled_count=0, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    session.expire(ts)
    if _rowcount(taken) != 1:
        _require_planned(ts)
    session.execute(
        update(Enrolment)
        .where(
            col(Enrolment.session_id) == ts.id, col(Enrolment.status) != EnrolmentStatus.cancelled
        )
        .values(status=EnrolmentStatus.cancelled, updated_at=now)
        .execution_options(synchronize_session="fetch")
    )
    session.flush()
    return ts


def delete_session(session: Session, *, training_session: TrainingSession) -> None:
    """Delete a session that never had enrolments (otherwise cancel it)."""
    delete_or_conflict(
        session,
        training_session,
        "The session has enrolments or completions; cancel it (status=cancelled) instead.",
        code="session-has-history",
    )


def complete_session(
    session: Session, *, session_id: uuid.UUID, completed_on: date | None = None
) -> TrainingSession:
    """Mark a session completed: attendees (enrolled or attended, not no-shows) complete
    the programme, which updates their training record."""
    ts = get_scoped(session, TrainingSession, session_id, name="training session")
    if ts.status == SessionStatus.cancelled:
        raise Conflict("A cancelled session cannot be completed.", code="session-cancelled")
    if ts.status == SessionStatus.completed:
        raise Conflict("The session is already completed.", code="session-already-completed")
    now = utcnow()
    if ts.starts_at > now:
        raise Conflict("The session has not started yet.", code="session-not-started")
    # Calendar days are Dutch days (core/dates.py), also for a session ending near midnight.
    day = completed_on or day_of(ts.ends_at)
    if day < day_of(ts.starts_at) or day > day_of(now):
        raise InvalidInput(
            "completed_on must lie between the session's start and today.",
            code="invalid-completion-date",
            errors=[{"pointer": "/completed_on", "detail": "outside the session or in the future"}],
        )
    done = session.execute(
        update(TrainingSession)
        .where(
            col(TrainingSession.id) == ts.id, col(TrainingSession.status) == SessionStatus.planned
        )
        .values(status=SessionStatus.completed, completed_at=now, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    session.expire(ts)
    if _rowcount(done) != 1:
        raise Conflict("The session was completed or cancelled meanwhile.", code="session-closed")
    attending = (EnrolmentStatus.enrolled, EnrolmentStatus.attended)
    attendees = list(
        session.exec(
            select(col(Enrolment.employee_id)).where(
                col(Enrolment.session_id) == ts.id, col(Enrolment.status).in_(attending)
            )
        )
    )
    session.execute(
        update(Enrolment)
        .where(col(Enrolment.session_id) == ts.id, col(Enrolment.status).in_(attending))
        .values(status=EnrolmentStatus.completed, updated_at=now)
        .execution_options(synchronize_session="fetch")
    )
    session.add_all(
        TrainingCompletion(
            employee_id=employee_id, program_id=ts.program_id, session_id=ts.id, completed_on=day
        )
        for employee_id in attendees
    )
    session.flush()
    return ts


def record_completion(
    session: Session,
    *,
    employee_id: uuid.UUID,
    program_id: uuid.UUID,
    completed_on: date,
    session_id: uuid.UUID | None = None,
) -> TrainingCompletion:
    """Record a completed training outside a session of this service (imported history)."""
    completion = TrainingCompletion(
        employee_id=employee_id,
        program_id=program_id,
        session_id=session_id,
        completed_on=completed_on,
    )
    session.add(completion)
    session.flush()
    return completion


# --- enrolments ----------------------------------------------------------------------------


def list_enrolments(
    session: Session,
    *,
    training_session: TrainingSession,
    params: PageParams,
    status: EnrolmentStatus | None = None,
    employee_id: uuid.UUID | None = None,
) -> tuple[Sequence[Enrolment], str | None]:
    """The enrolments of one session."""
    stmt = select(Enrolment).where(col(Enrolment.session_id) == training_session.id)
    stmt = where_given(stmt, Enrolment, status=status, employee_id=employee_id)
    return paginate(session, stmt, Enrolment, params)


def get_enrolment(
    session: Session, *, training_session: TrainingSession, enrolment_id: uuid.UUID
) -> Enrolment:
    """One enrolment of this session, or 404."""
    enrolment = get_scoped(session, Enrolment, enrolment_id)
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

    def check(self, session: Session, org: Organisation) -> list[RuleResult]:
        return rules.check_enrolment(
            session,
            org=org,
            training_session=self.training_session,
            employee=self.employee,
            program=self.program,
            function_group=self.function_group,
        )


def _subject(session: Session, *, session_id: uuid.UUID, employee_id: uuid.UUID) -> _Subject:
    # The session usually sits in the identity map already (the route's path dependency
    # loaded it). One query then brings the employee, their function group and the
    # session's programme (a one-row join on the programme's id).
    ts = get_scoped(session, TrainingSession, session_id, name="training session")
    row = session.exec(
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
    session: Session, *, org: Organisation, session_id: uuid.UUID, employee_id: uuid.UUID
) -> EnrolmentCheck:
    """Evaluate the enrolment rules for one employee without enrolling (a dry run)."""
    subject = _subject(session, session_id=session_id, employee_id=employee_id)
    ts, employee = subject.training_session, subject.employee
    results = subject.check(session, org)
    errors = rules.errors_of(results)
    return EnrolmentCheck(
        session_id=ts.id,
        employee_id=employee.id,
        allowed=not errors,
        errors=errors,
        warnings=rules.warnings_of(results),
    )


def _take_seat(session: Session, ts: TrainingSession) -> bool:
    # The seat count is raised only while a seat is left, in one statement: of two
    # requests for the last seat the database lets exactly one through (capacity rule).
    taken = session.execute(
        update(TrainingSession)
        .where(
            col(TrainingSession.id) == ts.id,
            col(TrainingSession.status) == SessionStatus.planned,
            col(TrainingSession.enrolled_count) < col(TrainingSession.capacity),
        )
        .values(enrolled_count=col(TrainingSession.enrolled_count) + 1, updated_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    session.expire(ts, ["enrolled_count", "updated_at", "status"])
    return _rowcount(taken) == 1


def _free_seat(session: Session, ts: TrainingSession) -> None:
    session.execute(
        update(TrainingSession)
        .where(col(TrainingSession.id) == ts.id, col(TrainingSession.enrolled_count) > 0)
        .values(enrolled_count=col(TrainingSession.enrolled_count) - 1, updated_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    session.expire(ts, ["enrolled_count", "updated_at"])


def _duplicate(employee: Employee) -> RuleResult:
    return RuleResult(
        rule="duplicate",
        severity=Severity.error,
        message=f"{employee.full_name} is already enrolled in this session.",
    )


def enrol(
    session: Session, *, org: Organisation, session_id: uuid.UUID, employee_id: uuid.UUID
) -> tuple[Enrolment, list[RuleResult]]:
    """Enrol an employee after checking every rule: errors refuse (409
    `enrolment-refused`), warnings are recorded on the enrolment and returned."""
    subject = _subject(session, session_id=session_id, employee_id=employee_id)
    ts, employee = subject.training_session, subject.employee
    results = subject.check(session, org)
    errors = rules.errors_of(results)
    if errors:
        raise _refused(errors)
    warnings = rules.warnings_of(results)
    stored = [w.model_dump(mode="json") for w in warnings]
    cancelled = session.exec(
        select(Enrolment).where(
            col(Enrolment.session_id) == ts.id, col(Enrolment.employee_id) == employee.id
        )
    ).first()
    try:
        # One savepoint: a refused seat or a concurrent duplicate undoes the seat count too.
        with session.begin_nested():
            if not _take_seat(session, ts):
                raise _refused([rules.capacity_violation(ts)])
            if cancelled is None:
                enrolment = Enrolment(session_id=ts.id, employee_id=employee.id, warnings=stored)
                session.add(enrolment)
                session.flush()
            else:
                # Re-enrolling after a cancellation reuses the row (unique per session and
                # employee); guarded so two concurrent re-enrolments cannot both win.
                revived = session.execute(
                    update(Enrolment)
                    .where(
                        col(Enrolment.id) == cancelled.id,
                        col(Enrolment.status) == EnrolmentStatus.cancelled,
                    )
                    .values(status=EnrolmentStatus.enrolled, warnings=stored, updated_at=utcnow())
                    .execution_options(synchronize_session=False)
                )
                if _rowcount(revived) != 1:
                    raise _refused([_duplicate(employee)])
                session.expire(cancelled)
                enrolment = cancelled
    except IntegrityError:
        raise _refused([_duplicate(employee)]) from None
    return enrolment, warnings


def update_enrolment(
    session: Session, *, enrolment: Enrolment, training_session: TrainingSession, status: str
) -> Enrolment:
    """Record attendance or a no-show, or cancel the enrolment (freeing its seat)."""
    ts = training_session
    _require_planned(ts)
    new = EnrolmentStatus(status)
    if enrolment.status == EnrolmentStatus.cancelled:
        if new == EnrolmentStatus.cancelled:
            return enrolment
        raise Conflict(
            "The enrolment is cancelled; enrol the employee again instead.",
            code="enrolment-cancelled",
        )
    if new == EnrolmentStatus.cancelled:
        cancelled = session.execute(
            update(Enrolment)
            .where(
                col(Enrolment.id) == enrolment.id,
                col(Enrolment.status) != EnrolmentStatus.cancelled,
            )
            .values(status=EnrolmentStatus.cancelled, updated_at=utcnow())
            .execution_options(synchronize_session=False)
        )
        session.expire(enrolment)
        if _rowcount(cancelled) == 1:
            _free_seat(session, ts)
        return enrolment
    if ts.starts_at > utcnow():
        raise Conflict(
            "Attendance can be recorded once the session has started.",
            code="session-not-started",
        )
    apply_changes(enrolment, {"status": new})
    session.flush()
    return enrolment


# --- training records: current skills and refreshers ------------------------------------------


@dataclass(frozen=True)
class _ProgramFacts:
    title: str
    refresher_months: int
    skill_ids: tuple[uuid.UUID, ...]


def _program_facts(
    session: Session, program_ids: Iterable[uuid.UUID]
) -> dict[uuid.UUID, _ProgramFacts]:
    ids = set(program_ids)
    if not ids:
        return {}
    # One query: each programme once per skill (once, with NULL, when it has none); the
    # link table is scoped through the programme it joins.
    rows = session.exec(
        select(
            col(TrainingProgram.id),
            col(TrainingProgram.title),
            col(TrainingProgram.refresher_months),
            col(ProgramSkill.skill_id),
        )
        .outerjoin(ProgramSkill, col(ProgramSkill.program_id) == col(TrainingProgram.id))
        .where(col(TrainingProgram.id).in_(ids))
        .order_by(col(TrainingProgram.id), col(ProgramSkill.skill_id))
    ).all()
    programs: dict[uuid.UUID, tuple[str, int]] = {}
    skills: dict[uuid.UUID, list[uuid.UUID]] = defaultdict(list)
    for pid, title, months, skill_id in rows:
        programs[pid] = (title, months)
        if skill_id is not None:
            skills[pid].append(skill_id)
    return {
        pid: _ProgramFacts(title=title, refresher_months=months, skill_ids=tuple(skills[pid]))
        for pid, (title, months) in programs.items()
    }


@dataclass(frozen=True)
class _Latest:
    employee_id: uuid.UUID
    program_id: uuid.UUID
    completed_on: date


def _latest_completions(
    session: Session, employee_ids: Collection[uuid.UUID] | None, *, active_only: bool = False
) -> list[_Latest]:
    """Per employee and programme, the latest completion (one query per 5,000 employees)."""
    base = select(
        col(TrainingCompletion.employee_id),
        col(TrainingCompletion.program_id),
        func.max(col(TrainingCompletion.completed_on)),
    ).group_by(col(TrainingCompletion.employee_id), col(TrainingCompletion.program_id))
    if active_only:
        base = base.join(Employee, col(Employee.id) == col(TrainingCompletion.employee_id)).where(
            col(Employee.active).is_(True)
        )
    stmts = (
        [base]
        if employee_ids is None
        else [
            base.where(col(TrainingCompletion.employee_id).in_(chunk))
            for chunk in unique_chunks(employee_ids)
        ]
    )
    out: list[_Latest] = []
    for stmt in stmts:
        out.extend(_Latest(e, p, d) for e, p, d in session.exec(stmt))
    return out


def current_skills(
    session: Session, *, employee_ids: Collection[uuid.UUID] | None, on: date
) -> dict[uuid.UUID, set[uuid.UUID]]:
    """Per employee, the skills current on ``on``: a completed programme with that skill
    whose ``completed_on + refresher_months`` lies after ``on``. ``None``: everybody.
    Employees without a current skill are absent from the result."""
    latest = _latest_completions(session, employee_ids)
    facts = _program_facts(session, {row.program_id for row in latest})
    out: dict[uuid.UUID, set[uuid.UUID]] = defaultdict(set)
    for row in latest:
        program = facts[row.program_id]
        if add_months(row.completed_on, program.refresher_months) > on:
            out[row.employee_id].update(program.skill_ids)
    return {k: v for k, v in out.items() if v}


@dataclass(frozen=True)
class _Due:
    row: _Latest
    due_on: date
    skill_ids: list[uuid.UUID]  # the skills that lapse with it


def _dues(
    latest: Sequence[_Latest], facts: dict[uuid.UUID, _ProgramFacts], *, horizon: date
) -> list[_Due]:
    """Of these latest completions, those due by ``horizon``, unless a later completion
    keeps all their skills current (plain computation, no queries)."""
    # Per employee and skill: the completion that keeps it current longest owns its lapse.
    owner: dict[tuple[uuid.UUID, uuid.UUID], tuple[date, uuid.UUID]] = {}
    due_on: dict[tuple[uuid.UUID, uuid.UUID], date] = {}
    for row in latest:
        program = facts[row.program_id]
        due = add_months(row.completed_on, program.refresher_months)
        due_on[(row.employee_id, row.program_id)] = due
        for skill_id in program.skill_ids:
            key = (row.employee_id, skill_id)
            if key not in owner or owner[key][0] < due:
                owner[key] = (due, row.program_id)
    lapsing: dict[tuple[uuid.UUID, uuid.UUID], list[uuid.UUID]] = defaultdict(list)
    for (employee_id, skill_id), (due, program_id) in owner.items():
        if due <= horizon:
            lapsing[(employee_id, program_id)].append(skill_id)
    return [
        _Due(
            row=row,
            due_on=due_on[(row.employee_id, row.program_id)],
            skill_ids=sorted(lapsing.get((row.employee_id, row.program_id), [])),
        )
        for row in latest
        if due_on[(row.employee_id, row.program_id)] <= horizon
        and (lapsing.get((row.employee_id, row.program_id)) or not facts[row.program_id].skill_ids)
    ]


def _refresher_items(
    dues: Sequence[_Due],
    facts: dict[uuid.UUID, _ProgramFacts],
    people: dict[uuid.UUID, Employee],
    *,
    on: date,
) -> list[RefresherDue]:
    items = [
        RefresherDue(
            employee_id=d.row.employee_id,
            employee_name=people[d.row.employee_id].full_name,
            team_id=people[d.row.employee_id].team_id,
            program_id=d.row.program_id,
            program_title=facts[d.row.program_id].title,
            completed_on=d.row.completed_on,
            due_on=d.due_on,
            overdue=d.due_on <= on,
            skill_ids=d.skill_ids,
        )
        for d in dues
    ]
    items.sort(key=lambda i: (i.due_on, i.employee_name, i.program_title))
    return items


def refreshers_due(
    session: Session,
    *,
    within_days: int = 90,
    on: date,
    employee_ids: Collection[uuid.UUID] | None = None,
) -> list[RefresherDue]:
    """Completed programmes of active employees due for a refresher by ``on + within_days``
    (overdue ones included), unless a later completion keeps all their skills current."""
    latest = _latest_completions(session, employee_ids, active_only=True)
    if not latest:
        return []
    facts = _program_facts(session, {row.program_id for row in latest})
    dues = _dues(latest, facts, horizon=on + timedelta(days=within_days))
    people = {
        e.id: e
        for chunk in unique_chunks({d.row.employee_id for d in dues})
        for e in session.exec(select(Employee).where(col(Employee.id).in_(chunk)))
    }
    return _refresher_items(dues, facts, people, on=on)


def training_record(session: Session, *, employee: Employee, on: date) -> TrainingRecord:
    """An employee's completed trainings, skills (current or lapsed), refreshers due in
    the next 90 days and upcoming enrolments."""
    completions = session.exec(
        select(TrainingCompletion)
        .where(col(TrainingCompletion.employee_id) == employee.id)
        .order_by(col(TrainingCompletion.completed_on).desc(), col(TrainingCompletion.id))
    ).all()
    facts = _program_facts(session, {c.program_id for c in completions})
    records = []
    skill_state: dict[uuid.UUID, tuple[date, date]] = {}  # skill -> (lapses_on, last completed)
    for c in completions:
        program = facts[c.program_id]
        due = add_months(c.completed_on, program.refresher_months)
        records.append(
            CompletionRecord(
                id=c.id,
                program_id=c.program_id,
                program_title=program.title,
                session_id=c.session_id,
                completed_on=c.completed_on,
                refresher_due_on=due,
                current=due > on,
            )
        )
        for skill_id in program.skill_ids:
            lapses, last = skill_state.get(skill_id, (due, c.completed_on))
            skill_state[skill_id] = (max(lapses, due), max(last, c.completed_on))
    skills = (
        session.exec(select(Skill).where(col(Skill.id).in_(skill_state))).all()
        if skill_state
        else []
    )
    skill_records = sorted(
        (
            SkillRecord(
                skill_id=s.id,
                code=s.code,
                label_nl=s.label_nl,
                current=skill_state[s.id][0] > on,
                lapses_on=skill_state[s.id][0],
                last_completed_on=skill_state[s.id][1],
            )
            for s in skills
        ),
        key=lambda r: r.code,
    )
    # Refreshers due in the next 90 days, from the completions already loaded (as
    # refreshers_due computes them: the latest completion per programme, active employees).
    latest: dict[uuid.UUID, date] = {}
    for c in completions:
        latest[c.program_id] = max(latest.get(c.program_id, c.completed_on), c.completed_on)
    dues = (
        _dues(
            [_Latest(employee.id, pid, day) for pid, day in latest.items()],
            facts,
            horizon=on + timedelta(days=90),
        )
        if employee.active
        else []
    )
    refreshers = _refresher_items(dues, facts, {employee.id: employee}, on=on)
    upcoming_rows = session.exec(
        select(Enrolment, TrainingSession, TrainingProgram)
        .join(TrainingSession, col(TrainingSession.id) == col(Enrolment.session_id))
        .join(TrainingProgram, col(TrainingProgram.id) == col(TrainingSession.program_id))
        .where(
            col(Enrolment.employee_id) == employee.id,
            col(Enrolment.status) != EnrolmentStatus.cancelled,
            col(TrainingSession.status) == SessionStatus.planned,
        )
        .order_by(col(TrainingSession.starts_at))
    ).all()
    return TrainingRecord(
        employee_id=employee.id,
        employee_name=employee.full_name,
        role=employee.role,
        on=on,
        completions=records,
        skills=skill_records,
        refreshers_due=refreshers,
        upcoming=[
            UpcomingEnrolment(
                enrolment_id=e.id,
                session_id=ts.id,
                program_id=p.id,
                program_title=p.title,
                starts_at=ts.starts_at,
                status=e.status,
            )
            for e, ts, p in upcoming_rows
        ],
    )
