"""Skills, function-group needs, team goals and personal goals."""

import uuid
from datetime import date, datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlmodel import Column, Field, SQLModel, UniqueConstraint

from app.core.errors import Violation
from app.core.models import CreateModel, PatchModel, TenantTable, link_owner, link_target
from app.organisation.models import ExposureLevel

TEXT_MAX = 10_000
CODE_MAX = 64
LABEL_MAX = 300
LIST_MAX = 100


# --- skills -----------------------------------------------------------------------------


class Skill(TenantTable, table=True):
    """A skill to learn: the nine of the seed (``builtin``) or the organisation's own."""

    __tablename__ = "skill"
    __table_args__ = (
        UniqueConstraint("organisation_id", "code"),
        sa.CheckConstraint("pillar BETWEEN 1 AND 4", name="pillar_range"),
    )

    code: str = Field(max_length=CODE_MAX)
    label_nl: str = Field(max_length=LABEL_MAX)
    label_en: str = Field(max_length=LABEL_MAX)
    pillar: int | None = None
    builtin: bool = False
    retired: bool = False


class SkillBase(SQLModel):
    label_nl: str = Field(min_length=1, max_length=LABEL_MAX, description="Label in Dutch.")
    label_en: str = Field(min_length=1, max_length=LABEL_MAX, description="Label in English.")
    pillar: int | None = Field(
        default=None,
        ge=1,
        le=4,
        description="Pillar of the Complete agressie-aanpak: 1 service and safe working, "
        "2 risks and prevention, 3 de-escalating and acting safely, 4 handling and aftercare.",
    )


class SkillCreate(SkillBase, CreateModel):
    code: str = Field(
        min_length=1,
        max_length=CODE_MAX,
        schema_extra={"pattern": r"^[a-z][a-z0-9_]*$"},
        description="Stable code, unique in the organisation (lower case, digits, `_`).",
    )


class SkillUpdate(PatchModel):
    label_nl: str = Field(default=None, min_length=1, max_length=LABEL_MAX)
    label_en: str = Field(default=None, min_length=1, max_length=LABEL_MAX)
    pillar: int | None = Field(default=None, ge=1, le=4)
    retired: bool = Field(
        default=None,
        description="A retired skill cannot be used for new needs or goals; the nine "
        "built-in skills cannot be retired.",
    )


class SkillPublic(SkillBase):
    id: uuid.UUID
    code: str
    builtin: bool = Field(description="One of the nine skills of the seed; cannot be deleted.")
    retired: bool
    created_at: datetime
    updated_at: datetime


# --- function-group needs ---------------------------------------------------------------


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


class NeedSource(StrEnum):
    """``default``: derived from the exposure level; ``custom``: set by the organisation."""

    default = "default"
    custom = "custom"


class FunctionGroupNeedIn(CreateModel):
    skill_id: uuid.UUID
    priority: NeedPriority = NeedPriority.required


class FunctionGroupNeedsUpdate(CreateModel):
    """The complete list of needs of a function group (replaces the current one)."""

    needs: list[FunctionGroupNeedIn] = Field(max_length=LIST_MAX)


class FunctionGroupNeedPublic(SQLModel):
    skill_id: uuid.UUID
    skill_code: str
    priority: NeedPriority


class FunctionGroupNeeds(SQLModel):
    """What a function group needs, and whether that is the default or the organisation's."""

    function_group_id: uuid.UUID
    exposure_level: ExposureLevel
    source: NeedSource
    needs: list[FunctionGroupNeedPublic]


# --- team goals -------------------------------------------------------------------------


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
    organisation_goal_id: uuid.UUID | None = Field(
        default=None, foreign_key="organisation_goal.id", index=True
    )


class TeamGoalNorm(SQLModel, table=True):
    """Link: a team goal derives from a norm."""

    __tablename__ = "team_goal_norm"

    team_goal_id: uuid.UUID = link_owner("team_goal")
    norm_id: uuid.UUID = link_target("norm")
    organisation_id: uuid.UUID = Field(foreign_key="organisation.id", index=True)


class TeamGoalBase(SQLModel):
    description: str = Field(min_length=1, max_length=TEXT_MAX)
    target_on: date | None = Field(default=None, description="When the team wants to get there.")
    source_protocol_section_id: uuid.UUID | None = Field(
        default=None,
        description="The protocol section (agreement, tip, ...) the goal was derived from.",
    )
    organisation_goal_id: uuid.UUID | None = Field(
        default=None, description="The organisation-level goal it serves."
    )


class TeamGoalCreate(TeamGoalBase, CreateModel):
    team_id: uuid.UUID
    skill_id: uuid.UUID
    status: TeamGoalStatus = TeamGoalStatus.active
    source_norm_ids: list[uuid.UUID] = Field(
        default_factory=list, max_length=LIST_MAX, description="Norms the goal derives from."
    )


class TeamGoalUpdate(PatchModel):
    """A change to a team goal; archiving re-evaluates the personal goals that served it."""

    description: str = Field(default=None, min_length=1, max_length=TEXT_MAX)
    target_on: date | None = None
    status: TeamGoalStatus = Field(default=None)
    source_protocol_section_id: uuid.UUID | None = None
    source_norm_ids: list[uuid.UUID] = Field(default=None, max_length=LIST_MAX)
    organisation_goal_id: uuid.UUID | None = None


class TeamGoalPublic(TeamGoalBase):
    id: uuid.UUID
    team_id: uuid.UUID
    skill_id: uuid.UUID
    status: TeamGoalStatus
    source_norm_ids: list[uuid.UUID]
    created_at: datetime
    updated_at: datetime


# --- personal goals ---------------------------------------------------------------------


class PersonalGoalStatus(StrEnum):
    draft = "draft"
    agreed = "agreed"
    achieved = "achieved"
    dropped = "dropped"


# Goals still being worked on: only these are re-evaluated when the team or its goals change.
OPEN_PERSONAL_GOAL_STATUSES = (PersonalGoalStatus.draft, PersonalGoalStatus.agreed)


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


class PersonalGoalCheck(CreateModel):
    """What the alignment rule needs to judge a personal goal."""

    employee_id: uuid.UUID
    skill_id: uuid.UUID
    team_goal_id: uuid.UUID | None = Field(
        default=None,
        description="The team objective this goal serves; when omitted, any active objective "
        "of the employee's team with the same skill.",
    )


class PersonalGoalCreate(PersonalGoalCheck):
    description: str = Field(min_length=1, max_length=TEXT_MAX)
    status: PersonalGoalStatus = PersonalGoalStatus.draft


class PersonalGoalUpdate(PatchModel):
    """A change; a new skill or team goal, or reopening the goal, runs the alignment rule."""

    skill_id: uuid.UUID = Field(default=None)
    description: str = Field(default=None, min_length=1, max_length=TEXT_MAX)
    team_goal_id: uuid.UUID | None = None
    status: PersonalGoalStatus = Field(default=None)


class PersonalGoalPublic(SQLModel):
    id: uuid.UUID
    employee_id: uuid.UUID
    skill_id: uuid.UUID
    description: str
    team_goal_id: uuid.UUID | None
    status: PersonalGoalStatus
    alignment: Alignment = Field(
        description="`unaligned`: stored although no active objective of the employee's team "
        "has this skill (organisation setting, or the team or its goals changed since)."
    )
    aligned_team_goal_id: uuid.UUID | None = Field(
        description="The active team objective the goal serves."
    )
    created_at: datetime
    updated_at: datetime


class AlignmentCheck(SQLModel):
    """The alignment rule's verdict on a personal goal that was not stored."""

    alignment: Alignment
    aligned_team_goal_id: uuid.UUID | None
    allowed: bool = Field(
        description="Whether the goal would be stored: aligned, or the organisation allows "
        "unaligned goals."
    )
    violations: list[Violation]


# --- team learning needs ----------------------------------------------------------------


class TeamSkillNeed(SQLModel):
    """One skill in a team's learning overview."""

    skill_id: uuid.UUID
    skill_code: str
    label_nl: str
    label_en: str
    pillar: int | None
    members_needing: int = Field(description="Active members whose function group needs it.")
    members_requiring: int = Field(description="Of those, how many need it as `required`.")
    covered_by_team_goal: bool
    team_goal_ids: list[uuid.UUID] = Field(description="Active team goals for this skill.")
    personal_goal_count: int = Field(
        description="Open (draft or agreed) personal goals of members for this skill."
    )


class TeamLearningNeeds(SQLModel):
    """What a team needs to learn: the overview for the reflection of seed step 3."""

    team_id: uuid.UUID
    member_count: int
    members_without_function_group: int
    skills: list[TeamSkillNeed]
