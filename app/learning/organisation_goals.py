"""Organisation-level goals (issue 20, item 9; seed: "de organisatie als geheel"): the
objectives of the organisation as a whole that team goals serve (``organisation_goal_id``
on a team goal), shown in the overview report."""

import uuid
from datetime import date, datetime
from enum import StrEnum

import sqlalchemy as sa
from pydantic import BaseModel
from sqlalchemy import case, func
from sqlmodel import Field, Session, SQLModel, col

from app.core.crud import apply_changes, delete_or_conflict
from app.core.listing import ListFilters, Listing
from app.core.models import CreateModel, PatchModel, TenantTable
from app.learning.models import TeamGoal, TeamGoalStatus

TEXT_MAX = 10_000


class OrganisationGoalStatus(StrEnum):
    active = "active"
    archived = "archived"


class OrganisationGoal(TenantTable, table=True):
    """An objective of the organisation as a whole."""

    __tablename__ = "organisation_goal"

    title: str = Field(max_length=200)
    description: str | None = Field(default=None, max_length=TEXT_MAX)
    target_on: date | None = None
    status: OrganisationGoalStatus = Field(
        default=OrganisationGoalStatus.active, sa_type=sa.String(16)
    )


class OrganisationGoalCreate(CreateModel):
    title: str = Field(min_length=1, max_length=200)
    description: str | None = Field(default=None, max_length=TEXT_MAX)
    target_on: date | None = Field(default=None, description="When the organisation aims there.")
    status: OrganisationGoalStatus = OrganisationGoalStatus.active


class OrganisationGoalUpdate(PatchModel):
    title: str = Field(default=None, min_length=1, max_length=200)
    description: str | None = Field(default=None, max_length=TEXT_MAX)
    target_on: date | None = None
    status: OrganisationGoalStatus = Field(default=None)


class OrganisationGoalPublic(SQLModel):
    id: uuid.UUID
    title: str
    description: str | None
    target_on: date | None
    status: OrganisationGoalStatus
    created_at: datetime
    updated_at: datetime


def create_goal(db: Session, *, data: OrganisationGoalCreate) -> OrganisationGoal:
    goal = OrganisationGoal(**data.model_dump())
    db.add(goal)
    db.flush()
    return goal


def update_goal(
    db: Session, *, goal: OrganisationGoal, data: OrganisationGoalUpdate
) -> OrganisationGoal:
    apply_changes(goal, data.model_dump(exclude_unset=True))
    db.flush()
    return goal


def delete_goal(db: Session, *, goal: OrganisationGoal) -> None:
    delete_or_conflict(
        db, goal, "Team goals serve this organisation goal; archive it (status=archived)."
    )


class OrganisationGoalFilters(ListFilters):
    status: OrganisationGoalStatus | None = None


ORGANISATION_GOAL_LIST = Listing(
    model=OrganisationGoal,
    filters=OrganisationGoalFilters,
    public=OrganisationGoalPublic,
    doc="The organisation's own objectives, which team goals serve; filter by status.",
)


class OrganisationGoalFigures(BaseModel):
    """An active organisation goal and the team goals that serve it."""

    organisation_goal_id: uuid.UUID
    title: str
    target_on: date | None
    active_team_goals: int
    teams: int = Field(description="Teams with an active goal serving it.")


def goal_figures(db: Session) -> list[OrganisationGoalFigures]:
    """Per active organisation goal, the active team goals serving it (one query)."""
    active = col(TeamGoal.status) == TeamGoalStatus.active
    rows = db.execute(
        sa.select(
            col(OrganisationGoal.id),
            col(OrganisationGoal.title),
            col(OrganisationGoal.target_on),
            func.count(case((active, TeamGoal.id))),
            func.count(sa.distinct(case((active, TeamGoal.team_id)))),
        )
        .outerjoin(TeamGoal, col(TeamGoal.organisation_goal_id) == col(OrganisationGoal.id))
        .where(col(OrganisationGoal.status) == OrganisationGoalStatus.active)
        .group_by(
            col(OrganisationGoal.id), col(OrganisationGoal.title), col(OrganisationGoal.target_on)
        )
        .order_by(col(OrganisationGoal.title), col(OrganisationGoal.id))
    ).all()
    return [
        OrganisationGoalFigures(
            organisation_goal_id=gid, title=title, target_on=on, active_team_goals=n, teams=t
        )
        for gid, title, on, n, t in rows
    ]
