"""The method around a session in the demo (issue 20): what the de-escalation programme
practises, the trainer's briefing, a reflection before a session, a held session evaluated
per participant (attendance, feedback, the trainer's note, goal progress), and a plan
scheduled while some of its people still have to read the protocol.
"""

import uuid
from datetime import datetime, timedelta

from sqlmodel import Session, col, select

from app.core.dates import today
from app.core.models import utcnow
from app.demo import DemoContext
from app.learning.models import OPEN_PERSONAL_GOAL_STATUSES, PersonalGoal
from app.policy import service as policy_service
from app.policy.models import Norm, NormLevel
from app.selection import service as selection_service
from app.selection.models import (
    PhaseDate,
    PlanScope,
    TrainingPlanCreate,
    TrainingPlanGroup,
    TrainingPlanSchedule,
)
from app.training import evaluations, reflections, service
from app.training.content import PracticeSituationIn
from app.training.method_models import (
    Attendance,
    TrainingEvaluationCreate,
    TrainingReflection,
    TrainingReflectionCreate,
)
from app.training.models import (
    Enrolment,
    EnrolmentStatus,
    TrainingProgram,
    TrainingProgramUpdate,
    TrainingSession,
)

SITUATIONS = {
    "FG-REC": "Een ouder weigert te vertrekken bij de balie als de receptie sluit.",
    "FG-JW": "Een groep jongeren daagt je uit in het jongerencentrum en filmt het.",
    "FG-SHV": "Een vader wordt dreigend als je als gezinsvoogd een uithuisplaatsing uitlegt.",
    "FG-AB": "Een ouder dreigt tijdens een huisbezoek en staat tussen jou en de deur.",
    "FG-CRI": "Een jongere onder invloed slaat 's avonds op de leefgroep met deuren.",
}
FEEDBACK = [
    (Attendance.present, 5, "Oefenen met de acteur in onze eigen situaties.", "Afsluiten van "
     "een gesprek als de cliënt blijft doordrammen.", "Benoemt spanning vroeg en helder."),
    (Attendance.present, 4, "De nabespreking per casus.", "Collega's aanspreken na een "
     "incident.", "Zoekt nog naar woorden bij het begrenzen."),
    (Attendance.partly, 3, "Het eerste deel over spanning herkennen.", "De rollenspellen die "
     "ik miste.", "Vertrok na de pauze voor een spoedhuisbezoek."),
    (Attendance.present, 4, "Concrete zinnen om te begrenzen.", "Nazorg bieden aan een "
     "collega.", "Sterk in het ombuigen van emotie."),
    (Attendance.absent, None, None, None, "Ziek gemeld."),
]  # fmt: skip


def _program_content(db: Session, ctx: DemoContext, program: TrainingProgram) -> None:
    protocol = ctx.extras["protocol"]
    sections = policy_service.protocol_sections(db, protocol.id)
    norms = db.exec(
        select(Norm)
        .where(col(Norm.team_id).is_(None), col(Norm.level) != NormLevel.green)
        .order_by(col(Norm.title))
    ).all()
    service.update_program(
        db,
        program=program,
        data=TrainingProgramUpdate(
            norm_ids=[n.id for n in norms[:4]],
            protocol_section_ids=[s.id for s in sections[:3]],
            practice_situations=[
                PracticeSituationIn(function_group_id=ctx.function_groups[fg].id, description=text)
                for fg, text in SITUATIONS.items()
            ]
            + [PracticeSituationIn(description="Slecht nieuws brengen aan een boze cliënt.")],
        ),
    )


def _goals_of(db: Session, ids: list[uuid.UUID]) -> dict[uuid.UUID, list[PersonalGoal]]:
    out: dict[uuid.UUID, list[PersonalGoal]] = {}
    for g in db.exec(
        select(PersonalGoal)
        .where(
            col(PersonalGoal.employee_id).in_(ids),
            col(PersonalGoal.status).in_(OPEN_PERSONAL_GOAL_STATUSES),
        )
        .order_by(col(PersonalGoal.id))
    ):
        out.setdefault(g.employee_id, []).append(g)
    return out


def _evaluated_session(
    db: Session, ctx: DemoContext, program: TrainingProgram, now: datetime
) -> TrainingSession:
    """A session held a week ago: reflections before it, an evaluation per participant,
    then completed, which records goal progress and the goals reached."""
    start = (now - timedelta(days=7)).replace(hour=9, minute=0, second=0, microsecond=0)
    ts = TrainingSession(
        program_id=program.id,
        starts_at=start,
        ends_at=start + timedelta(hours=program.duration_hours),
        location="Trainingscentrum De Bron, Hengelo",
        trainer="Rachid Amrani (met trainingsacteur)",
        capacity=program.max_group_size,
    )
    db.add(ts)
    db.flush()
    team = ctx.staff["T-AB-W"]
    _, ready = policy_service.ready_ids_at(db, employee_ids=[e.id for e in team], at=start)
    people = [e for e in team if e.id in ready][: len(FEEDBACK)]
    enrolments = [Enrolment(session_id=ts.id, employee_id=e.id) for e in people]
    db.add_all(enrolments)
    ts.enrolled_count = len(enrolments)
    db.flush()
    goals = _goals_of(db, [e.id for e in people])
    for enrolment, person in zip(enrolments, people, strict=True):
        own = goals.get(person.id, [])
        db.add(
            TrainingReflection(
                enrolment_id=enrolment.id,
                session_id=ts.id,
                employee_id=person.id,
                personal_goal_ids=[str(g.id) for g in own[:1]],
                situation=SITUATIONS["FG-AB"],
                created_at=start - timedelta(days=3),
                updated_at=start - timedelta(days=3),
            )
        )
    db.flush()
    for (attendance, rating, helped, more, note), enrolment, person in zip(
        FEEDBACK, enrolments, people, strict=False
    ):
        own = goals.get(person.id, [])
        evaluations.create_evaluation(
            db,
            data=TrainingEvaluationCreate(
                enrolment_id=enrolment.id,
                attendance=attendance,
                rating=rating,
                helped=helped,
                practise_more=more,
                trainer_note=note,
                achieved_goal_ids=[own[0].id] if own and rating == 5 else [],
            ),
        )
    service.complete_session(db, session_id=ts.id)
    return ts


def _groups(db: Session, plan_id: uuid.UUID) -> list[TrainingPlanGroup]:
    return list(
        db.exec(
            select(TrainingPlanGroup)
            .where(col(TrainingPlanGroup.plan_id) == plan_id)
            .order_by(col(TrainingPlanGroup.phase), col(TrainingPlanGroup.position))
        )
    )


def _plan(db: Session, ctx: DemoContext, now: datetime) -> uuid.UUID:
    """Jongerenwerk Zuid's plan, scheduled although most of the team has yet to read the
    protocol: they are booked awaiting readiness and reminded per session."""
    starts_on = today() + timedelta(days=42)
    plan = selection_service.create_plan(
        db,
        data=TrainingPlanCreate(
            scope=PlanScope(team_id=ctx.teams["T-JW-Z"].id), starts_on=starts_on
        ),
    )
    phases = sorted({g.phase for g in _groups(db, plan.id)})
    first = datetime.combine(starts_on, datetime.min.time(), tzinfo=now.tzinfo)
    selection_service.schedule_plan(
        db,
        org=ctx.org,
        plan=plan,
        data=TrainingPlanSchedule(
            phases=[
                PhaseDate(
                    phase=p,
                    starts_at=first + timedelta(days=7 * i, hours=9),
                    location="Jongerencentrum De Schakel, Enschede-Zuid",
                )
                for i, p in enumerate(phases)
            ]
        ),
    )
    return plan.id


def seed(db: Session, ctx: DemoContext) -> None:
    now = utcnow()
    programs = ctx.extras["programs"]
    sessions = ctx.extras["sessions"]
    deescalation = programs["deescalation_actor"]
    _program_content(db, ctx, deescalation)

    # A reflection before Jongerenwerk Noord's de-escalation session.
    jwn = sessions["jwn_next"]
    enrolment = db.exec(
        select(Enrolment)
        .where(
            col(Enrolment.session_id) == jwn.id,
            col(Enrolment.status) == EnrolmentStatus.enrolled,
        )
        .order_by(col(Enrolment.id))
    ).first()
    if enrolment is not None:
        own = _goals_of(db, [enrolment.employee_id]).get(enrolment.employee_id, [])
        reflections.create_reflection(
            db,
            data=TrainingReflectionCreate(
                enrolment_id=enrolment.id,
                personal_goal_ids=[g.id for g in own[:1]],
                situation=SITUATIONS["FG-JW"],
                question="Hoe houd ik contact met de groep als één jongere blijft provoceren?",
            ),
        )
    held = _evaluated_session(db, ctx, deescalation, now)
    plan_id = _plan(db, ctx, now)
    # The plan's last phase: its staff, most not yet ready, to be reminded.
    plan_sessions = [g.session_id for g in _groups(db, plan_id) if g.session_id is not None]
    db.flush()
    ctx.extras["method"] = {"held": held, "plan_id": plan_id, "plan_sessions": plan_sessions}

    auth = f'-H "Authorization: Bearer {ctx.admin_key}"'
    base = "http://127.0.0.1:8000/v1"
    ctx.notes += [
        "  # the method around a session (docs/method.md): the trainer's briefing,",
        "  # reflections before it, and who still has to reflect or read the protocol",
        f"  curl -s {auth} {base}/training-sessions/{jwn.id}/briefing",
        f"  curl -s {auth} '{base}/training-reflections?session_id={jwn.id}'",
        f"  curl -s {auth} {base}/training-sessions/{jwn.id}/reflections",
        "  # a held session evaluated per participant, goal progress, the report per programme",
        f"  curl -s {auth} '{base}/training-evaluations?session_id={held.id}'",
        f"  curl -s {auth} '{base}/goal-progress?session_id={held.id}'",
        f"  curl -s {auth} '{base}/reports/training-evaluations?program_id={deescalation.id}'",
        "  # a plan scheduled while most of the team still has to read the protocol",
        f"  curl -s {auth} {base}/training-plans/{plan_id}",
        *(
            f"  curl -s {auth} {base}/training-sessions/{sid}/readiness"
            for sid in plan_sessions[-1:]
        ),
        "  # comparable functions: jongerenwerkers and ambulant hulpverleners form one set",
        "  # (comparable_group); the plan says per session which basis grouped it (grouping)",
        f"  curl -s {auth} '{base}/function-groups'",
        "  # managers by level: a directie programme beside the workshop for all management",
        f"  curl -s {auth} '{base}/training-programs?audience=management'",
        "  # the figures of this service (score bands, refresher months, HRM window, ...) are",
        "  # organisation settings with defaults; change them with PATCH /v1/organisation",
        f"  curl -s {auth} {base}/organisation",
    ]
