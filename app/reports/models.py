"""Shapes of the read-only reports (no tables: every figure is an SQL aggregate)."""

import uuid
from datetime import date

from pydantic import BaseModel, Field

from app.core.pagination import Page
from app.learning.organisation_goals import OrganisationGoalFigures

Pct = float  # 0-100, one decimal; 0 when there is nothing to count


class ProtocolReadinessFigures(BaseModel):
    protocol_id: uuid.UUID | None = Field(description="The protocol in force; null: none.")
    active_employees: int
    ready: int = Field(description="Read the protocol in force, or their team discussed it.")
    ready_pct: Pct


class ManagerFigures(BaseModel):
    managers: int = Field(description="Active team managers and senior management.")
    trained: int = Field(description="Completed a management-audience programme.")
    trained_pct: Pct
    staff_trained_before_managers: int = Field(
        description="Staff whose first training preceded the management training of a "
        "manager responsible for them (managers first: seed step 4)."
    )
    any_staff_trained_before_managers: bool


class GoalFigures(BaseModel):
    active_team_goals: int
    teams_with_active_goals: int
    teams_with_active_goals_pct: Pct
    personal_goals_aligned: int = Field(description="Goals not dropped, of active employees.")
    personal_goals_unaligned: int


class FunctionGroupSkillCoverage(BaseModel):
    function_group_id: uuid.UUID
    function_group_name: str
    skill_id: uuid.UUID
    skill_code: str
    employees: int = Field(description="Active employees of the function group.")
    current: int = Field(description="Of them, with a current training in the skill.")
    current_pct: Pct


class RefresherFigures(BaseModel):
    within_days: int
    employees: int = Field(description="Active employees with at least one refresher due.")
    trainings: int = Field(description="Employee-programme pairs whose currency runs out.")


class FollowUpFigures(BaseModel):
    open: int
    overdue: int = Field(description="Open and past the due date.")


class PracticeReviewFigures(BaseModel):
    teams_with_training: int = Field(description="Teams with a member who completed training.")
    teams_overdue: int = Field(
        description="Of them, teams whose next review date passed (or, never reviewed, whose "
        "latest training is older than the review interval)."
    )


class MeetingFigures(BaseModel):
    period_from: date
    period_to: date
    meetings: int
    with_item: int = Field(description="With *Veilig en veerkrachtig werken* on the agenda.")
    with_item_pct: Pct
    threshold: int = Field(description="The setting `meetings_without_item_threshold`.")
    teams_lacking_item: int = Field(
        description="Teams whose last `threshold` meetings all lacked the fixed item."
    )


class RiskAssessmentFigures(BaseModel):
    """Function groups whose risk assessment is due (never done, or older than the
    setting `risk_assessment_valid_years`); list them with
    `GET /v1/function-groups?risk_assessment_due=true`."""

    function_groups: int
    due: int
    valid_years: int = Field(description="The setting `risk_assessment_valid_years`.")


class HrmThemeFigures(BaseModel):
    active_employees: int
    covered: int = Field(
        description="Had an HRM conversation that discussed the theme in the last 12 months (the "
        "organisation's `hrm_theme_months`)."
    )
    covered_pct: Pct
    not_covered: int


class OverviewReport(BaseModel):
    """The organisation at a glance: how far the four steps of the method have come."""

    generated_on: date
    teams: int
    protocol_readiness: ProtocolReadinessFigures
    managers: ManagerFigures
    goals: GoalFigures
    training_coverage: list[FunctionGroupSkillCoverage] = Field(
        description="Per function group, each skill it needs (its own or the default by "
        "exposure level) and the share of its people whose training in it is current."
    )
    refreshers_due: RefresherFigures
    follow_up: FollowUpFigures
    practice_reviews: PracticeReviewFigures
    meetings: MeetingFigures
    hrm_theme: HrmThemeFigures
    risk_assessments: RiskAssessmentFigures
    organisation_goals: list[OrganisationGoalFigures] = Field(
        description="Active organisation-level goals and the active team goals serving them."
    )


class TeamReportRow(BaseModel):
    """One team's figures."""

    team_id: uuid.UUID
    team_name: str
    external_id: str | None
    active_employees: int
    protocol_ready: int
    protocol_ready_pct: Pct
    managers: int = Field(description="The team's managers (active).")
    managers_trained: int
    staff_trained_before_managers: int
    active_team_goals: int
    personal_goals_aligned: int
    personal_goals_unaligned: int
    skill_needs: int = Field(description="Member x needed skill pairs (function-group needs).")
    skill_needs_current: int
    training_coverage_pct: Pct
    refreshers_due: int = Field(description="Members with a refresher due in 90 days.")
    follow_up_open: int = Field(description="Open items owned by the team or its members.")
    follow_up_overdue: int
    last_review_on: date | None
    next_review_on: date | None
    last_training_on: date | None
    review_overdue: bool
    meetings: int = Field(description="Meetings in the period.")
    meetings_with_item: int
    meetings_with_item_pct: Pct
    lacks_item_in_last_meetings: bool
    hrm_theme_covered: int
    hrm_theme_covered_pct: Pct


class TeamsReport(BaseModel):
    """One row per team, ordered by name."""

    generated_on: date
    period_from: date
    period_to: date
    items: list[TeamReportRow]


class HrmThemeGap(BaseModel):
    """An active employee without an HRM conversation that discussed the theme in the last
    12 months: someone to plan that conversation with."""

    employee_id: uuid.UUID
    external_id: str | None = Field(description="The HR platform's own key.")
    full_name: str
    team_id: uuid.UUID | None
    team_name: str | None
    function_group_id: uuid.UUID | None
    function_group_name: str | None
    last_theme_conversation_on: date | None = Field(
        description="The latest conversation that discussed the theme (before "
        "`covered_since`); null: never."
    )


class HrmThemeGapPage(Page[HrmThemeGap]):
    """One page of the employees the HRM theme has not reached, in creation order."""

    generated_on: date
    covered_since: date = Field(
        description="A theme conversation held on or after this date (generated_on minus 12 "
        "months) and up to generated_on covers an employee."
    )
