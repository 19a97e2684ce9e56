"""Follow-up items: action, learning and attention points and their owners."""

import uuid
from collections.abc import Sequence
from datetime import date, datetime

from sqlalchemy import or_
from sqlmodel import Session, col, select

from app.core.crud import (
    apply_changes,
    resolve_ref,
    unknown_reference,
)
from app.core.errors import Conflict, InvalidInput
from app.core.models import render, utcnow
from app.core.pagination import PageEnd, PageParams, paginate
from app.core.queries import where_given
from app.core.tenancy import get_scoped
from app.followup.models import (
    FollowUpItem,
    FollowUpItemCreate,
    FollowUpItemPublic,
    FollowUpItemUpdate,
    FollowUpKind,
    FollowUpSource,
    FollowUpSourceFilter,
    FollowUpStatus,
    PracticeReview,
    SessionFollowUpCreate,
)
from app.incidents.models import Incident
from app.organisation.models import Employee, Team
from app.training.models import SessionStatus, TrainingSession


def is_overdue(item: FollowUpItem, today: date) -> bool:
    """Open and past its due date (an item due today is not yet overdue)."""
    return item.status == FollowUpStatus.open and item.due_on is not None and item.due_on < today


def follow_up_public(item: FollowUpItem, today: date) -> FollowUpItemPublic:
    """The API shape of a follow-up item, with its source and whether it is overdue."""
    source = None
    if item.training_session_id is not None:
        source = FollowUpSource.training_session
    elif item.practice_review_id is not None:
        source = FollowUpSource.practice_review
    elif item.incident_id is not None:
        source = FollowUpSource.incident
    return render(FollowUpItemPublic, item, source=source, overdue=is_overdue(item, today))


def list_follow_up_items(
    db: Session,
    *,
    params: PageParams,
    today: date,
    owner_employee_id: uuid.UUID | None = None,
    owner_team_id: uuid.UUID | None = None,
    team_id: uuid.UUID | None = None,
    source: FollowUpSourceFilter | None = None,
    training_session_id: uuid.UUID | None = None,
    practice_review_id: uuid.UUID | None = None,
    incident_id: uuid.UUID | None = None,
    kind: FollowUpKind | None = None,
    status: FollowUpStatus | None = None,
    overdue: bool | None = None,
) -> tuple[Sequence[FollowUpItem], PageEnd]:
    """Items with the API's filters; ``team_id`` matches the team's items and its members'."""
    stmt = where_given(
        select(FollowUpItem),
        FollowUpItem,
        owner_employee_id=owner_employee_id,
        owner_team_id=owner_team_id,
        training_session_id=training_session_id,
        practice_review_id=practice_review_id,
        incident_id=incident_id,
        kind=kind,
        status=status,
    )
    if team_id is not None:
        members = select(col(Employee.id)).where(col(Employee.team_id) == team_id)
        stmt = stmt.where(
            or_(
                col(FollowUpItem.owner_team_id) == team_id,
                col(FollowUpItem.owner_employee_id).in_(members),
            )
        )
    if source == FollowUpSourceFilter.training_session:
        stmt = stmt.where(col(FollowUpItem.training_session_id).is_not(None))
    elif source == FollowUpSourceFilter.practice_review:
        stmt = stmt.where(col(FollowUpItem.practice_review_id).is_not(None))
    elif source == FollowUpSourceFilter.incident:
        stmt = stmt.where(col(FollowUpItem.incident_id).is_not(None))
    elif source == FollowUpSourceFilter.none:
        stmt = stmt.where(
            col(FollowUpItem.training_session_id).is_(None),
            col(FollowUpItem.practice_review_id).is_(None),
            col(FollowUpItem.incident_id).is_(None),
        )
    if overdue is not None:
        is_open = col(FollowUpItem.status) == FollowUpStatus.open
        due_on = col(FollowUpItem.due_on)
        # Spelled out both ways: NOT on a NULL due date would drop items without one.
        if overdue:
            stmt = stmt.where(is_open, due_on.is_not(None), due_on < today)
        else:
            stmt = stmt.where(or_(~is_open, due_on.is_(None), due_on >= today))
    return paginate(db, stmt, FollowUpItem, params)


def _resolve_owners(
    db: Session,
    owners: Sequence[tuple[uuid.UUID | None, uuid.UUID | None]],
    *,
    pointer_prefix: str,
) -> None:
    """Each owner is an employee or team of this organisation; 422 naming the first unknown."""
    emp_ids = {e for e, _ in owners if e is not None}
    team_ids = {t for _, t in owners if t is not None}
    emps = set(db.exec(select(col(Employee.id)).where(col(Employee.id).in_(emp_ids))).all())
    teams = set(db.exec(select(col(Team.id)).where(col(Team.id).in_(team_ids))).all())
    for i, (emp_id, team_id) in enumerate(owners):
        where = pointer_prefix.format(i=i)
        if emp_id is not None and emp_id not in emps:
            raise unknown_reference(f"{where}/owner_employee_id", "employee", emp_id)
        if team_id is not None and team_id not in teams:
            raise unknown_reference(f"{where}/owner_team_id", "team", team_id)


def create_follow_up_item(db: Session, *, data: FollowUpItemCreate) -> FollowUpItem:
    """A new item; owner and source must be the organisation's own."""
    _resolve_owners(db, [(data.owner_employee_id, data.owner_team_id)], pointer_prefix="")
    if data.training_session_id is not None:
        resolve_ref(
            db,
            TrainingSession,
            data.training_session_id,
            pointer="/training_session_id",
            what="training session",
        )
    if data.practice_review_id is not None:
        resolve_ref(
            db,
            PracticeReview,
            data.practice_review_id,
            pointer="/practice_review_id",
            what="practice review",
        )
    if data.incident_id is not None:
        resolve_ref(db, Incident, data.incident_id, pointer="/incident_id", what="incident")
    item = FollowUpItem(**data.model_dump())
    db.add(item)
    db.flush()
    return item


def record_session_follow_up(
    db: Session, *, session_id: uuid.UUID, data: SessionFollowUpCreate
) -> list[FollowUpItem]:
    """Record several items from one training session: all of them, or none (one request)."""
    training = get_scoped(db, TrainingSession, session_id, name="training_session")
    if training.status == SessionStatus.cancelled:
        raise Conflict(
            "The training session was cancelled; it has nothing to follow up.",
            code="session-cancelled",
        )
    _resolve_owners(
        db,
        [(i.owner_employee_id, i.owner_team_id) for i in data.items],
        pointer_prefix="/items/{i}",
    )
    items = [FollowUpItem(**i.model_dump(), training_session_id=training.id) for i in data.items]
    db.add_all(items)
    db.flush()
    return items


def update_follow_up_item(
    db: Session, *, item: FollowUpItem, data: FollowUpItemUpdate, now: datetime | None = None
) -> FollowUpItem:
    """Change an item; `done` records when, reopening or cancelling clears it."""
    changes = data.model_dump(exclude_unset=True)
    if "owner_employee_id" in changes or "owner_team_id" in changes:
        # Naming one owner replaces the other: an item always has exactly one.
        emp = changes.get("owner_employee_id")
        team = changes.get("owner_team_id")
        if (emp is None) == (team is None):
            raise InvalidInput(
                "Give exactly one of owner_employee_id and owner_team_id.",
                code="one-owner",
                errors=[{"pointer": "/owner_employee_id", "detail": "exactly one owner"}],
            )
        _resolve_owners(db, [(emp, team)], pointer_prefix="")
        changes["owner_employee_id"], changes["owner_team_id"] = emp, team
    if "status" in changes and changes["status"] != item.status:
        done = changes["status"] == FollowUpStatus.done
        changes["done_at"] = (now or utcnow()) if done else None
    apply_changes(item, changes)
    db.flush()
    return item


def delete_follow_up_item(db: Session, *, item: FollowUpItem) -> None:
    """Delete an item (entered by mistake; otherwise cancel it)."""
    db.delete(item)
    db.flush()
