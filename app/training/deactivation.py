"""Deactivated employees give up their seats in sessions that have not started.

An employee who is deactivated (``active: false`` by PATCH, an import row, or an import's
``deactivate_missing``) has left or is leaving: they will not attend the sessions they are
booked on, and an inactive employee may not be enrolled anyway (rule ``employee_active``).
Their enrolments in planned sessions that have not started yet are therefore cancelled and
the seats freed; enrolments in sessions that started (attendance can still be recorded)
or ended, completions and the training record stay as they are.

Managers first needs nothing more: only *active* managers are responsible for staff
(``managers_first.responsible_managers``), so the cancelled management booking of a
deactivated manager was no longer counted for anyone.

Set-based: one query finds the enrolments of any number of employees (per 5,000), one
``UPDATE`` cancels them (per 5,000) and one executemany frees the seats per session. Both
writes go through the session, so the audit trail records every cancelled enrolment and
every session whose seat count changed.
"""

import uuid
from collections import Counter
from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy import bindparam
from sqlmodel import Session, col, select

from app.core.models import bulk_update, utcnow
from app.core.queries import chunks, unique_chunks
from app.training.models import Enrolment, EnrolmentStatus, SessionStatus, TrainingSession


def cancel_future_enrolments(
    db: Session, employee_ids: Sequence[uuid.UUID], *, dry_run: bool = False
) -> list[str]:
    """Cancel these (deactivated) employees' enrolments in planned sessions that have not
    started, freeing the seats; ``dry_run`` only counts them. Returns what was done, in
    words (empty when nothing was)."""
    now = utcnow()
    found: list[uuid.UUID] = []
    people: set[uuid.UUID] = set()
    for part in unique_chunks(employee_ids):
        rows = db.execute(
            select(col(Enrolment.id), col(Enrolment.employee_id))
            .join(TrainingSession, col(TrainingSession.id) == col(Enrolment.session_id))
            .where(
                col(Enrolment.employee_id).in_(part),
                col(Enrolment.status) != EnrolmentStatus.cancelled,
                col(TrainingSession.status) == SessionStatus.planned,
                col(TrainingSession.starts_at) > now,
            )
        ).all()
        found += [enrolment_id for enrolment_id, _e in rows]
        people.update(employee_id for _i, employee_id in rows)
    if not found:
        return []
    freed: Counter[uuid.UUID] = Counter()
    if not dry_run:
        for ids in chunks(found):
            # Guarded by status: an enrolment cancelled meanwhile frees no second seat.
            cancelled = db.execute(
                bulk_update(Enrolment, at=now)
                .where(
                    col(Enrolment.id).in_(ids),
                    col(Enrolment.status) != EnrolmentStatus.cancelled,
                )
                .values(status=EnrolmentStatus.cancelled)
                .returning(col(Enrolment.session_id))
                .execution_options(synchronize_session="fetch")
            )
            freed.update(cancelled.scalars())
        _free_seats(db, freed)
    count = len(found) if dry_run else sum(freed.values())
    verb = "would be" if dry_run else "were"
    return [
        f"{count} enrolment(s) of {len(people)} deactivated employee(s) in sessions that have "
        f"not started {verb} cancelled, freeing the seats."
    ]


def _free_seats(db: Session, freed: Counter[uuid.UUID]) -> None:
    """Lower each session's seat count by its cancelled enrolments: one executemany."""
    if not freed:
        return
    table: sa.Table = TrainingSession.__table__  # type: ignore[attr-defined]
    taken = table.c.enrolled_count
    n = bindparam("b_n", type_=sa.Integer)
    db.execute(
        bulk_update(table)
        .where(table.c.id == bindparam("b_id"))
        .values(enrolled_count=sa.case((taken > n, taken - n), else_=0)),
        [{"b_id": session_id, "b_n": n_freed} for session_id, n_freed in freed.items()],
    )
    # Sessions already loaded read their new count on next access.
    for obj in list(db.identity_map.values()):
        if isinstance(obj, TrainingSession) and obj.id in freed:
            db.expire(obj, ["enrolled_count", "updated_at"])
