"""What each employee in a scope still needs to learn (issue 6, part 1).

A need is a skill an active employee still has to train:
- a skill their function group needs (``required``, or ``recommended`` weighted lower) that
  is not current in their training record on the given day;
- a skill of an active goal of their team that is not current for them: no forced
  retraining (issue 20, item 7). Where their training on the skill is current, the team
  goal is a *practice* need of the team (practice reviews, the agenda item in team
  meetings), counted in ``ScopeData.practice_needs`` and explained with the
  recommendations, not a reason to train them again;
- a skill of their own agreed personal goal not yet achieved: their deliberate, current
  choice, so it counts even when an older training still keeps the skill current;
- minus the skills of a programme they are already booked on (planned session).

Everything for the scope is loaded in a fixed number of set-based queries (about fifteen,
whatever the number of employees), then computed in Python with dicts, sets and bit masks.
"""

import gc
import uuid
from collections import defaultdict
from collections.abc import Collection, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import Select
from sqlmodel import Session, col, select

from app.core.dates import start_of
from app.incidents import service as incidents_service
from app.incidents.models import IncidentCategory
from app.learning import service as learning_service
from app.learning.models import (
    NeedPriority,
    PersonalGoal,
    PersonalGoalStatus,
    Skill,
    TeamGoal,
    TeamGoalStatus,
)
from app.organisation import organisations
from app.organisation.models import (
    EXPOSURE_RANK,
    MANAGER_ROLES,
    Employee,
    ExposureBands,
    ExposureLevel,
    FunctionGroup,
    Grouping,
    Role,
    comparable_key,
    exposure_level,
)
from app.policy import service as policy_service
from app.selection.models import PlanScope
from app.selection.scope import people_condition, scope_people_ids
from app.training import managers_first
from app.training import service as training_service
from app.training.models import (
    Audience,
    Enrolment,
    EnrolmentStatus,
    ManagementLevel,
    SessionStatus,
    TrainingProgram,
    TrainingSession,
)

# Weights of a need: required and goal needs count double a recommended one; higher
# exposure counts more ("weighted by exposure level, higher exposure first").
PRIORITY_WEIGHT = {NeedPriority.required: 2, NeedPriority.recommended: 1}
REQUIRED_WEIGHT = 2


def exposure_weight(level: ExposureLevel | None) -> int:
    """low 1, moderate 2, high 3, very_high 4; no function group counts as low."""
    return EXPOSURE_RANK[level] + 1 if level is not None else 1


_NO_GROUP: tuple[ExposureLevel | None, str | None] = (None, None)

# Enrolments that will train the employee (the session is still planned).
_BOOKED = (EnrolmentStatus.enrolled, EnrolmentStatus.attended)


@dataclass(slots=True)
class Person:
    """An active employee in the scope and the skills they still need, as bit masks (bit i
    is ``ScopeData.skill_order[i]``): integer sets keep the computation fast and small."""

    id: uuid.UUID
    team_id: uuid.UUID | None
    function_group_id: uuid.UUID | None
    level: ExposureLevel | None
    role: Role
    mask: int  # every skill still needed
    required_mask: int  # of those, the required or goal ones (REQUIRED_WEIGHT)
    protocol_ready: bool = False  # read or discussed the protocol in force (seed step 2)
    order: int = 0  # position when grouping (planning.py)
    # The set of comparable function groups their function group is in (comparable
    # functions: function groups first, exposure level the fallback).
    comparable_group: str | None = None

    @property
    def comparable_key(self) -> tuple[Grouping, str | None]:
        return comparable_key(self.comparable_group, self.level)

    @property
    def manager(self) -> bool:
        return self.role in MANAGER_ROLES


@dataclass(frozen=True, slots=True)
class SkillInfo:
    code: str
    label_nl: str
    label_en: str


@dataclass(frozen=True, slots=True)
class ProgramInfo:
    """An active catalogue programme, as selection sees it."""

    id: uuid.UUID
    title: str
    audience: Audience
    management_level: ManagementLevel
    min_level: ExposureLevel
    max_level: ExposureLevel
    max_group_size: int
    duration_hours: float
    skill_ids: frozenset[uuid.UUID]
    mask: int

    def fits(self, role: Role, level: ExposureLevel | None) -> bool:
        """The same fit the enrolment rules check: audience by role (a management programme
        for one level by that level), exposure by range."""
        manager = role in MANAGER_ROLES
        if self.audience == Audience.management and not manager:
            return False
        if self.audience == Audience.management and self.management_level not in (
            ManagementLevel.all,
            role,
        ):
            return False
        if self.audience == Audience.staff and manager:
            return False
        if level is None:  # no function group: the exposure rule has nothing to judge
            return True
        return (
            EXPOSURE_RANK[self.min_level] <= EXPOSURE_RANK[level] <= EXPOSURE_RANK[self.max_level]
        )


@dataclass
class ScopeData:
    """Everything selection needs about a scope, loaded once."""

    scope: PlanScope
    on: date
    people: list[Person]  # ordered by id
    skills: dict[uuid.UUID, SkillInfo]
    skill_order: list[uuid.UUID]  # bit i of a mask is skill_order[i]
    programs: list[ProgramInfo]  # active only, ordered by id
    # team -> bit -> ids of the team's active goals for that skill
    team_goals: dict[uuid.UUID, dict[int, list[uuid.UUID]]]
    # employee -> bit -> number of their agreed personal goals for that skill
    personal_goals: dict[uuid.UUID, dict[int, int]]
    # team -> bit -> members whose training on a skill of the team's goals is current: a
    # practice need, not a training need (no forced retraining)
    practice_needs: dict[uuid.UUID, dict[int, int]] = field(default_factory=dict)
    # Managers who completed a management training, or are booked on one (managers first).
    managers_trained: set[uuid.UUID] = field(default_factory=set)
    # Incidents of the last two years that weigh for the scope's people, per category, and
    # the skills each category raises (bit mask): the evidence behind a recommendation.
    incident_counts: dict[IncidentCategory, int] = field(default_factory=dict)
    incident_masks: dict[IncidentCategory, int] = field(default_factory=dict)
    _skills_of: dict[int, tuple[uuid.UUID, ...]] = field(default_factory=dict)

    def skills_of(self, mask: int) -> tuple[uuid.UUID, ...]:
        """The skill ids of a mask, in id order (masks repeat: remembered)."""
        found = self._skills_of.get(mask)
        if found is None:
            found = self._skills_of[mask] = tuple(self.skill_order[i] for i in bits(mask))
        return found


def bits(mask: int) -> list[int]:
    """The positions of the set bits of ``mask``, lowest first."""
    out = []
    i = 0
    while mask:
        if mask & 1:
            out.append(i)
        mask >>= 1
        i += 1
    return out


def mask_of(bit: dict[uuid.UUID, int], skill_ids: Iterable[uuid.UUID]) -> int:
    """The bit mask of some skill ids."""
    mask = 0
    for s in skill_ids:
        mask |= 1 << bit[s]
    return mask


@contextmanager
def without_cyclic_gc() -> Iterator[None]:
    """Pause the cyclic garbage collector while computing for a whole scope.

    Loading a large organisation allocates a few hundred thousand small, acyclic objects
    (rows, ids, people); each allocation burst triggers full collections that walk the
    whole heap, which made the computation superlinear (10,000 -> 20,000 employees took
    2.5x the time; 2.05x without). Reference counting still frees everything; cycles are
    collected as usual once the collector runs again. The previous state is restored, so
    nesting and other threads are unaffected beyond a delayed collection.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


# --- loading -------------------------------------------------------------------------------


def _skills(db: Session) -> dict[uuid.UUID, SkillInfo]:
    rows = db.exec(
        select(col(Skill.id), col(Skill.code), col(Skill.label_nl), col(Skill.label_en))
    ).all()
    return {sid: SkillInfo(code, nl, en) for sid, code, nl, en in rows}


def _levels(db: Session, bands: ExposureBands) -> dict[uuid.UUID, tuple[ExposureLevel, str | None]]:
    """Per function group: its exposure level (in the organisation's bands) and its set of
    comparable groups."""
    rows = db.exec(
        select(
            col(FunctionGroup.id),
            col(FunctionGroup.likelihood),
            col(FunctionGroup.impact),
            col(FunctionGroup.comparable_group),
        )
    ).all()
    return {fid: (exposure_level(lk * im, bands), group) for fid, lk, im, group in rows}


def _programs(
    db: Session, bit: dict[uuid.UUID, int]
) -> tuple[list[ProgramInfo], dict[uuid.UUID, int]]:
    """Active programmes, and the skill mask of every programme (booked ones may be
    inactive by now)."""
    rows = db.exec(select(TrainingProgram).order_by(col(TrainingProgram.id))).all()
    skills = training_service.skill_ids_by_program(db, (p.id for p in rows))
    masks = {p.id: mask_of(bit, skills.get(p.id, ())) for p in rows}
    active = [
        ProgramInfo(
            id=p.id,
            title=p.title,
            audience=Audience(p.audience),
            management_level=ManagementLevel(p.management_level),
            min_level=ExposureLevel(p.min_exposure_level),
            max_level=ExposureLevel(p.max_exposure_level),
            max_group_size=p.max_group_size,
            duration_hours=p.duration_hours,
            skill_ids=frozenset(skills.get(p.id, ())),
            mask=masks[p.id],
        )
        for p in rows
        if p.active
    ]
    return active, masks


def _function_group_masks(
    db: Session, fg_ids: Collection[uuid.UUID], bit: dict[uuid.UUID, int]
) -> dict[uuid.UUID, tuple[int, int]]:
    """Per function group: (every skill it needs, the required ones)."""
    out = {}
    for fg_id, needs in learning_service.needs_by_function_group(
        db, function_group_ids=fg_ids
    ).items():
        every = required = 0
        for skill_id, priority in needs:
            every |= 1 << bit[skill_id]
            if PRIORITY_WEIGHT[priority] == REQUIRED_WEIGHT:
                required |= 1 << bit[skill_id]
        out[fg_id] = (every, required)
    return out


def _booked(
    db: Session, people: Select[Any], program_masks: dict[uuid.UUID, int]
) -> dict[uuid.UUID, int]:
    """Per employee, the skills of the programmes they are booked on (planned sessions)."""
    rows = db.exec(
        select(col(Enrolment.employee_id), col(TrainingSession.program_id))
        .join(TrainingSession, col(TrainingSession.id) == col(Enrolment.session_id))
        .where(
            col(Enrolment.status).in_(_BOOKED),
            col(TrainingSession.status) == SessionStatus.planned,
            col(Enrolment.employee_id).in_(people),
        )
    ).all()
    out: dict[uuid.UUID, int] = defaultdict(int)
    for employee_id, program_id in rows:
        out[employee_id] |= program_masks.get(program_id, 0)
    return out


def _team_goals(
    db: Session, team_ids: Collection[uuid.UUID], bit: dict[uuid.UUID, int]
) -> dict[uuid.UUID, dict[int, list[uuid.UUID]]]:
    out: dict[uuid.UUID, dict[int, list[uuid.UUID]]] = {}
    if not team_ids:
        return out
    rows = db.exec(
        select(col(TeamGoal.id), col(TeamGoal.team_id), col(TeamGoal.skill_id))
        .where(col(TeamGoal.status) == TeamGoalStatus.active, col(TeamGoal.team_id).in_(team_ids))
        .order_by(col(TeamGoal.id))
    ).all()
    for goal_id, team_id, skill_id in rows:
        out.setdefault(team_id, {}).setdefault(bit[skill_id], []).append(goal_id)
    return out


def _personal_goals(
    db: Session, people: Select[Any], bit: dict[uuid.UUID, int]
) -> dict[uuid.UUID, dict[int, int]]:
    rows = db.exec(
        select(col(PersonalGoal.employee_id), col(PersonalGoal.skill_id)).where(
            col(PersonalGoal.status) == PersonalGoalStatus.agreed,
            col(PersonalGoal.employee_id).in_(people),
        )
    ).all()
    out: dict[uuid.UUID, dict[int, int]] = {}
    for employee_id, skill_id in rows:
        goals = out.setdefault(employee_id, {})
        goals[bit[skill_id]] = goals.get(bit[skill_id], 0) + 1
    return out


def _incident_masks(
    skills: dict[uuid.UUID, SkillInfo], bit: dict[uuid.UUID, int]
) -> dict[IncidentCategory, int]:
    """Per incident category, the mask of the skills that answer it (those the organisation
    has)."""
    by_code = {info.code: skill_id for skill_id, info in skills.items()}
    return {
        category: mask_of(bit, [by_code[c] for c in codes if c in by_code])
        for category, codes in incidents_service.CATEGORY_SKILLS.items()
    }


def load_scope(db: Session, *, scope: PlanScope, on: date, with_status: bool = True) -> ScopeData:
    """Every active employee of the scope (and the managers responsible for its staff) with
    the skills they still need on ``on``; the last two years of incidents of their team and
    function group raise the skills that answer them (issue 21). ``with_status`` adds
    protocol readiness and which managers are trained already (the plan needs them;
    recommendations do not)."""
    rows = db.exec(
        select(
            col(Employee.id), col(Employee.team_id), col(Employee.function_group_id), Employee.role
        )
        .where(people_condition(db, scope))
        .order_by(col(Employee.id))
    ).all()
    people_ids = scope_people_ids(db, scope)
    skills = _skills(db)
    skill_order = sorted(skills)
    bit = {s: i for i, s in enumerate(skill_order)}
    settings = organisations.current_settings(db)
    levels = _levels(db, settings.exposure_bands)
    programs, program_masks = _programs(db, bit)
    fg_masks = _function_group_masks(db, {r[2] for r in rows if r[2] is not None}, bit)
    whole = scope.team_id is None and scope.function_group_id is None
    current = training_service.current_skills(
        db, employee_ids=None if whole else [r[0] for r in rows], on=on
    )
    booked = _booked(db, people_ids, program_masks)
    team_goals = _team_goals(db, {r[1] for r in rows if r[1] is not None}, bit)
    team_masks = {t: mask_of_bits(goals) for t, goals in team_goals.items()}
    personal = _personal_goals(db, people_ids, bit)
    evidence = incidents_service.load_evidence(db, on=on, months=settings.incident_evidence_months)
    category_masks = _incident_masks(skills, bit)
    # (team, function group) -> the skills their incidents raise; pairs repeat: remembered.
    raised: dict[tuple[uuid.UUID | None, uuid.UUID | None], int] = {}

    people: list[Person] = []
    practice: dict[uuid.UUID, dict[int, int]] = {}
    for emp_id, team_id, fg_id, role in rows:
        every = required = 0
        if fg_id is not None:
            every, required = fg_masks.get(fg_id, (0, 0))
        incident_mask = raised.get((team_id, fg_id))
        if incident_mask is None:
            incident_mask = 0
            for category in evidence.categories_for(team_id, fg_id):
                incident_mask |= category_masks[category]
            raised[(team_id, fg_id)] = incident_mask
        # Evidence counts like a required need of the function group: a current training
        # answers it.
        every |= incident_mask
        required |= incident_mask
        have = current.get(emp_id)
        have_mask = mask_of(bit, have) if have else 0
        if every and have_mask:
            every &= ~have_mask
            required &= ~have_mask
        # A team goal asks for training only where the skill is not current; where it is,
        # it is practice for the team (no forced retraining).
        goals = team_masks.get(team_id, 0) if team_id is not None else 0
        if goals & have_mask:
            counts = practice.setdefault(team_id, {})  # type: ignore[arg-type]
            for b in bits(goals & have_mask):
                counts[b] = counts.get(b, 0) + 1
        goals &= ~have_mask
        # Their own agreed goals count even when an older training keeps the skill current.
        if emp_id in personal:
            goals |= mask_of_bits(personal[emp_id])
        every |= goals
        required |= goals
        if emp_id in booked:
            every &= ~booked[emp_id]
        level, comparable_group = levels.get(fg_id, _NO_GROUP) if fg_id is not None else _NO_GROUP
        people.append(
            Person(
                id=emp_id,
                team_id=team_id,
                function_group_id=fg_id,
                level=level,
                role=Role(role),
                mask=every,
                required_mask=required & every,
                comparable_group=comparable_group,
            )
        )

    data = ScopeData(
        scope=scope,
        on=on,
        people=people,
        skills=skills,
        skill_order=skill_order,
        programs=programs,
        team_goals=team_goals,
        personal_goals=personal,
        practice_needs=practice,
        incident_counts=dict(
            evidence.reaching(
                {r[1] for r in rows if r[1] is not None}, {r[2] for r in rows if r[2] is not None}
            )
        ),
        incident_masks=category_masks,
    )
    if with_status:
        # Read or discussed the protocol in force (seed step 2), the policy's definition.
        ready = policy_service.protocol_ready_ids(db, employee_ids=people_ids)
        for p in people:
            p.protocol_ready = p.id in ready
        status = managers_first.management_status(
            db,
            manager_ids=[p.id for p in people if p.manager],
            before=start_of(on),  # the Dutch day
        )
        data.managers_trained = status.trained | set(status.scheduled)
    return data


def mask_of_bits(by_bit: dict[int, Any]) -> int:
    """The bit mask of a dict keyed by bit position."""
    mask = 0
    for i in by_bit:
        mask |= 1 << i
    return mask
