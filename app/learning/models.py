"""Skills, function-group needs, team goals and personal goals."""

import uuid
from datetime import date
from enum import StrEnum

import sqlalchemy as sa
from sqlmodel import Column, Field, SQLModel, UniqueConstraint

from app.core.models import TenantTable

TEXT_MAX = 10_000


class Skill(TenantTable, table=True):
    """A skill to learn: the nine of the seed (``builtin``) or the organisation's own."""

    __tablename__ = "skill"
    __table_args__ = (UniqueConstraint("organisation_id", "code"),)

    code: str = Field(max_length=64)
    label_nl: str = Field(max_length=300)
    label_en: str = Field(max_length=300)
    pillar: int | None = None
    builtin: bool = False
    retired: bool = False


class NeedPriority(StrEnum):
    required = "required"
    recommended = "recommended"


class FunctionGroupNeed(TenantTable, table=True):
    """A skill a function group needs (only stored once the organisation sets its own)."""

    __tablename__ = "function_group_need"
    __table_args__ = (UniqueConstraint("function_group_id", "skill_id"),)

    function_group_id: uuid.UUID = Field(
        sa_column=Column(
            sa.Uuid,
            sa.ForeignKey("function_group.id", ondelete="CASCADE"),
            nullable=False,
            index=True,
        )
    )
    skill_id: uuid.UUID = Field(foreign_key="skill.id", index=True)
    priority: NeedPriority = Field(default=NeedPriority.required, sa_type=sa.String(16))


class TeamGoalStatus(StrEnum):
    active = "active"
    achieved = "achieved"
    archived = "archived"


class TeamGoal(TenantTable, table=True):
    """A team objective for one skill (seed step 3: translate the protocol into goals)."""

    __tablename__ = "team_goal"
    __table_args__ = (
        sa.Index("ix_team_goal_team_id_skill_id_status", "team_id", "skill_id", "status"),
    )

    team_id: uuid.UUID = Field(foreign_key="team.id", index=True)
    skill_id: uuid.UUID = Field(foreign_key="skill.id", index=True)
    description: str = Field(max_length=TEXT_MAX)
    target_on: date | None = None
    status: TeamGoalStatus = Field(default=TeamGoalStatus.active, sa_type=sa.String(16))
    source_protocol_section_id: uuid.UUID | None = Field(
        default=None, foreign_key="protocol_section.id", index=True
    )


class TeamGoalNorm(SQLModel, table=True):
    """Link: a team goal derives from a norm."""

    __tablename__ = "team_goal_norm"

    team_goal_id: uuid.UUID = Field(
        sa_column=Column(
            sa.Uuid, sa.ForeignKey("team_goal.id", ondelete="CASCADE"), primary_key=True
        )
    )
    norm_id: uuid.UUID = Field(
        sa_column=Column(sa.Uuid, sa.ForeignKey("norm.id"), primary_key=True, index=True)
    )
    organisation_id: uuid.UUID = Field(foreign_key="organisation.id", index=True)


class PersonalGoalStatus(StrEnum):
    draft = "draft"
    agreed = "agreed"
    achieved = "achieved"
    dropped = "dropped"


class Alignment(StrEnum):
    aligned = "aligned"
    unaligned = "unaligned"


class PersonalGoal(TenantTable, table=True):
    """An employee's learning goal; must serve an objective of their own team (alignment)."""

    __tablename__ = "personal_goal"

    employee_id: uuid.UUID = Field(foreign_key="employee.id", index=True)
    skill_id: uuid.UUID = Field(foreign_key="skill.id", index=True)
    description: str = Field(max_length=TEXT_MAX)
    team_goal_id: uuid.UUID | None = Field(default=None, foreign_key="team_goal.id", index=True)
    status: PersonalGoalStatus = Field(default=PersonalGoalStatus.draft, sa_type=sa.String(16))
    alignment: Alignment = Field(default=Alignment.aligned, sa_type=sa.String(16))
    aligned_team_goal_id: uuid.UUID | None = Field(
        default=None, foreign_key="team_goal.id", index=True
    )
