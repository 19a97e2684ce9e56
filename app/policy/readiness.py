"""Which protocol is in force, and who is ready (seed step 2: the protocol is read or
discussed in a team meeting before the training).
"""

import uuid
from collections import defaultdict
from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, NamedTuple

from sqlalchemy import ColumnElement, Select, and_, func, or_
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select
from sqlmodel.sql.expression import SelectOfScalar

from app.core.crud import resolve_ref
from app.core.errors import NotFound
from app.core.models import utcnow
from app.core.queries import unique_chunks
from app.organisation.models import Employee, Team, full_name
from app.policy.models import (
    EmployeeRef,
    Protocol,
    ProtocolAcknowledgement,
    ProtocolReadiness,
    ProtocolStatus,
    ReadyVia,
    TeamDiscussion,
    TeamDiscussionParticipant,
    TeamReadiness,
)

# --- the protocol in force ----------------------------------------------------------------


def current_protocol(db: Session) -> Protocol | None:
    """The organisation's published protocol, or None when none is published."""
    return db.exec(select(Protocol).where(col(Protocol.status) == ProtocolStatus.published)).first()


def require_current_protocol(db: Session) -> Protocol:
    """The published protocol, or NotFound (``no-current-protocol``, API: 404)."""
    protocol = current_protocol(db)
    if protocol is None:
        raise NotFound("No protocol is published yet.", code="no-current-protocol")
    return protocol


def _in_force_at(protocol: type[Protocol], at: datetime) -> SelectOfScalar[Protocol]:
    return (
        select(protocol)
        .where(
            col(protocol.published_at).is_not(None),
            col(protocol.published_at) <= at,
            or_(col(protocol.superseded_at).is_(None), col(protocol.superseded_at) > at),
        )
        .order_by(col(protocol.published_at).desc())
        .limit(1)
    )


def protocol_at(db: Session, at: datetime) -> Protocol | None:
    """The protocol version that was (or will be, if nothing changes) in force at ``at``."""
    return db.exec(_in_force_at(Protocol, at)).first()


# --- readiness (seed step 2: read or discussed before the training) ----------------------


def _ready_condition(protocol_id: Any, at: datetime) -> ColumnElement[bool]:
    # Correlated EXISTS per employee: two index probes each (the unique acknowledgement
    # and ix_team_discussion_protocol_id_team_id). An IN list of ids combined with
    # ``team_id IN (discussing teams)`` made SQLite probe every id for every discussing team.
    acknowledged = (
        select(col(ProtocolAcknowledgement.id))
        .where(
            col(ProtocolAcknowledgement.protocol_id) == protocol_id,
            col(ProtocolAcknowledgement.employee_id) == col(Employee.id),
            col(ProtocolAcknowledgement.read_at) <= at,
        )
        .exists()
    )
    # Discussed: they took part in a discussion of this version (issue 20, item 5: the
    # people who were there, not whoever is on the team now).
    discussed = (
        select(col(TeamDiscussionParticipant.discussion_id))
        .join(
            TeamDiscussion, col(TeamDiscussion.id) == col(TeamDiscussionParticipant.discussion_id)
        )
        .where(
            col(TeamDiscussionParticipant.employee_id) == col(Employee.id),
            col(TeamDiscussion.protocol_id) == protocol_id,
            col(TeamDiscussion.discussed_on) <= at.date(),
        )
        .exists()
    )
    return or_(acknowledged, discussed)


EmployeeIds = Collection[uuid.UUID] | Select[Any]
# The version in force, as a subquery of the readiness query (built once: aliasing is slow).
_IN_FORCE = aliased(Protocol)


def ready_ids_at(
    db: Session, *, employee_ids: EmployeeIds, at: datetime | None = None
) -> tuple[int | None, set[uuid.UUID]]:
    """The version of the protocol in force at ``at`` (default now; None when none is) and,
    of ``employee_ids`` (ids, or a SELECT of employee ids such as a plan's scope), those
    ready for it.

    Ready: they acknowledged that version (read at or before ``at``), or their current
    team discussed it on or before ``at``'s date. One query per 5,000 ids (one for a
    SELECT): the version in force with the ready employees outer-joined to it. The work
    is proportional to the employees asked about, not to the organisation.
    """
    at = at or utcnow()
    groups: list[list[uuid.UUID]] | list[Select[Any]] = (
        [employee_ids] if isinstance(employee_ids, Select) else list(unique_chunks(employee_ids))
    )
    in_force_id = _in_force_at(_IN_FORCE, at).with_only_columns(col(_IN_FORCE.id)).scalar_subquery()
    version: int | None = None
    ready: set[uuid.UUID] = set()
    for group in groups or [[]]:
        rows = db.exec(
            select(col(Protocol.version), col(Employee.id))
            .outerjoin(
                Employee, and_(col(Employee.id).in_(group), _ready_condition(Protocol.id, at))
            )
            .where(col(Protocol.id) == in_force_id)
        ).all()
        # No row: no version in force. Otherwise the version, once with each ready
        # employee (or once with NULL when none is).
        for row_version, employee_id in rows:
            version = row_version
            if employee_id is not None:
                ready.add(employee_id)
    return version, ready


def protocol_ready_ids(
    db: Session, *, employee_ids: EmployeeIds, at: datetime | None = None
) -> set[uuid.UUID]:
    """Of ``employee_ids``, those protocol-ready at ``at`` (default now): see ``ready_ids_at``."""
    if not isinstance(employee_ids, Select) and not employee_ids:
        return set()
    return ready_ids_at(db, employee_ids=employee_ids, at=at)[1]


def is_protocol_ready(db: Session, *, employee: Employee, at: datetime | None = None) -> bool:
    """Whether one employee read, or their team discussed, the protocol in force at ``at``."""
    return employee.id in protocol_ready_ids(db, employee_ids=[employee.id], at=at)


class _Person(NamedTuple):
    # What readiness reports of an employee: a plain row, not an ORM object (loading 10,000
    # Employee entities cost about three quarters of the report's time).
    id: uuid.UUID
    team_id: uuid.UUID | None
    external_id: str | None
    full_name: str


@dataclass
class _Readiness:
    protocol: Protocol
    teams: list[Team]
    employees: list[_Person]
    acknowledged: set[uuid.UUID]
    discussed_on: dict[uuid.UUID, date]
    discussed: set[uuid.UUID]  # took part in a discussion of the version

    def via(self, employee: _Person) -> list[ReadyVia]:
        out = []
        if employee.id in self.acknowledged:
            out.append(ReadyVia.acknowledged)
        if employee.id in self.discussed:
            out.append(ReadyVia.team_discussion)
        return out


def _readiness_data(db: Session, *, team_id: uuid.UUID | None) -> _Readiness:
    protocol = require_current_protocol(db)
    now = utcnow()
    team_stmt = select(Team).order_by(col(Team.name), col(Team.id))
    emp_stmt = select(Employee).where(col(Employee.active).is_(True))
    if team_id is not None:
        resolve_ref(db, Team, team_id, pointer="/query/team_id", what="team")
        team_stmt = team_stmt.where(col(Team.id) == team_id)
        emp_stmt = emp_stmt.where(col(Employee.team_id) == team_id)
    teams = list(db.exec(team_stmt))
    people = db.execute(
        emp_stmt.with_only_columns(
            col(Employee.id),
            col(Employee.team_id),
            col(Employee.external_id),
            col(Employee.first_name),
            col(Employee.name_particle),
            col(Employee.last_name),
        ).order_by(col(Employee.last_name), col(Employee.first_name), col(Employee.id))
    )
    employees = [_Person(i, t, x, full_name(f, p, ln)) for i, t, x, f, p, ln in people]
    # Subqueries rather than id lists: three queries however large the organisation.
    acknowledged = set(
        db.exec(
            select(col(ProtocolAcknowledgement.employee_id)).where(
                col(ProtocolAcknowledgement.protocol_id) == protocol.id,
                col(ProtocolAcknowledgement.read_at) <= now,
                col(ProtocolAcknowledgement.employee_id).in_(
                    emp_stmt.with_only_columns(col(Employee.id))
                ),
            )
        )
    )
    discussed = db.execute(
        select(col(TeamDiscussion.team_id), func.max(TeamDiscussion.discussed_on))
        .where(
            col(TeamDiscussion.protocol_id) == protocol.id,
            col(TeamDiscussion.discussed_on) <= now.date(),
        )
        .group_by(col(TeamDiscussion.team_id))
    )
    took_part = set(
        db.exec(
            select(col(TeamDiscussionParticipant.employee_id))
            .join(
                TeamDiscussion,
                col(TeamDiscussion.id) == col(TeamDiscussionParticipant.discussion_id),
            )
            .where(
                col(TeamDiscussion.protocol_id) == protocol.id,
                col(TeamDiscussion.discussed_on) <= now.date(),
                col(TeamDiscussionParticipant.employee_id).in_(
                    emp_stmt.with_only_columns(col(Employee.id))
                ),
            )
        )
    )
    return _Readiness(
        protocol=protocol,
        teams=teams,
        employees=employees,
        acknowledged=acknowledged,
        discussed_on={row[0]: row[1] for row in discussed},
        discussed=took_part,
    )


def readiness(db: Session, *, team_id: uuid.UUID | None) -> ProtocolReadiness:
    """Per team: active employees who read or discussed the current protocol, and who not.

    Active employees without a team are reported under a team of null (only when no team
    filter is given). NotFound (``no-current-protocol``) when nothing is published.
    """
    data = _readiness_data(db, team_id=team_id)
    by_team: dict[uuid.UUID | None, list[_Person]] = defaultdict(list)
    for emp in data.employees:
        by_team[emp.team_id].append(emp)
    groups: list[tuple[uuid.UUID | None, str | None]] = [(t.id, t.name) for t in data.teams]
    if team_id is None and by_team.get(None):
        groups.append((None, None))
    rows = []
    for tid, name in groups:
        members = by_team.get(tid, [])
        not_ready = [e for e in members if not data.via(e)]
        rows.append(
            TeamReadiness(
                team_id=tid,
                team_name=name,
                discussed_on=data.discussed_on.get(tid) if tid else None,
                active_employees=len(members),
                ready=len(members) - len(not_ready),
                not_ready=len(not_ready),
                acknowledged=sum(1 for e in members if e.id in data.acknowledged),
                not_ready_employees=[
                    EmployeeRef(id=e.id, external_id=e.external_id, full_name=e.full_name)
                    for e in not_ready
                ],
            )
        )
    total = sum(r.active_employees for r in rows)
    ready = sum(r.ready for r in rows)
    return ProtocolReadiness(
        protocol_id=data.protocol.id,
        version=data.protocol.version,
        title=data.protocol.title,
        published_at=data.protocol.published_at,
        active_employees=total,
        ready=ready,
        not_ready=total - ready,
        teams=rows,
    )


READINESS_CSV_HEADER = [
    "team",
    "team_id",
    "employee_id",
    "external_id",
    "full_name",
    "protocol_ready",
    "ready_via",
    "protocol_version",
]


def readiness_csv_rows(db: Session, *, team_id: uuid.UUID | None) -> list[list[object]]:
    """One row per active employee (columns ``READINESS_CSV_HEADER``), for spreadsheets."""
    data = _readiness_data(db, team_id=team_id)
    names = {t.id: t.name for t in data.teams}
    order = {t.id: i for i, t in enumerate(data.teams)}
    employees = sorted(
        data.employees, key=lambda e: order.get(e.team_id, len(order)) if e.team_id else len(order)
    )
    rows: list[list[object]] = []
    for emp in employees:
        via = data.via(emp)
        rows.append(
            [
                names.get(emp.team_id, "") if emp.team_id else "",
                emp.team_id or "",
                emp.id,
                emp.external_id or "",
                emp.full_name,
                "yes" if via else "no",
                "+".join(via),
                data.protocol.version,
            ]
        )
    return rows
