"""Training plans (stored proposals) and the API shapes of recommendations and plans."""

import uuid
from datetime import date, datetime
from enum import StrEnum
from typing import Any, Self

import sqlalchemy as sa
from pydantic import AwareDatetime, BaseModel, ConfigDict, model_validator
from sqlmodel import JSON, Column, Field, SQLModel, UniqueConstraint

from app.core.models import CreateModel, TenantTable, optional_timestamp_field, render
from app.core.schema_rules import at_most_one_of, rules
from app.incidents.models import IncidentCategory
from app.organisation.models import COMPARABLE_GROUP_MAX, ExposureLevel, Grouping, Role
from app.training.models import Audience

TEXT_MAX = 300


# --- scope ------------------------------------------------------------------------------


class ScopeKind(StrEnum):
    organisation = "organisation"
    team = "team"
    function_group = "function_group"


class PlanScope(BaseModel):
    """Whom to plan for: one team, one function group, or (neither) the whole organisation."""

    model_config = ConfigDict(
        extra="forbid",
        frozen=True,
        json_schema_extra=rules(at_most_one_of("team_id", "function_group_id")),
    )

    team_id: uuid.UUID | None = None
    function_group_id: uuid.UUID | None = None

    @model_validator(mode="after")
    def _one_at_most(self) -> Self:
        if self.team_id is not None and self.function_group_id is not None:
            raise ValueError("give team_id or function_group_id, not both")
        return self

    @property
    def kind(self) -> ScopeKind:
        if self.team_id is not None:
            return ScopeKind.team
        if self.function_group_id is not None:
            return ScopeKind.function_group
        return ScopeKind.organisation


class ScopePublic(SQLModel):
    kind: ScopeKind
    team_id: uuid.UUID | None
    function_group_id: uuid.UUID | None


def scope_public(scope: PlanScope) -> ScopePublic:
    """The API shape of a scope."""
    return render(ScopePublic, scope)


# --- needs and recommendations ----------------------------------------------------------


class SkillNeedCount(SQLModel):
    """How many employees need one skill."""

    skill_id: uuid.UUID
    skill_code: str
    label_nl: str
    label_en: str
    employee_count: int
    required_count: int = Field(
        description="Of those, how many need it as `required` or for an open team or personal "
        "goal (the others only as `recommended`)."
    )


class ProgrammeSkillCoverage(SkillNeedCount):
    """A skill a programme trains that employees in the scope still need."""

    team_goal_count: int = Field(description="Active team goals for this skill it serves.")
    personal_goal_count: int = Field(description="Agreed personal goals for this skill it serves.")


class IncidentEvidence(SQLModel):
    """Incidents of one category in the last two years and the skills they raise."""

    category: IncidentCategory
    incident_count: int = Field(
        description="Incidents of the category in the teams and function groups of the people."
    )
    skill_codes: list[str] = Field(description="The skills that answer it (here: that it raised).")


class PracticeNeed(SQLModel):
    """A team goal on a skill some members are currently trained in: for them it is
    practice (practice reviews, 'Veilig en veerkrachtig werken' in team meetings), not
    retraining (no forced retraining)."""

    team_id: uuid.UUID
    skill_id: uuid.UUID
    skill_code: str
    label_nl: str
    team_goal_ids: list[uuid.UUID]
    employee_count: int = Field(
        description="Members whose training on the skill is current: not proposed for training."
    )
    explanation: str


class Recommendation(SQLModel):
    """A catalogue programme ranked by the open need it covers, with its reasons."""

    rank: int
    program_id: uuid.UUID
    title: str
    audience: Audience
    min_exposure_level: ExposureLevel
    max_exposure_level: ExposureLevel
    max_group_size: int
    score: float = Field(
        description="Sum over the employees it suits of the needs it covers, each weighted by "
        "priority (required or goal 2, recommended 1) times exposure (low 1 ... very_high 4)."
    )
    employees_suited: int = Field(
        description="Active employees in the scope whose role and exposure level it fits."
    )
    employees_helped: int = Field(description="Of those, how many need a skill it trains.")
    sessions_needed: int = Field(description="Sessions of `max_group_size` to train them all.")
    skills_covered: list[ProgrammeSkillCoverage]
    team_goal_ids: list[uuid.UUID] = Field(description="Active team goals it serves.")
    personal_goal_count: int = Field(description="Agreed personal goals it serves.")
    leaves_uncovered: list[SkillNeedCount] = Field(
        description="What the employees it helps still need afterwards (other skills)."
    )
    incidents_weighed: list[IncidentEvidence] = Field(
        description="Incident categories of the last two years whose skills it trains: the "
        "evidence that raised its score (issue 21)."
    )
    explanation: str


class TrainingRecommendations(SQLModel):
    """Programmes ranked for a scope (highest score first, ties by programme id)."""

    scope: ScopePublic
    on: date = Field(description="The day on which skills are judged current.")
    employee_count: int = Field(description="Active employees in the scope.")
    employees_with_needs: int
    items: list[Recommendation]
    practice_needs: list[PracticeNeed] = Field(
        default_factory=list,
        description="Team goals on skills members are currently trained in: practice for "
        "the team, not retraining.",
    )
    uncovered: list[SkillNeedCount] = Field(
        description="Needs no active programme suited to the employee covers: what to buy."
    )
    incident_evidence: list[IncidentEvidence] = Field(
        description="Incidents of the last two years in the teams and function groups of the "
        "scope, per category, with the skills each raises."
    )


# --- plans: tables ----------------------------------------------------------------------


class PlanStatus(StrEnum):
    """proposed: computed and stored; scheduled: turned into sessions and enrolments."""

    proposed = "proposed"
    scheduled = "scheduled"


class PhaseKind(StrEnum):
    management = "management"
    staff = "staff"


class TrainingPlan(TenantTable, table=True):
    """A stored, phased training proposal for a scope, with the data version it came from."""

    __tablename__ = "training_plan"

    team_id: uuid.UUID | None = Field(
        default=None,
        sa_column=Column(
            sa.Uuid, sa.ForeignKey("team.id", ondelete="CASCADE"), nullable=True, index=True
        ),
    )
    function_group_id: uuid.UUID | None = Field(
        default=None,
        sa_column=Column(
            sa.Uuid,
            sa.ForeignKey("function_group.id", ondelete="CASCADE"),
            nullable=True,
            index=True,
        ),
    )
    starts_on: date
    status: PlanStatus = Field(default=PlanStatus.proposed, sa_type=sa.String(16), index=True)
    data_version: str = Field(max_length=64)
    employee_count: int
    session_count: int
    # Phase headers ({phase, kind, exposure_level, managers_already_trained,
    # managers_without_program}); the groups are rows of training_plan_group.
    phases: list[dict[str, Any]] = Field(
        default_factory=list, sa_column=Column(JSON, nullable=False)
    )
    # [{skill_id, employee_count, required_count}]: needs no active programme covers.
    uncovered: list[dict[str, Any]] = Field(
        default_factory=list, sa_column=Column(JSON, nullable=False)
    )
    scheduled_at: datetime | None = optional_timestamp_field()

    @property
    def scope(self) -> PlanScope:
        return PlanScope(team_id=self.team_id, function_group_id=self.function_group_id)


class TrainingPlanGroup(TenantTable, table=True):
    """One future session of a plan: a programme and the people in it."""

    __tablename__ = "training_plan_group"
    __table_args__ = (UniqueConstraint("plan_id", "phase", "position"),)

    plan_id: uuid.UUID = Field(
        sa_column=Column(
            sa.Uuid, sa.ForeignKey("training_plan.id", ondelete="CASCADE"), nullable=False
        )
    )
    phase: int
    position: int
    program_id: uuid.UUID | None = Field(
        default=None,
        sa_column=Column(
            sa.Uuid,
            sa.ForeignKey("training_program.id", ondelete="SET NULL"),
            nullable=True,
            index=True,
        ),
    )
    exposure_level: ExposureLevel | None = Field(default=None, sa_type=sa.String(16))
    # What composed the group (comparable functions, issue 20 item 6); null in plans stored
    # before it was recorded.
    grouping: Grouping | None = Field(default=None, sa_type=sa.String(16))
    comparable_group: str | None = Field(default=None, max_length=COMPARABLE_GROUP_MAX)
    management_level: Role | None = Field(default=None, sa_type=sa.String(32))
    function_group_ids: list[str] = Field(
        default_factory=list, sa_column=Column(JSON, nullable=False)
    )
    skill_ids: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    # [{employee_id, skill_ids}]: who, and which of the programme's skills they need.
    members: list[dict[str, Any]] = Field(
        default_factory=list, sa_column=Column(JSON, nullable=False)
    )
    not_protocol_ready_ids: list[str] = Field(
        default_factory=list, sa_column=Column(JSON, nullable=False)
    )
    session_id: uuid.UUID | None = Field(
        default=None,
        sa_column=Column(
            sa.Uuid,
            sa.ForeignKey("training_session.id", ondelete="SET NULL"),
            nullable=True,
            index=True,
        ),
    )


# --- plans: API schemas -----------------------------------------------------------------


class TrainingPlanCreate(CreateModel):
    """Compute and store a plan for a scope."""

    scope: PlanScope = Field(
        default_factory=PlanScope,
        description="`team_id` or `function_group_id`; empty for the whole organisation.",
    )
    starts_on: date = Field(
        description="The day training starts: skills still current then need no training."
    )


class PlanMember(SQLModel):
    employee_id: uuid.UUID
    name: str
    team_id: uuid.UUID | None
    function_group_id: uuid.UUID | None
    skill_ids: list[uuid.UUID] = Field(description="Skills of the programme this person needs.")
    protocol_ready: bool


class PlanGroup(SQLModel):
    """One session to schedule: a programme and a group of comparable functions."""

    id: uuid.UUID
    position: int
    program_id: uuid.UUID | None = Field(description="Null when the programme was deleted since.")
    program_title: str | None
    exposure_level: ExposureLevel | None = Field(
        description="The exposure level every member shares; null when they have no function "
        "group, or the group joins several levels (a set of comparable function groups, a "
        "management session)."
    )
    grouping: Grouping | None = Field(
        description="What composed the group: `function_groups` (one set of comparable "
        "function groups, `comparable_group`), `exposure_level` (function groups in no set, "
        "the fallback: one exposure level) or `management_level` (a management session, "
        "`management_level`). Null in plans stored before it was recorded."
    )
    comparable_group: str | None = Field(
        description="The set of comparable function groups the members' function groups "
        "belong to, when `grouping` is `function_groups`."
    )
    management_level: Role | None = Field(
        description="The managers' level of a management session (`senior_management` or "
        "`team_manager`: each level gets sessions of its own), when `grouping` is "
        "`management_level`."
    )
    function_group_ids: list[uuid.UUID]
    function_group_names: list[str] = Field(
        description="The names of `function_group_ids`, in the same order."
    )
    size: int
    skill_ids: list[uuid.UUID] = Field(description="Skills of the programme the group needs.")
    members: list[PlanMember]
    not_protocol_ready_ids: list[uuid.UUID] = Field(
        description="Members who must read or discuss the protocol before the session (step 2)."
    )
    session_id: uuid.UUID | None = Field(description="The planned session, once scheduled.")


class PlanPhase(SQLModel):
    """Phase 1 is management (managers first); then staff, highest exposure first: one phase
    per set of comparable function groups, and one per exposure level for the function
    groups in no set."""

    phase: int
    kind: PhaseKind
    exposure_level: ExposureLevel | None = Field(
        description="The staff's exposure level; for a set of comparable function groups the "
        "highest level in it."
    )
    comparable_group: str | None = Field(
        default=None,
        description="The set of comparable function groups of a staff phase; null for a phase "
        "of function groups in no set (composed by exposure level).",
    )
    groups: list[PlanGroup]
    managers_already_trained: list[uuid.UUID] = Field(
        default_factory=list,
        description="Managers in the scope who completed (or are booked on) a management "
        "training already.",
    )
    managers_without_program: list[uuid.UUID] = Field(
        default_factory=list,
        description="Managers still to be trained for whom no active management programme "
        "fits: staff of their teams cannot be scheduled until this is solved.",
    )


class TrainingPlanSummary(SQLModel):
    id: uuid.UUID
    scope: ScopePublic
    starts_on: date
    status: PlanStatus
    data_version: str
    employee_count: int = Field(description="Active employees in the scope.")
    session_count: int
    scheduled_at: datetime | None
    created_at: datetime
    updated_at: datetime


class TrainingPlanPublic(TrainingPlanSummary):
    stale: bool = Field(
        description="The input data changed since the plan was computed: recompute before "
        "scheduling."
    )
    phases: list[PlanPhase]
    uncovered: list[SkillNeedCount] = Field(
        description="Needs no active programme covers, by skill and number of people."
    )


class PhaseDate(CreateModel):
    phase: int = Field(ge=1, le=100)
    starts_at: AwareDatetime = Field(
        description="When the phase's sessions start; each ends after its programme's "
        "duration. Management must end before any staff phase starts."
    )
    location: str | None = Field(default=None, max_length=TEXT_MAX)
    trainer: str | None = Field(default=None, max_length=200)


class TrainingPlanSchedule(CreateModel):
    """Dates per phase; every phase of the plan needs one."""

    phases: list[PhaseDate] = Field(min_length=1, max_length=100)

    @model_validator(mode="after")
    def _distinct(self) -> Self:
        seen = [p.phase for p in self.phases]
        if len(seen) != len(set(seen)):
            raise ValueError("each phase may be given once")
        return self
