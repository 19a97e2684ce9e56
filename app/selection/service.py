"""Stored training plans: create, read, list, delete and schedule (issue 6, part 3).

Scheduling turns a plan into planned sessions and enrolments through the enrolment rules
of the training domain (``training.rules.check_enrolments``: the very checks a manual
enrolment runs), management phase first, atomically: one refused enrolment and nothing
is written.
"""

import uuid
from collections.abc import Collection, Iterable, Sequence
from datetime import timedelta
from typing import Any

from sqlmodel import Session, col, select

from app.core.concurrency import etag_for
from app.core.crud import resolve_ref
from app.core.dates import day_of, rfc3339
from app.core.errors import Conflict, InvalidInput, RuleViolation
from app.core.listing import ListFilters, Listing
from app.core.models import bulk_update, render, utcnow
from app.core.queries import rowcount, unique_chunks
from app.learning.models import Skill
from app.organisation.models import Employee, FunctionGroup, Organisation, Severity, Team
from app.selection.models import (
    PhaseDate,
    PlanGroup,
    PlanMember,
    PlanPhase,
    PlanScope,
    PlanStatus,
    SkillNeedCount,
    TrainingPlan,
    TrainingPlanCreate,
    TrainingPlanGroup,
    TrainingPlanPublic,
    TrainingPlanSchedule,
    TrainingPlanSummary,
    scope_public,
)
from app.selection.planning import MANAGEMENT_PHASE, ComputedPlan, compute_plan
from app.selection.scope import data_version
from app.training import rules
from app.training import service as training_service
from app.training.models import (
    Enrolment,
    TrainingProgram,
    TrainingSessionCreate,
)

# A refused schedule lists at most this many refusals (and says how many there were).
MAX_LISTED_REFUSALS = 200


def check_scope(db: Session, scope: PlanScope, *, pointer: str) -> None:
    """A scope naming another organisation's (or no) team or function group is a 422."""
    if scope.team_id is not None:
        resolve_ref(db, Team, scope.team_id, pointer=f"{pointer}/team_id", what="team")
    if scope.function_group_id is not None:
        resolve_ref(
            db,
            FunctionGroup,
            scope.function_group_id,
            pointer=f"{pointer}/function_group_id",
            what="function group",
        )


# --- creating ------------------------------------------------------------------------------


def _ids(values: Iterable[uuid.UUID]) -> list[str]:
    return [str(v) for v in values]


def store_plan(db: Session, computed: ComputedPlan) -> TrainingPlan:
    """Store a computed plan with its groups."""
    plan = TrainingPlan(
        team_id=computed.scope.team_id,
        function_group_id=computed.scope.function_group_id,
        starts_on=computed.starts_on,
        data_version=computed.data_version,
        employee_count=computed.employee_count,
        session_count=computed.session_count,
        phases=[
            {
                "phase": p.phase,
                "kind": str(p.kind),
                "exposure_level": str(p.exposure_level) if p.exposure_level else None,
                "comparable_group": p.comparable_group,
                "managers_already_trained": _ids(p.managers_already_trained),
                "managers_without_program": _ids(p.managers_without_program),
            }
            for p in computed.phases
        ],
        uncovered=[
            {
                "skill_id": str(u.skill_id),
                "employee_count": u.employee_count,
                "required_count": u.required_count,
            }
            for u in computed.uncovered
        ],
    )
    db.add(plan)
    db.flush()
    db.add_all(
        TrainingPlanGroup(
            plan_id=plan.id,
            phase=phase.phase,
            position=position,
            program_id=group.program.id,
            exposure_level=group.exposure_level,
            grouping=group.grouping,
            comparable_group=group.comparable_group,
            management_level=group.management_level,
            function_group_ids=_ids(group.function_group_ids),
            skill_ids=_ids(group.skill_ids),
            members=[
                {"employee_id": str(m.employee_id), "skill_ids": _ids(m.skill_ids)}
                for m in group.members
            ],
            not_protocol_ready_ids=_ids(group.not_protocol_ready),
        )
        for phase in computed.phases
        for position, group in enumerate(phase.groups, start=1)
    )
    db.flush()
    return plan


def create_plan(db: Session, *, data: TrainingPlanCreate) -> TrainingPlan:
    """Compute a phased plan for the scope and store it as a proposal."""
    check_scope(db, data.scope, pointer="/scope")
    return store_plan(db, compute_plan(db, scope=data.scope, starts_on=data.starts_on))


# --- reading -------------------------------------------------------------------------------


def _groups_of(db: Session, plan: TrainingPlan) -> list[TrainingPlanGroup]:
    return list(
        db.exec(
            select(TrainingPlanGroup)
            .where(col(TrainingPlanGroup.plan_id) == plan.id)
            .order_by(col(TrainingPlanGroup.phase), col(TrainingPlanGroup.position))
        )
    )


def _employees(db: Session, ids: Collection[uuid.UUID]) -> dict[uuid.UUID, Employee]:
    out: dict[uuid.UUID, Employee] = {}
    for chunk in unique_chunks(ids):
        out.update((e.id, e) for e in db.exec(select(Employee).where(col(Employee.id).in_(chunk))))
    return out


def _member_ids(groups: Iterable[TrainingPlanGroup]) -> set[uuid.UUID]:
    return {uuid.UUID(m["employee_id"]) for g in groups for m in g.members}


def plan_summary(plan: TrainingPlan) -> TrainingPlanSummary:
    """The list shape of a plan."""
    return render(TrainingPlanSummary, plan, scope=scope_public(plan.scope))


def plan_public(db: Session, plan: TrainingPlan) -> TrainingPlanPublic:
    """The whole plan, with names and titles, in a fixed number of queries."""
    groups = _groups_of(db, plan)
    titles = dict(
        db.exec(
            select(col(TrainingProgram.id), col(TrainingProgram.title)).where(
                col(TrainingProgram.id).in_({g.program_id for g in groups if g.program_id})
            )
        ).all()
    )
    people = _employees(db, _member_ids(groups))
    fg_ids = {i for g in groups for i in g.function_group_ids}
    fg_names = {
        str(i): name
        for i, name in db.exec(
            select(col(FunctionGroup.id), col(FunctionGroup.name)).where(
                col(FunctionGroup.id).in_([uuid.UUID(i) for i in fg_ids])
            )
        ).all()
    }
    skill_ids = [uuid.UUID(u["skill_id"]) for u in plan.uncovered]
    skills = (
        {s.id: s for s in db.exec(select(Skill).where(col(Skill.id).in_(skill_ids)))}
        if skill_ids
        else {}
    )

    def member(m: dict[str, Any], not_ready: set[str]) -> PlanMember:
        emp = people.get(uuid.UUID(m["employee_id"]))
        return PlanMember(
            employee_id=m["employee_id"],
            name=emp.full_name if emp else "",
            team_id=emp.team_id if emp else None,
            function_group_id=emp.function_group_id if emp else None,
            skill_ids=m["skill_ids"],
            protocol_ready=m["employee_id"] not in not_ready,
        )

    by_phase: dict[int, list[PlanGroup]] = {}
    for g in groups:
        not_ready = set(g.not_protocol_ready_ids)
        by_phase.setdefault(g.phase, []).append(
            render(
                PlanGroup,
                g,
                program_title=titles.get(g.program_id) if g.program_id else None,
                function_group_names=[fg_names.get(i, "") for i in g.function_group_ids],
                size=len(g.members),
                members=[member(m, not_ready) for m in g.members],
            )
        )
    phases = [
        PlanPhase(
            phase=p["phase"],
            kind=p["kind"],
            exposure_level=p["exposure_level"],
            comparable_group=p.get("comparable_group"),
            groups=by_phase.get(p["phase"], []),
            managers_already_trained=p["managers_already_trained"],
            managers_without_program=p["managers_without_program"],
        )
        for p in plan.phases
    ]
    uncovered = []
    for u in plan.uncovered:
        skill = skills.get(uuid.UUID(u["skill_id"]))
        uncovered.append(
            SkillNeedCount(
                skill_id=u["skill_id"],
                skill_code=skill.code if skill else "",
                label_nl=skill.label_nl if skill else "",
                label_en=skill.label_en if skill else "",
                employee_count=u["employee_count"],
                required_count=u["required_count"],
            )
        )
    stale = plan_stale(db, plan)
    return TrainingPlanPublic(
        **plan_summary(plan).model_dump(), stale=stale, phases=phases, uncovered=uncovered
    )


def plan_stale(db: Session, plan: TrainingPlan) -> bool:
    """Whether a proposed plan should be computed again (its answer's ``stale``)."""
    return plan.status == PlanStatus.proposed and is_stale(db, plan)


def plan_etag(plan: TrainingPlan, *, stale: bool) -> str:
    """The plan's ETag: its row's version and whether it is stale, which other rows decide,
    so a client polling with If-None-Match learns that it turned stale."""
    return etag_for(plan.id, plan.updated_at, derived="stale" if stale else "")


def is_stale(db: Session, plan: TrainingPlan) -> bool:
    """Whether the plan's inputs changed since it was computed (one query)."""
    return data_version(db, scope=plan.scope) != plan.data_version


def delete_plan(db: Session, *, plan: TrainingPlan) -> None:
    """Delete a plan; sessions it scheduled stay (they are the training domain's now)."""
    db.delete(plan)
    db.flush()


# --- scheduling ----------------------------------------------------------------------------


def _check_dates(
    plan: TrainingPlan,
    groups: Sequence[TrainingPlanGroup],
    dates: dict[int, PhaseDate],
    durations: dict[uuid.UUID, float],
    org: Organisation,
) -> None:
    phases = {g.phase for g in groups}
    missing = sorted(phases - set(dates))
    unknown = sorted(set(dates) - phases)
    if missing or unknown:
        errors = [
            {"pointer": "/phases", "detail": f"phase {p} has sessions and needs a date"}
            for p in missing
        ] + [
            {"pointer": "/phases", "detail": f"phase {p} has no sessions to schedule"}
            for p in unknown
        ]
        raise InvalidInput(
            f"Give a date for every phase with sessions: {sorted(phases)}.",
            code="plan-phase-dates",
            errors=errors,
        )
    now = utcnow()
    earliest = min(dates.values(), key=lambda d: d.starts_at)
    if earliest.starts_at <= now or day_of(earliest.starts_at) < plan.starts_on:
        raise InvalidInput(
            f"Phase {earliest.phase} would start before the plan's start ({plan.starts_on}) "
            "or in the past.",
            code="plan-phase-dates",
            errors=[{"pointer": "/phases", "detail": "starts too early"}],
        )
    if MANAGEMENT_PHASE not in dates:
        return
    # Managers first (seed step 4): the management phase must be over before any staff
    # phase starts; the enrolment rules would refuse the staff anyway, this says why once.
    management_end = dates[MANAGEMENT_PHASE].starts_at + timedelta(
        hours=max(
            durations[g.program_id] for g in groups if g.phase == MANAGEMENT_PHASE and g.program_id
        )
    )
    early = sorted(
        p for p, d in dates.items() if p != MANAGEMENT_PHASE and d.starts_at < management_end
    )
    if early and org.settings.rule_severities.managers_first == Severity.error:
        raise RuleViolation(
            "Managers first: every staff phase must start after the management phase ends "
            f"({rfc3339(management_end)}).",
            code="managers-first-order",
            violations=[
                {
                    "rule": "managers_first",
                    "message": f"Phase {p} starts at {rfc3339(dates[p].starts_at)}, before "
                    f"the management phase ends at {rfc3339(management_end)}.",
                    "phase": p,
                    "earliest_start_at": rfc3339(management_end),
                }
                for p in early
            ],
        )


def _claim(db: Session, plan: TrainingPlan) -> None:
    # One guarded statement marks the plan scheduled: of two concurrent requests the
    # database lets exactly one through (the other waits for the row, then finds it taken).
    now = utcnow()
    claimed = db.execute(
        bulk_update(TrainingPlan, at=now)
        .where(col(TrainingPlan.id) == plan.id, col(TrainingPlan.status) == PlanStatus.proposed)
        .values(status=PlanStatus.scheduled, scheduled_at=now)
        .execution_options(synchronize_session=False)
    )
    if rowcount(claimed) != 1:
        raise Conflict("The plan has been scheduled already.", code="plan-already-scheduled")
    db.expire(plan, ["status", "scheduled_at", "updated_at"])


def schedule_plan(
    db: Session, *, org: Organisation, plan: TrainingPlan, data: TrainingPlanSchedule
) -> TrainingPlan:
    """Create the plan's sessions and enrolments through the enrolment rules, management
    first; all or nothing (409 on a stale plan or any refused enrolment)."""
    if plan.status == PlanStatus.scheduled:
        raise Conflict("The plan has been scheduled already.", code="plan-already-scheduled")
    # Its enrolments rest on the managers' seats as one enrolment's do: the same turn, taken
    # first as one enrolment takes it, so a seat's cancellation waits and sees them.
    training_service.take_turns_on_managers_first(db)
    with db.begin_nested():  # all or nothing, also when called outside a request
        _claim(db, plan)
        _schedule(db, org=org, plan=plan, data=data)
    return plan


def _schedule(
    db: Session, *, org: Organisation, plan: TrainingPlan, data: TrainingPlanSchedule
) -> None:
    if is_stale(db, plan):
        raise Conflict(
            "The data this plan was computed from changed since (people, needs, goals, "
            "trainings or protocol readiness): compute a new plan with POST "
            "/v1/training-plans and schedule that one.",
            code="plan-stale",
            plan_id=str(plan.id),
        )
    groups = _groups_of(db, plan)
    if any(g.program_id is None for g in groups):
        raise Conflict(
            "A programme of this plan was deleted: compute a new plan.", code="plan-stale"
        )
    programs = {
        p.id: p
        for p in db.exec(
            select(TrainingProgram).where(
                col(TrainingProgram.id).in_({g.program_id for g in groups})
            )
        )
    }
    dates = {d.phase: d for d in data.phases}
    _check_dates(plan, groups, dates, {k: p.duration_hours for k, p in programs.items()}, org)
    people = _employees(db, _member_ids(groups))

    refusals: list[dict[str, Any]] = []
    for group in groups:  # phase order: management sessions exist before staff checks
        program = programs[group.program_id]  # type: ignore[index]
        when = dates[group.phase]
        ts = training_service.create_session(
            db,
            data=TrainingSessionCreate(
                program_id=program.id,
                starts_at=when.starts_at,
                ends_at=when.starts_at + timedelta(hours=program.duration_hours),
                location=when.location,
                trainer=when.trainer,
                capacity=program.max_group_size,
            ),
        )
        members = [people[uuid.UUID(m["employee_id"])] for m in group.members]
        results = rules.check_enrolments(
            db, org=org, training_session=ts, employees=members, program=program
        )
        enrolled = 0
        for emp in members:
            errors = rules.errors_of(results[emp.id])
            if errors:
                refusals.extend(
                    {
                        "rule": e.rule,
                        "message": e.message,
                        "phase": group.phase,
                        "group_id": str(group.id),
                        "employee_id": str(emp.id),
                        "details": e.details,
                    }
                    for e in errors
                )
                continue
            warnings = rules.warnings_of(results[emp.id])
            db.add(
                Enrolment(
                    session_id=ts.id,
                    employee_id=emp.id,
                    warnings=[w.model_dump(mode="json") for w in warnings],
                )
            )
            enrolled += 1
        # A new session of our own in this transaction: nobody else can take its seats.
        ts.enrolled_count = enrolled
        group.session_id = ts.id
        db.flush()
    if refusals:
        raise RuleViolation(
            f"{len(refusals)} enrolment(s) of the plan were refused by the enrolment "
            "rules; nothing was scheduled.",
            code="enrolment-refused",
            violations=refusals[:MAX_LISTED_REFUSALS],
            refused_count=len(refusals),
        )


class TrainingPlanFilters(ListFilters):
    status: PlanStatus | None = None
    team_id: uuid.UUID | None = None
    function_group_id: uuid.UUID | None = None


TRAINING_PLAN_LIST = Listing(
    model=TrainingPlan,
    filters=TrainingPlanFilters,
    public=TrainingPlanSummary,
    render=lambda db, rows: [plan_summary(r) for r in rows],
    doc="Stored plans (without their groups), filtered by status or scope.",
)
