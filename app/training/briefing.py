"""The trainer's briefing for a session (issue 20, item 1; seed: the training practises
the protocol and the goals, in situations comparable to practice).

One answer: the participants with their function groups, their reflection, their personal
goals and their teams' goals on the programme's skills (or brought by their reflection),
the protocol sections and norms the programme practises, its practice situations for the
function groups present, and each team's recent practice-review ratings. A fixed number of
queries, whatever the number of participants.
"""

import uuid
from collections import defaultdict
from datetime import date, datetime

from pydantic import BaseModel, Field
from sqlmodel import Session, col, or_, select

from app.core.models import render
from app.followup.models import PracticeReview, PracticeReviewRating
from app.learning.models import (
    OPEN_PERSONAL_GOAL_STATUSES,
    PersonalGoal,
    Skill,
    TeamGoal,
    TeamGoalStatus,
)
from app.organisation import organisations
from app.organisation.models import Employee, FunctionGroup, Team
from app.policy.models import Norm, Protocol, ProtocolSection, ProtocolStatus
from app.training import content
from app.training.method_models import TrainingReflection
from app.training.models import (
    TRAINING_ENROLMENT,
    Enrolment,
    ProgramSkill,
    TrainingProgram,
    TrainingSession,
)

RECENT_REVIEWS = 2


class BriefingSkill(BaseModel):
    id: uuid.UUID
    code: str
    label_nl: str


class BriefingGoal(BaseModel):
    id: uuid.UUID
    skill_id: uuid.UUID
    description: str
    status: str


class BriefingFunctionGroup(BaseModel):
    id: uuid.UUID
    name: str
    exposure_level: str


class BriefingReflection(BaseModel):
    situation: str
    question: str | None
    personal_goal_ids: list[uuid.UUID]


class BriefingParticipant(BaseModel):
    enrolment_id: uuid.UUID
    employee_id: uuid.UUID
    name: str
    role: str
    team_id: uuid.UUID | None
    function_group: BriefingFunctionGroup | None
    personal_goals: list[BriefingGoal] = Field(
        description="Open goals on the programme's skills, and those the reflection brings."
    )
    reflection: BriefingReflection | None


class BriefingRating(BaseModel):
    skill_id: uuid.UUID
    rating: int
    notes: str | None


class BriefingReview(BaseModel):
    review_id: uuid.UUID
    held_on: date
    ratings: list[BriefingRating]


class BriefingTeam(BaseModel):
    team_id: uuid.UUID
    name: str
    goals: list[BriefingGoal] = Field(description="Active team goals on the programme's skills.")
    recent_reviews: list[BriefingReview] = Field(
        description=f"The team's latest {RECENT_REVIEWS} practice reviews, newest first."
    )


class BriefingSection(BaseModel):
    id: uuid.UUID
    protocol_version: int
    in_force: bool = Field(description="Part of the protocol version in force now.")
    position: int
    kind: str
    title: str
    body: str


class BriefingNorm(BaseModel):
    id: uuid.UUID
    title: str
    level: str
    response: str | None
    aftercare: str | None


class BriefingSituation(BaseModel):
    function_group_id: uuid.UUID | None
    function_group_name: str | None
    description: str


class SessionBriefing(BaseModel):
    """What a trainer needs to prepare a session, in one answer."""

    session_id: uuid.UUID
    starts_at: datetime
    program_id: uuid.UUID
    program_title: str
    skills: list[BriefingSkill]
    protocol_sections: list[BriefingSection]
    norms: list[BriefingNorm]
    practice_situations: list[BriefingSituation] = Field(
        description="The programme's situations for every group and for the groups present."
    )
    participants: list[BriefingParticipant]
    teams: list[BriefingTeam]


def _goal(g: PersonalGoal | TeamGoal) -> BriefingGoal:
    return render(BriefingGoal, g)


def session_briefing(db: Session, *, training_session: TrainingSession) -> SessionBriefing:
    """The briefing of one session: twelve queries, whatever the number of participants."""
    ts = training_session
    program = db.get(TrainingProgram, ts.program_id)
    assert program is not None
    skills = list(
        db.exec(
            select(Skill)
            .join(ProgramSkill, col(ProgramSkill.skill_id) == col(Skill.id))
            .where(col(ProgramSkill.program_id) == program.id)
            .order_by(col(Skill.code))
        )
    )
    skill_ids = [s.id for s in skills]
    practised = content.content_by_program(db, [program.id]).get(program.id) or content.Content()

    rows = db.exec(
        select(Enrolment, Employee, FunctionGroup)
        .join(Employee, col(Employee.id) == col(Enrolment.employee_id))
        .outerjoin(FunctionGroup, col(FunctionGroup.id) == col(Employee.function_group_id))
        .where(col(Enrolment.session_id) == ts.id, col(Enrolment.status).in_(TRAINING_ENROLMENT))
    ).all()
    employee_ids = [e.id for _, e, _ in rows]
    team_ids = {e.team_id for _, e, _ in rows if e.team_id is not None}

    reflections = {
        r.employee_id: r
        for r in db.exec(
            select(TrainingReflection).where(col(TrainingReflection.session_id) == ts.id)
        )
    }
    brought = {uuid.UUID(g) for r in reflections.values() for g in r.personal_goal_ids}
    goals_by_employee: dict[uuid.UUID, list[BriefingGoal]] = defaultdict(list)
    if employee_ids:
        for g in db.exec(
            select(PersonalGoal)
            .where(
                col(PersonalGoal.employee_id).in_(employee_ids),
                or_(
                    col(PersonalGoal.id).in_(brought),
                    col(PersonalGoal.skill_id).in_(skill_ids)
                    & col(PersonalGoal.status).in_(OPEN_PERSONAL_GOAL_STATUSES),
                ),
            )
            .order_by(col(PersonalGoal.id))
        ):
            goals_by_employee[g.employee_id].append(_goal(g))

    teams = _teams(db, team_ids, skill_ids)
    groups_present = {fg.id for _, _, fg in rows if fg is not None}
    situations = _situations(db, program.id, groups_present)

    bands = organisations.current_settings(db).exposure_bands
    participants = [
        BriefingParticipant(
            enrolment_id=enrolment.id,
            employee_id=emp.id,
            name=emp.full_name,
            role=emp.role,
            team_id=emp.team_id,
            function_group=render(BriefingFunctionGroup, fg, exposure_level=fg.level(bands))
            if fg is not None
            else None,
            personal_goals=goals_by_employee.get(emp.id, []),
            reflection=render(BriefingReflection, reflections[emp.id])
            if emp.id in reflections
            else None,
        )
        for enrolment, emp, fg in sorted(rows, key=lambda r: (r[1].full_name, str(r[1].id)))
    ]
    return SessionBriefing(
        session_id=ts.id,
        starts_at=ts.starts_at,
        program_id=program.id,
        program_title=program.title,
        skills=[render(BriefingSkill, s) for s in skills],
        protocol_sections=_sections(db, practised.protocol_section_ids),
        norms=_norms(db, practised.norm_ids),
        practice_situations=situations,
        participants=participants,
        teams=teams,
    )


def _teams(db: Session, team_ids: set[uuid.UUID], skill_ids: list[uuid.UUID]) -> list[BriefingTeam]:
    if not team_ids:
        return []
    names = {t.id: t.name for t in db.exec(select(Team).where(col(Team.id).in_(team_ids)))}
    goals: dict[uuid.UUID, list[BriefingGoal]] = defaultdict(list)
    for g in db.exec(
        select(TeamGoal)
        .where(
            col(TeamGoal.team_id).in_(team_ids),
            col(TeamGoal.skill_id).in_(skill_ids),
            col(TeamGoal.status) == TeamGoalStatus.active,
        )
        .order_by(col(TeamGoal.id))
    ):
        goals[g.team_id].append(_goal(g))
    reviews: dict[uuid.UUID, list[PracticeReview]] = defaultdict(list)
    for review in db.exec(
        select(PracticeReview)
        .where(col(PracticeReview.team_id).in_(team_ids))
        .order_by(col(PracticeReview.held_on).desc(), col(PracticeReview.id).desc())
    ):
        if len(reviews[review.team_id]) < RECENT_REVIEWS:
            reviews[review.team_id].append(review)
    review_ids = [r.id for rs in reviews.values() for r in rs]
    ratings: dict[uuid.UUID, list[BriefingRating]] = defaultdict(list)
    if review_ids:
        for rating in db.exec(
            select(PracticeReviewRating)
            .where(col(PracticeReviewRating.review_id).in_(review_ids))
            .order_by(col(PracticeReviewRating.skill_id))
        ):
            ratings[rating.review_id].append(render(BriefingRating, rating))
    return [
        BriefingTeam(
            team_id=tid,
            name=names[tid],
            goals=goals.get(tid, []),
            recent_reviews=[
                BriefingReview(review_id=r.id, held_on=r.held_on, ratings=ratings.get(r.id, []))
                for r in reviews.get(tid, [])
            ],
        )
        for tid in sorted(names, key=lambda t: (names[t], str(t)))
    ]


def _situations(
    db: Session, program_id: uuid.UUID, groups_present: set[uuid.UUID]
) -> list[BriefingSituation]:
    rows = db.exec(
        select(content.PracticeSituation, FunctionGroup)
        .outerjoin(
            FunctionGroup, col(FunctionGroup.id) == col(content.PracticeSituation.function_group_id)
        )
        .where(
            col(content.PracticeSituation.program_id) == program_id,
            or_(
                col(content.PracticeSituation.function_group_id).is_(None),
                col(content.PracticeSituation.function_group_id).in_(groups_present),
            ),
        )
        .order_by(col(content.PracticeSituation.id))
    ).all()
    return [
        render(BriefingSituation, s, function_group_name=fg.name if fg is not None else None)
        for s, fg in rows
    ]


def _sections(db: Session, section_ids: list[uuid.UUID]) -> list[BriefingSection]:
    if not section_ids:
        return []
    rows = db.exec(
        select(ProtocolSection, Protocol)
        .join(Protocol, col(Protocol.id) == col(ProtocolSection.protocol_id))
        .where(col(ProtocolSection.id).in_(section_ids))
        .order_by(col(Protocol.version), col(ProtocolSection.position))
    ).all()
    return [
        render(
            BriefingSection,
            s,
            protocol_version=p.version,
            in_force=p.status == ProtocolStatus.published,
        )
        for s, p in rows
    ]


def _norms(db: Session, norm_ids: list[uuid.UUID]) -> list[BriefingNorm]:
    if not norm_ids:
        return []
    return [
        render(BriefingNorm, n)
        for n in db.exec(select(Norm).where(col(Norm.id).in_(norm_ids)).order_by(col(Norm.title)))
    ]
