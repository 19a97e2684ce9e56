"""A phased training plan for a scope (issue 6, part 3), computed without writing anything.

- Phase 1 is management: senior management and the managers of the scope's teams are
  trained first (seed step 4), in management programmes; every manager not yet trained
  gets at least one management programme, because that is what the managers-first rule
  asks before their staff may be enrolled.
- Then one phase per exposure level, highest first, for the staff.
- People are grouped with comparable functions: a group never mixes exposure levels
  (managers are split the same way), and within a level the members of one function group
  stay together as far as group sizes allow.
- Programmes are chosen greedily per exposure level: the programme covering the most
  weighted need per session it takes is picked first, everyone who needs one of its
  skills joins it, and so on until no programme covers anything still needed. Each pick
  settles all remaining need for its skills, so there are at most as many picks as skills.
- What no active programme covers is listed as ``uncovered`` (what the organisation
  should buy), by skill and number of people.

The work is linear in the number of employees: people with the same needs are handled as
one pattern while choosing programmes (programmes x patterns x skills per level).
"""

import uuid
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from fractions import Fraction

from sqlmodel import Session

from app.organisation.models import ExposureLevel
from app.selection.models import PhaseKind, PlanScope
from app.selection.needs import (
    REQUIRED_WEIGHT,
    Person,
    ProgramInfo,
    ScopeData,
    bits,
    data_version,
    load_scope,
    without_cyclic_gc,
)
from app.training.models import Audience

# Highest exposure first; people without a function group last.
LEVEL_ORDER: tuple[ExposureLevel | None, ...] = (
    ExposureLevel.very_high,
    ExposureLevel.high,
    ExposureLevel.moderate,
    ExposureLevel.low,
    None,
)
MANAGEMENT_PHASE = 1


@dataclass(frozen=True, slots=True)
class PlannedMember:
    employee_id: uuid.UUID
    skill_ids: tuple[uuid.UUID, ...]  # the programme's skills this person needs


@dataclass(frozen=True, slots=True)
class PlannedGroup:
    """One future session: a programme and people of one exposure level."""

    program: ProgramInfo
    exposure_level: ExposureLevel | None
    function_group_ids: tuple[uuid.UUID, ...]
    members: tuple[PlannedMember, ...]
    skill_ids: tuple[uuid.UUID, ...]
    not_protocol_ready: tuple[uuid.UUID, ...]


@dataclass(frozen=True, slots=True)
class PlannedPhase:
    phase: int
    kind: PhaseKind
    exposure_level: ExposureLevel | None
    groups: tuple[PlannedGroup, ...]
    managers_already_trained: tuple[uuid.UUID, ...] = ()
    managers_without_program: tuple[uuid.UUID, ...] = ()


@dataclass(frozen=True, slots=True)
class UncoveredNeed:
    skill_id: uuid.UUID
    employee_count: int
    required_count: int


@dataclass(frozen=True, slots=True)
class ComputedPlan:
    """A plan as computed, before it is stored."""

    scope: PlanScope
    starts_on: date
    data_version: str
    employee_count: int
    phases: tuple[PlannedPhase, ...]
    uncovered: tuple[UncoveredNeed, ...]

    @property
    def session_count(self) -> int:
        return sum(len(p.groups) for p in self.phases)


# Members assigned to a programme, with the part of their needs it covers (a bit mask).
Assignment = tuple[ProgramInfo, list[tuple[Person, int]]]


def _cover(
    people: Sequence[Person], candidates: Sequence[ProgramInfo]
) -> tuple[list[Assignment], list[tuple[Person, int]]]:
    """Greedy set cover by sessions: returns the picks in order, and who is left with
    which needs (mask) that no candidate covers."""
    patterns: dict[tuple[int, int], list[Person]] = {}
    for p in people:
        if p.mask:
            patterns.setdefault((p.mask, p.required_mask), []).append(p)
    weight: Counter[int] = Counter()  # by skill bit: the weighted need still open
    for (mask, required), group in patterns.items():
        for b in bits(mask):
            weight[b] += len(group) * (REQUIRED_WEIGHT if required >> b & 1 else 1)
    picks: list[Assignment] = []
    open_programs = list(candidates)
    while open_programs:
        best: ProgramInfo | None = None
        best_key: tuple[Fraction, int, int] | None = None
        for program in open_programs:
            value = sum(weight[b] for b in bits(program.mask))
            if value == 0:
                continue
            helped = sum(len(g) for (mask, _), g in patterns.items() if mask & program.mask)
            sessions = -(-helped // program.max_group_size)
            # Most need per session, then most need, then the lowest id: deterministic.
            key = (Fraction(value, sessions), value, -program.id.int)
            if best_key is None or key > best_key:
                best, best_key = program, key
        if best is None:
            break
        members: list[tuple[Person, int]] = []
        for mask, required in [k for k in patterns if k[0] & best.mask]:
            group = patterns.pop((mask, required))
            members.extend((p, mask & best.mask) for p in group)
            rest = (mask & ~best.mask, required & ~best.mask)
            if rest[0]:
                patterns.setdefault(rest, []).extend(group)
        # Everyone who needed one of its skills joined it: that need is settled.
        for b in bits(best.mask):
            weight[b] = 0
        open_programs.remove(best)
        picks.append((best, members))
    left = [(p, mask) for (mask, _), group in patterns.items() for p in group]
    return picks, left


def _chunks(items: list[tuple[Person, int]], size: int) -> list[list[tuple[Person, int]]]:
    """Function groups together: full groups per function group first, then the rest of
    every function group pooled (in function-group order) into as few, evenly sized
    groups as the size allows. The total is always the minimum, ceil(n / size)."""
    items = sorted(items, key=lambda i: i[0].order)
    groups: list[list[tuple[Person, int]]] = []
    rest: list[tuple[Person, int]] = []
    start = 0
    while start < len(items):
        fg_rank = items[start][0].order >> _FG_SHIFT
        end = start
        while end < len(items) and items[end][0].order >> _FG_SHIFT == fg_rank:
            end += 1
        full = start + (end - start) - (end - start) % size
        groups.extend(items[i : i + size] for i in range(start, full, size))
        rest.extend(items[full:end])
        start = end
    if rest:
        n = -(-len(rest) // size)
        base, extra = divmod(len(rest), n)
        start = 0
        for i in range(n):
            end = start + base + (1 if i < extra else 0)
            groups.append(rest[start:end])
            start = end
    return groups


# Person.order packs (function group rank, team rank, position by id) into one integer, so
# grouping sorts and compares plain ints: function group first, then team, then id.
_FG_SHIFT = 48
_TEAM_SHIFT = 24


def _set_order(people: Sequence[Person]) -> None:
    fgs = sorted({p.function_group_id for p in people if p.function_group_id is not None})
    teams = sorted({p.team_id for p in people if p.team_id is not None})
    fg_rank = {fg: i for i, fg in enumerate(fgs)}
    team_rank = {t: i for i, t in enumerate(teams)}
    for i, p in enumerate(people):  # people come ordered by id
        fg = fg_rank[p.function_group_id] if p.function_group_id is not None else len(fgs)
        team = team_rank[p.team_id] if p.team_id is not None else len(teams)
        p.order = fg << _FG_SHIFT | team << _TEAM_SHIFT | i


def _groups(
    data: ScopeData, picks: Iterable[Assignment], level: ExposureLevel | None
) -> list[PlannedGroup]:
    out = []
    for program, members in picks:
        for chunk in _chunks(members, program.max_group_size):
            covered = 0
            fgs: list[uuid.UUID] = []
            previous = -1
            for p, mask in chunk:
                covered |= mask
                # members are sorted by function group: a new one starts a new run
                rank = p.order >> _FG_SHIFT
                if rank != previous and p.function_group_id is not None:
                    fgs.append(p.function_group_id)
                previous = rank
            out.append(
                PlannedGroup(
                    program=program,
                    exposure_level=level,
                    function_group_ids=tuple(fgs),
                    members=tuple(PlannedMember(p.id, data.skills_of(mask)) for p, mask in chunk),
                    skill_ids=data.skills_of(covered),
                    not_protocol_ready=tuple(p.id for p, _ in chunk if not p.protocol_ready),
                )
            )
    return out


def _first_management(
    managers: Sequence[Person],
    picks: list[Assignment],
    candidates: Sequence[ProgramInfo],
    trained: set[uuid.UUID],
) -> list[Person]:
    """Managers first: give every manager not yet trained a management programme (the one
    already chosen for most managers of the level, else the one training most skills).
    Returns the managers for whom no management programme fits."""
    placed = {
        p.id
        for program, members in picks
        if program.audience == Audience.management
        for p, _ in members
    }
    missing = [p for p in managers if p.id not in trained and p.id not in placed]
    if not missing:
        return []
    chosen = [
        (program, members) for program, members in picks if program.audience == Audience.management
    ]
    if chosen:
        program, members = max(chosen, key=lambda a: (len(a[1]), -a[0].id.int))
        members.extend((p, 0) for p in missing)
        return []
    management = [c for c in candidates if c.audience == Audience.management]
    if not management:
        return missing
    program = max(management, key=lambda c: (len(c.skill_ids), -c.id.int))
    picks.append((program, [(p, 0) for p in missing]))
    return []


def build_plan(data: ScopeData, *, version: str) -> ComputedPlan:
    """The phased plan for loaded scope data (pure computation, deterministic)."""
    _set_order(data.people)
    by_class: dict[tuple[bool, ExposureLevel | None], list[Person]] = {}
    for p in data.people:
        by_class.setdefault((p.manager, p.level), []).append(p)
    left: list[tuple[Person, int]] = []

    management_groups: list[PlannedGroup] = []
    already: list[uuid.UUID] = []
    without: list[uuid.UUID] = []
    for level in LEVEL_ORDER:
        managers = by_class.get((True, level), [])
        if not managers:
            continue
        candidates = [
            p for p in data.programs if p.audience != Audience.staff and p.fits(True, level)
        ]
        picks, rest = _cover(managers, candidates)
        left.extend(rest)
        without.extend(
            p.id for p in _first_management(managers, picks, candidates, data.managers_trained)
        )
        already.extend(p.id for p in managers if p.id in data.managers_trained)
        management_groups.extend(_groups(data, picks, level))
    phases = [
        PlannedPhase(
            phase=MANAGEMENT_PHASE,
            kind=PhaseKind.management,
            exposure_level=None,
            groups=tuple(management_groups),
            managers_already_trained=tuple(sorted(already)),
            managers_without_program=tuple(sorted(without)),
        )
    ]
    for level in LEVEL_ORDER:
        staff = by_class.get((False, level), [])
        candidates = [
            p for p in data.programs if p.audience != Audience.management and p.fits(False, level)
        ]
        picks, rest = _cover(staff, candidates)
        left.extend(rest)
        groups = _groups(data, picks, level)
        if groups:
            phases.append(
                PlannedPhase(
                    phase=len(phases) + 1,
                    kind=PhaseKind.staff,
                    exposure_level=level,
                    groups=tuple(groups),
                )
            )
    return ComputedPlan(
        scope=data.scope,
        starts_on=data.on,
        data_version=version,
        employee_count=len(data.people),
        phases=tuple(phases),
        uncovered=_uncovered(data, left),
    )


def _uncovered(data: ScopeData, left: Iterable[tuple[Person, int]]) -> tuple[UncoveredNeed, ...]:
    count: Counter[int] = Counter()
    required: Counter[int] = Counter()
    for person, mask in left:
        for b in bits(mask):
            count[b] += 1
            if person.required_mask >> b & 1:
                required[b] += 1
    items = [UncoveredNeed(data.skill_order[b], n, required[b]) for b, n in count.items()]
    items.sort(key=lambda u: (-u.employee_count, data.skills[u.skill_id].code))
    return tuple(items)


def compute_plan(session: Session, *, scope: PlanScope, starts_on: date) -> ComputedPlan:
    """Compute the phased plan for a scope: a fixed number of queries, no writes.

    The session must be bound to the organisation (``core.tenancy.bind_organisation``).
    """
    # The version is read before the data: a change while loading makes the plan look
    # stale (recompute), never fresh.
    with without_cyclic_gc():
        version = data_version(session, scope=scope)
        return build_plan(load_scope(session, scope=scope, on=starts_on), version=version)
