"""Derived status events: what an HR platform acts on, read from the same notes (issue 17).

Besides ``<resource>.created|updated|deleted`` the feed announces, in the same transaction:
- ``enrolment.cancelled`` / ``enrolment.completed`` when an enrolment's status becomes so
  (``enrolment.created`` is the enrolment's own create event);
- ``employee.training_record_changed`` when a completion of the employee is recorded or
  changed (a skill may have become current);
- ``personal_goal.alignment_changed`` when a goal's alignment with its team's objectives
  changes.
Time-based events (overdue, lapsed, due) are written by the worker (``timed.py``).
"""

import uuid
from collections.abc import Iterable, Sequence
from typing import Any, Protocol

import sqlalchemy as sa
from sqlmodel import SQLModel

from app.audit.models import AuditAction


class Changed(Protocol):
    """What a derived rule reads of one change (``outbox.Change``)."""

    organisation_id: uuid.UUID
    first: AuditAction
    fields: frozenset[str]
    state: dict[str, Any] | None

    @property
    def resource_type(self) -> str: ...

    @property
    def resource_id(self) -> uuid.UUID: ...


# (type, organisation_id, resource_type, resource_id, external_id, data)
Derived = tuple[str, uuid.UUID, str, uuid.UUID, str | None, dict[str, Any] | None]

_ENROLMENT_OUTCOMES = {"cancelled": "enrolment.cancelled", "completed": "enrolment.completed"}
# The field whose change on an existing row a rule announces.
_ANNOUNCED_FIELD = {"enrolment": "status", "personal_goal": "alignment"}


def _announced_field_changed(change: Changed) -> bool:
    field = _ANNOUNCED_FIELD.get(change.resource_type)
    return field is not None and change.first is not AuditAction.create and field in change.fields


def _announces(change: Changed) -> bool:
    return change.state is not None and _announced_field_changed(change)


def reads_state(change: Changed) -> bool:
    """Whether a rule below reads this change's state (the outbox's bulk path skips
    loading the states of rows none reads)."""
    return change.resource_type == "training_completion" or _announced_field_changed(change)


def kept_state(change: Changed) -> dict[str, Any] | None:
    """What of this change's state the rules below read (None: nothing). The outbox keeps
    only this once the row's own event is built, so a large import's states do not all
    stay in memory until its derived events (outbox._write_events)."""
    if _announces(change):
        return change.state  # the derived event carries it
    if change.resource_type == "training_completion" and change.state is not None:
        return {"employee_id": change.state["employee_id"]}
    return None


def _enrolment(change: Changed) -> Derived | None:
    state = change.state
    if state is None or not _announces(change):
        return None
    type_ = _ENROLMENT_OUTCOMES.get(str(state.get("status")))
    if type_ is None:
        return None
    return type_, change.organisation_id, "enrolment", change.resource_id, None, state


def _alignment(change: Changed) -> Derived | None:
    state = change.state
    if state is None or not _announces(change):
        return None
    return (
        "personal_goal.alignment_changed",
        change.organisation_id,
        "personal_goal",
        change.resource_id,
        None,
        state,
    )


def _record_changes(changes: Iterable[Changed]) -> dict[uuid.UUID, tuple[uuid.UUID, list[str]]]:
    """employee id -> (organisation, reasons) for completions recorded or removed."""
    found: dict[uuid.UUID, tuple[uuid.UUID, list[str]]] = {}
    for change in changes:
        state = change.state
        if change.resource_type != "training_completion" or state is None:
            continue
        reason = (
            "completion_recorded" if change.first is AuditAction.create else "completion_changed"
        )
        employee = uuid.UUID(str(state["employee_id"]))
        found.setdefault(employee, (change.organisation_id, []))[1].append(reason)
    return found


def employee_keys(conn: sa.Connection, ids: list[uuid.UUID]) -> dict[uuid.UUID, str | None]:
    table = SQLModel.metadata.tables["employee"]
    stmt = sa.select(table.c.id, table.c.external_id).where(table.c.id.in_(ids))
    return dict(tuple(r) for r in conn.execute(stmt))


def derived_events(conn: sa.Connection, changes: Sequence[Changed]) -> list[Derived]:
    """The derived status events of one committing transaction's changes."""
    found: list[Derived] = []
    for change in changes:
        rule = {"enrolment": _enrolment, "personal_goal": _alignment}.get(change.resource_type)
        event = rule(change) if rule is not None else None
        if event is not None:
            found.append(event)
    records = _record_changes(changes)
    if records:
        keys = employee_keys(conn, list(records))
        for employee_id, (org_id, reasons) in records.items():
            data = {"employee_id": str(employee_id), "reasons": sorted(set(reasons))}
            found.append(
                (
                    "employee.training_record_changed",
                    org_id,
                    "employee",
                    employee_id,
                    keys.get(employee_id),
                    data,
                )
            )
    return found
