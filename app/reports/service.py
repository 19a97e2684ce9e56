"""The overview and per-team reports, assembled from the SQL figures (figures.py)."""

import uuid
from datetime import date

from sqlalchemy import case, func
from sqlmodel import Session, select

from app.core.models import render
from app.learning.organisation_goals import goal_figures
from app.organisation.function_groups import risk_assessment_due
from app.organisation.models import FunctionGroup, OrganisationSettings
from app.reports.figure_query import REFRESHER_WINDOW_DAYS, Figures
from app.reports.figures import collect
from app.reports.models import (
    FollowUpFigures,
    FunctionGroupSkillCoverage,
    GoalFigures,
    HrmThemeFigures,
    ManagerFigures,
    MeetingFigures,
    OverviewReport,
    PracticeReviewFigures,
    ProtocolReadinessFigures,
    RefresherFigures,
    RiskAssessmentFigures,
    TeamReportRow,
    TeamsReport,
)


def pct(part: int, whole: int) -> float:
    """Share in percent with one decimal; 0 when there is nothing to count."""
    return round(100.0 * part / whole, 1) if whole else 0.0


def overview(
    db: Session,
    *,
    settings: OrganisationSettings,
    today: date,
    period_from: date | None = None,
    period_to: date | None = None,
) -> OverviewReport:
    """The organisation's figures for the four steps of the method."""
    c = collect(db, settings=settings, today=today, period_from=period_from, period_to=period_to)
    teams = [c.by_team[t] for t, _, _ in c.teams]
    active, ready = c.total("active_employees"), c.total("protocol_ready")
    managers, trained = c.total("managers"), c.total("managers_trained")
    before = c.total("staff_trained_before_managers")
    with_goals = sum(1 for f in teams if f.active_team_goals)
    covered = c.total("hrm_theme_covered")
    meetings, with_item = c.total("meetings"), c.total("meetings_with_item")
    due = risk_assessment_due(settings, today)
    groups, groups_due = db.exec(
        select(func.count(), func.count(case((due, 1)))).select_from(FunctionGroup)
    ).one()
    return OverviewReport(
        generated_on=today,
        teams=len(teams),
        protocol_readiness=ProtocolReadinessFigures(
            protocol_id=c.protocol_id,
            active_employees=active,
            ready=ready,
            ready_pct=pct(ready, active),
        ),
        managers=ManagerFigures(
            managers=managers,
            trained=trained,
            trained_pct=pct(trained, managers),
            staff_trained_before_managers=before,
            any_staff_trained_before_managers=before > 0,
        ),
        goals=GoalFigures(
            active_team_goals=c.total("active_team_goals"),
            teams_with_active_goals=with_goals,
            teams_with_active_goals_pct=pct(with_goals, len(teams)),
            personal_goals_aligned=c.total("personal_goals_aligned"),
            personal_goals_unaligned=c.total("personal_goals_unaligned"),
        ),
        training_coverage=[
            render(FunctionGroupSkillCoverage, cov, current_pct=pct(cov.current, cov.employees))
            for cov in c.coverage
        ],
        refreshers_due=RefresherFigures(
            within_days=REFRESHER_WINDOW_DAYS,
            employees=c.total("refreshers_due"),
            trainings=c.total("refresher_trainings"),
        ),
        follow_up=FollowUpFigures(
            open=c.total("follow_up_open"), overdue=c.total("follow_up_overdue")
        ),
        practice_reviews=PracticeReviewFigures(
            teams_with_training=sum(1 for f in teams if f.last_training_on is not None),
            teams_overdue=sum(1 for f in teams if f.review_overdue),
        ),
        meetings=MeetingFigures(
            period_from=c.period_from,
            period_to=c.period_to,
            meetings=meetings,
            with_item=with_item,
            with_item_pct=pct(with_item, meetings),
            threshold=settings.meetings_without_item_threshold,
            teams_lacking_item=sum(1 for f in teams if f.lacks_item),
        ),
        hrm_theme=HrmThemeFigures(
            active_employees=active,
            covered=covered,
            covered_pct=pct(covered, active),
            not_covered=active - covered,
        ),
        organisation_goals=goal_figures(db),
        risk_assessments=RiskAssessmentFigures(
            function_groups=groups,
            due=groups_due,
            valid_years=settings.risk_assessment_valid_years,
        ),
    )


def _row(team: tuple[uuid.UUID, str, str | None], f: Figures) -> TeamReportRow:
    team_id, name, external_id = team
    # The figures carry the counts under the row's names; only the team, the percentages
    # and three renamed counts are given here.
    return render(
        TeamReportRow,
        f,
        team_id=team_id,
        team_name=name,
        external_id=external_id,
        protocol_ready_pct=pct(f.protocol_ready, f.active_employees),
        managers=f.team_managers,
        managers_trained=f.team_managers_trained,
        training_coverage_pct=pct(f.skill_needs_current, f.skill_needs),
        meetings_with_item_pct=pct(f.meetings_with_item, f.meetings),
        lacks_item_in_last_meetings=f.lacks_item,
        hrm_theme_covered_pct=pct(f.hrm_theme_covered, f.active_employees),
    )


def teams_report(
    db: Session,
    *,
    settings: OrganisationSettings,
    today: date,
    period_from: date | None = None,
    period_to: date | None = None,
    team_ids: frozenset[uuid.UUID] | None = None,
) -> TeamsReport:
    """One row of figures per team, ordered by name; only the rows of ``team_ids`` when
    given (a team manager's teams). Each row's figures are its team's own, so a row reads
    the same whoever asks."""
    c = collect(db, settings=settings, today=today, period_from=period_from, period_to=period_to)
    return TeamsReport(
        generated_on=today,
        period_from=c.period_from,
        period_to=c.period_to,
        items=[
            _row(team, c.by_team[team[0]])
            for team in c.teams
            if team_ids is None or team[0] in team_ids
        ],
    )


# --- CSV --------------------------------------------------------------------------------

OVERVIEW_CSV_HEADER = ["section", "figure", "scope", "value"]
TEAMS_CSV_HEADER = list(TeamReportRow.model_fields)
_OVERVIEW_SECTIONS = (
    "protocol_readiness",
    "managers",
    "goals",
    "refreshers_due",
    "follow_up",
    "practice_reviews",
    "meetings",
    "hrm_theme",
    "risk_assessments",
)


def overview_csv_rows(report: OverviewReport) -> list[list[object]]:
    """The overview as (section, figure, scope, value) rows, one figure a row."""
    rows: list[list[object]] = [
        ["report", "generated_on", "", report.generated_on],
        ["report", "teams", "", report.teams],
    ]
    for section in _OVERVIEW_SECTIONS:
        for name, value in getattr(report, section).model_dump().items():
            rows.append([section, name, "", value])
    for c in report.training_coverage:
        scope = f"{c.function_group_name} / {c.skill_code}"
        rows.append(["training_coverage", "employees", scope, c.employees])
        rows.append(["training_coverage", "current", scope, c.current])
        rows.append(["training_coverage", "current_pct", scope, c.current_pct])
    for g in report.organisation_goals:
        rows.append(["organisation_goals", "active_team_goals", g.title, g.active_team_goals])
        rows.append(["organisation_goals", "teams", g.title, g.teams])
    return rows


def teams_csv_rows(report: TeamsReport) -> list[list[object]]:
    """One row per team, columns ``TEAMS_CSV_HEADER``."""
    return [[getattr(row, name) for name in TEAMS_CSV_HEADER] for row in report.items]
