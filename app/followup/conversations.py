"""HRM conversations: the responsible manager, linked personal goals, the theme."""

import uuid
from collections.abc import Iterable, Sequence
from datetime import date

from sqlalchemy import or_
from sqlmodel import Session, col, select

from app.core.crud import apply_changes, no_duplicate_ids, resolve_ref, resolve_refs, set_links
from app.core.errors import RuleViolation
from app.core.listing import Listing, rendered_with_links
from app.core.models import touch
from app.core.tenancy import current_organisation_id, get_scoped
from app.followup.dates import HeldFilters, refuse_if_in_future
from app.followup.models import (
    HrmConversation,
    HrmConversationCreate,
    HrmConversationGoal,
    HrmConversationKind,
    HrmConversationPublic,
    HrmConversationUpdate,
)
from app.learning.models import PersonalGoal
from app.organisation.models import Employee, Role, TeamManager


def responsible_manager_ids(db: Session, employee: Employee) -> list[uuid.UUID]:
    """The employee's team managers and the active senior management (seed step 4)."""
    org_id = current_organisation_id(db)
    team_managers = (
        select(col(TeamManager.employee_id))
        .where(
            col(TeamManager.organisation_id) == org_id,
            col(TeamManager.team_id) == employee.team_id,
        )
        .scalar_subquery()
    )
    stmt = (
        select(col(Employee.id))
        .where(
            col(Employee.id) != employee.id,
            or_(
                (col(Employee.role) == Role.senior_management) & col(Employee.active),
                col(Employee.id).in_(team_managers),
            ),
        )
        .order_by(col(Employee.id))
    )
    return list(db.exec(stmt).all())


def _check_manager(db: Session, employee: Employee, manager_id: uuid.UUID) -> None:
    manager = resolve_ref(db, Employee, manager_id, pointer="/manager_id", what="employee")
    allowed = responsible_manager_ids(db, employee)
    if manager.id in allowed:
        return
    raise RuleViolation(
        f"{manager.full_name} is not responsible for {employee.full_name}: the HRM "
        "conversation is held by one of the employee's team managers or by senior management.",
        code="manager-not-responsible",
        violations=[
            {
                "rule": "hrm_manager_responsible",
                "message": "The manager must be one of the employee's team managers or "
                "senior management.",
                "manager_id": str(manager.id),
                "allowed_manager_ids": [str(a) for a in allowed],
            }
        ],
    )


def _check_goals(db: Session, employee: Employee, goal_ids: Sequence[uuid.UUID]) -> None:
    no_duplicate_ids(goal_ids, pointer="/personal_goal_ids/{i}", what="personal goal")
    goals = resolve_refs(
        db, PersonalGoal, goal_ids, pointer="/personal_goal_ids/{i}", what="personal goal"
    )
    foreign = [gid for gid in goal_ids if goals[gid].employee_id != employee.id]
    if foreign:
        raise RuleViolation(
            f"Only {employee.full_name}'s own personal goals can be discussed in their HRM "
            "conversation.",
            code="goal-of-another-employee",
            violations=[
                {
                    "rule": "hrm_goals_of_employee",
                    "message": "Each personal goal discussed must belong to the employee.",
                    "personal_goal_ids": [str(g) for g in foreign],
                }
            ],
        )


def _set_goals(db: Session, conv: HrmConversation, goal_ids: Iterable[uuid.UUID]) -> bool:
    return set_links(
        db,
        col(HrmConversationGoal.conversation_id),
        col(HrmConversationGoal.personal_goal_id),
        conv,
        goal_ids,
    )


# Conversations with their goals, in one query whatever the count.
hrm_conversations_public = rendered_with_links(
    HrmConversationPublic,
    "personal_goal_ids",
    col(HrmConversationGoal.conversation_id),
    col(HrmConversationGoal.personal_goal_id),
)


def create_hrm_conversation(
    db: Session, *, data: HrmConversationCreate, today: date
) -> HrmConversation:
    """A held conversation; the manager must be responsible, the goals the employee's own."""
    employee = resolve_ref(db, Employee, data.employee_id, pointer="/employee_id", what="employee")
    refuse_if_in_future(data.held_on, today)
    _check_manager(db, employee, data.manager_id)
    _check_goals(db, employee, data.personal_goal_ids)
    conv = HrmConversation(**data.model_dump(exclude={"personal_goal_ids"}))
    db.add(conv)
    db.flush()
    _set_goals(db, conv, data.personal_goal_ids)
    db.flush()
    return conv


def update_hrm_conversation(
    db: Session, *, conv: HrmConversation, data: HrmConversationUpdate, today: date
) -> HrmConversation:
    """Change a conversation; the manager and goal rules are checked again."""
    changes = data.model_dump(exclude_unset=True, exclude={"personal_goal_ids"})
    employee = get_scoped(db, Employee, conv.employee_id)
    refuse_if_in_future(changes.get("held_on", conv.held_on), today)
    if "manager_id" in changes:
        _check_manager(db, employee, changes["manager_id"])
    apply_changes(conv, changes)
    if data.personal_goal_ids is not None:
        _check_goals(db, employee, data.personal_goal_ids)
        if _set_goals(db, conv, data.personal_goal_ids):
            touch(conv)
    db.flush()
    return conv


def delete_hrm_conversation(db: Session, *, conv: HrmConversation) -> None:
    """Delete a conversation."""
    db.delete(conv)
    db.flush()


class HrmConversationFilters(HeldFilters):
    employee_id: uuid.UUID | None = None
    manager_id: uuid.UUID | None = None
    kind: HrmConversationKind | None = None
    theme_discussed: bool | None = None


HRM_CONVERSATION_LIST = Listing(
    model=HrmConversation,
    filters=HrmConversationFilters,
    public=HrmConversationPublic,
    render=hrm_conversations_public,
    doc="HRM cycle conversations; filter by employee, manager, kind, theme and period.",
)
