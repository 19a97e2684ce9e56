"""The enrolment rules (DOMAIN.md "The two rules" and "Further checks"; seed step 4).

Every rule reports the employees who do not meet it as ``RuleResult``s carrying the
severity the organisation chose (``error`` refuses, ``warning`` is recorded, ``off`` skips
the rule and its queries). ``capacity``, ``duplicate``, ``session_open`` and
``employee_active`` are always errors.

The checks are written for many employees at once (the plan scheduler checks whole teams):
the facts about the session, the managers and the protocol are loaded in a fixed number of
queries, whatever the number of employees checked or the size of the organisation.
"""

import uuid
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy import null, union_all
from sqlmodel import Session, col, select

from app.core.models import utcnow
from app.organisation.models import (
    EXPOSURE_RANK,
    Employee,
    FunctionGroup,
    Organisation,
    Role,
    RuleSeverities,
    Severity,
    TeamManager,
    full_name,
)
from app.policy import service as policy_service
from app.training.models import (
    Audience,
    Enrolment,
    EnrolmentStatus,
    RuleResult,
    SessionStatus,
    TrainingCompletion,
    TrainingProgram,
    TrainingSession,
)

# Every enrolment but a cancelled one holds its seat (and makes a second one a duplicate);
# a no-show does not count as being trained (managers first).
TRAINING_ENROLMENT = (
    EnrolmentStatus.enrolled,
    EnrolmentStatus.attended,
    EnrolmentStatus.completed,
)

MANAGEMENT_ROLES = (Role.team_manager, Role.senior_management)

# audience_fit: which roles each programme audience takes.
AUDIENCE_ROLES: dict[Audience, frozenset[Role]] = {
    Audience.management: frozenset(MANAGEMENT_ROLES),
    Audience.staff: frozenset({Role.employee}),
    Audience.mixed: frozenset(Role),
}


def _result(rule: str, severity: Severity, message: str, **details: Any) -> RuleResult:
    return RuleResult(rule=rule, severity=severity, message=message, details=details)


@dataclass(frozen=True, slots=True)
class Manager:
    """A responsible manager: only what the managers-first message names."""

    id: uuid.UUID
    full_name: str
    role: Role


def _person(emp: Employee | Manager) -> dict[str, Any]:
    return {"id": str(emp.id), "name": emp.full_name, "role": str(emp.role)}


@dataclass
class _Participants:
    """Who already holds a seat in the session, and their function groups."""

    active_ids: set[uuid.UUID]
    function_groups: dict[uuid.UUID, FunctionGroup]


def _participants(session: Session, training_session: TrainingSession) -> _Participants:
    # Their function groups come along (outer join).
    rows = session.exec(
        select(col(Enrolment.employee_id), FunctionGroup)
        .join(Employee, col(Employee.id) == col(Enrolment.employee_id))
        .outerjoin(FunctionGroup, col(FunctionGroup.id) == col(Employee.function_group_id))
        .where(
            col(Enrolment.session_id) == training_session.id,
            col(Enrolment.status) != EnrolmentStatus.cancelled,
        )
    ).all()
    return _Participants(
        active_ids={employee_id for employee_id, _ in rows},
        function_groups={fg.id: fg for _, fg in rows if fg is not None},
    )


def _function_groups(
    session: Session, ids: Iterable[uuid.UUID | None], known: Iterable[FunctionGroup]
) -> dict[uuid.UUID, FunctionGroup]:
    """These function groups: the ``known`` ones without a query, the others in one."""
    wanted = {i for i in ids if i is not None}
    out = {fg.id: fg for fg in known if fg.id in wanted}
    missing = wanted - out.keys()
    if missing:
        rows = session.exec(select(FunctionGroup).where(col(FunctionGroup.id).in_(missing)))
        out.update((fg.id, fg) for fg in rows)
    return out


# --- managers first ------------------------------------------------------------------------


@dataclass
class ManagementStatus:
    """Per manager: trained first for this session, or the management sessions booked."""

    trained: set[uuid.UUID]
    # Management sessions a manager is enrolled in that end too late to count, by end time.
    scheduled: dict[uuid.UUID, list[tuple[datetime, uuid.UUID]]]


def management_status(
    session: Session, *, manager_ids: Iterable[uuid.UUID], before: datetime
) -> ManagementStatus:
    """Which managers completed a management programme, or are enrolled in a management
    session ending at or before ``before`` (managers first: seed step 4). Two queries."""
    ids = set(manager_ids)
    if not ids:
        return ManagementStatus(trained=set(), scheduled={})
    booked = (
        select(col(Enrolment.employee_id), col(TrainingSession.id), col(TrainingSession.ends_at))
        .join(TrainingSession, col(TrainingSession.id) == col(Enrolment.session_id))
        .join(TrainingProgram, col(TrainingProgram.id) == col(TrainingSession.program_id))
        .where(
            col(Enrolment.employee_id).in_(ids),
            col(Enrolment.status).in_(TRAINING_ENROLMENT),
            col(TrainingSession.status) != SessionStatus.cancelled,
            col(TrainingProgram.audience) == Audience.management,
        )
    )
    # A completion has no session: NULLs (the union takes its column types from the
    # bookings, the first SELECT).
    completed = (
        select(col(TrainingCompletion.employee_id), null(), null())
        .join(TrainingProgram, col(TrainingProgram.id) == col(TrainingCompletion.program_id))
        .where(
            col(TrainingCompletion.employee_id).in_(ids),
            col(TrainingProgram.audience) == Audience.management,
            col(TrainingCompletion.completed_on) <= before.date(),
        )
    )
    rows = session.execute(union_all(booked, completed)).all()
    trained = {employee_id for employee_id, session_id, _ in rows if session_id is None}
    booked_rows = [(e, s, end) for e, s, end in rows if s is not None]
    scheduled: dict[uuid.UUID, list[tuple[datetime, uuid.UUID]]] = defaultdict(list)
    for employee_id, session_id, ends_at in booked_rows:
        # A session in which the manager sits together with their staff (or any session
        # still running when this one starts) does not make them trained *first*.
        if ends_at <= before:
            trained.add(employee_id)
        else:
            scheduled[employee_id].append((ends_at, session_id))
    for sessions in scheduled.values():
        sessions.sort()
    return ManagementStatus(trained=trained, scheduled=dict(scheduled))


@dataclass
class ResponsibleManagers:
    """Senior management of the organisation and the managers of each team."""

    senior: list[Manager]
    by_team: dict[uuid.UUID, list[Manager]]

    def for_employee(self, employee: Employee) -> list[Manager]:
        team = self.by_team.get(employee.team_id, []) if employee.team_id else []
        out = {m.id: m for m in [*self.senior, *team] if m.id != employee.id}
        return list(out.values())

    def all_ids(self) -> set[uuid.UUID]:
        return {m.id for m in self.senior} | {m.id for ms in self.by_team.values() for m in ms}


def responsible_managers(
    session: Session, *, team_ids: Iterable[uuid.UUID | None]
) -> ResponsibleManagers:
    """Active senior management and the active managers of these teams, in one query.

    ``active`` is tested here rather than in SQL: with it in the WHERE clause SQLite reads
    every active employee through ``ix_employee_active`` instead of the few managers
    through ``ix_employee_role`` or the teams' manager links."""
    teams = {t for t in team_ids if t is not None}
    # (employee, team): senior management with no team, then the teams' managers.
    links: Any = select(col(Employee.id).label("employee_id"), null().label("team_id")).where(
        col(Employee.role) == Role.senior_management
    )
    if teams:
        links = union_all(
            select(col(TeamManager.employee_id), col(TeamManager.team_id)).where(
                col(TeamManager.team_id).in_(teams)
            ),
            links,
        )
    link = links.subquery()
    # Columns, not Employee objects: a few tenths of a millisecond less for every check.
    rows = session.execute(
        sa.select(
            col(Employee.id),
            col(Employee.first_name),
            col(Employee.name_particle),
            col(Employee.last_name),
            col(Employee.role),
            col(Employee.active),
            link.c.team_id,
        ).join(link, link.c.employee_id == col(Employee.id))
    ).all()
    senior: list[Manager] = []
    by_team: dict[uuid.UUID, list[Manager]] = defaultdict(list)
    for employee_id, first, particle, last, role, active, team_id in rows:
        if not active:
            continue
        manager = Manager(
            id=employee_id, full_name=full_name(first, particle, last), role=Role(role)
        )
        if team_id is None:
            senior.append(manager)
        else:
            by_team[team_id].append(manager)
    return ResponsibleManagers(senior=senior, by_team=dict(by_team))


def _managers_first(
    employee: Employee,
    training_session: TrainingSession,
    severity: Severity,
    managers: ResponsibleManagers,
    status: ManagementStatus,
) -> RuleResult | None:
    missing = [m for m in managers.for_employee(employee) if m.id not in status.trained]
    if not missing:
        return None
    listed = []
    satisfiable = True
    latest_end: datetime | None = None
    for m in sorted(missing, key=lambda m: (m.role != Role.senior_management, m.full_name)):
        entry = _person(m)
        booked = status.scheduled.get(m.id)
        if booked:
            ends_at, session_id = booked[0]
            entry["scheduled_session_id"] = str(session_id)
            entry["scheduled_session_ends_at"] = ends_at.isoformat()
            latest_end = max(latest_end, ends_at) if latest_end else ends_at
        else:
            satisfiable = False
        listed.append(entry)
    earliest = latest_end if satisfiable else None
    names = ", ".join(f"{e['name']} ({e['role']})" for e in listed)
    message = (
        f"Managers first: {employee.full_name} can be trained once every responsible "
        f"manager has completed a management training or is enrolled in one that ends "
        f"before this session starts. Still missing: {names}."
    )
    if earliest is not None:
        message += f" A session starting at or after {earliest.isoformat()} would satisfy this."
    return _result(
        "managers_first",
        severity,
        message,
        missing_managers=listed,
        earliest_start_at=earliest.isoformat() if earliest else None,
        session_starts_at=training_session.starts_at.isoformat(),
    )


# --- the other rules ----------------------------------------------------------------------


def _audience_fit(
    employee: Employee, program: TrainingProgram, severity: Severity
) -> RuleResult | None:
    if employee.role in AUDIENCE_ROLES[program.audience]:
        return None
    takes = (
        "team managers and senior management"
        if program.audience == Audience.management
        else "employees (staff)"
    )
    return _result(
        "audience_fit",
        severity,
        f"'{program.title}' is a {program.audience} programme for {takes}; "
        f"{employee.full_name} has role '{employee.role}'.",
        audience=str(program.audience),
        role=str(employee.role),
    )


def _exposure_fit(
    employee: Employee, fg: FunctionGroup | None, program: TrainingProgram, severity: Severity
) -> RuleResult | None:
    if fg is None:
        return None
    level = fg.exposure_level
    low, high = EXPOSURE_RANK[program.min_exposure_level], EXPOSURE_RANK[program.max_exposure_level]
    if low <= EXPOSURE_RANK[level] <= high:
        return None
    return _result(
        "exposure_fit",
        severity,
        f"'{program.title}' suits exposure {program.min_exposure_level} to "
        f"{program.max_exposure_level}; {employee.full_name}'s function group '{fg.name}' "
        f"has exposure {level}.",
        exposure_level=str(level),
        function_group_id=str(fg.id),
        min_exposure_level=str(program.min_exposure_level),
        max_exposure_level=str(program.max_exposure_level),
    )


def _comparable_functions(
    employee: Employee,
    fg: FunctionGroup | None,
    present: Sequence[FunctionGroup],
    severity: Severity,
) -> RuleResult | None:
    if fg is None:
        return None
    others = [g for g in present if g.exposure_level != fg.exposure_level]
    if not others:
        return None
    groups = [
        {"id": str(g.id), "name": g.name, "exposure_level": str(g.exposure_level)}
        for g in sorted(present, key=lambda g: g.name)
    ]
    names = ", ".join(f"{g['name']} ({g['exposure_level']})" for g in groups)
    return _result(
        "comparable_functions",
        severity,
        f"Compose groups of comparable functions: {employee.full_name} ('{fg.name}', "
        f"exposure {fg.exposure_level}) would join function groups {names}.",
        exposure_level=str(fg.exposure_level),
        function_groups=groups,
    )


def _protocol_ready(
    employee: Employee, ready: set[uuid.UUID], protocol_version: int | None, severity: Severity
) -> RuleResult | None:
    if protocol_version is None:
        return _result(
            "protocol_ready",
            severity,
            "No aggression protocol is published yet: publish one and let the team read or "
            "discuss it before the training (seed step 2).",
            protocol_version=None,
        )
    if employee.id in ready:
        return None
    return _result(
        "protocol_ready",
        severity,
        f"{employee.full_name} has not acknowledged protocol version {protocol_version}, and "
        "their team has not discussed it: the training practises the protocol (seed step 2).",
        protocol_version=protocol_version,
    )


# --- entry points ---------------------------------------------------------------------------


def check_enrolments(
    session: Session,
    *,
    org: Organisation,
    training_session: TrainingSession,
    employees: Sequence[Employee],
    program: TrainingProgram | None = None,
    function_groups: Iterable[FunctionGroup] = (),
) -> dict[uuid.UUID, list[RuleResult]]:
    """The rules each employee does not meet for this session (empty list: all met).

    A fixed number of queries for any number of employees (one IN list per query); the
    caller may pass the programme and the employees' function groups it loaded already.
    """
    severities: RuleSeverities = org.settings.rule_severities
    if program is None:
        program = session.get(TrainingProgram, training_session.program_id)
        assert program is not None
    participants = _participants(session, training_session)
    fgs = _function_groups(
        session,
        (e.function_group_id for e in employees),
        [*participants.function_groups.values(), *function_groups],
    )
    present = list(participants.function_groups.values())

    staff = [e for e in employees if e.role == Role.employee]
    managers: ResponsibleManagers | None = None
    status: ManagementStatus | None = None
    if severities.managers_first != Severity.off and staff:
        managers = responsible_managers(session, team_ids={e.team_id for e in staff})
        status = management_status(
            session, manager_ids=managers.all_ids(), before=training_session.starts_at
        )

    ready: set[uuid.UUID] = set()
    protocol_version: int | None = None
    if severities.protocol_ready != Severity.off:
        # Readiness now, or at the start of a session that already took place.
        at = min(utcnow(), training_session.starts_at)
        protocol_version, ready = policy_service.ready_ids_at(
            session, employee_ids=[e.id for e in employees], at=at
        )

    out: dict[uuid.UUID, list[RuleResult]] = {}
    for emp in employees:
        results: list[RuleResult | None] = []
        fg = fgs.get(emp.function_group_id) if emp.function_group_id else None
        if training_session.status != SessionStatus.planned:
            results.append(
                _result(
                    "session_open",
                    Severity.error,
                    f"The session is {training_session.status}; only planned sessions take "
                    "enrolments.",
                    status=str(training_session.status),
                )
            )
        if not emp.active:
            results.append(
                _result(
                    "employee_active",
                    Severity.error,
                    f"{emp.full_name} is not active.",
                )
            )
        if emp.id in participants.active_ids:
            results.append(
                _result(
                    "duplicate",
                    Severity.error,
                    f"{emp.full_name} is already enrolled in this session.",
                )
            )
        elif training_session.enrolled_count >= training_session.capacity:
            results.append(capacity_violation(training_session))
        if severities.audience_fit != Severity.off:
            results.append(_audience_fit(emp, program, severities.audience_fit))
        if managers is not None and status is not None and emp.role == Role.employee:
            sev = severities.managers_first
            results.append(_managers_first(emp, training_session, sev, managers, status))
        if severities.protocol_ready != Severity.off:
            sev = severities.protocol_ready
            results.append(_protocol_ready(emp, ready, protocol_version, sev))
        # Comparable functions is about composing staff groups (seed step 3); managers of
        # different teams learning the approach together is the point of a management session.
        if (
            severities.comparable_functions != Severity.off
            and program.audience != Audience.management
        ):
            sev = severities.comparable_functions
            results.append(_comparable_functions(emp, fg, present, sev))
        if severities.exposure_fit != Severity.off:
            results.append(_exposure_fit(emp, fg, program, severities.exposure_fit))
        out[emp.id] = [r for r in results if r is not None]
    return out


def capacity_violation(training_session: TrainingSession) -> RuleResult:
    """The session is full (also raised when the guarded seat update finds no seat left)."""
    return _result(
        "capacity",
        Severity.error,
        f"The session is full ({training_session.capacity} seats).",
        capacity=training_session.capacity,
    )


def check_enrolment(
    session: Session,
    *,
    org: Organisation,
    training_session: TrainingSession,
    employee: Employee,
    program: TrainingProgram | None = None,
    function_group: FunctionGroup | None = None,
) -> list[RuleResult]:
    """The rules one employee does not meet for this session (empty list: all met)."""
    return check_enrolments(
        session,
        org=org,
        training_session=training_session,
        employees=[employee],
        program=program,
        function_groups=[function_group] if function_group is not None else (),
    )[employee.id]


def errors_of(results: Iterable[RuleResult]) -> list[RuleResult]:
    """The results that refuse an enrolment."""
    return [r for r in results if r.severity == Severity.error]


def warnings_of(results: Iterable[RuleResult]) -> list[RuleResult]:
    """The results recorded with an enrolment."""
    return [r for r in results if r.severity == Severity.warning]
