"""Managers first (seed step 4): staff train only after their responsible managers.

A manager is trained when they hold a seat (or a completion) in a training that started
earlier; ``responsible_managers`` names who that is for each employee, and the rule reports
the employees whose managers are not yet trained. Used by ``rules.check_enrolments`` and by
selection's needs (``management_status``).
"""

import uuid
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy import null, union_all
from sqlmodel import Session, col, select

from app.core.dates import day_of, rfc3339
from app.core.roles import evidence_beyond_reach
from app.organisation.models import (
    Employee,
    Role,
    Severity,
    TeamManager,
    full_name,
)
from app.training.models import (
    TRAINING_ENROLMENT,
    Audience,
    Enrolment,
    RuleResult,
    SessionStatus,
    TrainingCompletion,
    TrainingProgram,
    TrainingSession,
)

MANAGEMENT_ROLES = (Role.team_manager, Role.senior_management)


@dataclass(frozen=True, slots=True)
class Manager:
    """A responsible manager: only what the managers-first message names."""

    id: uuid.UUID
    full_name: str
    role: Role


def person_details(emp: Employee | Manager) -> dict[str, Any]:
    """How a rule's details name a person: id, name and role."""
    return {"id": str(emp.id), "name": emp.full_name, "role": str(emp.role)}


@dataclass
class ManagementStatus:
    """Per manager: trained first for this session, or the management sessions booked."""

    trained: set[uuid.UUID]
    # Management sessions a manager is enrolled in that end too late to count, by end time.
    scheduled: dict[uuid.UUID, list[tuple[datetime, uuid.UUID]]]


# What a manager's training status is read from.
_TRAINING_EVIDENCE = (Enrolment, TrainingSession, TrainingProgram, TrainingCompletion)


def management_status(
    db: Session, *, manager_ids: Iterable[uuid.UUID], before: datetime
) -> ManagementStatus:
    """Which managers completed a management programme (on or before the Dutch day of
    ``before``), or are enrolled in a management session ending at or before ``before``
    (managers first: seed step 4). Two queries."""
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
            # Only while the session is planned: once it is completed, a manager counts by
            # their completion, which a manager who attended but was refused completion
            # (reflection or protocol readiness as an error) does not have.
            col(TrainingSession.status) == SessionStatus.planned,
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
            # ``completed_on`` is a Dutch calendar day (core/dates.py): compare it with the
            # Dutch day of the start, not its UTC day (managers first: seed step 4).
            col(TrainingCompletion.completed_on) <= day_of(before),
        )
    )
    # Whoever enrols: a team manager's reach does not hold senior management's training.
    with evidence_beyond_reach(db, *_TRAINING_EVIDENCE):
        rows = db.execute(union_all(booked, completed)).all()
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
    db: Session, *, team_ids: Iterable[uuid.UUID | None]
) -> ResponsibleManagers:
    """Active senior management and the active managers of these teams, in one query.

    ``active`` is tested here rather than in SQL: with it in the WHERE clause SQLite read
    every active employee through an index on ``active`` (dropped in migration 0009)
    instead of the few managers through ``ix_employee_role`` or the teams' manager links."""
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
    # Senior management answers for everyone but is outside a team manager's reach: the
    # rule finds the managers whoever asks (and names only those responsible).
    with evidence_beyond_reach(db, Employee, TeamManager):
        rows = db.execute(
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


def managers_first(
    employee: Employee,
    training_session: TrainingSession,
    severity: Severity,
    managers: ResponsibleManagers,
    status: ManagementStatus,
) -> RuleResult | None:
    """The rule's finding for one employee, or ``None`` when every manager is trained."""
    missing = [m for m in managers.for_employee(employee) if m.id not in status.trained]
    if not missing:
        return None
    listed = []
    satisfiable = True
    latest_end: datetime | None = None
    for m in sorted(missing, key=lambda m: (m.role != Role.senior_management, m.full_name)):
        entry = person_details(m)
        booked = status.scheduled.get(m.id)
        if booked:
            ends_at, session_id = booked[0]
            entry["scheduled_session_id"] = str(session_id)
            entry["scheduled_session_ends_at"] = rfc3339(ends_at)
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
        message += f" A session starting at or after {rfc3339(earliest)} would satisfy this."
    return RuleResult(
        rule="managers_first",
        severity=severity,
        message=message,
        details={
            "missing_managers": listed,
            "earliest_start_at": rfc3339(earliest) if earliest else None,
            "session_starts_at": rfc3339(training_session.starts_at),
        },
    )
