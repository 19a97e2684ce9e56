"""A phased training plan for a scope (issue 6, part 3), computed without writing anything.

- Phase 1 is management: senior management and the managers of the scope's teams are
  trained first (seed step 4), in management programmes; every manager not yet trained
  gets at least one management programme, because that is what the managers-first rule
  asks before their staff may be enrolled. Senior management and team managers get
  sessions of their own level, in programmes for that level or for all management (issue
  20, item 8); managers of every exposure level share a management session (the enrolment
  rules check comparable functions for staff groups only); what those programmes leave,
  mixed programmes cover per set of comparable function groups or exposure level.
- Then the staff, one phase per set of comparable function groups and, for function groups
  in no set, one per exposure level (the fallback), highest exposure first (issue 20,
  item 6: comparable functions are similar functions first, similar exposure second).
- Staff are grouped with comparable functions: a group never mixes sets, nor (outside a
  set) exposure levels, and the members of one function group stay together as far as
  group sizes allow. Every group says which basis put it together (``grouping``).
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

from app.organisation.models import EXPOSURE_RANK, ExposureLevel, Grouping, Role
from app.selection.models import PhaseKind, PlanScope
from app.selection.needs import (
    REQUIRED_WEIGHT,
    Person,
    ProgramInfo,
    ScopeData,
    bits,
    load_scope,
    without_cyclic_gc,
)
from app.selection.scope import data_version
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
# Senior management's sessions before the team managers' (both in phase 1).
_LEVEL_RANK = {Role.senior_management: 0, Role.team_manager: 1, Role.employee: 2}


@dataclass(frozen=True, slots=True)
class PlannedMember:
    employee_id: uuid.UUID
    skill_ids: tuple[uuid.UUID, ...]  # the programme's skills this person needs


# What staff are compared by: their set of comparable function groups, else their level.
ClassKey = tuple[Grouping, str | None]


@dataclass(frozen=True, slots=True)
class PlannedGroup:
    """One future session: a programme and people of one set of comparable function groups
    or (the fallback) one exposure level."""

    program: ProgramInfo
    exposure_level: ExposureLevel | None
    function_group_ids: tuple[uuid.UUID, ...]
    members: tuple[PlannedMember, ...]
    skill_ids: tuple[uuid.UUID, ...]
    not_protocol_ready: tuple[uuid.UUID, ...]
    grouping: Grouping | None = None
    comparable_group: str | None = None  # grouping function_groups: the set
    management_level: Role | None = None  # grouping management_level: the level


@dataclass(frozen=True, slots=True)
class PlannedPhase:
    phase: int
    kind: PhaseKind
    exposure_level: ExposureLevel | None
    groups: tuple[PlannedGroup, ...]
    managers_already_trained: tuple[uuid.UUID, ...] = ()
    managers_without_program: tuple[uuid.UUID, ...] = ()
    comparable_group: str | None = None


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
    needs: Iterable[tuple[Person, int]], candidates: Sequence[ProgramInfo]
) -> tuple[list[Assignment], list[tuple[Person, int]]]:
    """Greedy set cover by sessions over people and the needs (mask) to cover for each:
    returns the picks in order, and who is left with which needs no candidate covers."""
    patterns: dict[tuple[int, int], list[Person]] = {}
    for p, mask in needs:
        if mask:
            patterns.setdefault((mask, p.required_mask & mask), []).append(p)
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
    data: ScopeData, picks: Iterable[Assignment], key: ClassKey | None = None
) -> list[PlannedGroup]:
    """The sessions of the picks; ``key`` is what composed them: a set of comparable
    function groups, an exposure level or a management level."""
    out = []
    for program, members in picks:
        for chunk in _chunks(members, program.max_group_size):
            covered = 0
            levels = {p.level for p, _ in chunk}
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
                    # staff groups always share one; a management session may mix them
                    exposure_level=levels.pop() if len(levels) == 1 else None,
                    function_group_ids=tuple(fgs),
                    members=tuple(PlannedMember(p.id, data.skills_of(mask)) for p, mask in chunk),
                    skill_ids=data.skills_of(covered),
                    not_protocol_ready=tuple(p.id for p, _ in chunk if not p.protocol_ready),
                    grouping=key[0] if key is not None else None,
                    comparable_group=(
                        key[1] if key is not None and key[0] == Grouping.function_groups else None
                    ),
                    management_level=(
                        Role(key[1])
                        if key is not None and key[0] == Grouping.management_level and key[1]
                        else None
                    ),
                )
            )
    return out


def _classes(people: Iterable[Person]) -> list[tuple[ClassKey, list[Person]]]:
    """People by what they are compared by, highest exposure first (sets before the levels
    at the same height, then by name); people without a function group last."""
    out: dict[ClassKey, list[Person]] = {}
    for p in people:
        out.setdefault(p.comparable_key, []).append(p)

    def order(item: tuple[ClassKey, list[Person]]) -> tuple[int, int, str]:
        (grouping, label), members = item
        top = max((EXPOSURE_RANK[p.level] for p in members if p.level is not None), default=-1)
        return (-top, 0 if grouping == Grouping.function_groups else 1, label or "")

    return sorted(out.items(), key=order)


def _cover_class(
    data: ScopeData,
    key: ClassKey,
    needs: list[tuple[Person, int]],
    programs: Sequence[ProgramInfo],
) -> tuple[list[PlannedGroup], list[tuple[Person, int]]]:
    """Sessions for one class of comparable people, and what is left uncovered. A set of
    comparable function groups may span exposure levels: programmes suiting all of them
    come first, then what is left per level (still within the set)."""
    kinds = {(p.role, p.level) for p, _ in needs}
    common = [p for p in programs if all(p.fits(role, level) for role, level in kinds)]
    picks, rest = _cover(needs, common)
    levels = {level for _, level in kinds}
    if len(levels) > 1:
        by_level: dict[ExposureLevel | None, list[tuple[Person, int]]] = {}
        for person, mask in rest:
            by_level.setdefault(person.level, []).append((person, mask))
        rest = []
        for level in LEVEL_ORDER:
            roles = {role for role, at in kinds if at == level}
            fitting = [p for p in programs if all(p.fits(role, level) for role in roles)]
            more, left = _cover(by_level.get(level, []), fitting)
            picks.extend(more)
            rest.extend(left)
    return _groups(data, picks, key), rest


def _first_management(
    managers: Sequence[Person],
    picks: list[Assignment],
    candidates: Sequence[ProgramInfo],
    trained: set[uuid.UUID],
) -> list[Person]:
    """Managers first: give every manager not yet trained a management programme (the one
    already chosen for most of them, else the one training most skills). Returns the
    managers for whom no management programme fits."""
    placed = {p.id for _, members in picks for p, _ in members}
    missing = [p for p in managers if p.id not in trained and p.id not in placed]
    if not missing:
        return []
    if picks:
        _, members = max(picks, key=lambda a: (len(a[1]), -a[0].id.int))
        members.extend((p, 0) for p in missing)
        return []
    if not candidates:
        return missing
    program = max(candidates, key=lambda c: (len(c.skill_ids), -c.id.int))
    picks.append((program, [(p, 0) for p in missing]))
    return []


def _management_phase(
    data: ScopeData, managers: Sequence[Person]
) -> tuple[PlannedPhase, list[tuple[Person, int]]]:
    """Phase 1, and the managers' needs it leaves (for ``uncovered``)."""
    management = [p for p in data.programs if p.audience == Audience.management]
    # Managers by level (issue 20, item 8): senior management and team managers each get
    # sessions of their own, in programmes for their level or for all management. Managers
    # of every exposure level learn together (comparable functions is about staff groups);
    # only the programmes' exposure ranges part them.
    pools: dict[tuple[Role, tuple[uuid.UUID, ...]], list[Person]] = {}
    for m in managers:
        fitting = tuple(p.id for p in management if p.fits(m.role, m.level))
        pools.setdefault((m.role, fitting), []).append(m)
    groups: list[PlannedGroup] = []
    rest: list[tuple[Person, int]] = []
    without: list[uuid.UUID] = []
    for role, fitting in sorted(pools, key=lambda k: (_LEVEL_RANK[k[0]], [i.int for i in k[1]])):
        pool = pools[(role, fitting)]
        candidates = [p for p in management if p.id in fitting]
        picks, left = _cover(((p, p.mask) for p in pool), candidates)
        without.extend(
            p.id for p in _first_management(pool, picks, candidates, data.managers_trained)
        )
        groups.extend(_groups(data, picks, (Grouping.management_level, str(role))))
        rest.extend(left)
    # What management programmes leave, mixed programmes may cover: those sessions are
    # composed of comparable functions, as the comparable-functions rule checks them.
    mixed = [p for p in data.programs if p.audience == Audience.mixed]
    uncovered: list[tuple[Person, int]] = []
    by_person = {p.id: mask for p, mask in rest}
    for key, people in _classes(p for p, _ in rest):
        more, left = _cover_class(data, key, [(p, by_person[p.id]) for p in people], mixed)
        groups.extend(more)
        uncovered.extend(left)
    phase = PlannedPhase(
        phase=MANAGEMENT_PHASE,
        kind=PhaseKind.management,
        exposure_level=None,
        groups=tuple(groups),
        managers_already_trained=tuple(
            sorted(m.id for m in managers if m.id in data.managers_trained)
        ),
        managers_without_program=tuple(sorted(without)),
    )
    return phase, uncovered


def build_plan(data: ScopeData, *, version: str) -> ComputedPlan:
    """The phased plan for loaded scope data (pure computation, deterministic)."""
    _set_order(data.people)
    management, left = _management_phase(data, [p for p in data.people if p.manager])
    phases = [management]
    programs = [p for p in data.programs if p.audience != Audience.management]
    for key, people in _classes(p for p in data.people if not p.manager):
        groups, rest = _cover_class(data, key, [(p, p.mask) for p in people], programs)
        left.extend(rest)
        if groups:
            by_set = key[0] == Grouping.function_groups
            levels = [p.level for p in people if p.level is not None]
            phases.append(
                PlannedPhase(
                    phase=len(phases) + 1,
                    kind=PhaseKind.staff,
                    # a set's phase is ordered (and named) by its highest level
                    exposure_level=(
                        max(levels, key=EXPOSURE_RANK.__getitem__)
                        if by_set
                        else ExposureLevel(key[1])
                        if key[1]
                        else None
                    ),
                    groups=tuple(groups),
                    comparable_group=key[1] if by_set else None,
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


def compute_plan(db: Session, *, scope: PlanScope, starts_on: date) -> ComputedPlan:
    """Compute the phased plan for a scope: a fixed number of queries, no writes.

    The session must be bound to the organisation (``core.tenancy.bind_organisation``).
    """
    # The version is read before the data: a change while loading makes the plan look
    # stale (recompute), never fresh.
    with without_cyclic_gc():
        version = data_version(db, scope=scope)
        return build_plan(load_scope(db, scope=scope, on=starts_on), version=version)
