"""Catalogue programmes ranked by the open need they cover, each explained (issue 6, part 2).

Employees are tallied per *class* (role, exposure level): which programmes
suit someone depends on nothing else. Each programme is then scored from the tallies of
the classes it suits, so the work is one pass over the employees plus programmes x classes
x distinct need patterns, never employees x programmes.
"""

import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import date

from sqlmodel import Session

from app.organisation.models import ExposureLevel, Role
from app.selection.models import (
    IncidentEvidence,
    PlanScope,
    PracticeNeed,
    ProgrammeSkillCoverage,
    Recommendation,
    SkillNeedCount,
    TrainingRecommendations,
    scope_public,
)
from app.selection.needs import (
    ProgramInfo,
    ScopeData,
    bits,
    exposure_weight,
    load_scope,
    without_cyclic_gc,
)

ClassKey = tuple[Role, ExposureLevel | None]


@dataclass
class _Tally:
    """The needs of one class of employees (role, exposure level)."""

    weight: int
    people: int = 0
    # (need mask, required mask) -> number of people with exactly these needs
    patterns: Counter[tuple[int, int]] = field(default_factory=Counter)
    # team -> the skills its members of this class still need (for the goals served)
    team_masks: dict[uuid.UUID, int] = field(default_factory=dict)
    personal_goals: Counter[int] = field(default_factory=Counter)  # by bit
    # derived once the tally is complete (see _finish)
    count: Counter[int] = field(default_factory=Counter)
    required: Counter[int] = field(default_factory=Counter)
    team_goals: dict[int, set[uuid.UUID]] = field(default_factory=dict)

    def score(self, mask: int) -> int:
        # required and goal needs weigh REQUIRED_WEIGHT (2), recommended ones 1
        return self.weight * sum(self.count[b] + self.required[b] for b in bits(mask))


def _tallies(data: ScopeData) -> dict[ClassKey, _Tally]:
    out: dict[ClassKey, _Tally] = {}
    for p in data.people:
        key = (p.role, p.level)
        tally = out.get(key)
        if tally is None:
            tally = out[key] = _Tally(weight=exposure_weight(p.level))
        tally.people += 1
        if not p.mask:
            continue
        tally.patterns[(p.mask, p.required_mask)] += 1
        if p.team_id is not None and p.team_id in data.team_goals:
            tally.team_masks[p.team_id] = tally.team_masks.get(p.team_id, 0) | p.mask
        for b, n in data.personal_goals.get(p.id, {}).items():
            if p.mask >> b & 1:
                tally.personal_goals[b] += n
    for tally in out.values():
        _finish(data, tally)
    return out


def _finish(data: ScopeData, tally: _Tally) -> None:
    for (mask, required), n in tally.patterns.items():
        for b in bits(mask):
            tally.count[b] += n
            if required >> b & 1:
                tally.required[b] += n
    for team_id, mask in tally.team_masks.items():
        for b, goal_ids in data.team_goals[team_id].items():
            if mask >> b & 1:
                tally.team_goals.setdefault(b, set()).update(goal_ids)


def _need_counts(
    data: ScopeData, count: Counter[int], required: Counter[int]
) -> list[SkillNeedCount]:
    """Skill counts, most needed first (ties by skill code)."""
    items = []
    for b, n in count.items():
        if not n:
            continue
        skill_id = data.skill_order[b]
        info = data.skills[skill_id]
        items.append(
            SkillNeedCount(
                skill_id=skill_id,
                skill_code=info.code,
                label_nl=info.label_nl,
                label_en=info.label_en,
                employee_count=n,
                required_count=required[b],
            )
        )
    items.sort(key=lambda i: (-i.employee_count, i.skill_code))
    return items


def _tally_patterns(
    tallies: list[_Tally], select_mask: int | None, keep_mask: int
) -> tuple[int, Counter[int], Counter[int]]:
    """People whose needs meet ``select_mask`` (None: all), and their needs in ``keep_mask``."""
    people = 0
    count: Counter[int] = Counter()
    required: Counter[int] = Counter()
    for tally in tallies:
        for (mask, req), n in tally.patterns.items():
            if select_mask is not None and not mask & select_mask:
                continue
            people += n
            for b in bits(mask & keep_mask):
                count[b] += n
                if req >> b & 1:
                    required[b] += n
    return people, count, required


def _evidence(data: ScopeData, mask: int) -> list[IncidentEvidence]:
    """The incident categories that weighed in the scope and raise skills of ``mask``."""
    out = []
    for category, n in sorted(data.incident_counts.items(), key=lambda c: (-c[1], c[0].value)):
        raised = data.incident_masks.get(category, 0) & mask
        if n and raised:
            codes = sorted(data.skills[data.skill_order[b]].code for b in bits(raised))
            out.append(IncidentEvidence(category=category, incident_count=n, skill_codes=codes))
    return out


def _recommendation(
    data: ScopeData, program: ProgramInfo, tallies: dict[ClassKey, _Tally]
) -> Recommendation | None:
    suited = [t for key, t in tallies.items() if program.fits(*key)]
    score = sum(t.score(program.mask) for t in suited)
    if score == 0:
        return None
    helped, left, left_required = _tally_patterns(suited, program.mask, ~program.mask)
    covered = []
    covered_mask = 0
    team_goal_ids: set[uuid.UUID] = set()
    personal = 0
    for b in bits(program.mask):
        n = sum(t.count[b] for t in suited)
        if not n:
            continue
        goals = set().union(*(t.team_goals.get(b, set()) for t in suited))
        personal_n = sum(t.personal_goals[b] for t in suited)
        team_goal_ids |= goals
        personal += personal_n
        skill_id = data.skill_order[b]
        info = data.skills[skill_id]
        covered_mask |= 1 << b
        covered.append(
            ProgrammeSkillCoverage(
                skill_id=skill_id,
                skill_code=info.code,
                label_nl=info.label_nl,
                label_en=info.label_en,
                employee_count=n,
                required_count=sum(t.required[b] for t in suited),
                team_goal_count=len(goals),
                personal_goal_count=personal_n,
            )
        )
    covered.sort(key=lambda c: (-c.employee_count, c.skill_code))
    leaves = _need_counts(data, left, left_required)
    suited_count = sum(t.people for t in suited)
    sessions = -(-helped // program.max_group_size)
    skills_text = ", ".join(f"{c.skill_code} {c.employee_count}" for c in covered)
    explanation = (
        f"Trains {len(covered)} skill(s) that {helped} of the {suited_count} employees it "
        f"suits still need ({skills_text}), in {sessions} session(s) of up to "
        f"{program.max_group_size}; serves {len(team_goal_ids)} team goal(s) and {personal} "
        "personal goal(s)."
    )
    if leaves:
        explanation += f" Those employees still need {len(leaves)} other skill(s) afterwards."
    practising = _practising(data, program.mask)
    if practising:
        explanation += (
            " Not proposed for retraining, as their training is current: "
            + "; ".join(f"{n} for {code}" for code, n in practising)
            + " (team goals on these skills are practice for the team: practice reviews and "
            "'Veilig en veerkrachtig werken' in team meetings)."
        )
    weighed = _evidence(data, covered_mask)
    if weighed:
        explanation += (
            " Incidents of the last two years weighed: "
            + "; ".join(
                f"{e.incident_count} {e.category.value} ({', '.join(e.skill_codes)})"
                for e in weighed
            )
            + "."
        )
    return Recommendation(
        rank=0,
        program_id=program.id,
        title=program.title,
        audience=program.audience,
        min_exposure_level=program.min_level,
        max_exposure_level=program.max_level,
        max_group_size=program.max_group_size,
        score=float(score),
        employees_suited=suited_count,
        employees_helped=helped,
        sessions_needed=sessions,
        skills_covered=covered,
        team_goal_ids=sorted(team_goal_ids),
        personal_goal_count=personal,
        leaves_uncovered=leaves,
        incidents_weighed=weighed,
        explanation=explanation,
    )


def _practising(data: ScopeData, mask: int) -> list[tuple[str, int]]:
    """Per skill of ``mask``, members with a current training their team goal would have
    sent back to training (skill code, count)."""
    totals: Counter[int] = Counter()
    for counts in data.practice_needs.values():
        for b, n in counts.items():
            if mask >> b & 1:
                totals[b] += n
    return sorted((data.skills[data.skill_order[b]].code, n) for b, n in totals.items())


def practice_needs(data: ScopeData) -> list[PracticeNeed]:
    """The team goals that are practice, not training, for members trained currently."""
    out = []
    for team_id, counts in data.practice_needs.items():
        for b, n in counts.items():
            skill_id = data.skill_order[b]
            info = data.skills[skill_id]
            goal_ids = sorted(data.team_goals.get(team_id, {}).get(b, []))
            out.append(
                PracticeNeed(
                    team_id=team_id,
                    skill_id=skill_id,
                    skill_code=info.code,
                    label_nl=info.label_nl,
                    team_goal_ids=goal_ids,
                    employee_count=n,
                    explanation=f"{n} member(s) of the team are currently trained in "
                    f"{info.code}: the team goal asks them to practise it (practice reviews, "
                    "'Veilig en veerkrachtig werken' in team meetings), not to train again.",
                )
            )
    out.sort(key=lambda p: (str(p.team_id), p.skill_code))
    return out


def rank(data: ScopeData) -> TrainingRecommendations:
    """Rank the active programmes for the loaded scope (pure computation)."""
    tallies = _tallies(data)
    items = [r for p in data.programs if (r := _recommendation(data, p, tallies)) is not None]
    # Highest score first; ties by programme id, so the order never depends on chance.
    items.sort(key=lambda r: (-r.score, r.program_id))
    for i, item in enumerate(items, start=1):
        item.rank = i
    # Needs that no active programme suited to the employee covers.
    count: Counter[int] = Counter()
    required: Counter[int] = Counter()
    for key, tally in tallies.items():
        coverable = 0
        for p in data.programs:
            if p.fits(*key):
                coverable |= p.mask
        _, needing, requiring = _tally_patterns([tally], None, ~coverable)
        count.update(needing)
        required.update(requiring)
    return TrainingRecommendations(
        scope=scope_public(data.scope),
        on=data.on,
        employee_count=len(data.people),
        employees_with_needs=sum(1 for p in data.people if p.mask),
        items=items,
        practice_needs=practice_needs(data),
        uncovered=_need_counts(data, count, required),
        incident_evidence=_evidence(data, -1),
    )


def recommend(db: Session, *, scope: PlanScope, on: date) -> TrainingRecommendations:
    """Programmes ranked by the open need they cover in the scope, each explained."""
    with without_cyclic_gc():
        return rank(load_scope(db, scope=scope, on=on, with_status=False))
