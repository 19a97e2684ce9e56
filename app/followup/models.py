"""Follow-up items, practice reviews, team meetings and HRM conversations (seed step 4)."""

import uuid
from datetime import date, datetime
from enum import StrEnum
from typing import Self

import sqlalchemy as sa
from pydantic import ConfigDict, model_validator
from sqlmodel import Column, Field, SQLModel, UniqueConstraint

from app.core.models import (
    CreateModel,
    PatchModel,
    TenantTable,
    link_owner,
    link_target,
    optional_timestamp_field,
)
from app.core.schema_rules import (
    at_most_one_of,
    exactly_one_of,
    given_unless,
    none_or_exactly_one_of,
    rules,
)

TITLE_MAX = 200
TEXT_MAX = 10_000
BATCH_MAX = 100

# The fixed agenda item of seed step 3: "maak Veilig en veerkrachtig werken een vast
# agendapunt van het werkoverleg".
SAFE_RESILIENT_WORK_TITLE = "Veilig en veerkrachtig werken"


def _cascade_fk(target: str, *, primary_key: bool = False, index: bool = False) -> Column:  # type: ignore[type-arg]
    return Column(
        sa.Uuid,
        sa.ForeignKey(target, ondelete="CASCADE"),
        nullable=False,
        primary_key=primary_key,
        index=index,
    )


# --- follow-up items --------------------------------------------------------------------


class FollowUpKind(StrEnum):
    """Action, learning and attention points (actiepunten, leerpunten, aandachtspunten)."""

    action_point = "action_point"
    learning_point = "learning_point"
    attention_point = "attention_point"


class FollowUpStatus(StrEnum):
    open = "open"
    done = "done"
    cancelled = "cancelled"


class FollowUpSource(StrEnum):
    """Where an item came from; items without a source were raised on their own."""

    training_session = "training_session"
    practice_review = "practice_review"
    incident = "incident"


class FollowUpSourceFilter(StrEnum):
    training_session = "training_session"
    practice_review = "practice_review"
    incident = "incident"
    none = "none"


class FollowUpItem(TenantTable, table=True):
    """A point to follow up after a training or review, owned by an employee or a team."""

    answer_depends_on_today = True  # `overdue` (core/models.py)
    __tablename__ = "follow_up_item"
    __table_args__ = (
        sa.CheckConstraint(
            "(owner_employee_id IS NULL) <> (owner_team_id IS NULL)", name="one_owner"
        ),
        sa.CheckConstraint(
            "training_session_id IS NULL OR practice_review_id IS NULL", name="one_source"
        ),
        sa.CheckConstraint(
            "incident_id IS NULL OR (training_session_id IS NULL AND practice_review_id IS NULL)",
            name="one_source_incident",
        ),
        # Lists filter on status and due date; the reports count open and overdue items per
        # owner, answered from this index alone (the owners make it covering).
        sa.Index(
            "ix_follow_up_item_organisation_id_status_due_on_owner",
            "organisation_id",
            "status",
            "due_on",
            "owner_team_id",
            "owner_employee_id",
        ),
    )

    kind: FollowUpKind = Field(sa_type=sa.String(32))
    description: str = Field(max_length=TEXT_MAX)
    training_session_id: uuid.UUID | None = Field(
        default=None, foreign_key="training_session.id", index=True
    )
    practice_review_id: uuid.UUID | None = Field(
        default=None,
        sa_column=Column(
            sa.Uuid, sa.ForeignKey("practice_review.id", ondelete="SET NULL"), index=True
        ),
    )
    # Aftercare and follow-up of an incident (pillar 4); purging the incident keeps the item.
    incident_id: uuid.UUID | None = Field(
        default=None,
        sa_column=Column(sa.Uuid, sa.ForeignKey("incident.id", ondelete="SET NULL"), index=True),
    )
    owner_employee_id: uuid.UUID | None = Field(default=None, foreign_key="employee.id", index=True)
    owner_team_id: uuid.UUID | None = Field(default=None, foreign_key="team.id", index=True)
    due_on: date | None = None
    status: FollowUpStatus = Field(default=FollowUpStatus.open, sa_type=sa.String(16))
    done_at: datetime | None = optional_timestamp_field()


class _OwnerMixin(SQLModel):
    model_config = ConfigDict(  # type: ignore[assignment]
        json_schema_extra=rules(exactly_one_of("owner_employee_id", "owner_team_id"))
    )

    owner_employee_id: uuid.UUID | None = Field(
        default=None, description="The employee who follows this up (or give `owner_team_id`)."
    )
    owner_team_id: uuid.UUID | None = Field(
        default=None, description="The team that follows this up (or give `owner_employee_id`)."
    )

    @model_validator(mode="after")
    def _one_owner(self) -> Self:
        if (self.owner_employee_id is None) == (self.owner_team_id is None):
            raise ValueError("give exactly one of owner_employee_id and owner_team_id")
        return self


class SessionFollowUpItemCreate(_OwnerMixin, CreateModel):
    """One item recorded for a training session (the session is the source)."""

    kind: FollowUpKind
    description: str = Field(min_length=1, max_length=TEXT_MAX)
    due_on: date | None = None


class FollowUpItemCreate(SessionFollowUpItemCreate):
    """A new item; at most one source (a training session, a practice review, an incident)."""

    model_config = ConfigDict(  # type: ignore[assignment]
        json_schema_extra=rules(
            exactly_one_of("owner_employee_id", "owner_team_id"),
            at_most_one_of("training_session_id", "practice_review_id", "incident_id"),
        )
    )

    training_session_id: uuid.UUID | None = None
    practice_review_id: uuid.UUID | None = None
    incident_id: uuid.UUID | None = Field(
        default=None, description="The incident this item follows up (pillar 4)."
    )

    @model_validator(mode="after")
    def _one_source(self) -> Self:
        sources = (self.training_session_id, self.practice_review_id, self.incident_id)
        if sum(s is not None for s in sources) > 1:
            raise ValueError(
                "give at most one of training_session_id, practice_review_id and incident_id"
            )
        return self


class SessionFollowUpCreate(CreateModel):
    """Several items from one training session, recorded together or not at all."""

    items: list[SessionFollowUpItemCreate] = Field(min_length=1, max_length=BATCH_MAX)


class FollowUpItemUpdate(PatchModel):
    """A partial change; setting `status` to `done` records `done_at`."""

    model_config = ConfigDict(
        json_schema_extra=rules(none_or_exactly_one_of("owner_employee_id", "owner_team_id"))
    )

    kind: FollowUpKind = Field(default=None)
    description: str = Field(default=None, min_length=1, max_length=TEXT_MAX)
    due_on: date | None = None
    status: FollowUpStatus = Field(default=None)
    owner_employee_id: uuid.UUID | None = None
    owner_team_id: uuid.UUID | None = None

    @model_validator(mode="after")
    def _one_owner_named(self) -> Self:
        # The schema's rule, checked with the body (before If-Match is compared): naming an
        # owner names exactly one; the service's one-owner check stays for the stored item.
        named = {"owner_employee_id", "owner_team_id"} & self.model_fields_set
        if named and (self.owner_employee_id is None) == (self.owner_team_id is None):
            raise ValueError("give exactly one of owner_employee_id and owner_team_id")
        return self


class FollowUpItemPublic(SQLModel):
    id: uuid.UUID
    kind: FollowUpKind
    description: str
    source: FollowUpSource | None = Field(description="Null: raised on its own.")
    training_session_id: uuid.UUID | None
    practice_review_id: uuid.UUID | None
    incident_id: uuid.UUID | None
    owner_employee_id: uuid.UUID | None
    owner_team_id: uuid.UUID | None
    due_on: date | None
    status: FollowUpStatus
    done_at: datetime | None
    overdue: bool = Field(description="Open and past its due date.")
    created_at: datetime
    updated_at: datetime


# --- practice reviews -------------------------------------------------------------------


class PracticeReview(TenantTable, table=True):
    """A team's periodic discussion of how the trained skills work in practice."""

    __tablename__ = "practice_review"
    __table_args__ = (
        sa.CheckConstraint("next_review_on > held_on", name="next_after_held"),
        sa.Index("ix_practice_review_team_id_held_on", "team_id", "held_on"),
    )

    team_id: uuid.UUID = Field(foreign_key="team.id")
    held_on: date
    next_review_on: date
    summary: str | None = Field(default=None, max_length=TEXT_MAX)


class PracticeReviewRating(TenantTable, table=True):
    """How one skill works in practice, rated 1 (not at all) to 5 (very well)."""

    __tablename__ = "practice_review_rating"
    __table_args__ = (
        UniqueConstraint("review_id", "skill_id"),
        sa.CheckConstraint("rating BETWEEN 1 AND 5", name="rating_range"),
    )

    review_id: uuid.UUID = Field(sa_column=_cascade_fk("practice_review.id"))
    skill_id: uuid.UUID = Field(foreign_key="skill.id", index=True)
    rating: int
    notes: str | None = Field(default=None, max_length=TEXT_MAX)


class PracticeReviewParticipant(SQLModel, table=True):
    """Link: an employee took part in a practice review."""

    __tablename__ = "practice_review_participant"

    review_id: uuid.UUID = link_owner("practice_review")
    employee_id: uuid.UUID = link_target("employee")
    organisation_id: uuid.UUID = Field(foreign_key="organisation.id", index=True)


class SkillRating(CreateModel):
    skill_id: uuid.UUID
    rating: int = Field(ge=1, le=5, description="1: does not work in practice; 5: works well.")
    notes: str | None = Field(default=None, max_length=TEXT_MAX)


class PracticeReviewCreate(CreateModel):
    """A held review; `next_review_on` defaults to held_on + the review interval."""

    team_id: uuid.UUID
    held_on: date = Field(description="Not in the future.")
    next_review_on: date | None = Field(
        default=None,
        description="Overrides held_on + the organisation's `review_interval_months`.",
    )
    summary: str | None = Field(default=None, max_length=TEXT_MAX)
    ratings: list[SkillRating] = Field(default_factory=list, max_length=BATCH_MAX)
    participant_ids: list[uuid.UUID] = Field(default_factory=list, max_length=500)


class PracticeReviewUpdate(PatchModel):
    """A partial change; `ratings` and `participant_ids`, when given, replace the lists."""

    held_on: date = Field(default=None)
    next_review_on: date = Field(default=None)
    summary: str | None = Field(default=None, max_length=TEXT_MAX)
    ratings: list[SkillRating] = Field(default=None, max_length=BATCH_MAX)
    participant_ids: list[uuid.UUID] = Field(default=None, max_length=500)


class PracticeReviewPublic(SQLModel):
    id: uuid.UUID
    team_id: uuid.UUID
    held_on: date
    next_review_on: date
    summary: str | None
    ratings: list[SkillRating]
    participant_ids: list[uuid.UUID]
    created_at: datetime
    updated_at: datetime


# --- team meetings ----------------------------------------------------------------------


class AgendaItemKind(StrEnum):
    """`safe_resilient_work` is the fixed item *Veilig en veerkrachtig werken*."""

    safe_resilient_work = "safe_resilient_work"
    general = "general"


class TeamMeeting(TenantTable, table=True):
    """A team meeting (werkoverleg) and whether the fixed item was on its agenda."""

    __tablename__ = "team_meeting"
    __table_args__ = (sa.Index("ix_team_meeting_team_id_held_on", "team_id", "held_on"),)

    team_id: uuid.UUID = Field(foreign_key="team.id")
    held_on: date
    notes: str | None = Field(default=None, max_length=TEXT_MAX)
    # Derived from the agenda on every write; stored so the reports can count it in SQL.
    safe_resilient_work_on_agenda: bool = Field(default=False)


class TeamMeetingAgendaItem(TenantTable, table=True):
    """One agenda item of a team meeting, in order."""

    __tablename__ = "team_meeting_agenda_item"
    __table_args__ = (UniqueConstraint("meeting_id", "position"),)

    meeting_id: uuid.UUID = Field(sa_column=_cascade_fk("team_meeting.id"))
    position: int
    kind: AgendaItemKind = Field(default=AgendaItemKind.general, sa_type=sa.String(32))
    title: str = Field(max_length=TITLE_MAX)
    notes: str | None = Field(default=None, max_length=TEXT_MAX)


class AgendaItem(CreateModel):
    model_config = ConfigDict(
        json_schema_extra=rules(given_unless("title", "kind", "safe_resilient_work"))
    )

    kind: AgendaItemKind = AgendaItemKind.general
    title: str | None = Field(
        default=None,
        min_length=1,
        max_length=TITLE_MAX,
        description="Required for `general`; `safe_resilient_work` defaults to "
        f"'{SAFE_RESILIENT_WORK_TITLE}'.",
    )
    notes: str | None = Field(default=None, max_length=TEXT_MAX)

    @model_validator(mode="after")
    def _title(self) -> Self:
        if self.title is None:
            if self.kind != AgendaItemKind.safe_resilient_work:
                raise ValueError("a general agenda item needs a title")
            self.title = SAFE_RESILIENT_WORK_TITLE
        return self


class AgendaItemPublic(SQLModel):
    kind: AgendaItemKind
    title: str
    notes: str | None


class TeamMeetingCreate(CreateModel):
    team_id: uuid.UUID
    held_on: date = Field(description="Not in the future.")
    notes: str | None = Field(default=None, max_length=TEXT_MAX)
    agenda_items: list[AgendaItem] = Field(default_factory=list, max_length=BATCH_MAX)


class TeamMeetingUpdate(PatchModel):
    """A partial change; `agenda_items`, when given, replaces the agenda."""

    held_on: date = Field(default=None)
    notes: str | None = Field(default=None, max_length=TEXT_MAX)
    agenda_items: list[AgendaItem] = Field(default=None, max_length=BATCH_MAX)


class TeamMeetingPublic(SQLModel):
    id: uuid.UUID
    team_id: uuid.UUID
    held_on: date
    notes: str | None
    agenda_items: list[AgendaItemPublic]
    safe_resilient_work_on_agenda: bool = Field(
        description=f"An agenda item of kind `safe_resilient_work` ('{SAFE_RESILIENT_WORK_TITLE}')."
    )
    created_at: datetime
    updated_at: datetime


# --- HRM conversations ------------------------------------------------------------------


class HrmConversationKind(StrEnum):
    """The HRM cycle: planning, progress (voortgang) and appraisal (beoordeling)."""

    planning = "planning"
    progress = "progress"
    appraisal = "appraisal"


class HrmConversation(TenantTable, table=True):
    """A conversation of the HRM cycle between an employee and a responsible manager."""

    __tablename__ = "hrm_conversation"
    __table_args__ = (
        sa.Index("ix_hrm_conversation_employee_id_held_on", "employee_id", "held_on"),
    )

    employee_id: uuid.UUID = Field(foreign_key="employee.id")
    manager_id: uuid.UUID = Field(foreign_key="employee.id", index=True)
    held_on: date
    kind: HrmConversationKind = Field(sa_type=sa.String(16))
    theme_discussed: bool = Field(default=False)
    notes: str | None = Field(default=None, max_length=TEXT_MAX)


class HrmConversationGoal(SQLModel, table=True):
    """Link: a personal goal of the employee was discussed in the conversation."""

    __tablename__ = "hrm_conversation_goal"

    conversation_id: uuid.UUID = link_owner("hrm_conversation")
    personal_goal_id: uuid.UUID = link_target("personal_goal")
    organisation_id: uuid.UUID = Field(foreign_key="organisation.id", index=True)


class HrmConversationCreate(CreateModel):
    employee_id: uuid.UUID
    manager_id: uuid.UUID = Field(
        description="One of the employee's team managers, or senior management."
    )
    held_on: date = Field(description="Not in the future.")
    kind: HrmConversationKind
    theme_discussed: bool = Field(
        default=False, description="Safe and resilient working (veilig en veerkrachtig werken)."
    )
    personal_goal_ids: list[uuid.UUID] = Field(
        default_factory=list, max_length=BATCH_MAX, description="Goals of this employee."
    )
    notes: str | None = Field(default=None, max_length=TEXT_MAX)


class HrmConversationUpdate(PatchModel):
    """A partial change; the manager and goal rules are checked again."""

    manager_id: uuid.UUID = Field(default=None)
    held_on: date = Field(default=None)
    kind: HrmConversationKind = Field(default=None)
    theme_discussed: bool = Field(default=None)
    personal_goal_ids: list[uuid.UUID] = Field(default=None, max_length=BATCH_MAX)
    notes: str | None = Field(default=None, max_length=TEXT_MAX)


class HrmConversationPublic(SQLModel):
    id: uuid.UUID
    employee_id: uuid.UUID
    manager_id: uuid.UUID
    held_on: date
    kind: HrmConversationKind
    theme_discussed: bool
    personal_goal_ids: list[uuid.UUID]
    notes: str | None
    created_at: datetime
    updated_at: datetime
