"""Training sessions: planning, changes, cancellation and completion."""

import uuid
from collections.abc import Callable, Sequence
from datetime import date, datetime
from typing import Any

from sqlmodel import Session, col, or_, select

from app.core.crud import (
    apply_changes,
    delete_or_conflict,
    loaded_fields,
    resolve_ref,
)
from app.core.dates import day_of
from app.core.errors import Conflict, InvalidInput, RuleViolation
from app.core.models import bulk_update, utcnow
from app.core.pagination import PageEnd, PageParams, paginate
from app.core.queries import rowcount, where_given, where_range
from app.core.roles import evidence_beyond_reach
from app.core.tenancy import current_organisation_id, get_scoped, take_turn
from app.organisation.models import Employee, Organisation, Role, TeamManager
from app.training import evaluations, readiness, reflections, rules
from app.training.deactivation import cancel_future_enrolments as cancel_future_enrolments
from app.training.models import (
    TRAINING_ENROLMENT,
    Audience,
    Enrolment,
    EnrolmentStatus,
    RuleResult,
    SessionStatus,
    TrainingCompletion,
    TrainingProgram,
    TrainingSession,
    TrainingSessionCreate,
    TrainingSessionPublic,
    TrainingSessionUpdate,
)


def session_public(ts: TrainingSession) -> TrainingSessionPublic:
    """The API shape of a session, with the seats left."""
    return TrainingSessionPublic.model_validate(
        {**loaded_fields(ts), "seats_left": max(ts.capacity - ts.enrolled_count, 0)}
    )


def list_sessions(
    db: Session,
    *,
    params: PageParams,
    program_id: uuid.UUID | None = None,
    status: SessionStatus | None = None,
    starts_from: datetime | None = None,
    starts_to: datetime | None = None,
    starts_before: datetime | None = None,
) -> tuple[Sequence[TrainingSession], PageEnd]:
    """Sessions, filtered by programme, status or start time."""
    stmt = select(TrainingSession)
    stmt = where_given(stmt, TrainingSession, program_id=program_id, status=status)
    stmt = where_range(
        stmt,
        col(TrainingSession.starts_at),
        at_least=starts_from,
        at_most=starts_to,
        below=starts_before,
    )
    return paginate(db, stmt, TrainingSession, params)


def _check_times(starts_at: datetime, ends_at: datetime) -> None:
    if ends_at <= starts_at:
        raise InvalidInput(
            "A session must end after it starts.",
            code="ends-before-start",
            errors=[{"pointer": "/ends_at", "detail": "must be after starts_at"}],
        )


def create_session(db: Session, *, data: TrainingSessionCreate) -> TrainingSession:
    """Schedule a session of an active programme; capacity defaults to its group size."""
    program = resolve_ref(
        db, TrainingProgram, data.program_id, pointer="/program_id", what="training program"
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
    db.add(ts)
    db.flush()
    return ts


def require_planned(ts: TrainingSession) -> None:
    if ts.status != SessionStatus.planned:
        raise Conflict(
            f"The session is {ts.status}; it can no longer change.", code="session-closed"
        )


def update_session(
    db: Session, *, training_session: TrainingSession, data: TrainingSessionUpdate
) -> TrainingSession:
    """Change a planned session; `status: cancelled` cancels it with its enrolments."""
    ts = training_session
    changes = data.model_dump(exclude_unset=True, exclude={"status"})
    if changes:
        require_planned(ts)
        _check_times(changes.get("starts_at", ts.starts_at), changes.get("ends_at", ts.ends_at))
        if changes.get("capacity", ts.capacity) < ts.enrolled_count:
            raise Conflict(
                f"{ts.enrolled_count} employees are enrolled; cancel enrolments before lowering "
                "the capacity below that.",
                code="capacity-below-enrolments",
            )
        # Managers first (seed step 4) depends on when sessions start and end: re-check
        # whoever a move could put before their managers.
        earlier = "starts_at" in changes and changes["starts_at"] < ts.starts_at
        ends_at = changes.get("ends_at", ts.ends_at)
        if earlier or ends_at > ts.ends_at:
            keep_managers_first(
                db,
                lambda: ([ts] if earlier else []) + relying_sessions(db, ts, ends_at=ends_at),
                change=lambda: apply_changes(ts, changes),
                what=lambda s: (
                    "Starting earlier" if s is ts else f"Ending later (after session {s.id} starts)"
                ),
            )
        else:  # nobody can come before their managers: no turn to take, nothing to check
            apply_changes(ts, changes)
            db.flush()
    if data.status == SessionStatus.cancelled:
        cancel_session(db, training_session=ts)
    return ts


def keep_managers_first(
    db: Session,
    affected: Callable[[], list[TrainingSession]],
    *,
    change: Callable[[], object],
    what: Callable[[TrainingSession], str],
    seats_of: TrainingSession | None = None,
) -> None:
    """Make ``change`` and refuse it (409 ``enrolment-refused``) if it breaks a rule, such
    as managers first (seed step 4), for anyone enrolled in the ``affected`` sessions;
    ``what`` names the change for the session it would break. Which sessions are affected
    is read in the organisation's managers-first turn: an enrolment committed just before
    counts.

    ``seats_of``: the change only takes seats of this session away (a cancellation). When
    they are no managers' seats (``holds_managers_seats``), nobody's rule rests on them and
    the change is made without the turn, so cancelling a staff session or enrolment does
    not wait for every enrolment of the organisation."""
    if seats_of is not None and not holds_managers_seats(db, seats_of):
        change()
        db.flush()
        return
    take_turns_on_managers_first(db)
    sessions = affected()
    before = {s.id: _refusals(db, s) for s in sessions}
    change()
    db.flush()
    for s in sessions:
        _refuse_new_refusals(before[s.id], _refusals(db, s), what=what(s), affected=s)


def take_turns_on_managers_first(db: Session) -> None:
    """Hold the organisation's managers-first turn until the transaction ends (PostgreSQL).

    An enrolment is checked against the managers' seats as they are, and a change of those
    seats (a cancellation, a move) against the enrolments as they are: run side by side on
    PostgreSQL, neither sees the other's uncommitted row, both pass and a member of staff
    ends up trained before their manager. Both take this turn before they check, so the
    second checks what the first committed (``take_turn``: an advisory lock, since an
    organisation row lock would hold up every insert's foreign-key check).
    """
    take_turn(db, "managers-first")


def _refusals(db: Session, ts: TrainingSession) -> dict[uuid.UUID, list[RuleResult]]:
    """The refusing rule results of the session's participants at its current start."""
    people = list(
        db.exec(
            select(Employee)
            .join(Enrolment, col(Enrolment.employee_id) == col(Employee.id))
            .where(
                col(Enrolment.session_id) == ts.id,
                col(Enrolment.status).in_(TRAINING_ENROLMENT),
            )
        )
    )
    if not people:
        return {}
    org = db.get(Organisation, current_organisation_id(db))
    assert org is not None
    found = rules.check_enrolments(db, org=org, training_session=ts, employees=people)
    return {who: rules.errors_of(results) for who, results in found.items()}


def holds_managers_seats(db: Session, ts: TrainingSession) -> bool:
    """Whether ``ts`` has seats that managers first can count: a session of a management
    programme (rules.management_status) with someone enrolled.

    Read without the managers-first turn, it stays true for the caller's transaction: the
    caller holds the session's row, which every enrolment in it locks first, and whom a
    programme with enrolments trains is fixed (``programs_in_use``)."""
    if not ts.enrolled_count:
        return False
    program = db.get(TrainingProgram, ts.program_id)
    assert program is not None
    return program.audience == Audience.management


def relying_sessions(
    db: Session,
    ts: TrainingSession,
    *,
    ends_at: datetime | None = None,
    managers: Sequence[uuid.UUID] | None = None,
) -> list[TrainingSession]:
    """The other planned sessions with participants whose rules may rest on ``ts``, a
    management session, ending before they start, and which would start before its new
    ``ends_at`` (None: it no longer takes place for someone, a cancellation): moving,
    ending later or cancelling it may put their staff before their managers.

    Only sessions with someone who relies on ``managers`` (default: all of ``ts``'s
    participants) are re-checked: those managers themselves (a working team lead's own
    management training), their teams' staff, or, when one is senior management,
    everyone."""
    if ends_at is not None and ends_at <= ts.ends_at:
        return []
    if not holds_managers_seats(db, ts):
        return []
    enrolled = select(col(Enrolment.session_id)).where(
        col(Enrolment.status).in_(TRAINING_ENROLMENT)
    )
    seated: Any = (
        managers
        if managers is not None
        else select(col(Enrolment.employee_id)).where(
            col(Enrolment.session_id) == ts.id, col(Enrolment.status).in_(TRAINING_ENROLMENT)
        )
    )
    # The rule finds managers beyond the caller's reach (managers_first.py): so must this.
    with evidence_beyond_reach(db, Employee, TeamManager):
        senior = db.exec(
            select(col(Employee.id)).where(
                col(Employee.id).in_(seated), col(Employee.role) == Role.senior_management
            )
        ).first()
        if senior is None:
            teams = select(col(TeamManager.team_id)).where(col(TeamManager.employee_id).in_(seated))
            concerned = select(col(Employee.id)).where(
                or_(col(Employee.id).in_(seated), col(Employee.team_id).in_(teams))
            )
            enrolled = enrolled.where(col(Enrolment.employee_id).in_(concerned))
        later = select(TrainingSession).where(
            col(TrainingSession.id) != ts.id,
            col(TrainingSession.status) == SessionStatus.planned,
            col(TrainingSession.starts_at) >= ts.ends_at,
            col(TrainingSession.id).in_(enrolled),
        )
        if ends_at is not None:
            later = later.where(col(TrainingSession.starts_at) < ends_at)
        return list(
            db.exec(later.order_by(col(TrainingSession.starts_at), col(TrainingSession.id)))
        )


def _refuse_new_refusals(
    before: dict[uuid.UUID, list[RuleResult]],
    after: dict[uuid.UUID, list[RuleResult]],
    *,
    what: str,
    affected: TrainingSession,
) -> None:
    # Managers first (and a manager's own management training) depend on the times and on
    # the managers' sessions: an earlier start of a session, or a later end or the
    # cancellation of the management session its staff's managers attend, may put
    # enrolled staff before their managers. Only what the change itself breaks refuses
    # it; what was already so stays the enrolment's concern.
    new = [
        (who, r)
        for who, results in after.items()
        for r in results
        if _broken(r) - {b for old in before.get(who, []) for b in _broken(old)}
    ]
    if new:
        names = ", ".join(dict.fromkeys(r.rule for _, r in new))
        # Whose enrolment in which session: what the planner moves or cancels first.
        where = {"session_id": str(affected.id)}
        raise RuleViolation(
            f"{what} would break {names} for employees enrolled; move or cancel "
            "their enrolments first.",
            code="enrolment-refused",
            violations=[
                r.model_dump(mode="json") | where | {"employee_id": str(who)} for who, r in new
            ],
        )


def _broken(result: RuleResult) -> set[tuple[str, str]]:
    """What a refusal breaks: its rule, and for managers first each manager still missing
    (one more missing manager is newly broken, though the rule was broken already)."""
    missing = result.details.get("missing_managers") or []
    return {(result.rule, str(m.get("id"))) for m in missing} or {(result.rule, "")}


def cancel_session(db: Session, *, training_session: TrainingSession) -> TrainingSession:
    """Cancel a planned session: every enrolment is cancelled and the seats freed."""
    ts = training_session
    if ts.status == SessionStatus.cancelled:
        return ts
    keep_managers_first(
        db,
        lambda: relying_sessions(db, ts),
        change=lambda: _cancel(db, ts),
        what=lambda s: f"Cancelling it (session {s.id} starts after it)",
        seats_of=ts,
    )
    return ts


def _cancel(db: Session, ts: TrainingSession) -> None:
    now = utcnow()
    taken = db.execute(
        bulk_update(TrainingSession, at=now)
        .where(
            col(TrainingSession.id) == ts.id, col(TrainingSession.status) == SessionStatus.planned
        )
        .values(status=SessionStatus.cancelled, enrolled_count=0)
        .execution_options(synchronize_session=False)
    )
    db.expire(ts)
    if rowcount(taken) != 1:
        require_planned(ts)
    db.execute(
        bulk_update(Enrolment, at=now)
        .where(
            col(Enrolment.session_id) == ts.id, col(Enrolment.status) != EnrolmentStatus.cancelled
        )
        .values(status=EnrolmentStatus.cancelled)
        .execution_options(synchronize_session="fetch")
    )


def delete_session(db: Session, *, training_session: TrainingSession) -> None:
    """Delete a session that never had enrolments (otherwise cancel it)."""
    delete_or_conflict(
        db,
        training_session,
        "The session has enrolments or completions; cancel it (status=cancelled) instead.",
        code="session-has-history",
    )


def complete_session(
    db: Session,
    *,
    session_id: uuid.UUID,
    completed_on: date | None = None,
    org: Organisation | None = None,
) -> TrainingSession:
    """Mark a session completed: attendees (enrolled or attended, not no-shows) complete
    the programme, which updates their training record. ``protocol_ready`` decides here,
    on readiness at the session's start (app/training/readiness.py): an error keeps an
    unready attendee from completing (their enrolment stays ``attended``)."""
    ts = get_scoped(db, TrainingSession, session_id, name="training session")
    org = org or db.get(Organisation, ts.organisation_id)
    assert org is not None
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
    # Once completed, a management session's seats count no more: its managers count by
    # their completions (managers_first.py), which those refused one (readiness, reflection)
    # lack. Staff booked later on their seats would be trained first: refused (409), as
    # cancelling those seats would be.
    keep_managers_first(
        db,
        lambda: relying_sessions(db, ts),
        change=lambda: _complete(db, ts, org=org, day=day, now=now),
        what=lambda s: f"Completing it (session {s.id} starts after it)",
        seats_of=ts,
    )
    return ts


def _complete(
    db: Session, ts: TrainingSession, *, org: Organisation, day: date, now: datetime
) -> None:
    done = db.execute(
        bulk_update(TrainingSession, at=now)
        .where(
            col(TrainingSession.id) == ts.id, col(TrainingSession.status) == SessionStatus.planned
        )
        .values(status=SessionStatus.completed, completed_at=now)
        .execution_options(synchronize_session=False)
    )
    db.expire(ts)
    if rowcount(done) != 1:
        raise Conflict("The session was completed or cancelled meanwhile.", code="session-closed")
    attending = (EnrolmentStatus.enrolled, EnrolmentStatus.attended)
    attendees = list(
        db.exec(
            select(col(Enrolment.employee_id)).where(
                col(Enrolment.session_id) == ts.id, col(Enrolment.status).in_(attending)
            )
        )
    )
    refused = readiness.decide_at_start(db, org=org, training_session=ts, attendee_ids=attendees)
    refused |= reflections.decide_at_completion(
        db, org=org, training_session=ts, attendee_ids=attendees
    )
    completing = [e for e in attendees if e not in refused]
    for ids, new in ((completing, EnrolmentStatus.completed), (refused, EnrolmentStatus.attended)):
        if ids:
            db.execute(
                bulk_update(Enrolment, at=now)
                .where(
                    col(Enrolment.session_id) == ts.id,
                    col(Enrolment.employee_id).in_(ids),
                    col(Enrolment.status).in_(attending),
                )
                .values(status=new)
                .execution_options(synchronize_session="fetch")
            )
    db.add_all(
        TrainingCompletion(
            employee_id=employee_id, program_id=ts.program_id, session_id=ts.id, completed_on=day
        )
        for employee_id in completing
    )
    db.flush()
    evaluations.record_progress(db, training_session=ts, completing=completing, day=day)


def record_completion(
    db: Session,
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
    db.add(completion)
    db.flush()
    return completion
