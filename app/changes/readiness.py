"""``employee.readiness_changed``: an employee's protocol readiness as the feed last said it.

Readiness (``policy/readiness.py``) changes when an employee acknowledges a version, when
their team discusses it, when they move team, and for everyone when a new version is
published. At commit, the employees such a change may concern are judged again with the
policy domain's own query, and an event is written for each whose ``(protocol version,
ready)`` differs from the last one the feed announced for them (or who has none yet):
"changed" is relative to what a reader was told, so a reader never misses a change and
never gets the same state twice.
"""

import uuid
from collections.abc import Iterable, Sequence
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, select

from app.audit.models import AuditAction
from app.changes.derived import Changed, Derived
from app.changes.models import ChangeEvent
from app.core.queries import chunks
from app.core.tenancy import ORG_KEY
from app.organisation.models import Employee
from app.policy import readiness as policy_readiness

TYPE = "employee.readiness_changed"
_CHUNK = 1000


def reads_state(change: Changed) -> bool:
    """Whether ``_concerned`` reads this change's state (the outbox's bulk path skips
    loading the states of rows none reads)."""
    if change.resource_type == "employee":
        # One who moved team; a new employee is announced by its own event.
        return change.first is not AuditAction.create and "team_id" in change.fields
    return change.resource_type in _KEY_READ


# The one field of its state ``_concerned`` reads, per resource type.
_KEY_READ = {"protocol_acknowledgement": "employee_id", "team_discussion": "team_id"}


def kept_state(change: Changed) -> dict[str, Any] | None:
    """What of this change's state ``_concerned`` reads (None: nothing; an employee who
    moved team: only that the row exists). The outbox keeps only this once the row's own
    event is built (outbox._write_events)."""
    state = change.state
    if state is None or not reads_state(change):
        return None
    key = _KEY_READ.get(change.resource_type)
    return {key: state[key]} if key else {}


def _concerned(db: Session, changes: Iterable[Changed]) -> set[uuid.UUID]:
    """Employees whose readiness these changes may have changed."""
    employees: set[uuid.UUID] = set()
    teams: set[uuid.UUID] = set()
    everyone = False
    for change in changes:
        state, rtype = change.state, change.resource_type
        if rtype == "protocol" and ({"status", "published_at"} & change.fields):
            everyone = True
        elif state is None or not reads_state(change):
            continue
        elif rtype == "protocol_acknowledgement":
            employees.add(uuid.UUID(str(state["employee_id"])))
        elif rtype == "team_discussion":
            teams.add(uuid.UUID(str(state["team_id"])))
        else:  # an employee who moved team
            employees.add(change.resource_id)
    if everyone:
        return set(db.exec(select(col(Employee.id)).where(col(Employee.active))).all())
    if teams:
        stmt = select(col(Employee.id)).where(col(Employee.team_id).in_(teams))
        employees |= set(db.exec(stmt).all())
    return employees


def _last_said(db: Session, ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, Any]:
    said: dict[uuid.UUID, Any] = {}
    for part in chunks(ids, _CHUNK):
        stmt = (
            sa.select(col(ChangeEvent.resource_id), col(ChangeEvent.data))
            .where(col(ChangeEvent.type) == TYPE, col(ChangeEvent.resource_id).in_(part))
            .order_by(col(ChangeEvent.txid), col(ChangeEvent.seq))
        )
        for rid, data in db.connection().execute(stmt):
            said[rid] = data
    return said


def _external_ids(db: Session, ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, str | None]:
    keys: dict[uuid.UUID, str | None] = {}
    for part in chunks(ids, _CHUNK):
        stmt = sa.select(col(Employee.id), col(Employee.external_id)).where(
            col(Employee.id).in_(part)
        )
        keys.update((rid, ext) for rid, ext in db.connection().execute(stmt))
    return keys


def readiness_events(db: Session, changes: Sequence[Changed]) -> list[Derived]:
    """Readiness events for the employees this transaction's changes concern."""
    org_id = db.info.get(ORG_KEY)
    if org_id is None:
        return []
    concerned = sorted(_concerned(db, [c for c in changes if c.organisation_id == org_id]))
    if not concerned:
        return []
    version, ready = policy_readiness.ready_ids_at(db, employee_ids=concerned)
    said = _last_said(db, concerned)
    keys = _external_ids(db, concerned)
    found: list[Derived] = []
    for employee_id in concerned:
        data = {"protocol_version": version, "protocol_ready": employee_id in ready}
        previous = said.get(employee_id)
        if previous is None and not data["protocol_ready"] and version is None:
            continue  # nothing to be ready for, and nothing was ever said
        if previous == data:
            continue
        found.append((TYPE, org_id, "employee", employee_id, keys.get(employee_id), data))
    return found
