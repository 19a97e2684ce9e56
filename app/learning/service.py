"""The learning domain's rules others rely on: function-group needs and the alignment rule.

Other domains use: ``BUILTIN_SKILLS``, ``ensure_builtin_skills``, ``skill_ids_by_code``
(from ``skills``), ``default_needs``, ``needs_by_function_group``, ``check_alignment``,
``create_personal_goal`` and ``reevaluate_personal_goals``.
"""

import uuid
from collections import defaultdict
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, or_
from sqlmodel import Session, col, select

from app.core.errors import Conflict, InvalidInput, NotFound, RuleViolation
from app.core.models import utcnow
from app.learning.models import (
    OPEN_PERSONAL_GOAL_STATUSES,
    Alignment,
    FunctionGroupNeed,
    FunctionGroupNeedPublic,
    FunctionGroupNeeds,
    FunctionGroupNeedsUpdate,
    NeedPriority,
    NeedSource,
    PersonalGoal,
    PersonalGoalCreate,
    Skill,
    TeamGoal,
    TeamGoalStatus,
)
from app.learning.skills import BUILTIN_SKILLS as BUILTIN_SKILLS
from app.learning.skills import body_ref, usable_skill
from app.learning.skills import ensure_builtin_skills as ensure_builtin_skills
from app.learning.skills import skill_ids_by_code as skill_ids_by_code
from app.organisation import service as organisation_service
from app.organisation.models import (
    EXPOSURE_RANK,
    Employee,
    ExposureLevel,
    FunctionGroup,
    Organisation,
    Team,
    exposure_level,
)

# --- function-group needs ---------------------------------------------------------------


def default_needs(level: ExposureLevel) -> dict[str, NeedPriority]:
    """The skills a function group of this exposure level needs unless the organisation
    chose otherwise (DOMAIN.md): every level the three basics, moderate and up three more,
    high and up the last three. All of them are ``required``: the table is the minimum;
    ``recommended`` is for the organisation's own additions.
    """
    rank = EXPOSURE_RANK[level]
    return {
        s.code: NeedPriority.required for s in BUILTIN_SKILLS if EXPOSURE_RANK[s.from_level] <= rank
    }


def needs_by_function_group(
    session: Session, *, function_group_ids: Collection[uuid.UUID] | None = None
) -> dict[uuid.UUID, list[tuple[uuid.UUID, NeedPriority]]]:
    """Skill ids and priority per function group, custom or default, in at most 3 queries.

    Without ``function_group_ids``: every function group of the organisation.
    """
    stmt = select(
        FunctionGroup.id, FunctionGroup.likelihood, FunctionGroup.impact, FunctionGroup.custom_needs
    )
    if function_group_ids is not None:
        ids = list(function_group_ids)
        if not ids:
            return {}
        stmt = stmt.where(col(FunctionGroup.id).in_(ids))
    groups = session.exec(stmt).all()
    out: dict[uuid.UUID, list[tuple[uuid.UUID, NeedPriority]]] = {g[0]: [] for g in groups}
    custom = [g[0] for g in groups if g[3]]
    if custom:
        rows = session.exec(
            select(
                FunctionGroupNeed.function_group_id,
                FunctionGroupNeed.skill_id,
                FunctionGroupNeed.priority,
            )
            .where(col(FunctionGroupNeed.function_group_id).in_(custom))
            .order_by(col(FunctionGroupNeed.id))
        ).all()
        for fg_id, skill_id, priority in rows:
            out[fg_id].append((skill_id, NeedPriority(priority)))
    defaults = [g for g in groups if not g[3]]
    if defaults:
        by_code = skill_ids_by_code(session)
        for fg_id, likelihood, impact, _custom in defaults:
            level = exposure_level(likelihood * impact)
            out[fg_id] = [
                (by_code[code], priority)
                for code, priority in default_needs(level).items()
                if code in by_code
            ]
    return out


def function_group_needs(session: Session, *, fg: FunctionGroup) -> FunctionGroupNeeds:
    """A function group's needs with their source (default by exposure, or custom)."""
    needs = needs_by_function_group(session, function_group_ids=[fg.id])[fg.id]
    codes = dict(
        session.exec(
            select(Skill.id, Skill.code).where(col(Skill.id).in_([s for s, _ in needs]))
        ).all()
    )
    return FunctionGroupNeeds(
        function_group_id=fg.id,
        exposure_level=fg.exposure_level,
        source=NeedSource.custom if fg.custom_needs else NeedSource.default,
        needs=[
            FunctionGroupNeedPublic(skill_id=s, skill_code=codes[s], priority=p) for s, p in needs
        ],
    )


def set_function_group_needs(
    session: Session, *, fg: FunctionGroup, data: FunctionGroupNeedsUpdate
) -> FunctionGroupNeeds:
    """Replace a function group's needs with the organisation's own (``source: custom``)."""
    seen: set[uuid.UUID] = set()
    for i, need in enumerate(data.needs):
        if need.skill_id in seen:
            raise InvalidInput(
                "Each skill may be listed once.",
                code="duplicate-skill",
                errors=[{"pointer": f"/needs/{i}/skill_id", "detail": "listed twice"}],
            )
        seen.add(need.skill_id)
    skills = {s.id: s for s in session.exec(select(Skill).where(col(Skill.id).in_(seen))).all()}
    for i, need in enumerate(data.needs):
        pointer = f"/needs/{i}/skill_id"
        skill = skills.get(need.skill_id)
        if skill is None:
            raise NotFound(
                f"No skill with id {need.skill_id} in this organisation.",
                errors=[{"pointer": pointer, "detail": "unknown skill"}],
            )
        if skill.retired:
            raise Conflict(
                f"Skill '{skill.code}' is retired; choose a current skill.",
                code="skill-retired",
                errors=[{"pointer": pointer, "detail": "retired skill"}],
            )
    session.execute(
        delete(FunctionGroupNeed).where(
            col(FunctionGroupNeed.function_group_id) == fg.id,
            col(FunctionGroupNeed.organisation_id) == fg.organisation_id,
        )
    )
    for need in data.needs:
        session.add(
            FunctionGroupNeed(
                function_group_id=fg.id, skill_id=need.skill_id, priority=need.priority
            )
        )
    fg.custom_needs = True
    fg.updated_at = utcnow()
    session.flush()
    return function_group_needs(session, fg=fg)


def reset_function_group_needs(session: Session, *, fg: FunctionGroup) -> FunctionGroupNeeds:
    """Drop the organisation's own needs: the defaults by exposure level apply again."""
    session.execute(
        delete(FunctionGroupNeed).where(
            col(FunctionGroupNeed.function_group_id) == fg.id,
            col(FunctionGroupNeed.organisation_id) == fg.organisation_id,
        )
    )
    if fg.custom_needs:
        fg.custom_needs = False
        fg.updated_at = utcnow()
    session.flush()
    return function_group_needs(session, fg=fg)


# --- the alignment rule -----------------------------------------------------------------


@dataclass(frozen=True)
class AlignmentResult:
    """The verdict of the alignment rule: the team goal served, or the violation."""

    aligned_team_goal_id: uuid.UUID | None
    violation: dict[str, Any] | None

    @property
    def aligned(self) -> bool:
        return self.violation is None


def check_alignment(
    session: Session,
    *,
    employee: Employee,
    skill_id: uuid.UUID,
    team_goal_id: uuid.UUID | None,
) -> AlignmentResult:
    """Run the alignment rule (seed step 3: check each personal goal against the team's
    objectives): an *active* goal of the employee's *own* team with the same skill; a given
    ``team_goal_id`` must be exactly such a goal. Raises 404 for an unknown skill or team goal.
    """
    skill = body_ref(session, Skill, skill_id, pointer="/skill_id", what="skill")
    chosen = (
        body_ref(session, TeamGoal, team_goal_id, pointer="/team_goal_id", what="team goal")
        if team_goal_id is not None
        else None
    )
    objectives: list[tuple[TeamGoal, str]] = []
    if employee.team_id is not None:
        objectives = [
            (g, code)
            for g, code in session.exec(
                select(TeamGoal, Skill.code)
                .join(Skill, col(Skill.id) == col(TeamGoal.skill_id))
                .where(
                    col(TeamGoal.team_id) == employee.team_id,
                    col(TeamGoal.status) == TeamGoalStatus.active,
                )
                .order_by(col(TeamGoal.id))
            ).all()
        ]
    if chosen is not None:
        if chosen.team_id != employee.team_id:
            reason, why = "team-goal-of-other-team", "the chosen team goal is another team's"
        elif chosen.status != TeamGoalStatus.active:
            reason, why = "team-goal-not-active", f"the chosen team goal is {chosen.status.value}"
        elif chosen.skill_id != skill_id:
            reason, why = "team-goal-other-skill", "the chosen team goal is about another skill"
        else:
            return AlignmentResult(aligned_team_goal_id=chosen.id, violation=None)
    elif employee.team_id is None:
        reason, why = "no-team", "the employee belongs to no team"
    else:
        match = next((g for g, _ in objectives if g.skill_id == skill_id), None)
        if match is not None:
            return AlignmentResult(aligned_team_goal_id=match.id, violation=None)
        reason, why = "no-active-team-goal", "no active objective of the team has this skill"
    team = session.get(Team, employee.team_id) if employee.team_id is not None else None
    listed = "; ".join(f"{code} ({g.description[:120]})" for g, code in objectives) or "none"
    message = (
        f"A personal goal for '{skill.code}' must serve an active objective of "
        f"{employee.full_name}'s own team ({team.name if team else 'no team'}): {why}. "
        f"The team's active objectives: {listed}."
    )
    violation: dict[str, Any] = {
        "rule": "alignment",
        "message": message,
        "reason": reason,
        "employee_id": str(employee.id),
        "team_id": str(employee.team_id) if employee.team_id else None,
        "team_name": team.name if team else None,
        "skill_id": str(skill.id),
        "skill_code": skill.code,
        "team_goal_id": str(team_goal_id) if team_goal_id else None,
        "team_objectives": [
            {
                "team_goal_id": str(g.id),
                "skill_id": str(g.skill_id),
                "skill_code": code,
                "description": g.description,
            }
            for g, code in objectives
        ],
    }
    return AlignmentResult(aligned_team_goal_id=None, violation=violation)


def refuse_unaligned(result: AlignmentResult) -> None:
    """Raise the 409 ``goal-not-aligned`` problem for an unaligned verdict."""
    assert result.violation is not None
    raise RuleViolation(
        result.violation["message"], code="goal-not-aligned", violations=[result.violation]
    )


def create_personal_goal(
    session: Session, *, org: Organisation, data: PersonalGoalCreate
) -> PersonalGoal:
    """Store a personal goal that serves a team objective; an unaligned one is refused (409
    ``goal-not-aligned``) unless the organisation allows unaligned goals, then flagged.
    """
    employee = body_ref(
        session, Employee, data.employee_id, pointer="/employee_id", what="employee"
    )
    usable_skill(session, data.skill_id, pointer="/skill_id")
    result = check_alignment(
        session, employee=employee, skill_id=data.skill_id, team_goal_id=data.team_goal_id
    )
    if not result.aligned and not org.settings.allow_unaligned_personal_goals:
        refuse_unaligned(result)
    goal = PersonalGoal(
        employee_id=employee.id,
        skill_id=data.skill_id,
        description=data.description,
        team_goal_id=data.team_goal_id,
        status=data.status,
        alignment=Alignment.aligned if result.aligned else Alignment.unaligned,
        aligned_team_goal_id=result.aligned_team_goal_id,
    )
    session.add(goal)
    session.flush()
    return goal


# --- re-evaluation ----------------------------------------------------------------------


def reevaluate_personal_goals(session: Session, *, goals: Sequence[PersonalGoal]) -> int:
    """Run the alignment rule again over stored goals after the team or its goals changed.

    Never refuses and never deletes: a goal that no longer serves an active objective of the
    employee's current team becomes ``unaligned``; one that does again becomes ``aligned``.
    Four queries at most, whatever the number of goals. Returns how many goals changed.
    """
    if not goals:
        return 0
    employee_ids = {g.employee_id for g in goals}
    team_of = dict(
        session.exec(
            select(Employee.id, Employee.team_id).where(col(Employee.id).in_(employee_ids))
        ).all()
    )
    team_ids = {t for t in team_of.values() if t is not None}
    active: dict[tuple[uuid.UUID, uuid.UUID], list[uuid.UUID]] = defaultdict(list)
    if team_ids:
        for tg_id, t_id, s_id in session.exec(
            select(TeamGoal.id, TeamGoal.team_id, TeamGoal.skill_id)
            .where(
                col(TeamGoal.team_id).in_(team_ids),
                col(TeamGoal.status) == TeamGoalStatus.active,
            )
            .order_by(col(TeamGoal.id))
        ).all():
            active[(t_id, s_id)].append(tg_id)
    changed = 0
    now = utcnow()
    for goal in goals:
        team_id = team_of.get(goal.employee_id)
        candidates = active.get((team_id, goal.skill_id), []) if team_id else []
        if goal.team_goal_id is not None:
            target = goal.team_goal_id if goal.team_goal_id in candidates else None
        elif goal.aligned_team_goal_id in candidates:
            target = goal.aligned_team_goal_id
        else:
            target = candidates[0] if candidates else None
        alignment = Alignment.aligned if target is not None else Alignment.unaligned
        if (goal.alignment, goal.aligned_team_goal_id) != (alignment, target):
            goal.alignment = alignment
            goal.aligned_team_goal_id = target
            goal.updated_at = now
            changed += 1
    session.flush()
    return changed


def open_goals_touching(session: Session, team_goal: TeamGoal) -> Sequence[PersonalGoal]:
    # Goals that served this team goal, named it, or could serve it (members, same skill).
    members = select(col(Employee.id)).where(col(Employee.team_id) == team_goal.team_id)
    return session.exec(
        select(PersonalGoal).where(
            col(PersonalGoal.status).in_(OPEN_PERSONAL_GOAL_STATUSES),
            or_(
                col(PersonalGoal.aligned_team_goal_id) == team_goal.id,
                col(PersonalGoal.team_goal_id) == team_goal.id,
                (col(PersonalGoal.skill_id) == team_goal.skill_id)
                & col(PersonalGoal.employee_id).in_(members),
            ),
        )
    ).all()


def on_employee_team_changed(
    session: Session, employee: Employee, old_team_id: uuid.UUID | None
) -> None:
    """Hook: an employee moved team, so their open personal goals are judged anew."""
    del old_team_id
    goals = session.exec(
        select(PersonalGoal).where(
            col(PersonalGoal.employee_id) == employee.id,
            col(PersonalGoal.status).in_(OPEN_PERSONAL_GOAL_STATUSES),
        )
    ).all()
    reevaluate_personal_goals(session, goals=goals)


# Registered at import: the router imports this module, and the CLI imports every router
# before it creates an organisation (app/cli.py).
if ensure_builtin_skills not in organisation_service.ORGANISATION_CREATED_HOOKS:
    organisation_service.ORGANISATION_CREATED_HOOKS.append(ensure_builtin_skills)
if on_employee_team_changed not in organisation_service.EMPLOYEE_TEAM_CHANGED_HOOKS:
    organisation_service.EMPLOYEE_TEAM_CHANGED_HOOKS.append(on_employee_team_changed)
