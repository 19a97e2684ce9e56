"""Which protocol is in force, and who is ready (seed step 2: the protocol is read or
discussed in a team meeting before the training).
"""

import uuid
from collections import defaultdict
from collections.abc import Collection
from datetime import date, datetime
from typing import Any, NamedTuple

from sqlalchemy import ColumnElement, Select, and_, case, func, or_
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select
from sqlmodel.sql.expression import SelectOfScalar

from app.core.crud import resolve_ref
from app.core.dates import day_of
from app.core.errors import NotFound
from app.core.models import utcnow
from app.core.queries import unique_chunks
from app.core.roles import evidence_beyond_reach
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


# The two ways to be ready, each written once as "the employees who ...", and used in two
# ways: probed per employee (a correlated EXISTS) when a few employees are asked about, and
# as one set for the whole organisation in the readiness report (``IN (SELECT ...)``).


def _acknowledged_by(protocol_id: Any, at: datetime) -> Select[Any]:
    """The employees who acknowledged (read) this version at or before ``at``."""
    return select(col(ProtocolAcknowledgement.employee_id)).where(
        col(ProtocolAcknowledgement.protocol_id) == protocol_id,
        col(ProtocolAcknowledgement.read_at) <= at,
    )


def _took_part_in_discussion(protocol_id: Any, at: datetime) -> Select[Any]:
    """The employees who took part in a team discussion of this version on or before
    ``at``'s date (issue 20, item 5: the people who were there, not whoever is on the team
    now)."""
    return (
        select(col(TeamDiscussionParticipant.employee_id))
        .join(
            TeamDiscussion, col(TeamDiscussion.id) == col(TeamDiscussionParticipant.discussion_id)
        )
        .where(
            col(TeamDiscussion.protocol_id) == protocol_id,
            col(TeamDiscussion.discussed_on) <= day_of(at),
        )
    )


def _ready_condition(protocol_id: Any, at: datetime) -> ColumnElement[bool]:
    # Per employee, two index probes (the unique acknowledgement; the participant's
    # employee index). An IN list of ids combined with ``team_id IN (discussing teams)``
    # made SQLite probe every id for every discussing team.
    return or_(
        *(
            who.where(who.selected_columns[0] == col(Employee.id)).exists()
            for who in (
                _acknowledged_by(protocol_id, at),
                _took_part_in_discussion(protocol_id, at),
            )
        )
    )


EmployeeIds = Collection[uuid.UUID] | Select[Any]
# The version in force, as a subquery of the readiness query (built once: aliasing is slow).
_IN_FORCE = aliased(Protocol)


_EVIDENCE = (ProtocolAcknowledgement, TeamDiscussion, TeamDiscussionParticipant)


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
        # The evidence (acknowledgements, discussions) counts whoever may read it: a trainer
        # completing their session decides on acknowledgements their role does not see.
        with evidence_beyond_reach(db, *_EVIDENCE):
            rows = db.exec(
                select(col(Protocol.version), col(Employee.id))
                .outerjoin(
                    Employee,
                    and_(col(Employee.id).in_(group), _ready_condition(Protocol.id, at)),
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


class _Scope(NamedTuple):
    """What a readiness report covers: the version in force, the teams, and the active
    employees (a SELECT, so the database applies the readiness test to each of them)."""

    protocol: Protocol
    at: datetime
    teams: list[Team]
    employees: Any  # a SELECT of Employee
    acknowledged: ColumnElement[bool]
    discussed: ColumnElement[bool]


def _scope(db: Session, *, team_id: uuid.UUID | None) -> _Scope:
    protocol = require_current_protocol(db)
    now = utcnow()
    team_stmt = select(Team).order_by(col(Team.name), col(Team.id))
    employees: Any = select(Employee).where(col(Employee.active).is_(True))
    if team_id is not None:
        resolve_ref(db, Team, team_id, pointer="/query/team_id", what="team")
        team_stmt = team_stmt.where(col(Team.id) == team_id)
        employees = employees.where(col(Employee.team_id) == team_id)
    return _Scope(
        protocol=protocol,
        at=now,
        teams=list(db.exec(team_stmt)),
        employees=employees,
        # For the whole organisation each set is read once. Probing per employee (as
        # ``_ready_condition`` does) cost SQLite 0.6 s at 10,000 employees before it had
        # statistics: it scanned every discussion of the version for each employee.
        acknowledged=col(Employee.id).in_(_acknowledged_by(protocol.id, now)),
        discussed=col(Employee.id).in_(_took_part_in_discussion(protocol.id, now)),
    )


_PERSON = (
    col(Employee.id),
    col(Employee.team_id),
    col(Employee.external_id),
    col(Employee.first_name),
    col(Employee.name_particle),
    col(Employee.last_name),
)
_BY_NAME = (col(Employee.last_name), col(Employee.first_name), col(Employee.id))


def _via(acknowledged: Any, discussed: Any) -> list[ReadyVia]:
    # SQLite answers EXISTS with 0/1, PostgreSQL with a boolean.
    out = []
    if acknowledged:
        out.append(ReadyVia.acknowledged)
    if discussed:
        out.append(ReadyVia.team_discussion)
    return out


def readiness(db: Session, *, team_id: uuid.UUID | None) -> ProtocolReadiness:
    """Per team: active employees who read or discussed the current protocol, and who not.

    Active employees without a team are reported under a team of null (only when no team
    filter is given). NotFound (``no-current-protocol``) when nothing is published.

    The database counts per team and returns only the people who are not ready: with
    10,000 employees, fetching everyone (and their acknowledgements) to count in Python
    made this the slowest report (docs/performance.md).
    """
    scope = _scope(db, team_id=team_id)
    ready = or_(scope.acknowledged, scope.discussed)
    counts = {
        tid: (total, int(n_ready or 0), int(n_ack or 0))
        for tid, total, n_ready, n_ack in db.execute(
            scope.employees.with_only_columns(
                col(Employee.team_id),
                func.count(),
                func.sum(case((ready, 1), else_=0)),
                func.sum(case((scope.acknowledged, 1), else_=0)),
            ).group_by(col(Employee.team_id))
        )
    }
    not_ready: dict[uuid.UUID | None, list[EmployeeRef]] = defaultdict(list)
    for i, tid, x, first, particle, last in db.execute(
        scope.employees.with_only_columns(*_PERSON).where(~ready).order_by(*_BY_NAME)
    ):
        not_ready[tid].append(
            EmployeeRef(id=i, external_id=x, full_name=full_name(first, particle, last))
        )
    discussed_on: dict[uuid.UUID, date] = dict(
        db.exec(
            select(col(TeamDiscussion.team_id), func.max(TeamDiscussion.discussed_on))
            .where(
                col(TeamDiscussion.protocol_id) == scope.protocol.id,
                col(TeamDiscussion.discussed_on) <= day_of(scope.at),
            )
            .group_by(col(TeamDiscussion.team_id))
        ).all()
    )
    groups: list[tuple[uuid.UUID | None, str | None]] = [(t.id, t.name) for t in scope.teams]
    if team_id is None and None in counts:
        groups.append((None, None))
    rows = []
    for tid, name in groups:
        members, n_ready, n_ack = counts.get(tid, (0, 0, 0))
        rows.append(
            TeamReadiness(
                team_id=tid,
                team_name=name,
                discussed_on=discussed_on.get(tid) if tid else None,
                active_employees=members,
                ready=n_ready,
                not_ready=members - n_ready,
                acknowledged=n_ack,
                not_ready_employees=not_ready.get(tid, []),
            )
        )
    total = sum(r.active_employees for r in rows)
    n_ready = sum(r.ready for r in rows)
    return ProtocolReadiness(
        protocol_id=scope.protocol.id,
        version=scope.protocol.version,
        title=scope.protocol.title,
        published_at=scope.protocol.published_at,
        active_employees=total,
        ready=n_ready,
        not_ready=total - n_ready,
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
    """One row per active employee (columns ``READINESS_CSV_HEADER``), for spreadsheets:
    team by team in the report's order, by name within a team."""
    scope = _scope(db, team_id=team_id)
    names = {t.id: t.name for t in scope.teams}
    order = {t.id: i for i, t in enumerate(scope.teams)}
    people = list(
        db.execute(
            scope.employees.with_only_columns(
                *_PERSON, scope.acknowledged.label("ack"), scope.discussed.label("disc")
            ).order_by(*_BY_NAME)
        )
    )
    people.sort(key=lambda p: order.get(p[1], len(order)) if p[1] else len(order))
    rows: list[list[object]] = []
    for i, tid, x, first, particle, last, ack, disc in people:
        via = _via(ack, disc)
        rows.append(
            [
                names.get(tid, "") if tid else "",
                tid or "",
                i,
                x or "",
                full_name(first, particle, last),
                "yes" if via else "no",
                "+".join(via),
                scope.protocol.version,
            ]
        )
    return rows
