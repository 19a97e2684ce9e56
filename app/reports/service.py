"""The overview and per-team reports, aggregated in SQL.

Every figure comes from a fixed set of grouped queries (about fifteen, whatever the number
of teams or employees): each query groups by team, the team report reads the groups and
the overview adds them up. The queries read the other domains' tables directly (not their
services) so nothing is loaded row by row; the definitions follow those domains:

- *protocol-ready* (policy): read the protocol in force, or the team discussed it;
- *current* (training): a completed programme with the skill, and completed_on +
  refresher_months still in the future; a *refresher is due* when that date falls within
  the next 90 days (latest completion per employee and programme);
- *managers first* (training): managers trained = completed a `management` programme.
"""

import calendar
import uuid
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy import ColumnElement, and_, case, func, or_, select
from sqlmodel import Session, col

from app.core.tenancy import current_organisation_id
from app.followup.dates import add_months
from app.followup.models import (
    FollowUpItem,
    FollowUpStatus,
    HrmConversation,
    PracticeReview,
    TeamMeeting,
)
from app.learning import service as learning_service
from app.learning.models import (
    FunctionGroupNeed,
    PersonalGoal,
    PersonalGoalStatus,
    Skill,
    TeamGoal,
    TeamGoalStatus,
)
from app.organisation.models import (
    MANAGER_ROLES,
    Employee,
    FunctionGroup,
    OrganisationSettings,
    Role,
    Team,
    TeamManager,
    exposure_level,
)
from app.policy.models import Protocol, ProtocolAcknowledgement, TeamDiscussion
from app.reports.models import (
    FollowUpFigures,
    GoalFigures,
    HrmThemeFigures,
    ManagerFigures,
    MeetingFigures,
    OverviewReport,
    PracticeReviewFigures,
    ProtocolReadinessFigures,
    RefresherFigures,
    SkillCoverage,
    TeamReportRow,
    TeamsReport,
)
from app.training.models import Audience, ProgramSkill, TrainingCompletion, TrainingProgram

REFRESHER_WINDOW_DAYS = 90
HRM_THEME_MONTHS = 12


def pct(part: int, whole: int) -> float:
    """Share in percent with one decimal; 0 when there is nothing to count."""
    return round(100.0 * part / whole, 1) if whole else 0.0


# --- SQL building blocks ----------------------------------------------------------------


def _month_index(value: Any) -> ColumnElement[Any]:
    return sa.extract("year", value) * 12 + sa.extract("month", value)


def ends_after(start: Any, months: Any, day: date) -> ColumnElement[bool]:
    """SQL for ``add_months(start, months) > day``, month-end clamping included.

    Portable (SQLite and PostgreSQL have no common date arithmetic): compare month indexes,
    and within the same month the day, which clamping can only lower to the month's end.
    """
    index = _month_index(start) + months
    day_index = day.year * 12 + day.month
    later: ColumnElement[bool] = index > day_index
    if day.day < calendar.monthrange(day.year, day.month)[1]:
        later = or_(later, and_(index == day_index, sa.extract("day", start) > day.day))
    return later


def _count_if(condition: ColumnElement[bool]) -> ColumnElement[int]:
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


# --- per-team figures -------------------------------------------------------------------


@dataclass
class _Figures:
    """Counts of one team (or of the employees without a team, under key None)."""

    active_employees: int = 0
    protocol_ready: int = 0
    managers: int = 0
    managers_trained: int = 0
    team_managers: int = 0
    team_managers_trained: int = 0
    staff_trained_before_managers: int = 0
    active_team_goals: int = 0
    personal_goals_aligned: int = 0
    personal_goals_unaligned: int = 0
    skill_needs: int = 0
    skill_needs_current: int = 0
    refreshers_due: int = 0
    refresher_trainings: int = 0
    follow_up_open: int = 0
    follow_up_overdue: int = 0
    hrm_theme_covered: int = 0
    meetings: int = 0
    meetings_with_item: int = 0


@dataclass
class _ReviewState:
    last_review_on: date | None
    next_review_on: date | None
    last_training_on: date | None
    overdue: bool


@dataclass
class _Data:
    org_id: uuid.UUID
    today: date
    settings: OrganisationSettings
    period_from: date
    period_to: date
    protocol_id: uuid.UUID | None
    teams: list[tuple[uuid.UUID, str, str | None]]
    figures: dict[uuid.UUID | None, _Figures]
    reviews: dict[uuid.UUID, _ReviewState]
    lacking_item: set[uuid.UUID]
    coverage: list[SkillCoverage]

    def total(self, name: str) -> int:
        return sum(getattr(f, name) for f in self.figures.values())


def _current_protocol_id(session: Session, org_id: uuid.UUID, now: datetime) -> uuid.UUID | None:
    # The version in force now, as the policy domain defines it (published, not superseded).
    return session.execute(
        select(col(Protocol.id))
        .where(
            col(Protocol.organisation_id) == org_id,
            col(Protocol.published_at).is_not(None),
            col(Protocol.published_at) <= now,
            or_(col(Protocol.superseded_at).is_(None), col(Protocol.superseded_at) > now),
        )
        .order_by(col(Protocol.published_at).desc())
        .limit(1)
    ).scalar()


def _management_trained(org_id: uuid.UUID, employee_id: Any, on_or_before: Any = None) -> Any:
    """EXISTS: the employee completed a management-audience programme (by a date)."""
    stmt = (
        select(col(TrainingCompletion.id))
        .join(TrainingProgram, col(TrainingProgram.id) == col(TrainingCompletion.program_id))
        .where(
            col(TrainingCompletion.organisation_id) == org_id,
            col(TrainingCompletion.employee_id) == employee_id,
            col(TrainingProgram.audience) == Audience.management,
        )
    )
    if on_or_before is not None:
        stmt = stmt.where(col(TrainingCompletion.completed_on) <= on_or_before)
    # Correlate explicitly: nested two levels deep, auto-correlation would not reach out.
    return stmt.correlate_except(TrainingCompletion, TrainingProgram).exists()


def _employee_figures(
    session: Session, d: _Data, *, now: datetime
) -> dict[tuple[uuid.UUID | None, uuid.UUID | None], int]:
    """Per team: active employees, protocol-ready, managers (trained), HRM theme covered.

    Returns the active head count per (team, function group), for the coverage figures.
    """
    org_id, e = d.org_id, Employee
    if d.protocol_id is None:
        ready: ColumnElement[bool] = sa.false()
    else:
        acknowledged = (
            select(col(ProtocolAcknowledgement.id))
            .where(
                col(ProtocolAcknowledgement.organisation_id) == org_id,
                col(ProtocolAcknowledgement.protocol_id) == d.protocol_id,
                col(ProtocolAcknowledgement.employee_id) == col(e.id),
                col(ProtocolAcknowledgement.read_at) <= now,
            )
            .exists()
        )
        discussed_teams = select(col(TeamDiscussion.team_id)).where(
            col(TeamDiscussion.organisation_id) == org_id,
            col(TeamDiscussion.protocol_id) == d.protocol_id,
            col(TeamDiscussion.discussed_on) <= d.today,
        )
        ready = or_(acknowledged, col(e.team_id).in_(discussed_teams))
    is_manager = col(e.role).in_([r.value for r in MANAGER_ROLES])
    theme_since = add_months(d.today, -HRM_THEME_MONTHS)
    theme = (
        select(col(HrmConversation.id))
        .where(
            col(HrmConversation.organisation_id) == org_id,
            col(HrmConversation.employee_id) == col(e.id),
            col(HrmConversation.theme_discussed).is_(True),
            col(HrmConversation.held_on) >= theme_since,
            col(HrmConversation.held_on) <= d.today,
        )
        .exists()
    )
    rows = session.execute(
        select(
            col(e.team_id),
            col(e.function_group_id),
            func.count(),
            _count_if(ready),
            _count_if(is_manager),
            _count_if(and_(is_manager, _management_trained(org_id, col(e.id)))),
            _count_if(theme),
        )
        .where(col(e.organisation_id) == org_id, col(e.active).is_(True))
        .group_by(col(e.team_id), col(e.function_group_id))
    )
    heads: dict[tuple[uuid.UUID | None, uuid.UUID | None], int] = {}
    for team_id, fg_id, active, n_ready, managers, trained, covered in rows:
        f = d.figures[team_id]
        f.active_employees += active
        f.protocol_ready += n_ready
        f.managers += managers
        f.managers_trained += trained
        f.hrm_theme_covered += covered
        heads[(team_id, fg_id)] = active
    return heads


def _team_manager_figures(session: Session, d: _Data) -> None:
    """Per team: its own managers (team_manager links), and how many are trained."""
    rows = session.execute(
        select(
            col(TeamManager.team_id),
            func.count(),
            _count_if(_management_trained(d.org_id, col(Employee.id))),
        )
        .join(Employee, col(Employee.id) == col(TeamManager.employee_id))
        .where(col(TeamManager.organisation_id) == d.org_id, col(Employee.active).is_(True))
        .group_by(col(TeamManager.team_id))
    )
    for team_id, managers, trained in rows:
        d.figures[team_id].team_managers = managers
        d.figures[team_id].team_managers_trained = trained


def _staff_before_managers(session: Session, d: _Data) -> None:
    """Per team: staff whose first training preceded a responsible manager's training."""
    org_id = d.org_id
    first = (
        select(
            col(TrainingCompletion.employee_id).label("employee_id"),
            func.min(col(TrainingCompletion.completed_on)).label("first_on"),
        )
        .where(col(TrainingCompletion.organisation_id) == org_id)
        .group_by(col(TrainingCompletion.employee_id))
        .subquery()
    )
    staff = sa.orm.aliased(Employee, name="staff")
    manager = sa.orm.aliased(Employee, name="manager")
    team_managers = (
        select(col(TeamManager.employee_id))
        .where(
            col(TeamManager.organisation_id) == org_id,
            col(TeamManager.team_id) == col(staff.team_id),
        )
        .correlate_except(TeamManager)
    )
    untrained_manager = (
        select(col(manager.id))
        .where(
            col(manager.organisation_id) == org_id,
            col(manager.active).is_(True),
            or_(
                col(manager.role) == Role.senior_management,
                col(manager.id).in_(team_managers),
            ),
            ~_management_trained(org_id, col(manager.id), first.c.first_on),
        )
        .exists()
    )
    rows = session.execute(
        select(col(staff.team_id), func.count())
        .join(first, first.c.employee_id == col(staff.id))
        .where(
            col(staff.organisation_id) == org_id,
            col(staff.active).is_(True),
            col(staff.role) == Role.employee,
            untrained_manager,
        )
        .group_by(col(staff.team_id))
    )
    for team_id, n in rows:
        d.figures[team_id].staff_trained_before_managers = n


def _goal_figures(session: Session, d: _Data) -> None:
    """Per team: active team goals; personal goals (not dropped) aligned and unaligned."""
    for team_id, n in session.execute(
        select(col(TeamGoal.team_id), func.count())
        .where(
            col(TeamGoal.organisation_id) == d.org_id,
            col(TeamGoal.status) == TeamGoalStatus.active,
        )
        .group_by(col(TeamGoal.team_id))
    ):
        d.figures[team_id].active_team_goals = n
    aligned = col(PersonalGoal.alignment) == "aligned"
    for team_id, n_aligned, n_unaligned in session.execute(
        select(col(Employee.team_id), _count_if(aligned), _count_if(~aligned))
        .join(Employee, col(Employee.id) == col(PersonalGoal.employee_id))
        .where(
            col(PersonalGoal.organisation_id) == d.org_id,
            col(PersonalGoal.status) != PersonalGoalStatus.dropped,
            col(Employee.active).is_(True),
        )
        .group_by(col(Employee.team_id))
    ):
        d.figures[team_id].personal_goals_aligned = n_aligned
        d.figures[team_id].personal_goals_unaligned = n_unaligned


def _needs(
    session: Session, org_id: uuid.UUID
) -> tuple[list[tuple[uuid.UUID, str]], dict[uuid.UUID, list[tuple[uuid.UUID, str]]]]:
    """Function groups and the skills each needs: its own list, or the default by exposure."""
    groups = session.execute(
        select(
            col(FunctionGroup.id),
            col(FunctionGroup.name),
            col(FunctionGroup.likelihood),
            col(FunctionGroup.impact),
            col(FunctionGroup.custom_needs),
        )
        .where(col(FunctionGroup.organisation_id) == org_id)
        .order_by(col(FunctionGroup.name), col(FunctionGroup.id))
    ).all()
    skills = {
        sid: (code, retired)
        for sid, code, retired in session.execute(
            select(col(Skill.id), col(Skill.code), col(Skill.retired)).where(
                col(Skill.organisation_id) == org_id
            )
        )
    }
    by_code = {code: sid for sid, (code, retired) in skills.items() if not retired}
    custom: dict[uuid.UUID, list[uuid.UUID]] = defaultdict(list)
    for fg_id, skill_id in session.execute(
        select(col(FunctionGroupNeed.function_group_id), col(FunctionGroupNeed.skill_id)).where(
            col(FunctionGroupNeed.organisation_id) == org_id
        )
    ):
        custom[fg_id].append(skill_id)
    needs: dict[uuid.UUID, list[tuple[uuid.UUID, str]]] = {}
    for fg_id, _name, likelihood, impact, is_custom in groups:
        if is_custom:
            ids = custom.get(fg_id, [])
        else:
            codes = learning_service.default_needs(exposure_level(likelihood * impact))
            ids = [by_code[c] for c in codes if c in by_code]
        needs[fg_id] = sorted(((s, skills[s][0]) for s in ids), key=lambda p: p[1])
    return [(g[0], g[1]) for g in groups], needs


def _coverage(
    session: Session,
    d: _Data,
    heads: dict[tuple[uuid.UUID | None, uuid.UUID | None], int],
) -> None:
    """Per function group and needed skill, and per team: people whose training is current."""
    groups, needs = _needs(session, d.org_id)
    current_rows = session.execute(
        select(
            col(Employee.team_id),
            col(Employee.function_group_id),
            col(ProgramSkill.skill_id),
            func.count(sa.distinct(col(Employee.id))),
        )
        .join(TrainingCompletion, col(TrainingCompletion.employee_id) == col(Employee.id))
        .join(TrainingProgram, col(TrainingProgram.id) == col(TrainingCompletion.program_id))
        .join(
            ProgramSkill,
            and_(
                col(ProgramSkill.program_id) == col(TrainingProgram.id),
                col(ProgramSkill.organisation_id) == d.org_id,
            ),
        )
        .where(
            col(Employee.organisation_id) == d.org_id,
            col(Employee.active).is_(True),
            col(Employee.function_group_id).is_not(None),
            ends_after(
                col(TrainingCompletion.completed_on), col(TrainingProgram.refresher_months), d.today
            ),
        )
        .group_by(
            col(Employee.team_id), col(Employee.function_group_id), col(ProgramSkill.skill_id)
        )
    )
    current: dict[tuple[uuid.UUID | None, uuid.UUID, uuid.UUID], int] = {
        (team_id, fg_id, skill_id): n for team_id, fg_id, skill_id, n in current_rows
    }
    for (team_id, fg_id), n in heads.items():
        if fg_id is None:
            continue
        needed = needs.get(fg_id, [])
        f = d.figures[team_id]
        f.skill_needs += n * len(needed)
        f.skill_needs_current += sum(current.get((team_id, fg_id, s), 0) for s, _ in needed)
    team_ids = {t for t, _ in heads}
    for fg_id, fg_name in groups:
        people = sum(heads.get((t, fg_id), 0) for t in team_ids)
        for skill_id, code in needs[fg_id]:
            n = sum(current.get((t, fg_id, skill_id), 0) for t in team_ids)
            d.coverage.append(
                SkillCoverage(
                    function_group_id=fg_id,
                    function_group_name=fg_name,
                    skill_id=skill_id,
                    skill_code=code,
                    employees=people,
                    current=n,
                    current_pct=pct(n, people),
                )
            )


def _refreshers(session: Session, d: _Data) -> None:
    """Per team: members whose latest completion of a programme stops being current soon."""
    latest = (
        select(
            col(TrainingCompletion.employee_id).label("employee_id"),
            col(TrainingCompletion.program_id).label("program_id"),
            func.max(col(TrainingCompletion.completed_on)).label("last_on"),
        )
        .where(col(TrainingCompletion.organisation_id) == d.org_id)
        .group_by(col(TrainingCompletion.employee_id), col(TrainingCompletion.program_id))
        .subquery()
    )
    months = col(TrainingProgram.refresher_months)
    horizon = d.today + timedelta(days=REFRESHER_WINDOW_DAYS)
    rows = session.execute(
        select(col(Employee.team_id), func.count(sa.distinct(col(Employee.id))), func.count())
        .select_from(latest)
        .join(Employee, col(Employee.id) == latest.c.employee_id)
        .join(TrainingProgram, col(TrainingProgram.id) == latest.c.program_id)
        .where(
            col(Employee.organisation_id) == d.org_id,
            col(Employee.active).is_(True),
            ends_after(latest.c.last_on, months, d.today),
            ~ends_after(latest.c.last_on, months, horizon),
        )
        .group_by(col(Employee.team_id))
    )
    for team_id, employees, trainings in rows:
        d.figures[team_id].refreshers_due = employees
        d.figures[team_id].refresher_trainings = trainings


def _follow_up(session: Session, d: _Data) -> None:
    """Per team: open and overdue items owned by the team or by one of its members."""
    owner_team = func.coalesce(col(FollowUpItem.owner_team_id), col(Employee.team_id))
    due_on = col(FollowUpItem.due_on)
    rows = session.execute(
        select(owner_team, func.count(), _count_if(and_(due_on.is_not(None), due_on < d.today)))
        .select_from(FollowUpItem)
        .outerjoin(Employee, col(Employee.id) == col(FollowUpItem.owner_employee_id))
        .where(
            col(FollowUpItem.organisation_id) == d.org_id,
            col(FollowUpItem.status) == FollowUpStatus.open,
        )
        .group_by(owner_team)
    )
    for team_id, n_open, n_overdue in rows:
        d.figures[team_id].follow_up_open = n_open
        d.figures[team_id].follow_up_overdue = n_overdue


def _reviews(session: Session, d: _Data) -> None:
    """Per team: latest review, latest training of a member, and whether a review is overdue.

    Overdue: the team has completed training, and its latest review's next_review_on has
    passed, or (never reviewed) its latest training is older than the review interval.
    """
    ranked = (
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
        .where(col(PracticeReview.organisation_id) == d.org_id)
        .subquery()
    )
    latest_review = select(ranked).where(ranked.c.rn == 1).subquery()
    trained = (
        select(
            col(Employee.team_id).label("team_id"),
            func.max(col(TrainingCompletion.completed_on)).label("last_on"),
        )
        .join(Employee, col(Employee.id) == col(TrainingCompletion.employee_id))
        .where(
            col(TrainingCompletion.organisation_id) == d.org_id,
            col(Employee.active).is_(True),
            col(Employee.team_id).is_not(None),
        )
        .group_by(col(Employee.team_id))
        .subquery()
    )
    interval = d.settings.review_interval_months
    # "older than the interval": last_on + interval < today, i.e. not after yesterday.
    stale_training = ~ends_after(trained.c.last_on, interval, d.today - timedelta(days=1))
    overdue = and_(
        trained.c.last_on.is_not(None),
        case(
            (latest_review.c.next_review_on.is_not(None), latest_review.c.next_review_on < d.today),
            else_=stale_training,
        ),
    )
    rows = session.execute(
        select(
            col(Team.id),
            latest_review.c.held_on,
            latest_review.c.next_review_on,
            trained.c.last_on,
            case((overdue, 1), else_=0),
        )
        .outerjoin(latest_review, latest_review.c.team_id == col(Team.id))
        .outerjoin(trained, trained.c.team_id == col(Team.id))
        .where(col(Team.organisation_id) == d.org_id)
    )
    for team_id, held_on, next_on, last_on, is_overdue in rows:
        d.reviews[team_id] = _ReviewState(
            last_review_on=held_on,
            next_review_on=next_on,
            last_training_on=last_on,
            overdue=bool(is_overdue),
        )


def _meetings(session: Session, d: _Data) -> None:
    """Per team: meetings in the period with the fixed item, and the last-N-without check."""
    threshold = d.settings.meetings_without_item_threshold
    ranked = (
        select(
            col(TeamMeeting.team_id).label("team_id"),
            col(TeamMeeting.held_on).label("held_on"),
            col(TeamMeeting.safe_resilient_work_on_agenda).label("with_item"),
            func.row_number()
            .over(
                partition_by=col(TeamMeeting.team_id),
                order_by=(col(TeamMeeting.held_on).desc(), col(TeamMeeting.id).desc()),
            )
            .label("rn"),
        )
        .where(
            col(TeamMeeting.organisation_id) == d.org_id,
            col(TeamMeeting.held_on) <= d.period_to,
        )
        .subquery()
    )
    in_period = ranked.c.held_on >= d.period_from
    recent = ranked.c.rn <= threshold
    with_item = ranked.c.with_item.is_(True)
    rows = session.execute(
        select(
            ranked.c.team_id,
            _count_if(in_period),
            _count_if(and_(in_period, with_item)),
            _count_if(recent),
            _count_if(and_(recent, with_item)),
        ).group_by(ranked.c.team_id)
    )
    for team_id, meetings, meetings_with, recent_n, recent_with in rows:
        d.figures[team_id].meetings = meetings
        d.figures[team_id].meetings_with_item = meetings_with
        if recent_n >= threshold and recent_with == 0:
            d.lacking_item.add(team_id)


def _collect(
    session: Session,
    *,
    settings: OrganisationSettings,
    today: date,
    period_from: date | None,
    period_to: date | None,
) -> _Data:
    org_id = current_organisation_id(session)
    # Readiness counts what was read or discussed by the end of ``today`` (now, for today).
    now = min(datetime.now(UTC), datetime.combine(today, time.max, tzinfo=UTC))
    period_to = period_to or today
    teams = [
        (tid, name, ext)
        for tid, name, ext in session.execute(
            select(col(Team.id), col(Team.name), col(Team.external_id))
            .where(col(Team.organisation_id) == org_id)
            .order_by(col(Team.name), col(Team.id))
        )
    ]
    d = _Data(
        org_id=org_id,
        today=today,
        settings=settings,
        period_from=period_from or add_months(period_to, -12),
        period_to=period_to,
        protocol_id=_current_protocol_id(session, org_id, now),
        teams=teams,
        figures=defaultdict(_Figures),
        reviews={},
        lacking_item=set(),
        coverage=[],
    )
    heads = _employee_figures(session, d, now=now)
    _team_manager_figures(session, d)
    _staff_before_managers(session, d)
    _goal_figures(session, d)
    _coverage(session, d, heads)
    _refreshers(session, d)
    _follow_up(session, d)
    _reviews(session, d)
    _meetings(session, d)
    return d


# --- the reports ------------------------------------------------------------------------


def overview(
    session: Session,
    *,
    settings: OrganisationSettings,
    today: date,
    period_from: date | None = None,
    period_to: date | None = None,
) -> OverviewReport:
    """The organisation's figures for the four steps of the method."""
    d = _collect(
        session, settings=settings, today=today, period_from=period_from, period_to=period_to
    )
    active = d.total("active_employees")
    ready = d.total("protocol_ready")
    managers, trained = d.total("managers"), d.total("managers_trained")
    before = d.total("staff_trained_before_managers")
    teams = len(d.teams)
    with_goals = sum(1 for t, _, _ in d.teams if d.figures[t].active_team_goals)
    covered = d.total("hrm_theme_covered")
    meetings, with_item = d.total("meetings"), d.total("meetings_with_item")
    team_ids = {t for t, _, _ in d.teams}
    return OverviewReport(
        generated_on=today,
        teams=teams,
        protocol_readiness=ProtocolReadinessFigures(
            protocol_id=d.protocol_id,
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
            active_team_goals=d.total("active_team_goals"),
            teams_with_active_goals=with_goals,
            teams_with_active_goals_pct=pct(with_goals, teams),
            personal_goals_aligned=d.total("personal_goals_aligned"),
            personal_goals_unaligned=d.total("personal_goals_unaligned"),
        ),
        training_coverage=d.coverage,
        refreshers_due=RefresherFigures(
            within_days=REFRESHER_WINDOW_DAYS,
            employees=d.total("refreshers_due"),
            trainings=d.total("refresher_trainings"),
        ),
        follow_up=FollowUpFigures(
            open=d.total("follow_up_open"), overdue=d.total("follow_up_overdue")
        ),
        practice_reviews=PracticeReviewFigures(
            teams_with_training=sum(
                1 for r in d.reviews.values() if r.last_training_on is not None
            ),
            teams_overdue=sum(1 for r in d.reviews.values() if r.overdue),
        ),
        meetings=MeetingFigures(
            period_from=d.period_from,
            period_to=d.period_to,
            meetings=meetings,
            with_item=with_item,
            with_item_pct=pct(with_item, meetings),
            threshold=settings.meetings_without_item_threshold,
            teams_lacking_item=len(d.lacking_item & team_ids),
        ),
        hrm_theme=HrmThemeFigures(
            active_employees=active,
            covered=covered,
            covered_pct=pct(covered, active),
            not_covered=active - covered,
        ),
    )


def teams_report(
    session: Session,
    *,
    settings: OrganisationSettings,
    today: date,
    period_from: date | None = None,
    period_to: date | None = None,
) -> TeamsReport:
    """One row of figures per team, ordered by name."""
    d = _collect(
        session, settings=settings, today=today, period_from=period_from, period_to=period_to
    )
    rows = []
    for team_id, name, external_id in d.teams:
        f = d.figures[team_id]
        review = d.reviews.get(team_id) or _ReviewState(None, None, None, False)
        rows.append(
            TeamReportRow(
                team_id=team_id,
                team_name=name,
                external_id=external_id,
                active_employees=f.active_employees,
                protocol_ready=f.protocol_ready,
                protocol_ready_pct=pct(f.protocol_ready, f.active_employees),
                managers=f.team_managers,
                managers_trained=f.team_managers_trained,
                staff_trained_before_managers=f.staff_trained_before_managers,
                active_team_goals=f.active_team_goals,
                personal_goals_aligned=f.personal_goals_aligned,
                personal_goals_unaligned=f.personal_goals_unaligned,
                skill_needs=f.skill_needs,
                skill_needs_current=f.skill_needs_current,
                training_coverage_pct=pct(f.skill_needs_current, f.skill_needs),
                refreshers_due=f.refreshers_due,
                follow_up_open=f.follow_up_open,
                follow_up_overdue=f.follow_up_overdue,
                last_review_on=review.last_review_on,
                next_review_on=review.next_review_on,
                last_training_on=review.last_training_on,
                review_overdue=review.overdue,
                meetings=f.meetings,
                meetings_with_item=f.meetings_with_item,
                meetings_with_item_pct=pct(f.meetings_with_item, f.meetings),
                lacks_item_in_last_meetings=team_id in d.lacking_item,
                hrm_theme_covered=f.hrm_theme_covered,
                hrm_theme_covered_pct=pct(f.hrm_theme_covered, f.active_employees),
            )
        )
    return TeamsReport(
        generated_on=today, period_from=d.period_from, period_to=d.period_to, items=rows
    )


# --- CSV --------------------------------------------------------------------------------

OVERVIEW_CSV_HEADER = ["section", "figure", "scope", "value"]
TEAMS_CSV_HEADER = list(TeamReportRow.model_fields)


def overview_csv_rows(report: OverviewReport) -> list[list[object]]:
    """The overview as (section, figure, scope, value) rows, one figure a row."""
    rows: list[list[object]] = [["report", "generated_on", "", report.generated_on]]
    rows.append(["report", "teams", "", report.teams])
    for section in (
        "protocol_readiness",
        "managers",
        "goals",
        "refreshers_due",
        "follow_up",
        "practice_reviews",
        "meetings",
        "hrm_theme",
    ):
        figures = getattr(report, section)
        for name, value in figures.model_dump().items():
            rows.append([section, name, "", value])
    for c in report.training_coverage:
        scope = f"{c.function_group_name} / {c.skill_code}"
        rows.append(["training_coverage", "employees", scope, c.employees])
        rows.append(["training_coverage", "current", scope, c.current])
        rows.append(["training_coverage", "current_pct", scope, c.current_pct])
    return rows


def teams_csv_rows(report: TeamsReport) -> list[list[object]]:
    """One row per team, columns ``TEAMS_CSV_HEADER``."""
    return [[getattr(row, name) for name in TEAMS_CSV_HEADER] for row in report.items]
