"""The per-team statement: managers, team goals, latest practice review and meetings."""

from typing import Any

from sqlalchemy import ColumnElement, and_, case, func, select
from sqlmodel import col

from app.followup.models import (
    PracticeReview,
    TeamMeeting,
)
from app.learning.models import (
    TeamGoal,
    TeamGoalStatus,
)
from app.organisation.models import (
    Employee,
    Team,
    TeamManager,
)
from app.reports.figure_query import Collected, FigureQuery, cached_statement, count_if, group_key
from app.training.models import Audience, TrainingCompletion, TrainingProgram


def _management_first_on(q: FigureQuery) -> Any:
    """Subquery: per employee, the day they first completed a management programme."""
    # Through the programme ids (few), so the database reads only their completions.
    management = select(col(TrainingProgram.id)).where(
        col(TrainingProgram.organisation_id) == q.org_id,
        col(TrainingProgram.audience) == Audience.management,
    )
    return (
        select(
            col(TrainingCompletion.employee_id).label("employee_id"),
            func.min(col(TrainingCompletion.completed_on)).label("first_on"),
        )
        .where(
            col(TrainingCompletion.organisation_id) == q.org_id,
            col(TrainingCompletion.program_id).in_(management),
        )
        .group_by(col(TrainingCompletion.employee_id))
        .subquery("management_first")
    )


def team_figures(q: FigureQuery, c: Collected) -> None:
    """Every team (ordered by name) with its managers, goals, latest review and meetings."""
    key = (
        "teams",
        q.dialect,
        q.org_id,
        c.period_from,
        c.period_to,
        q.settings.meetings_without_item_threshold,
    )
    rows = q.run(cached_statement(key, lambda: _team_statement(q, c)))
    for (
        team_id,
        name,
        external_id,
        n_managers,
        n_trained,
        n_goals,
        held_on,
        next_on,
        n_meetings,
        n_with_item,
        lacks,
    ) in rows:
        c.teams.append((team_id, name, external_id))
        f = c.by_team[team_id]
        f.team_managers, f.team_managers_trained = n_managers or 0, n_trained or 0
        f.active_team_goals = n_goals or 0
        f.last_review_on, f.next_review_on = held_on, next_on
        f.meetings, f.meetings_with_item = n_meetings or 0, n_with_item or 0
        f.lacks_item = bool(lacks)


def _team_statement(q: FigureQuery, c: Collected) -> Any:
    trained = _management_first_on(q)
    managers = (
        select(
            col(TeamManager.team_id).label("team_id"),
            func.count().label("n"),
            count_if(trained.c.first_on.is_not(None)).label("trained"),
        )
        .join(Employee, col(Employee.id) == col(TeamManager.employee_id))
        .outerjoin(trained, trained.c.employee_id == col(Employee.id))
        .where(col(TeamManager.organisation_id) == q.org_id, q.active(Employee))
        .group_by(col(TeamManager.team_id))
        .subquery("team_managers")
    )
    goals = (
        select(col(TeamGoal.team_id).label("team_id"), func.count().label("n"))
        .where(
            col(TeamGoal.organisation_id) == q.org_id,
            col(TeamGoal.status) == TeamGoalStatus.active,
        )
        .group_by(col(TeamGoal.team_id))
        .subquery("active_goals")
    )
    ranked_review = (
        select(
            col(PracticeReview.team_id).label("team_id"),
            col(PracticeReview.held_on).label("held_on"),
            col(PracticeReview.next_review_on).label("next_review_on"),
            func.row_number()
            .over(
                partition_by=col(PracticeReview.team_id),
                order_by=(col(PracticeReview.held_on).desc(), col(PracticeReview.id).desc()),
            )
            .label("rn"),
        )
        .where(col(PracticeReview.organisation_id) == q.org_id)
        .subquery("ranked_review")
    )
    # Grouped, so the database builds it once and looks it up per team.
    latest_review = (
        select(
            ranked_review.c.team_id,
            func.max(ranked_review.c.held_on).label("held_on"),
            func.max(ranked_review.c.next_review_on).label("next_review_on"),
        )
        .where(ranked_review.c.rn == 1)
        .group_by(ranked_review.c.team_id)
        .subquery("latest_review")
    )
    meetings, lacks_item = _meetings(q, c)
    return (
        select(
            group_key(col(Team.id)),
            col(Team.name),
            col(Team.external_id),
            managers.c.n,
            managers.c.trained,
            goals.c.n,
            latest_review.c.held_on,
            latest_review.c.next_review_on,
            meetings.c.meetings,
            meetings.c.with_item,
            lacks_item,
        )
        .outerjoin(managers, managers.c.team_id == col(Team.id))
        .outerjoin(goals, goals.c.team_id == col(Team.id))
        .outerjoin(latest_review, latest_review.c.team_id == col(Team.id))
        .outerjoin(meetings, meetings.c.team_id == col(Team.id))
        .where(col(Team.organisation_id) == q.org_id)
        .order_by(col(Team.name), col(Team.id))
    )


def _meetings(q: FigureQuery, c: Collected) -> tuple[Any, ColumnElement[int]]:
    """Per team: a subquery of the meetings in the period (and with the fixed item), and a
    column (correlated to ``Team``): 1 when its last ``threshold`` meetings up to the
    period's end all lacked the item.

    The last meetings are read per team through the (team_id, held_on) index, a few rows
    each: cheaper than numbering every meeting of the organisation with a window.
    """
    threshold = q.settings.meetings_without_item_threshold
    with_item = col(TeamMeeting.safe_resilient_work_on_agenda).is_(True)
    in_period = (
        select(
            col(TeamMeeting.team_id).label("team_id"),
            func.count().label("meetings"),
            count_if(with_item).label("with_item"),
        )
        .where(
            col(TeamMeeting.organisation_id) == q.org_id,
            col(TeamMeeting.held_on) >= c.period_from,
            col(TeamMeeting.held_on) <= c.period_to,
        )
        .group_by(col(TeamMeeting.team_id))
        .subquery("team_meetings")
    )
    last = (
        select(case((with_item, 1), else_=0).label("with_item"))
        .where(
            col(TeamMeeting.team_id) == col(Team.id),
            col(TeamMeeting.organisation_id) == q.org_id,
            col(TeamMeeting.held_on) <= c.period_to,
        )
        .order_by(col(TeamMeeting.held_on).desc(), col(TeamMeeting.id).desc())
        .limit(threshold)
        .correlate(Team)
        .subquery("last_meetings")
    )
    lacks = (
        select(
            case(
                (
                    and_(
                        func.count() >= threshold, func.coalesce(func.max(last.c.with_item), 0) == 0
                    ),
                    1,
                ),
                else_=0,
            )
        )
        .select_from(last)
        .scalar_subquery()
    )
    return in_period, lacks
