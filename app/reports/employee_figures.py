"""The per-employee-group statement: completions, coverage, goals, readiness, HRM theme."""

import uuid
from collections import defaultdict
from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy import ColumnElement, and_, case, func, or_, select
from sqlalchemy.orm import aliased
from sqlmodel import col

from app.learning import service as learning_service
from app.learning.models import (
    Alignment,
    FunctionGroupNeed,
    PersonalGoal,
    PersonalGoalStatus,
    Skill,
)
from app.organisation.models import (
    MANAGER_ROLES,
    Employee,
    FunctionGroup,
    Role,
    TeamManager,
    exposure_level,
)
from app.policy.models import (
    ProtocolAcknowledgement,
    TeamDiscussion,
    TeamDiscussionParticipant,
)
from app.reports.figure_query import (
    NEVER,
    REFRESHER_WINDOW_DAYS,
    Collected,
    Coverage,
    FigureQuery,
    Needs,
    cached_statement,
    count_if,
    group_key,
    key_uuid,
)
from app.reports.hrm_theme import covered_employee_ids
from app.training.models import Audience, TrainingCompletion, TrainingProgram


def needs_by_group(q: FigureQuery) -> tuple[list[tuple[Any, str]], Needs]:
    """Function groups and the skills each needs: its own list, or the default by exposure."""
    groups = q.run(
        select(
            group_key(col(FunctionGroup.id)),
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
            group_key(col(FunctionGroupNeed.function_group_id)), col(FunctionGroupNeed.skill_id)
        ).where(col(FunctionGroupNeed.organisation_id) == q.org_id)
    ):
        custom[fg_id].append(skill_id)
    needs: Needs = {}
    for fg_id, _name, likelihood, impact, is_custom in groups:
        if is_custom:
            ids = custom.get(fg_id, [])
        else:
            level = exposure_level(likelihood * impact, q.settings.exposure_bands)
            codes = learning_service.default_needs(level)
            ids = [by_code[code] for code in codes if code in by_code]
        needs[fg_id] = sorted(((s, skills[s][0]) for s in ids), key=lambda p: p[1])
    return [(g[0], g[1]) for g in groups], needs


def _completions(q: FigureQuery, skill_ids: list[uuid.UUID]) -> Any:
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


def employee_figures(
    q: FigureQuery, c: Collected, groups: list[tuple[Any, str]], needs: Needs
) -> None:
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
        # Those who took part in a discussion of the version (not the team's members now).
        discussed = (
            select(col(TeamDiscussionParticipant.employee_id))
            .join(
                TeamDiscussion,
                col(TeamDiscussion.id) == col(TeamDiscussionParticipant.discussion_id),
            )
            .where(
                col(TeamDiscussion.organisation_id) == q.org_id,
                col(TeamDiscussion.protocol_id) == c.protocol_id,
                col(TeamDiscussion.discussed_on) <= q.today,
            )
        )
        ready = or_(col(e.id).in_(discussed), col(e.id).in_(acknowledged))
    # The same expression lists the employees not covered (hrm_theme.theme_gaps).
    theme = covered_employee_ids(q.org_id, q.today, q.settings.hrm_theme_months)
    is_manager = col(e.role).in_([r.value for r in MANAGER_ROLES])
    heads: defaultdict[Any, int] = defaultdict(int)
    for team_id, fg_id, active, n_ready, n_managers, covered in q.run(
        select(
            group_key(col(e.team_id)),
            group_key(col(e.function_group_id)),
            func.count(),
            count_if(ready),
            count_if(is_manager),
            count_if(col(e.id).in_(theme)),
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
                    function_group_id=key_uuid(fg_id),
                    function_group_name=fg_name,
                    skill_id=skill_id,
                    skill_code=code,
                    employees=heads[fg_id],
                    current=current.get((fg_id, skill_id), 0),
                )
            )


def _training_figures(
    q: FigureQuery, c: Collected, needs: Needs
) -> dict[tuple[Any, uuid.UUID], int]:
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
    rows = q.run(cached_statement(key, lambda: _training_statement(q, skill_ids)))
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


def _training_statement(q: FigureQuery, skill_ids: list[uuid.UUID]) -> Any:
    e = Employee
    done = _completions(q, skill_ids)
    # Managers first: a manager's "trained on" is their first management completion
    # (never: far future); a staff member is early when their first completion precedes
    # the latest of those among the senior management and their team's managers.
    trained_on = func.coalesce(done.c.management_on, sa.literal(NEVER, sa.Date))
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
            group_key(col(e.team_id)),
            group_key(col(e.function_group_id)),
            count_if(and_(is_manager, done.c.management_on.is_not(None))),
            count_if(early),
            count_if(done.c.due > 0),
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


def _goal_figures(q: FigureQuery, c: Collected) -> None:
    """Per team: personal goals (not dropped) of active members, aligned and unaligned."""
    aligned = col(PersonalGoal.alignment) == Alignment.aligned
    for team_id, n_aligned, n_unaligned in q.run(
        select(group_key(col(Employee.team_id)), count_if(aligned), count_if(~aligned))
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
