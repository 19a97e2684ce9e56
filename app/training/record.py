"""Training records: current skills, refreshers due and an employee's record."""

import uuid
from collections import defaultdict
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import NamedTuple

import sqlalchemy as sa
from sqlalchemy import func
from sqlmodel import Session, col, select

from app.core.dates import add_months
from app.core.models import render
from app.core.queries import unique_chunks
from app.learning.models import Skill
from app.organisation.models import (
    Employee,
    full_name,
)
from app.training.deactivation import cancel_future_enrolments as cancel_future_enrolments
from app.training.models import (
    CompletionRecord,
    Enrolment,
    EnrolmentStatus,
    ProgramSkill,
    RefresherDue,
    SessionStatus,
    SkillRecord,
    TrainingCompletion,
    TrainingProgram,
    TrainingRecord,
    TrainingSession,
    UpcomingEnrolment,
)


@dataclass(frozen=True)
class _ProgramFacts:
    title: str
    refresher_months: int
    skill_ids: tuple[uuid.UUID, ...]


def _program_facts(db: Session, program_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, _ProgramFacts]:
    ids = set(program_ids)
    if not ids:
        return {}
    # One query: each programme once per skill (once, with NULL, when it has none); the
    # link table is scoped through the programme it joins.
    rows = db.exec(
        select(
            col(TrainingProgram.id),
            col(TrainingProgram.title),
            col(TrainingProgram.refresher_months),
            col(ProgramSkill.skill_id),
        )
        .outerjoin(ProgramSkill, col(ProgramSkill.program_id) == col(TrainingProgram.id))
        .where(col(TrainingProgram.id).in_(ids))
        .order_by(col(TrainingProgram.id), col(ProgramSkill.skill_id))
    ).all()
    programs: dict[uuid.UUID, tuple[str, int]] = {}
    skills: dict[uuid.UUID, list[uuid.UUID]] = defaultdict(list)
    for pid, title, months, skill_id in rows:
        programs[pid] = (title, months)
        if skill_id is not None:
            skills[pid].append(skill_id)
    return {
        pid: _ProgramFacts(title=title, refresher_months=months, skill_ids=tuple(skills[pid]))
        for pid, (title, months) in programs.items()
    }


@dataclass(frozen=True)
class _Latest:
    employee_id: uuid.UUID
    program_id: uuid.UUID
    completed_on: date


def _latest_completions(
    db: Session,
    employee_ids: Collection[uuid.UUID] | None,
    *,
    on: date,
    active_only: bool = False,
) -> list[_Latest]:
    """Per employee and programme, the latest completion on or before ``on`` (one query per
    5,000 employees): on a day in the past, a training done since counts for nothing."""
    base = (
        select(
            col(TrainingCompletion.employee_id),
            col(TrainingCompletion.program_id),
            func.max(col(TrainingCompletion.completed_on)),
        )
        .where(col(TrainingCompletion.completed_on) <= on)
        .group_by(col(TrainingCompletion.employee_id), col(TrainingCompletion.program_id))
    )
    if active_only:
        base = base.join(Employee, col(Employee.id) == col(TrainingCompletion.employee_id)).where(
            col(Employee.active).is_(True)
        )
    stmts = (
        [base]
        if employee_ids is None
        else [
            base.where(col(TrainingCompletion.employee_id).in_(chunk))
            for chunk in unique_chunks(employee_ids)
        ]
    )
    out: list[_Latest] = []
    for stmt in stmts:
        out.extend(_Latest(e, p, d) for e, p, d in db.exec(stmt))
    return out


def current_skills(
    db: Session, *, employee_ids: Collection[uuid.UUID] | None, on: date
) -> dict[uuid.UUID, set[uuid.UUID]]:
    """Per employee, the skills current on ``on``: a completed programme with that skill
    whose ``completed_on + refresher_months`` lies after ``on``. ``None``: everybody.
    Employees without a current skill are absent from the result."""
    latest = _latest_completions(db, employee_ids, on=on)
    facts = _program_facts(db, {row.program_id for row in latest})
    out: dict[uuid.UUID, set[uuid.UUID]] = defaultdict(set)
    for row in latest:
        program = facts[row.program_id]
        if add_months(row.completed_on, program.refresher_months) > on:
            out[row.employee_id].update(program.skill_ids)
    return {k: v for k, v in out.items() if v}


def skills_current_until(
    db: Session, *, employee_ids: Collection[uuid.UUID], on: date
) -> dict[uuid.UUID, dict[uuid.UUID, date]]:
    """Per employee, each skill current on ``on`` and the day it lapses (the latest such
    day over their completions): two queries, whatever the number of employees."""
    latest = _latest_completions(db, employee_ids, on=on)
    facts = _program_facts(db, {row.program_id for row in latest})
    out: dict[uuid.UUID, dict[uuid.UUID, date]] = defaultdict(dict)
    for row in latest:
        program = facts[row.program_id]
        until = add_months(row.completed_on, program.refresher_months)
        if until > on:
            mine = out[row.employee_id]
            for skill_id in program.skill_ids:
                mine[skill_id] = max(until, mine.get(skill_id, until))
    return dict(out)


@dataclass(frozen=True)
class _Due:
    row: _Latest
    due_on: date
    skill_ids: list[uuid.UUID]  # the skills that lapse with it


def _dues(
    latest: Sequence[_Latest], facts: dict[uuid.UUID, _ProgramFacts], *, horizon: date
) -> list[_Due]:
    """Of these latest completions, those due by ``horizon``, unless a later completion
    keeps all their skills current (plain computation, no queries)."""
    # Skills as small ints and completions grouped per employee: this loop runs for every
    # completion and skill of the organisation, and hashing a UUID is a Python call
    # (a tuple of two per step made this the report's largest cost, docs/performance.md).
    index: dict[uuid.UUID, int] = {}
    skills_of = {
        pid: tuple(index.setdefault(s, len(index)) for s in f.skill_ids) for pid, f in facts.items()
    }
    skill_ids = list(index)
    lapse_day: dict[tuple[date, int], date] = {}  # many completions share a day
    per_employee: dict[uuid.UUID, list[tuple[_Latest, date]]] = defaultdict(list)
    for row in latest:
        key = (row.completed_on, facts[row.program_id].refresher_months)
        due = lapse_day.get(key) or lapse_day.setdefault(key, add_months(*key))
        per_employee[row.employee_id].append((row, due))
    out: list[_Due] = []
    for rows in per_employee.values():
        # Per skill: the completion that keeps it current longest owns its lapse.
        owner: dict[int, tuple[date, int]] = {}
        for n, (row, due) in enumerate(rows):
            for k in skills_of[row.program_id]:
                held = owner.get(k)
                if held is None or held[0] < due:
                    owner[k] = (due, n)
        lapsing: dict[int, list[uuid.UUID]] = defaultdict(list)
        for k, (due, n) in owner.items():
            if due <= horizon:
                lapsing[n].append(skill_ids[k])
        out.extend(
            _Due(row=row, due_on=due, skill_ids=sorted(lapsing.get(n, [])))
            for n, (row, due) in enumerate(rows)
            if due <= horizon and (n in lapsing or not skills_of[row.program_id])
        )
    return out


class _Named(NamedTuple):
    full_name: str
    team_id: uuid.UUID | None


def _refresher_items(
    dues: Sequence[_Due],
    facts: dict[uuid.UUID, _ProgramFacts],
    people: dict[uuid.UUID, "_Named"],
    *,
    on: date,
) -> list[RefresherDue]:
    items = [
        RefresherDue(
            employee_id=d.row.employee_id,
            employee_name=people[d.row.employee_id].full_name,
            team_id=people[d.row.employee_id].team_id,
            program_id=d.row.program_id,
            program_title=facts[d.row.program_id].title,
            completed_on=d.row.completed_on,
            due_on=d.due_on,
            overdue=d.due_on <= on,
            skill_ids=d.skill_ids,
        )
        for d in dues
    ]
    items.sort(key=lambda i: (i.due_on, i.employee_name, i.program_title, i.employee_id))
    return items


def refreshers_due(
    db: Session,
    *,
    within_days: int = 90,
    on: date,
    employee_ids: Collection[uuid.UUID] | None = None,
) -> list[RefresherDue]:
    """Completed programmes of active employees due for a refresher by ``on + within_days``
    (overdue ones included), unless a later completion keeps all their skills current."""
    latest = _latest_completions(db, employee_ids, on=on, active_only=True)
    if not latest:
        return []
    facts = _program_facts(db, {row.program_id for row in latest})
    dues = _dues(latest, facts, horizon=on + timedelta(days=within_days))
    # Names and teams as plain rows: loading thousands of Employee entities cost most of
    # this report's time.
    people = {
        i: _Named(full_name(f, p, ln), t)
        for chunk in unique_chunks({d.row.employee_id for d in dues})
        for i, f, p, ln, t in db.execute(
            sa.select(
                col(Employee.id),
                col(Employee.first_name),
                col(Employee.name_particle),
                col(Employee.last_name),
                col(Employee.team_id),
            ).where(col(Employee.id).in_(chunk))
        )
    }
    return _refresher_items(dues, facts, people, on=on)


def training_record(db: Session, *, employee: Employee, on: date) -> TrainingRecord:
    """An employee's completed trainings, skills (current or lapsed), refreshers due in
    the next 90 days and upcoming enrolments."""
    completions = db.exec(
        select(TrainingCompletion)
        .where(
            col(TrainingCompletion.employee_id) == employee.id,
            col(TrainingCompletion.completed_on) <= on,  # the record as it stood that day
        )
        .order_by(col(TrainingCompletion.completed_on).desc(), col(TrainingCompletion.id))
    ).all()
    facts = _program_facts(db, {c.program_id for c in completions})
    records = []
    skill_state: dict[uuid.UUID, tuple[date, date]] = {}  # skill -> (lapses_on, last completed)
    for c in completions:
        program = facts[c.program_id]
        due = add_months(c.completed_on, program.refresher_months)
        records.append(
            render(
                CompletionRecord,
                c,
                program_title=program.title,
                refresher_due_on=due,
                current=due > on,
            )
        )
        for skill_id in program.skill_ids:
            lapses, last = skill_state.get(skill_id, (due, c.completed_on))
            skill_state[skill_id] = (max(lapses, due), max(last, c.completed_on))
    skills = (
        db.exec(select(Skill).where(col(Skill.id).in_(skill_state))).all() if skill_state else []
    )
    skill_records = sorted(
        (
            SkillRecord(
                skill_id=s.id,
                code=s.code,
                label_nl=s.label_nl,
                current=skill_state[s.id][0] > on,
                lapses_on=skill_state[s.id][0],
                last_completed_on=skill_state[s.id][1],
            )
            for s in skills
        ),
        key=lambda r: r.code,
    )
    # Refreshers due in the next 90 days, from the completions already loaded (as
    # refreshers_due computes them: the latest completion per programme, active employees).
    latest: dict[uuid.UUID, date] = {}
    for c in completions:
        latest[c.program_id] = max(latest.get(c.program_id, c.completed_on), c.completed_on)
    dues = (
        _dues(
            [_Latest(employee.id, pid, day) for pid, day in latest.items()],
            facts,
            horizon=on + timedelta(days=90),
        )
        if employee.active
        else []
    )
    refreshers = _refresher_items(
        dues, facts, {employee.id: _Named(employee.full_name, employee.team_id)}, on=on
    )
    upcoming_rows = db.exec(
        select(Enrolment, TrainingSession, TrainingProgram)
        .join(TrainingSession, col(TrainingSession.id) == col(Enrolment.session_id))
        .join(TrainingProgram, col(TrainingProgram.id) == col(TrainingSession.program_id))
        .where(
            col(Enrolment.employee_id) == employee.id,
            col(Enrolment.status) != EnrolmentStatus.cancelled,
            col(TrainingSession.status) == SessionStatus.planned,
        )
        .order_by(col(TrainingSession.starts_at))
    ).all()
    return TrainingRecord(
        employee_id=employee.id,
        employee_name=employee.full_name,
        role=employee.role,
        on=on,
        completions=records,
        skills=skill_records,
        refreshers_due=refreshers,
        upcoming=[
            UpcomingEnrolment(
                enrolment_id=e.id,
                session_id=ts.id,
                program_id=p.id,
                program_title=p.title,
                starts_at=ts.starts_at,
                status=e.status,
            )
            for e, ts, p in upcoming_rows
        ],
    )
