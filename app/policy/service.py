"""Norms, protocols, acknowledgements, team discussions and protocol readiness."""

import uuid
from collections.abc import Collection, Iterable
from datetime import datetime

from sqlalchemy import or_
from sqlmodel import Session, col, select

from app.core.models import utcnow
from app.organisation.models import Employee
from app.policy.models import (
    Protocol,
    ProtocolAcknowledgement,
    ProtocolStatus,
    TeamDiscussion,
)

# Large IN lists are split so one query never exceeds the drivers' parameter limits
# (SQLite 32766, PostgreSQL 65535); the number of queries stays bounded by the input size.
_CHUNK = 5_000


def _chunks(ids: Collection[uuid.UUID]) -> Iterable[list[uuid.UUID]]:
    unique = list(dict.fromkeys(ids))
    for start in range(0, len(unique), _CHUNK):
        yield unique[start : start + _CHUNK]


# --- the protocol in force ----------------------------------------------------------------


def current_protocol(session: Session) -> Protocol | None:
    """The organisation's published protocol, or None when none is published."""
    return session.exec(
        select(Protocol).where(col(Protocol.status) == ProtocolStatus.published)
    ).first()


def protocol_at(session: Session, at: datetime) -> Protocol | None:
    """The protocol version that was (or will be, if nothing changes) in force at ``at``."""
    return session.exec(
        select(Protocol)
        .where(
            col(Protocol.published_at).is_not(None),
            col(Protocol.published_at) <= at,
            or_(col(Protocol.superseded_at).is_(None), col(Protocol.superseded_at) > at),
        )
        .order_by(col(Protocol.published_at).desc())
        .limit(1)
    ).first()


# --- readiness (seed step 2: read or discussed before the training) ----------------------


def _acknowledged_ids(
    session: Session, protocol: Protocol, employee_ids: list[uuid.UUID], at: datetime
) -> set[uuid.UUID]:
    rows = session.exec(
        select(col(ProtocolAcknowledgement.employee_id)).where(
            col(ProtocolAcknowledgement.protocol_id) == protocol.id,
            col(ProtocolAcknowledgement.employee_id).in_(employee_ids),
            col(ProtocolAcknowledgement.read_at) <= at,
        )
    )
    return set(rows)


def _discussed_ids(
    session: Session, protocol: Protocol, employee_ids: list[uuid.UUID], at: datetime
) -> set[uuid.UUID]:
    discussed_teams = select(col(TeamDiscussion.team_id)).where(
        col(TeamDiscussion.protocol_id) == protocol.id,
        col(TeamDiscussion.discussed_on) <= at.date(),
    )
    rows = session.exec(
        select(col(Employee.id)).where(
            col(Employee.id).in_(employee_ids), col(Employee.team_id).in_(discussed_teams)
        )
    )
    return set(rows)


def protocol_ready_ids(
    session: Session, *, employee_ids: Collection[uuid.UUID], at: datetime | None = None
) -> set[uuid.UUID]:
    """Of ``employee_ids``, those protocol-ready at ``at`` (default now).

    Ready: they acknowledged the protocol version in force at ``at`` (read at or before
    ``at``), or their current team discussed that version on or before ``at``'s date.
    One query for the version plus two per 5,000 employees, whatever the count.
    """
    if not employee_ids:
        return set()
    at = at or utcnow()
    protocol = protocol_at(session, at)
    if protocol is None:
        return set()
    ready: set[uuid.UUID] = set()
    for chunk in _chunks(employee_ids):
        ready |= _acknowledged_ids(session, protocol, chunk, at)
        ready |= _discussed_ids(session, protocol, chunk, at)
    return ready


def is_protocol_ready(session: Session, *, employee: Employee, at: datetime | None = None) -> bool:
    """Whether one employee read, or their team discussed, the protocol in force at ``at``."""
    return employee.id in protocol_ready_ids(session, employee_ids=[employee.id], at=at)
