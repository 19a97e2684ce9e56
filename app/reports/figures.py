"""The report figures, aggregated in SQL: one grouped query per figure, whatever the size.

Each query groups by team (employees without a team under ``None``), so the team report
reads the groups and the overview adds them up; no query returns more rows than there are
teams, and none runs per team. The queries read the other domains' tables directly (not
their services); the definitions follow those domains:

- *protocol-ready* (policy): read the protocol in force, or the team discussed it;
- *current* (training): a completed programme with the skill whose completed_on +
  refresher_months is still in the future; a *refresher is due* when that date falls
  within the next 90 days (latest completion per employee and programme);
- *managers first* (training): a manager is trained once they completed a `management`
  programme; staff trained before a responsible manager (senior management or their
  team's managers) was, are counted.
"""

import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy import ColumnElement, and_, case, func, or_, select
from sqlalchemy.orm import aliased
from sqlmodel import Session, col

from app.core.tenancy import current_organisation_id
from app.followup.dates import add_months, current_since
from app.followup.models import (
    FollowUpItem,
    FollowUpStatus,
    HrmConversation,
    PracticeReview,
    TeamMeeting,
)
from app.learning import service as learning_service
from app.learning.models import (
    Alignment,
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
from app.training.models import Audience, ProgramSkill, TrainingCompletion, TrainingProgram

REFRESHER_WINDOW_DAYS = 90
HRM_THEME_MONTHS = 12
_NEVER = date(9999, 12, 31)

TeamKey = uuid.UUID | None


def _unindexed(column: Any) -> ColumnElement[Any]:
    """The column's value, hidden from index selection (SQLite picks a poor range scan)."""
    return func.coalesce(column, column)


def _count_if(condition: ColumnElement[bool]) -> ColumnElement[int]:
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


@dataclass
class Figures:
    """Counts of one team (or of the employees without a team)."""

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
    last_review_on: date | None = None
    next_review_on: date | None = None
    last_training_on: date | None = None
    review_overdue: bool = False
    lacks_item: bool = False


@dataclass
class Coverage:
    """Active people of a function group, and those current in one skill it needs."""

    function_group_id: uuid.UUID
    function_group_name: str
    skill_id: uuid.UUID
    skill_code: str
    employees: int
    current: int


@dataclass
class Collected:
    """Everything the two reports show, per team."""

    today: date
    period_from: date
    period_to: date
    protocol_id: uuid.UUID | None
    teams: list[tuple[uuid.UUID, str, str | None]]
    by_team: defaultdict[TeamKey, Figures] = field(default_factory=lambda: defaultdict(Figures))
    coverage: list[Coverage] = field(default_factory=list)

    def total(self, name: str) -> int:
        """The sum of a count over every team and the employees without one."""
        return sum(getattr(f, name) for f in self.by_team.values())


class _Query:
    """The parameters every figure query shares."""

    def __init__(self, session: Session, settings: OrganisationSettings, today: date) -> None:
        self.session = session
        self.settings = settings
        self.today = today
        self.org_id = current_organisation_id(session)
        self.connection = session.connection()
        # Readiness counts what was read by the end of ``today`` (for today: by now).
        self.now = min(datetime.now(UTC), datetime.combine(today, time.max, tzinfo=UTC))
        months = self.run(
            select(col(TrainingProgram.refresher_months))
            .where(col(TrainingProgram.organisation_id) == self.org_id)
            .distinct()
        ).scalars()
        self.refresher_months = sorted(set(months))

    def run(self, stmt: Any) -> Any:
        """Execute on the connection: every query here names its organisation itself, so
        the ORM layer (and its per-table tenant criteria) would add only overhead."""
        return self.connection.execute(stmt)

    def current_on(self, completed_on: Any, day: date) -> ColumnElement[bool]:
        """SQL: a completion (of the programme in the query) still counts on ``day``."""
        if not self.refresher_months:
            return sa.false()
        since = case(
            {m: sa.literal(current_since(m, day), sa.Date) for m in self.refresher_months},
            value=col(TrainingProgram.refresher_months),
            else_=sa.literal(_NEVER, sa.Date),
        )
        result: ColumnElement[bool] = completed_on >= since
        return result

    def active(self, employee: Any) -> ColumnElement[bool]:
        return and_(col(employee.organisation_id) == self.org_id, col(employee.active).is_(True))


def _teams(q: _Query) -> list[tuple[uuid.UUID, str, str | None]]:
    return [
        (tid, name, ext)
        for tid, name, ext in q.run(
            select(col(Team.id), col(Team.name), col(Team.external_id))
            .where(col(Team.organisation_id) == q.org_id)
            .order_by(col(Team.name), col(Team.id))
        )
    ]


def _current_protocol_id(q: _Query) -> uuid.UUID | None:
    # The version in force, as the policy domain defines it (published, not superseded).
    found: uuid.UUID | None = q.run(
        select(col(Protocol.id))
        .where(
            col(Protocol.organisation_id) == q.org_id,
            col(Protocol.published_at).is_not(None),
            col(Protocol.published_at) <= q.now,
            or_(col(Protocol.superseded_at).is_(None), col(Protocol.superseded_at) > q.now),
        )
        .order_by(col(Protocol.published_at).desc())
        .limit(1)
    ).scalar()
    return found


def _management_first_on(q: _Query) -> Any:
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


def _employee_figures(q: _Query, c: Collected, needs: dict[uuid.UUID, list[Any]]) -> None:
    """Per team: active employees, protocol-ready, managers (trained), theme covered, needs."""
    e = Employee
    if c.protocol_id is None:
        ready: ColumnElement[bool] = sa.false()
    else:
        acknowledged = select(col(ProtocolAcknowledgement.employee_id)).where(
            col(ProtocolAcknowledgement.organisation_id) == q.org_id,
            col(ProtocolAcknowledgement.protocol_id) == c.protocol_id,
            col(ProtocolAcknowledgement.read_at) <= q.now,
        )
        discussed = select(col(TeamDiscussion.team_id)).where(
            col(TeamDiscussion.organisation_id) == q.org_id,
            col(TeamDiscussion.protocol_id) == c.protocol_id,
            col(TeamDiscussion.discussed_on) <= q.today,
        )
        ready = or_(col(e.team_id).in_(discussed), col(e.id).in_(acknowledged))
    theme = select(col(HrmConversation.employee_id)).where(
        col(HrmConversation.organisation_id) == q.org_id,
        col(HrmConversation.theme_discussed).is_(True),
        col(HrmConversation.held_on) >= add_months(q.today, -HRM_THEME_MONTHS),
        col(HrmConversation.held_on) <= q.today,
    )
    trained = _management_first_on(q)
    is_manager = col(e.role).in_([r.value for r in MANAGER_ROLES])
    # Member x needed-skill pairs: the function group's number of needs, per member.
    counts = {fg: len(skills) for fg, skills in needs.items() if skills}
    needed = case(counts, value=col(e.function_group_id), else_=0) if counts else sa.literal(0)
    rows = q.run(
        select(
            col(e.team_id),
            func.count(),
            _count_if(ready),
            _count_if(is_manager),
            _count_if(and_(is_manager, trained.c.first_on.is_not(None))),
            _count_if(col(e.id).in_(theme)),
            func.coalesce(func.sum(needed), 0),
        )
        .outerjoin(trained, trained.c.employee_id == col(e.id))
        .where(q.active(e))
        .group_by(col(e.team_id))
    )
    for team_id, active, n_ready, managers, n_trained, covered, n_needed in rows:
        f = c.by_team[team_id]
        f.active_employees = active
        f.protocol_ready = n_ready
        f.managers = managers
        f.managers_trained = n_trained
        f.hrm_theme_covered = covered
        f.skill_needs = int(n_needed)


def _team_managers(q: _Query, c: Collected) -> None:
    """Per team: its own (active) managers, and how many completed management training."""
    trained = _management_first_on(q)
    rows = q.run(
        select(col(TeamManager.team_id), func.count(), _count_if(trained.c.first_on.is_not(None)))
        .join(Employee, col(Employee.id) == col(TeamManager.employee_id))
        .outerjoin(trained, trained.c.employee_id == col(Employee.id))
        .where(col(TeamManager.organisation_id) == q.org_id, q.active(Employee))
        .group_by(col(TeamManager.team_id))
    )
    for team_id, managers, n_trained in rows:
        c.by_team[team_id].team_managers = managers
        c.by_team[team_id].team_managers_trained = n_trained


def _staff_before_managers(q: _Query, c: Collected) -> None:
    """Per team: staff whose first training came before a responsible manager's.

    A manager's "trained on" is their first management completion (never: far future); a
    staff member is early when their first completion precedes the latest of those among
    the senior management and their team's managers (managers first: seed step 4).
    """
    trained = _management_first_on(q)
    trained_on = func.coalesce(trained.c.first_on, sa.literal(_NEVER, sa.Date))
    seniors = aliased(Employee, name="senior")
    senior_deadline = (
        select(func.max(trained_on))
        .select_from(seniors)
        .outerjoin(trained, trained.c.employee_id == col(seniors.id))
        .where(q.active(seniors), col(seniors.role) == Role.senior_management)
        .scalar_subquery()
    )
    managers = aliased(Employee, name="manager")
    team_deadline = (
        select(col(TeamManager.team_id).label("team_id"), func.max(trained_on).label("on"))
        .join(managers, col(managers.id) == col(TeamManager.employee_id))
        .outerjoin(trained, trained.c.employee_id == col(managers.id))
        .where(col(TeamManager.organisation_id) == q.org_id, q.active(managers))
        .group_by(col(TeamManager.team_id))
        .subquery("team_deadline")
    )
    first = (
        select(
            col(TrainingCompletion.employee_id).label("employee_id"),
            func.min(col(TrainingCompletion.completed_on)).label("first_on"),
        )
        .where(col(TrainingCompletion.organisation_id) == q.org_id)
        .group_by(col(TrainingCompletion.employee_id))
        .subquery("first_training")
    )
    rows = q.run(
        select(col(Employee.team_id), func.count())
        .join(first, first.c.employee_id == col(Employee.id))
        .outerjoin(team_deadline, team_deadline.c.team_id == col(Employee.team_id))
        .where(
            q.active(Employee),
            col(Employee.role) == Role.employee,
            or_(first.c.first_on < senior_deadline, first.c.first_on < team_deadline.c.on),
        )
        .group_by(col(Employee.team_id))
    )
    for team_id, n in rows:
        c.by_team[team_id].staff_trained_before_managers = n


def _goals(q: _Query, c: Collected) -> None:
    """Per team: active team goals; personal goals (not dropped) aligned and unaligned."""
    for team_id, n in q.run(
        select(col(TeamGoal.team_id), func.count())
        .where(
            col(TeamGoal.organisation_id) == q.org_id,
            col(TeamGoal.status) == TeamGoalStatus.active,
        )
        .group_by(col(TeamGoal.team_id))
    ):
        c.by_team[team_id].active_team_goals = n
    aligned = col(PersonalGoal.alignment) == Alignment.aligned
    for team_id, n_aligned, n_unaligned in q.run(
        select(col(Employee.team_id), _count_if(aligned), _count_if(~aligned))
        .join(Employee, col(Employee.id) == col(PersonalGoal.employee_id))
        .where(
            col(PersonalGoal.organisation_id) == q.org_id,
            col(PersonalGoal.status) != PersonalGoalStatus.dropped,
            q.active(Employee),
        )
        .group_by(col(Employee.team_id))
    ):
        c.by_team[team_id].personal_goals_aligned = n_aligned
        c.by_team[team_id].personal_goals_unaligned = n_unaligned


def _needs(q: _Query) -> tuple[list[tuple[uuid.UUID, str]], dict[uuid.UUID, list[Any]]]:
    """Function groups and the skills each needs: its own list, or the default by exposure."""
    groups = q.run(
        select(
            col(FunctionGroup.id),
            col(FunctionGroup.name),
            col(FunctionGroup.likelihood),
            col(FunctionGroup.impact),
            col(FunctionGroup.custom_needs),
        )
        .where(col(FunctionGroup.organisation_id) == q.org_id)
        .order_by(col(FunctionGroup.name), col(FunctionGroup.id))
    ).all()
    skills = {
        sid: (code, retired)
        for sid, code, retired in q.run(
            select(col(Skill.id), col(Skill.code), col(Skill.retired)).where(
                col(Skill.organisation_id) == q.org_id
            )
        )
    }
    by_code = {code: sid for sid, (code, retired) in skills.items() if not retired}
    custom: dict[uuid.UUID, list[uuid.UUID]] = defaultdict(list)
    for fg_id, skill_id in q.run(
        select(col(FunctionGroupNeed.function_group_id), col(FunctionGroupNeed.skill_id)).where(
            col(FunctionGroupNeed.organisation_id) == q.org_id
        )
    ):
        custom[fg_id].append(skill_id)
    needs: dict[uuid.UUID, list[Any]] = {}
    for fg_id, _name, likelihood, impact, is_custom in groups:
        if is_custom:
            ids = custom.get(fg_id, [])
        else:
            codes = learning_service.default_needs(exposure_level(likelihood * impact))
            ids = [by_code[code] for code in codes if code in by_code]
        needs[fg_id] = sorted(((s, skills[s][0]) for s in ids), key=lambda p: p[1])
    return [(g[0], g[1]) for g in groups], needs


def _skill_flags(q: _Query, skill_ids: list[uuid.UUID]) -> tuple[Any, dict[uuid.UUID, Any]]:
    """Subquery: per employee, a 0/1 column per skill: a training in it is current today.

    One pass over the current completions grouped by employee (the programmes of each
    skill are few), instead of joining every completion to every skill it trains.
    """
    programs: dict[uuid.UUID, list[uuid.UUID]] = defaultdict(list)
    for program_id, skill_id in q.run(
        select(col(ProgramSkill.program_id), col(ProgramSkill.skill_id)).where(
            col(ProgramSkill.organisation_id) == q.org_id
        )
    ):
        programs[skill_id].append(program_id)
    flags = {
        skill_id: func.max(
            case((col(TrainingCompletion.program_id).in_(programs[skill_id]), 1), else_=0)
        ).label(f"skill_{i}")
        for i, skill_id in enumerate(skill_ids)
        if programs.get(skill_id)
    }
    sub = (
        select(col(TrainingCompletion.employee_id).label("employee_id"), *flags.values())
        .join(TrainingProgram, col(TrainingProgram.id) == col(TrainingCompletion.program_id))
        .where(
            col(TrainingCompletion.organisation_id) == q.org_id,
            # Not by the completed_on index: the range covers most rows, and walking the
            # completions in employee order needs no sorting for the grouping.
            q.current_on(_unindexed(col(TrainingCompletion.completed_on)), q.today),
        )
        .group_by(col(TrainingCompletion.employee_id))
        .subquery("current_skill")
    )
    return sub, {skill_id: func.coalesce(sub.c[f.name], 0) for skill_id, f in flags.items()}


def _needed_skill_ids(needs: dict[uuid.UUID, list[Any]]) -> list[uuid.UUID]:
    return sorted({s for skills in needs.values() for s, _ in skills})


def _coverage(
    q: _Query, c: Collected, groups: list[tuple[uuid.UUID, str]], needs: dict[uuid.UUID, list[Any]]
) -> None:
    """Per function group and needed skill: active people, and those current in it."""
    flags_sub, flags = _skill_flags(q, _needed_skill_ids(needs))
    skill_ids = list(flags)
    fg = col(Employee.function_group_id)
    rows = q.run(
        select(fg, func.count(), *(func.sum(flags[s]) for s in skill_ids))
        .outerjoin(flags_sub, flags_sub.c.employee_id == col(Employee.id))
        .where(q.active(Employee), fg.is_not(None))
        .group_by(fg)
    ).all()
    heads = {row[0]: row[1] for row in rows}
    current = {(row[0], s): int(row[2 + i] or 0) for row in rows for i, s in enumerate(skill_ids)}
    for fg_id, fg_name in groups:
        for skill_id, code in needs[fg_id]:
            c.coverage.append(
                Coverage(
                    function_group_id=fg_id,
                    function_group_name=fg_name,
                    skill_id=skill_id,
                    skill_code=code,
                    employees=heads.get(fg_id, 0),
                    current=current.get((fg_id, skill_id), 0),
                )
            )


def _team_coverage(q: _Query, c: Collected, needs: dict[uuid.UUID, list[Any]]) -> None:
    """Per team: member x needed-skill pairs that are current (team report only)."""
    flags_sub, flags = _skill_flags(q, _needed_skill_ids(needs))
    per_group = {
        fg_id: sum((flags[s] for s, _ in skills if s in flags), sa.literal(0))
        for fg_id, skills in needs.items()
        if any(s in flags for s, _ in skills)
    }
    if not per_group:
        return
    current_needed = case(per_group, value=col(Employee.function_group_id), else_=0)
    for team_id, n in q.run(
        select(col(Employee.team_id), func.sum(current_needed))
        .join(flags_sub, flags_sub.c.employee_id == col(Employee.id))
        .where(q.active(Employee))
        .group_by(col(Employee.team_id))
    ):
        c.by_team[team_id].skill_needs_current = int(n or 0)


def _refreshers(q: _Query, c: Collected) -> None:
    """Per team: members whose latest completion of a programme stops counting soon."""
    latest = (
        select(
            col(TrainingCompletion.employee_id).label("employee_id"),
            func.max(col(TrainingCompletion.completed_on)).label("last_on"),
            col(TrainingProgram.refresher_months).label("months"),
        )
        .join(TrainingProgram, col(TrainingProgram.id) == col(TrainingCompletion.program_id))
        .where(col(TrainingCompletion.organisation_id) == q.org_id)
        .group_by(
            col(TrainingCompletion.employee_id),
            col(TrainingCompletion.program_id),
            col(TrainingProgram.refresher_months),
        )
        .having(
            and_(
                q.current_on(func.max(col(TrainingCompletion.completed_on)), q.today),
                ~q.current_on(
                    func.max(col(TrainingCompletion.completed_on)),
                    q.today + timedelta(days=REFRESHER_WINDOW_DAYS),
                ),
            )
        )
        .subquery("due")
    )
    rows = q.run(
        select(col(Employee.team_id), func.count(sa.distinct(col(Employee.id))), func.count())
        .select_from(latest)
        .join(Employee, col(Employee.id) == latest.c.employee_id)
        .where(q.active(Employee))
        .group_by(col(Employee.team_id))
    )
    for team_id, employees, trainings in rows:
        c.by_team[team_id].refreshers_due = employees
        c.by_team[team_id].refresher_trainings = trainings


def _follow_up(q: _Query, c: Collected) -> None:
    """Per team: open and overdue items owned by the team or by one of its members."""
    owner_team = func.coalesce(col(FollowUpItem.owner_team_id), col(Employee.team_id))
    due_on = col(FollowUpItem.due_on)
    rows = q.run(
        select(owner_team, func.count(), _count_if(and_(due_on.is_not(None), due_on < q.today)))
        .select_from(FollowUpItem)
        .outerjoin(Employee, col(Employee.id) == col(FollowUpItem.owner_employee_id))
        .where(
            col(FollowUpItem.organisation_id) == q.org_id,
            col(FollowUpItem.status) == FollowUpStatus.open,
        )
        .group_by(owner_team)
    )
    for team_id, n_open, n_overdue in rows:
        c.by_team[team_id].follow_up_open = n_open
        c.by_team[team_id].follow_up_overdue = n_overdue


def _reviews(q: _Query, c: Collected) -> None:
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
        .where(col(PracticeReview.organisation_id) == q.org_id)
        .subquery("ranked_review")
    )
    latest_review = select(ranked).where(ranked.c.rn == 1).subquery("latest_review")
    trained = (
        select(
            col(Employee.team_id).label("team_id"),
            func.max(col(TrainingCompletion.completed_on)).label("last_on"),
        )
        .join(Employee, col(Employee.id) == col(TrainingCompletion.employee_id))
        .where(
            col(TrainingCompletion.organisation_id) == q.org_id,
            q.active(Employee),
            col(Employee.team_id).is_not(None),
        )
        .group_by(col(Employee.team_id))
        .subquery("last_training")
    )
    # Older than the interval: last_on + interval < today, i.e. it no longer reaches today.
    interval = q.settings.review_interval_months
    stale_since = current_since(interval, q.today - timedelta(days=1))
    overdue = and_(
        trained.c.last_on.is_not(None),
        case(
            (latest_review.c.next_review_on.is_not(None), latest_review.c.next_review_on < q.today),
            else_=trained.c.last_on < stale_since,
        ),
    )
    rows = q.run(
        select(
            col(Team.id),
            latest_review.c.held_on,
            latest_review.c.next_review_on,
            trained.c.last_on,
            case((overdue, 1), else_=0),
        )
        .outerjoin(latest_review, latest_review.c.team_id == col(Team.id))
        .outerjoin(trained, trained.c.team_id == col(Team.id))
        .where(col(Team.organisation_id) == q.org_id)
    )
    for team_id, held_on, next_on, last_on, is_overdue in rows:
        f = c.by_team[team_id]
        f.last_review_on, f.next_review_on, f.last_training_on = held_on, next_on, last_on
        f.review_overdue = bool(is_overdue)


def _meetings(q: _Query, c: Collected) -> None:
    """Per team: meetings in the period with the fixed item, and the last-N-without check."""
    threshold = q.settings.meetings_without_item_threshold
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
            col(TeamMeeting.organisation_id) == q.org_id,
            col(TeamMeeting.held_on) <= c.period_to,
        )
        .subquery("ranked_meeting")
    )
    in_period = ranked.c.held_on >= c.period_from
    recent = ranked.c.rn <= threshold
    with_item = ranked.c.with_item.is_(True)
    rows = q.run(
        select(
            ranked.c.team_id,
            _count_if(in_period),
            _count_if(and_(in_period, with_item)),
            _count_if(recent),
            _count_if(and_(recent, with_item)),
        ).group_by(ranked.c.team_id)
    )
    for team_id, meetings, meetings_with, recent_n, recent_with in rows:
        f = c.by_team[team_id]
        f.meetings, f.meetings_with_item = meetings, meetings_with
        f.lacks_item = recent_n >= threshold and recent_with == 0


def collect(
    session: Session,
    *,
    settings: OrganisationSettings,
    today: date,
    period_from: date | None,
    period_to: date | None,
    per_team: bool,
) -> Collected:
    """Run the figure queries; ``per_team`` adds the one only the team report shows."""
    q = _Query(session, settings, today)
    period_to = period_to or today
    c = Collected(
        today=today,
        period_from=period_from or add_months(period_to, -12),
        period_to=period_to,
        protocol_id=_current_protocol_id(q),
        teams=_teams(q),
    )
    groups, needs = _needs(q)
    _employee_figures(q, c, needs)
    _team_managers(q, c)
    _staff_before_managers(q, c)
    _goals(q, c)
    if per_team:
        _team_coverage(q, c, needs)
    else:
        _coverage(q, c, groups, needs)
    _refreshers(q, c)
    _follow_up(q, c)
    _reviews(q, c)
    _meetings(q, c)
    return c
