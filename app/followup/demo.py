"""The follow-up part of the demo organisation (seed step 4).

Action, learning and attention points from the trainings the training demo held (some
overdue), a practice review of the crisis team, a year of team meetings with and without
the fixed item *Veilig en veerkrachtig werken*, and HRM conversations. Everything goes
through the services, so the rules hold for the demo too.
"""

from datetime import date, timedelta
from typing import Any

from sqlmodel import Session, col, select

from app.core.dates import add_months, today
from app.demo import DemoContext
from app.followup import service
from app.followup.models import (
    AgendaItem,
    AgendaItemKind,
    FollowUpItemCreate,
    FollowUpItemUpdate,
    FollowUpKind,
    FollowUpStatus,
    HrmConversationCreate,
    HrmConversationKind,
    PracticeReviewCreate,
    SessionFollowUpCreate,
    SessionFollowUpItemCreate,
    SkillRating,
    TeamMeetingCreate,
)
from app.learning.models import PersonalGoal, Skill
from app.training.models import SessionStatus, TrainingSession

# Teams that keep the fixed item on every agenda, that drop it now and then, and that
# stopped putting it on (the report flags the last).
ALWAYS = {"T-CRI", "T-JW-N", "T-AB-W", "T-MW"}
SOMETIMES = {"T-JW-Z", "T-AB-O"}
REGULAR_ITEMS = ["Mededelingen", "Roosters en vervanging", "Casuïstiek", "Rondvraag"]


def _completed_session(db: Session, ctx: DemoContext, key: str) -> TrainingSession | None:
    found = ctx.extras.get("sessions", {}).get(key)
    if isinstance(found, TrainingSession) and found.status == SessionStatus.completed:
        return found
    return None


def _items(db: Session, ctx: DemoContext, day: date) -> None:
    crisis = ctx.staff["T-CRI"]
    crisis_session = _completed_session(db, ctx, "crisis_done")
    if crisis_session is not None:
        items = service.record_session_follow_up(
            db,
            session_id=crisis_session.id,
            data=SessionFollowUpCreate(
                items=[
                    SessionFollowUpItemCreate(
                        kind=FollowUpKind.action_point,
                        description="Nazorgafspraken na een incident vastleggen in het "
                        "teamprotocol (wie belt, wanneer, met wie).",
                        owner_team_id=ctx.teams["T-CRI"].id,
                        due_on=day - timedelta(days=5),
                    ),
                    SessionFollowUpItemCreate(
                        kind=FollowUpKind.learning_point,
                        description="Stem laag en tempo traag houden bij oplopende spanning; "
                        "oefenen in de intervisie.",
                        owner_employee_id=crisis[0].id,
                        due_on=day + timedelta(days=20),
                    ),
                    SessionFollowUpItemCreate(
                        kind=FollowUpKind.attention_point,
                        description="Alleen huisbezoek bij bekende dreiging: altijd met "
                        "z'n tweeën en melden bij de dienstdoende.",
                        owner_employee_id=ctx.managers["T-CRI"].id,
                        due_on=day - timedelta(days=12),
                    ),
                    SessionFollowUpItemCreate(
                        kind=FollowUpKind.action_point,
                        description="Alarmknoppen in de spreekkamers laten testen.",
                        owner_team_id=ctx.teams["T-CRI"].id,
                        due_on=day - timedelta(days=20),
                    ),
                ]
            ),
        )
        service.update_follow_up_item(
            db, item=items[-1], data=FollowUpItemUpdate(status=FollowUpStatus.done)
        )
    management = _completed_session(db, ctx, "management_done")
    for ext in ("T-CRI", "T-JW-N", "T-AB-W"):
        service.create_follow_up_item(
            db,
            data=FollowUpItemCreate(
                kind=FollowUpKind.action_point,
                description="'Veilig en veerkrachtig werken' als vast agendapunt van het "
                "werkoverleg invoeren.",
                owner_employee_id=ctx.managers[ext].id,
                due_on=day - timedelta(days=30),
                training_session_id=management.id if management else None,
            ),
        )
    service.create_follow_up_item(
        db,
        data=FollowUpItemCreate(
            kind=FollowUpKind.attention_point,
            description="Balie backoffice en receptie: vluchtweg achter de balie vrijhouden.",
            owner_team_id=ctx.teams["T-REC"].id,
            due_on=day + timedelta(days=14),
        ),
    )


def _reviews(db: Session, ctx: DemoContext, day: date) -> None:
    skills = {
        s.code: s.id
        for s in db.exec(
            select(Skill).where(
                col(Skill.code).in_(["deescalation", "peer_support", "tension_control"])
            )
        )
    }
    crisis = ctx.staff["T-CRI"]
    notes = {
        "deescalation": (4, "Gaat goed aan de telefoon; bij huisbezoeken nog wisselend."),
        "peer_support": (2, "Na incidenten wordt nog te weinig nagepraat."),
        "tension_control": (3, "Collega's merken eigen spanning eerder op."),
    }
    review = service.create_practice_review(
        db,
        data=PracticeReviewCreate(
            team_id=ctx.teams["T-CRI"].id,
            held_on=day - timedelta(days=20),
            summary="Vaardigheden uit de training met trainingsacteur in de praktijk besproken.",
            ratings=[
                SkillRating(skill_id=skills[code], rating=rating, notes=text)
                for code, (rating, text) in notes.items()
                if code in skills
            ],
            participant_ids=[ctx.managers["T-CRI"].id, *(p.id for p in crisis[:8])],
        ),
        settings=ctx.org.settings,
        today=day,
    )
    service.create_follow_up_item(
        db,
        data=FollowUpItemCreate(
            kind=FollowUpKind.action_point,
            description="Vast nagesprek binnen 48 uur na elk incident (collegiale opvang).",
            owner_team_id=ctx.teams["T-CRI"].id,
            due_on=day + timedelta(days=10),
            practice_review_id=review.id,
        ),
    )


def _meetings(db: Session, ctx: DemoContext, day: date) -> None:
    for ext, team in ctx.teams.items():
        for n in range(6, 0, -1):
            held_on = add_months(day, -n) + timedelta(days=3)
            if held_on > day:
                continue
            if ext in ALWAYS:
                with_item = True
            elif ext in SOMETIMES:
                with_item = n % 2 == 0
            else:  # the others had it once, half a year ago, and not since
                with_item = n == 6
            agenda = [AgendaItem(title=REGULAR_ITEMS[0])]
            if with_item:
                agenda.append(
                    AgendaItem(
                        kind=AgendaItemKind.safe_resilient_work,
                        notes="Incidenten van de afgelopen maand en wat we ervan leren.",
                    )
                )
            agenda += [AgendaItem(title=t) for t in REGULAR_ITEMS[1:]]
            service.create_team_meeting(
                db,
                data=TeamMeetingCreate(team_id=team.id, held_on=held_on, agenda_items=agenda),
                today=day,
            )


def _conversations(db: Session, ctx: DemoContext, day: date) -> None:
    goals_of: dict[Any, list[PersonalGoal]] = {}
    for goal in ctx.extras.get("personal_goals", []):
        goals_of.setdefault(goal.employee_id, []).append(goal)
    for ext, discussed in (("T-CRI", 8), ("T-JW-N", 4), ("T-AB-W", 2)):
        manager = ctx.managers[ext]
        for i, person in enumerate(ctx.staff[ext][:10]):
            service.create_hrm_conversation(
                db,
                data=HrmConversationCreate(
                    employee_id=person.id,
                    manager_id=manager.id,
                    held_on=day - timedelta(days=15 + 9 * i),
                    kind=HrmConversationKind.progress if i % 3 else HrmConversationKind.planning,
                    theme_discussed=i < discussed,
                    personal_goal_ids=[g.id for g in goals_of.get(person.id, [])][:2],
                    notes="Leerdoel en nazorg besproken." if i < discussed else None,
                ),
                today=day,
            )
    director = ctx.senior_management[0]
    for manager in list(ctx.managers.values())[:4]:
        service.create_hrm_conversation(
            db,
            data=HrmConversationCreate(
                employee_id=manager.id,
                manager_id=director.id,
                held_on=day - timedelta(days=40),
                kind=HrmConversationKind.appraisal,
                theme_discussed=True,
                notes="Voorbeeldrol als leidinggevende in de agressie-aanpak besproken.",
            ),
            today=day,
        )


def seed(db: Session, ctx: DemoContext) -> None:
    """Follow-up items (some overdue), a practice review, meetings and conversations."""
    day = today()
    _items(db, ctx, day)
    _reviews(db, ctx, day)
    _meetings(db, ctx, day)
    _conversations(db, ctx, day)
    db.flush()
    auth = f'-H "Authorization: Bearer {ctx.admin_key}"'
    base = "http://127.0.0.1:8000/v1"
    ctx.notes += [
        "  # follow-up: overdue action points, and the overview report (also as CSV)",
        f"  curl -s {auth} '{base}/follow-up-items?overdue=true'",
        f"  curl -s {auth} {base}/reports/overview",
        f"  curl -s {auth} -H 'Accept: text/csv' {base}/reports/teams -o teams.csv",
    ]
