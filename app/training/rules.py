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
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlmodel import Session, col, select

from app.core.models import utcnow
from app.core.roles import evidence_beyond_reach
from app.organisation.models import (
    EXPOSURE_RANK,
    Employee,
    ExposureBands,
    FunctionGroup,
    Grouping,
    Organisation,
    Role,
    RuleSeverities,
    Severity,
)
from app.policy import service as policy_service
from app.training import readiness
from app.training.managers_first import (
    MANAGEMENT_ROLES,
    ManagementStatus,
    ResponsibleManagers,
    management_status,
    managers_first,
    responsible_managers,
)
from app.training.models import (
    Audience,
    Enrolment,
    EnrolmentStatus,
    ManagementLevel,
    RuleResult,
    SessionStatus,
    TrainingProgram,
    TrainingSession,
)


def _result(rule: str, severity: Severity, message: str, **details: Any) -> RuleResult:
    return RuleResult(rule=rule, severity=severity, message=message, details=details)


# audience_fit: which roles each programme audience takes.
AUDIENCE_ROLES: dict[Audience, frozenset[Role]] = {
    Audience.management: frozenset(MANAGEMENT_ROLES),
    Audience.staff: frozenset({Role.employee}),
    Audience.mixed: frozenset(Role),
}


LEVEL_NAMES = {
    ManagementLevel.senior_management: "senior management",
    ManagementLevel.team_manager: "team managers",
}


@dataclass
class _Participants:
    """Who already holds a seat in the session, and their function groups."""

    active_ids: set[uuid.UUID]
    function_groups: dict[uuid.UUID, FunctionGroup]


def _participants(db: Session, training_session: TrainingSession) -> _Participants:
    # Their function groups come along (outer join). Every participant counts, whoever
    # enrols: a team manager's reach does not hold the other teams' participants, yet
    # comparable functions are about everyone in the session.
    with evidence_beyond_reach(db, Enrolment, Employee):
        rows = db.exec(
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
    db: Session, ids: Iterable[uuid.UUID | None], known: Iterable[FunctionGroup]
) -> dict[uuid.UUID, FunctionGroup]:
    """These function groups: the ``known`` ones without a query, the others in one."""
    wanted = {i for i in ids if i is not None}
    out = {fg.id: fg for fg in known if fg.id in wanted}
    missing = wanted - out.keys()
    if missing:
        rows = db.exec(select(FunctionGroup).where(col(FunctionGroup.id).in_(missing)))
        out.update((fg.id, fg) for fg in rows)
    return out


# --- the other rules ----------------------------------------------------------------------


def _audience_fit(
    employee: Employee, program: TrainingProgram, severity: Severity, trained_manager: bool
) -> RuleResult | None:
    if employee.role in AUDIENCE_ROLES[program.audience]:
        # Managers by level (issue 20, item 8): a management programme for one level takes
        # that level only; one for all management takes both.
        level = program.management_level
        if program.audience != Audience.management or level in (ManagementLevel.all, employee.role):
            return None
        return _result(
            "audience_fit",
            severity,
            f"'{program.title}' is a management programme for {LEVEL_NAMES[level]} only; "
            f"{employee.full_name} has role '{employee.role}'.",
            audience=str(program.audience),
            management_level=str(level),
            role=str(employee.role),
        )
    # Managers by level (issue 20, item 8): a manager whose management training is done may
    # also join a staff session, as a working team lead.
    manager = employee.role in MANAGEMENT_ROLES
    if program.audience == Audience.staff and manager and trained_manager:
        return None
    takes = (
        "team managers and senior management"
        if program.audience == Audience.management
        else "employees (staff), and managers once their management training is done"
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
    employee: Employee,
    fg: FunctionGroup | None,
    program: TrainingProgram,
    severity: Severity,
    bands: ExposureBands,
) -> RuleResult | None:
    if fg is None:
        return None
    level = fg.level(bands)
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
    bands: ExposureBands,
) -> RuleResult | None:
    # Function groups first: a group in a set of comparable groups is comparable with the
    # groups of its set only; exposure level is the fallback for groups in no set
    # (issue 20, item 6: "comparable functions" means similar functions).
    if fg is None:
        return None
    key = fg.comparable_key(bands)
    others = [g for g in present if g.comparable_key(bands) != key]
    if not others:
        return None
    by_set = fg.comparable_group is not None or any(g.comparable_group for g in others)
    grouping = Grouping.function_groups if by_set else Grouping.exposure_level
    ordered = sorted(present, key=lambda g: g.name)
    groups = [
        {
            "id": str(g.id),
            "name": g.name,
            "comparable_group": g.comparable_group,
            "exposure_level": str(g.level(bands)),
        }
        for g in ordered
    ]

    def basis(name: str, comparable_group: str | None, level: str) -> str:
        if comparable_group is not None:
            return f"{name} (set '{comparable_group}')"
        return f"{name} ({'no set, ' if by_set else ''}exposure {level})"

    names = ", ".join(basis(g.name, g.comparable_group, str(g.level(bands))) for g in ordered)
    own = basis(f"'{fg.name}'", fg.comparable_group, str(fg.level(bands)))
    return _result(
        "comparable_functions",
        severity,
        f"Compose groups of comparable functions: {employee.full_name} ({own}) would join "
        f"function groups {names}.",
        grouping=str(grouping),
        comparable_group=fg.comparable_group,
        exposure_level=str(fg.level(bands)),
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
    db: Session,
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
    bands = org.settings.exposure_bands
    if program is None:
        program = db.get(TrainingProgram, training_session.program_id)
        assert program is not None
    participants = _participants(db, training_session)
    fgs = _function_groups(
        db,
        (e.function_group_id for e in employees),
        [*participants.function_groups.values(), *function_groups],
    )
    present = list(participants.function_groups.values())

    staff = [e for e in employees if e.role == Role.employee]
    managers: ResponsibleManagers | None = None
    status: ManagementStatus | None = None
    if severities.managers_first != Severity.off and staff:
        managers = responsible_managers(db, team_ids={e.team_id for e in staff})
        status = management_status(
            db, manager_ids=managers.all_ids(), before=training_session.starts_at
        )

    # Managers asking for a staff session: done with their management training?
    trained_managers: set[uuid.UUID] = set()
    asking = [e.id for e in employees if e.role in MANAGEMENT_ROLES]
    if severities.audience_fit != Severity.off and program.audience == Audience.staff and asking:
        trained_managers = management_status(
            db, manager_ids=asking, before=training_session.starts_at
        ).trained

    ready: set[uuid.UUID] = set()
    protocol_version: int | None = None
    # A session that starts later does not wait for the protocol at booking: whoever is not
    # ready yet is enrolled, awaiting readiness, and protocol_ready decides at the start
    # (app/training/readiness.py).
    later = training_session.starts_at > utcnow()
    if severities.protocol_ready != Severity.off:
        # Readiness now, or at the start of a session that already took place.
        at = min(utcnow(), training_session.starts_at)
        protocol_version, ready = policy_service.ready_ids_at(
            db, employee_ids=[e.id for e in employees], at=at
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
            trained = emp.id in trained_managers
            results.append(_audience_fit(emp, program, severities.audience_fit, trained))
        if managers is not None and status is not None and emp.role == Role.employee:
            sev = severities.managers_first
            results.append(managers_first(emp, training_session, sev, managers, status))
        if severities.protocol_ready != Severity.off:
            sev = severities.protocol_ready
            if not later:
                results.append(_protocol_ready(emp, ready, protocol_version, sev))
            elif emp.id not in ready:
                results.append(
                    readiness.awaiting_readiness(emp, training_session, protocol_version, sev)
                )
        # Comparable functions is about composing staff groups (seed step 3); managers of
        # different teams learning the approach together is the point of a management session.
        if (
            severities.comparable_functions != Severity.off
            and program.audience != Audience.management
        ):
            sev = severities.comparable_functions
            results.append(_comparable_functions(emp, fg, present, sev, bands))
        if severities.exposure_fit != Severity.off:
            results.append(_exposure_fit(emp, fg, program, severities.exposure_fit, bands))
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
    db: Session,
    *,
    org: Organisation,
    training_session: TrainingSession,
    employee: Employee,
    program: TrainingProgram | None = None,
    function_group: FunctionGroup | None = None,
) -> list[RuleResult]:
    """The rules one employee does not meet for this session (empty list: all met)."""
    return check_enrolments(
        db,
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
