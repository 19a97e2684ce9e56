"""The report figures, aggregated in SQL: a handful of grouped queries, whatever the size.

Three statements carry the figures, each one pass over its tables:

- *per team* (``_team_figures``): every team with its managers, active team goals,
  latest practice review and meetings, each aggregated by team in a subquery;
- *per employee group* (``_employee_figures``): the active employees grouped by team and
  function group, each joined to one aggregate of their completions (first, first
  management, latest, refreshers due, a current flag per needed skill), their personal
  goals, protocol readiness and HRM theme; the team report sums the groups of a team, the
  overview's coverage those of a function group;
- *follow-up* (``_follow_up``): open items by owning team (or the owner's team).

No statement returns more rows than there are teams (times function groups), and none
runs per team or per employee. The queries read the other domains' tables directly (not
their services); the definitions follow those domains:

- *protocol-ready* (policy): read the protocol in force, or the team discussed it;
- *current* (training): a completed programme with the skill whose completed_on +
  refresher_months is still in the future; a *refresher is due* when that date falls
  within the next 90 days (latest completion per employee and programme);
- *managers first* (training): a manager is trained once they completed a `management`
  programme; staff trained before a responsible manager (senior management or their
  team's managers) was, are counted;
- *HRM theme covered* (``hrm_theme.py``): a theme conversation held in the last 12 months,
  the one expression the list of those not covered uses too.
"""

import threading
import uuid
from collections import OrderedDict, defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy import ColumnElement, and_, case, func, or_, select
from sqlalchemy.orm import aliased
from sqlmodel import Session, col

from app.core.dates import CALENDAR_ZONE, add_months
from app.core.models import utcnow
from app.core.tenancy import current_organisation_id
from app.followup.dates import current_since
from app.followup.models import (
    FollowUpItem,
    FollowUpStatus,
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
from app.reports.hrm_theme import covered_employee_ids
from app.training.models import Audience, ProgramSkill, TrainingCompletion, TrainingProgram

REFRESHER_WINDOW_DAYS = 90
_NEVER = date(9999, 12, 31)

TeamKey = Any  # an id as the driver returns it (see ``_key``), or None: no team
Needs = dict[Any, list[tuple[uuid.UUID, str]]]  # by function group key (``_key``)


_STATEMENTS: OrderedDict[tuple[Any, ...], Any] = OrderedDict()
_STATEMENTS_KEPT = 64
_STATEMENTS_LOCK = threading.Lock()


def _cached(key: tuple[Any, ...], build: Callable[[], Any]) -> Any:
    """The statement for ``key``, built once: building the larger statements costs more
    than executing their cached compiled form. ``key`` must name everything the statement
    depends on (its organisation, dates, settings and catalogue); a few dozen are kept."""
    with _STATEMENTS_LOCK:
        stmt = _STATEMENTS.get(key)
        if stmt is not None:
            _STATEMENTS.move_to_end(key)
            return stmt
    stmt = build()
    with _STATEMENTS_LOCK:
        _STATEMENTS[key] = stmt
        while len(_STATEMENTS) > _STATEMENTS_KEPT:
            _STATEMENTS.popitem(last=False)
    return stmt


def _key(column: Any) -> ColumnElement[Any]:
    """A team or function-group id as the driver returns it (SQLite: its hex text), to
    group rows in Python without building a UUID per row; ``_uuid`` turns the few that
    are shown back into UUIDs."""
    return sa.type_coerce(column, sa.String)


def _uuid(key: Any) -> uuid.UUID:
    return key if isinstance(key, uuid.UUID) else uuid.UUID(hex=key)


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
    teams: list[tuple[uuid.UUID, str, str | None]] = field(default_factory=list)
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
        self.dialect = self.connection.dialect.name
        # Readiness counts what was read by the end of ``today``, a Dutch day (for today: by now).
        end_of_day = datetime.combine(today, time.max, tzinfo=CALENDAR_ZONE).astimezone(UTC)
        self.now = min(utcnow(), end_of_day)
        # The catalogue (a few dozen rows): refresher intervals and the skills taught.
        self.refresher_months: list[int] = []
        self.skill_programs: defaultdict[uuid.UUID, list[uuid.UUID]] = defaultdict(list)
        months: set[int] = set()
        for program_id, refresher_months, skill_id in self.run(
            select(
                col(TrainingProgram.id),
                col(TrainingProgram.refresher_months),
                col(ProgramSkill.skill_id),
            )
            .outerjoin(ProgramSkill, col(ProgramSkill.program_id) == col(TrainingProgram.id))
            .where(col(TrainingProgram.organisation_id) == self.org_id)
        ):
            months.add(refresher_months)
            if skill_id is not None:
                self.skill_programs[skill_id].append(program_id)
        self.refresher_months = sorted(months)

    def run(self, stmt: Any) -> Sequence[Any]:
        """All rows, executed on the connection: every query here names its organisation
        itself, so the ORM layer (and its per-table tenant criteria) would add only
        overhead; fetched at once (row by row costs a Python call per row)."""
        return self.connection.execute(stmt).all()

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

    def unindexed(self, column: Any) -> ColumnElement[Any]:
        """The column's value, hidden from SQLite's index selection where it would pick a
        poor index (it has no statistics); PostgreSQL plans by its statistics, and such an
        expression would only spoil its row estimates."""
        if self.dialect == "sqlite":
            return func.coalesce(column, column)
        result: ColumnElement[Any] = column
        return result

    def active(self, employee: Any) -> ColumnElement[bool]:
        return and_(col(employee.organisation_id) == self.org_id, col(employee.active).is_(True))


def _current_protocol_id(q: _Query) -> uuid.UUID | None:
    # The version in force, as the policy domain defines it (published, not superseded).
    rows = q.run(
        select(col(Protocol.id))
        .where(
            col(Protocol.organisation_id) == q.org_id,
            col(Protocol.published_at).is_not(None),
            col(Protocol.published_at) <= q.now,
            or_(col(Protocol.superseded_at).is_(None), col(Protocol.superseded_at) > q.now),
        )
        .order_by(col(Protocol.published_at).desc())
        .limit(1)
    )
    found: uuid.UUID | None = rows[0][0] if rows else None
    return found


def _needs(q: _Query) -> tuple[list[tuple[Any, str]], Needs]:
    """Function groups and the skills each needs: its own list, or the default by exposure."""
    groups = q.run(
        select(
            _key(col(FunctionGroup.id)),
            col(FunctionGroup.name),
            col(FunctionGroup.likelihood),
            col(FunctionGroup.impact),
            col(FunctionGroup.custom_needs),
        )
        .where(col(FunctionGroup.organisation_id) == q.org_id)
        .order_by(col(FunctionGroup.name), col(FunctionGroup.id))
    )
    skills = {
        sid: (code, retired)
        for sid, code, retired in q.run(
            select(col(Skill.id), col(Skill.code), col(Skill.retired)).where(
                col(Skill.organisation_id) == q.org_id
            )
        )
    }
    by_code = {code: sid for sid, (code, retired) in skills.items() if not retired}
    custom: dict[Any, list[uuid.UUID]] = defaultdict(list)
    for fg_id, skill_id in q.run(
        select(
            _key(col(FunctionGroupNeed.function_group_id)), col(FunctionGroupNeed.skill_id)
        ).where(col(FunctionGroupNeed.organisation_id) == q.org_id)
    ):
        custom[fg_id].append(skill_id)
    needs: Needs = {}
    for fg_id, _name, likelihood, impact, is_custom in groups:
        if is_custom:
            ids = custom.get(fg_id, [])
        else:
            codes = learning_service.default_needs(exposure_level(likelihood * impact))
            ids = [by_code[code] for code in codes if code in by_code]
        needs[fg_id] = sorted(((s, skills[s][0]) for s in ids), key=lambda p: p[1])
    return [(g[0], g[1]) for g in groups], needs


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


def _team_figures(q: _Query, c: Collected) -> None:
    """Every team (ordered by name) with its managers, goals, latest review and meetings."""
    key = (
        "teams",
        q.dialect,
        q.org_id,
        c.period_from,
        c.period_to,
        q.settings.meetings_without_item_threshold,
    )
    rows = q.run(_cached(key, lambda: _team_statement(q, c)))
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


def _team_statement(q: _Query, c: Collected) -> Any:
    trained = _management_first_on(q)
    managers = (
        select(
            col(TeamManager.team_id).label("team_id"),
            func.count().label("n"),
            _count_if(trained.c.first_on.is_not(None)).label("trained"),
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
            _key(col(Team.id)),
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


def _meetings(q: _Query, c: Collected) -> tuple[Any, ColumnElement[int]]:
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
            _count_if(with_item).label("with_item"),
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


def _completions(q: _Query, skill_ids: list[uuid.UUID]) -> Any:
    """CTE: per employee with completions, one row: the first completion, the first of a
    management programme, the latest, the programmes whose refresher is due, and a 0/1
    column ``skill_<i>`` per skill: a training in it is current today.

    One pass over the completions, grouped first by employee and programme (the latest
    completion of a programme decides whether it is current or due), then by employee.
    """
    tc = TrainingCompletion
    pair = (
        select(
            col(tc.employee_id).label("employee_id"),
            col(tc.program_id).label("program_id"),
            func.min(col(tc.completed_on)).label("first_on"),
            func.max(col(tc.completed_on)).label("last_on"),
        )
        .where(col(tc.organisation_id) == q.org_id)
        .group_by(col(tc.employee_id), col(tc.program_id))
        .subquery("pair")
    )
    current = q.current_on(pair.c.last_on, q.today)
    due = and_(
        current,
        ~q.current_on(pair.c.last_on, q.today + timedelta(days=REFRESHER_WINDOW_DAYS)),
    )
    management = col(TrainingProgram.audience) == Audience.management
    flags = [
        func.max(
            case((and_(pair.c.program_id.in_(q.skill_programs[s]), current), 1), else_=0)
        ).label(f"skill_{i}")
        for i, s in enumerate(skill_ids)
    ]
    return (
        select(
            pair.c.employee_id,
            func.min(pair.c.first_on).label("first_on"),
            func.min(case((management, pair.c.first_on))).label("management_on"),
            func.max(pair.c.last_on).label("last_on"),
            func.sum(case((due, 1), else_=0)).label("due"),
            *flags,
        )
        .join(TrainingProgram, col(TrainingProgram.id) == pair.c.program_id)
        .group_by(pair.c.employee_id)
        .cte("per_employee")
    )


def _employee_figures(q: _Query, c: Collected, groups: list[tuple[Any, str]], needs: Needs) -> None:
    """Per team and function group: the active employees, what they read and discussed,
    and (``_training_figures``, ``_goal_figures``) what they trained and aim for."""
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
    # The same expression lists the employees not covered (hrm_theme.theme_gaps).
    theme = covered_employee_ids(q.org_id, q.today)
    is_manager = col(e.role).in_([r.value for r in MANAGER_ROLES])
    heads: defaultdict[Any, int] = defaultdict(int)
    for team_id, fg_id, active, n_ready, n_managers, covered in q.run(
        select(
            _key(col(e.team_id)),
            _key(col(e.function_group_id)),
            func.count(),
            _count_if(ready),
            _count_if(is_manager),
            _count_if(col(e.id).in_(theme)),
        )
        .where(q.active(e))
        .group_by(col(e.team_id), col(e.function_group_id))
    ):
        f = c.by_team[team_id]
        f.active_employees += active
        f.protocol_ready += n_ready
        f.managers += n_managers
        f.hrm_theme_covered += covered
        if fg_id in needs:
            heads[fg_id] += active
            f.skill_needs += active * len(needs[fg_id])
    current = _training_figures(q, c, needs)
    _goal_figures(q, c)
    for fg_id, fg_name in groups:
        for skill_id, code in needs[fg_id]:
            c.coverage.append(
                Coverage(
                    function_group_id=_uuid(fg_id),
                    function_group_name=fg_name,
                    skill_id=skill_id,
                    skill_code=code,
                    employees=heads[fg_id],
                    current=current.get((fg_id, skill_id), 0),
                )
            )


def _training_figures(q: _Query, c: Collected, needs: Needs) -> dict[tuple[Any, uuid.UUID], int]:
    """Per team and function group, of the active employees with completions: managers
    trained, staff trained before their managers, refreshers due, the latest completion,
    and per needed skill those current in it (returned per function group and skill)."""
    skill_ids = sorted(
        {s for skills in needs.values() for s, _ in skills if q.skill_programs.get(s)}
    )
    key = (
        "training",
        q.dialect,
        q.org_id,
        q.today,
        tuple(q.refresher_months),
        tuple((s, tuple(sorted(q.skill_programs[s]))) for s in skill_ids),
    )
    rows = q.run(_cached(key, lambda: _training_statement(q, skill_ids)))
    position = {s: i for i, s in enumerate(skill_ids)}
    wanted = {fg: [position[s] for s, _ in skills if s in position] for fg, skills in needs.items()}
    counts = {fg: [0] * len(skill_ids) for fg in needs}
    for team_id, fg_id, n_trained, n_early, due_employees, due_trainings, last_on, *flags in rows:
        f = c.by_team[team_id]
        f.managers_trained += n_trained
        f.staff_trained_before_managers += n_early
        f.refreshers_due += due_employees
        f.refresher_trainings += int(due_trainings)
        if team_id is not None:
            f.last_training_on = max(last_on, f.last_training_on or last_on)
        fg_counts = counts.get(fg_id) if fg_id is not None else None
        if fg_counts is not None:
            for i in wanted[fg_id]:
                n = int(flags[i])
                fg_counts[i] += n
                f.skill_needs_current += n
    return {
        (fg, s): counts[fg][position[s]]
        for fg, skills in needs.items()
        for s, _ in skills
        if s in position
    }


def _training_statement(q: _Query, skill_ids: list[uuid.UUID]) -> Any:
    e = Employee
    done = _completions(q, skill_ids)
    # Managers first: a manager's "trained on" is their first management completion
    # (never: far future); a staff member is early when their first completion precedes
    # the latest of those among the senior management and their team's managers.
    trained_on = func.coalesce(done.c.management_on, sa.literal(_NEVER, sa.Date))
    senior = aliased(Employee, name="senior")
    senior_deadline = (
        select(func.max(trained_on))
        .select_from(senior)
        .outerjoin(done, done.c.employee_id == col(senior.id))
        .where(
            col(senior.organisation_id) == q.org_id,
            # By the role index: the senior managers are few, the active employees many.
            q.unindexed(col(senior.active)).is_(True),
            col(senior.role) == Role.senior_management,
        )
        .scalar_subquery()
    )
    manager = aliased(Employee, name="manager")
    team_deadline = (
        select(col(TeamManager.team_id).label("team_id"), func.max(trained_on).label("on"))
        .join(manager, col(manager.id) == col(TeamManager.employee_id))
        .outerjoin(done, done.c.employee_id == col(manager.id))
        .where(col(TeamManager.organisation_id) == q.org_id, q.active(manager))
        .group_by(col(TeamManager.team_id))
        .subquery("team_deadline")
    )
    is_manager = col(e.role).in_([r.value for r in MANAGER_ROLES])
    early = and_(
        col(e.role) == Role.employee,
        or_(done.c.first_on < senior_deadline, done.c.first_on < team_deadline.c.on),
    )
    return (
        select(
            _key(col(e.team_id)),
            _key(col(e.function_group_id)),
            _count_if(and_(is_manager, done.c.management_on.is_not(None))),
            _count_if(early),
            _count_if(done.c.due > 0),
            func.sum(done.c.due),
            func.max(done.c.last_on),
            *(func.sum(done.c[f"skill_{i}"]) for i in range(len(skill_ids))),
        )
        .select_from(done)
        .join(e, col(e.id) == done.c.employee_id)
        .outerjoin(team_deadline, team_deadline.c.team_id == col(e.team_id))
        # From the (fewer) employees with completions, each looked up by id.
        .where(
            q.unindexed(col(e.organisation_id)) == q.org_id,
            q.unindexed(col(e.active)).is_(True),
        )
        .group_by(col(e.team_id), col(e.function_group_id))
    )


def _goal_figures(q: _Query, c: Collected) -> None:
    """Per team: personal goals (not dropped) of active members, aligned and unaligned."""
    aligned = col(PersonalGoal.alignment) == Alignment.aligned
    for team_id, n_aligned, n_unaligned in q.run(
        select(_key(col(Employee.team_id)), _count_if(aligned), _count_if(~aligned))
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


def _follow_up(q: _Query, c: Collected) -> None:
    """Per team: open and overdue items owned by the team or by one of its members."""
    owner_team = func.coalesce(col(FollowUpItem.owner_team_id), col(Employee.team_id))
    owner_key = _key(owner_team)
    due_on = col(FollowUpItem.due_on)
    rows = q.run(
        select(owner_key, func.count(), _count_if(and_(due_on.is_not(None), due_on < q.today)))
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


def _review_overdue(q: _Query, c: Collected) -> None:
    """Overdue: the team has completed training, and its latest review's next_review_on has
    passed, or (never reviewed) its latest training is older than the review interval."""
    # Older than the interval: last_on + interval < today, i.e. it no longer reaches today.
    stale_since = current_since(q.settings.review_interval_months, q.today - timedelta(days=1))
    for team_id, _name, _external_id in c.teams:
        f = c.by_team[team_id]
        if f.last_training_on is None:
            f.review_overdue = False
        elif f.next_review_on is not None:
            f.review_overdue = f.next_review_on < q.today
        else:
            f.review_overdue = f.last_training_on < stale_since


def collect(
    session: Session,
    *,
    settings: OrganisationSettings,
    today: date,
    period_from: date | None,
    period_to: date | None,
) -> Collected:
    """Run the figure queries; both reports show the same figures, summed differently."""
    q = _Query(session, settings, today)
    period_to = period_to or today
    c = Collected(
        today=today,
        period_from=period_from or add_months(period_to, -12),
        period_to=period_to,
        protocol_id=_current_protocol_id(q),
    )
    groups, needs = _needs(q)
    _team_figures(q, c)
    _employee_figures(q, c, groups, needs)
    _follow_up(q, c)
    _review_overdue(q, c)
    # Keyed by UUID from here on, as the callers expect.
    c.teams = [(_uuid(key), name, external_id) for key, name, external_id in c.teams]
    by_team = {None if k is None else _uuid(k): f for k, f in c.by_team.items()}
    c.by_team = defaultdict(Figures, by_team)
    return c
