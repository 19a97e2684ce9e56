"""What every figure query shares: the parameters, the statement cache and the result."""

import threading
import uuid
from collections import OrderedDict, defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from typing import Any

import sqlalchemy as sa
from sqlalchemy import ColumnElement, and_, case, func, select
from sqlmodel import Session, col

from app.core.dates import CALENDAR_ZONE
from app.core.models import utcnow
from app.core.tenancy import current_organisation_id
from app.followup.dates import current_since
from app.organisation.models import (
    OrganisationSettings,
)
from app.training.models import ProgramSkill, TrainingProgram

REFRESHER_WINDOW_DAYS = 90
NEVER = date(9999, 12, 31)

TeamKey = Any  # an id as the driver returns it (see ``group_key``), or None: no team
Needs = dict[Any, list[tuple[uuid.UUID, str]]]  # by function group key (``group_key``)


_STATEMENTS: OrderedDict[tuple[Any, ...], Any] = OrderedDict()
_STATEMENTS_KEPT = 64
_STATEMENTS_LOCK = threading.Lock()


def cached_statement(key: tuple[Any, ...], build: Callable[[], Any]) -> Any:
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


def group_key(column: Any) -> ColumnElement[Any]:
    """A team or function-group id as the driver returns it (SQLite: its hex text), to
    group rows in Python without building a UUID per row; ``key_uuid`` turns the few that
    are shown back into UUIDs."""
    return sa.type_coerce(column, sa.String)


def key_uuid(key: Any) -> uuid.UUID:
    """The UUID of a ``group_key`` value."""
    return key if isinstance(key, uuid.UUID) else uuid.UUID(hex=key)


def count_if(condition: ColumnElement[bool]) -> ColumnElement[int]:
    """SQL: how many rows of the group meet ``condition`` (0, not NULL, for none)."""
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


class FigureQuery:
    """The parameters every figure query shares."""

    def __init__(self, db: Session, settings: OrganisationSettings, today: date) -> None:
        self.session = db
        self.settings = settings
        self.today = today
        self.org_id = current_organisation_id(db)
        self.connection = db.connection()
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
            else_=sa.literal(NEVER, sa.Date),
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
