"""The training part of the demo organisation: a catalogue, sessions with managers first,
completed trainings (some due for a refresher) and a staff enrolment refused because the
team manager has not been trained yet."""

import json
from datetime import datetime, timedelta
from typing import Any

from sqlmodel import Session

from app.core.errors import RuleViolation
from app.core.models import utcnow
from app.demo import DemoContext
from app.learning import service as learning_service
from app.organisation.models import Employee, ExposureLevel
from app.policy import service as policy_service
from app.training import rules, service
from app.training.models import (
    Audience,
    Enrolment,
    ManagementLevel,
    TrainingProgram,
    TrainingProgramCreate,
    TrainingSession,
)

# The providers are invented bureaus of this demo; none of them stands for Sociaal Werk
# werkt!, whose method the demo follows (the seed), or for any real academy.
PROVIDER = "Trainingsbureau Kompasroos (fictief)"

# key: (external id, title, provider, audience, min, max exposure, format, hours, group size,
#       refresher months, skills, description)
# The programmes that practise physical safety skills: repeated yearly (DOMAIN.md).
PHYSICAL_SAFETY = {"TP-VOI", "TP-REF"}

PROGRAMS: dict[str, tuple[Any, ...]] = {
    "management": (
        "TP-MGT",
        "Managementworkshop Complete agressie-aanpak",
        PROVIDER,
        Audience.management,
        ExposureLevel.low,
        ExposureLevel.very_high,
        "classroom",
        6.0,
        12,
        24,
        ("naming_discomfort", "risk_assessment", "peer_support"),
        "Voor leidinggevenden en directie: de vier pijlers, je rol als voorbeeld, incidenten "
        "bespreken in het werkoverleg en nazorg organiseren. Leidinggevenden gaan voor.",
    ),
    "basic_communication": (
        "TP-COM",
        "Basis communicatie en ongemak benoemen",
        "Trainingsbureau In Gesprek",
        Audience.staff,
        ExposureLevel.low,
        ExposureLevel.moderate,
        "classroom",
        4.0,
        14,
        24,
        ("contact_bad_news", "naming_discomfort"),
        "Contact maken, slecht nieuws brengen en benoemen wat schuurt, met oefeningen uit "
        "de eigen praktijk.",
    ),
    "deescalation_actor": (
        "TP-DEA",
        "De-escalatie met trainingsacteur",
        "Trainingsbureau In Gesprek",
        Audience.staff,
        ExposureLevel.moderate,
        ExposureLevel.very_high,
        "role_play_with_actor",
        7.0,
        10,
        24,
        ("tension_control", "redirecting_emotion", "deescalation"),
        "Spanning herkennen bij jezelf en de cliënt, emotioneel gedrag ombuigen en "
        "de-escaleren; geoefend met een trainingsacteur in situaties uit het protocol.",
    ),
    "confused_intoxicated": (
        "TP-VOI",
        "Omgaan met verwarde of onder invloed zijnde cliënten",
        "Oefencentrum De Kering",
        Audience.staff,
        ExposureLevel.high,
        ExposureLevel.very_high,
        "simulation",
        7.0,
        10,
        12,
        ("less_influenceable_behaviour", "risk_assessment"),
        "Herkennen van verward gedrag en middelengebruik, risicotaxatie en wanneer je "
        "afstand neemt; met fysieke veiligheidsvaardigheden, daarom jaarlijks herhalen.",
    ),
    "peer_support": (
        "TP-OPV",
        "Collegiale opvang na incidenten",
        PROVIDER,
        Audience.mixed,
        ExposureLevel.low,
        ExposureLevel.very_high,
        "classroom",
        3.0,
        16,
        24,
        ("peer_support",),
        "Een collega opvangen tijdens en na een incident, en weten wanneer je doorverwijst.",
    ),
    "physical_refresher": (
        "TP-REF",
        "Opfriscursus fysieke veiligheid en de-escalatie",
        "Oefencentrum De Kering",
        Audience.staff,
        ExposureLevel.high,
        ExposureLevel.very_high,
        "simulation",
        4.0,
        10,
        12,
        ("tension_control", "deescalation"),
        "Jaarlijkse opfrisser voor functies met hoge blootstelling, afgestemd op de actuele "
        "teamdoelen en recente incidenten.",
    ),
    "manipulative": (
        "TP-MAN",
        "Hanteren van manipulatief gedrag",
        "Trainingsbureau In Gesprek",
        Audience.staff,
        ExposureLevel.high,
        ExposureLevel.very_high,
        "role_play_with_actor",
        4.0,
        12,
        24,
        ("manipulative_behaviour",),
        "Manipulatie herkennen, grenzen stellen en consequent blijven als team.",
    ),
    "e_learning_risk": (
        "TP-ELR",
        "E-learning risicobewustzijn en spanningsbewustzijn",
        "Veilig Werken Online",
        Audience.mixed,
        ExposureLevel.low,
        ExposureLevel.high,
        "e_learning",
        2.0,
        200,
        24,
        ("risk_assessment", "tension_control"),
        "Zelfstandige module als voorbereiding: risico's vooraf inschatten en je eigen "
        "spanningssignalen herkennen.",
    ),
}


def _programs(db: Session) -> dict[str, TrainingProgram]:
    skills = learning_service.skill_ids_by_code(db)
    out = {}
    for key, (
        ext,
        title,
        provider,
        audience,
        low,
        high,
        fmt,
        hours,
        size,
        months,
        codes,
        desc,
    ) in PROGRAMS.items():
        data = TrainingProgramCreate(
            external_id=ext,
            title=title,
            provider=provider,
            description=desc,
            audience=audience,
            min_exposure_level=low,
            max_exposure_level=high,
            format=fmt,
            duration_hours=hours,
            max_group_size=size,
            refresher_months=months,
            physical_safety=ext in PHYSICAL_SAFETY,
            skill_ids=[skills[c] for c in codes],
        )
        out[key] = service.create_program(db, data=data)
    # Managers by level (issue 20, item 8): directie has a programme of its own beside the
    # workshop for all management.
    out["senior_management"] = service.create_program(
        db,
        data=TrainingProgramCreate(
            external_id="TP-DIR",
            title="Bestuurlijke regie op agressie en veerkracht",
            provider=PROVIDER,
            description="Voor de directie: beleid en protocol vaststellen, de organisatienorm "
            "uitdragen, incidentcijfers sturen en nazorg borgen.",
            audience=Audience.management,
            management_level=ManagementLevel.senior_management,
            duration_hours=3.0,
            max_group_size=8,
            skill_ids=[skills[c] for c in ("risk_assessment", "peer_support")],
        ),
    )
    return out


def _at(day: datetime, days: int, hour: int) -> datetime:
    return (day + timedelta(days=days)).replace(hour=hour, minute=0, second=0, microsecond=0)


def _session(
    db: Session,
    program: TrainingProgram,
    starts_at: datetime,
    *,
    location: str,
    trainer: str,
) -> TrainingSession:
    ts = TrainingSession(
        program_id=program.id,
        starts_at=starts_at,
        ends_at=starts_at + timedelta(hours=program.duration_hours),
        location=location,
        trainer=trainer,
        capacity=min(program.max_group_size, 16),
    )
    db.add(ts)
    db.flush()
    return ts


def _held(db: Session, ts: TrainingSession, people: list[Employee]) -> None:
    """A session that took place before this service was used: its attendance is history,
    written as it happened, then completed through the service."""
    db.add_all(Enrolment(session_id=ts.id, employee_id=e.id) for e in people)
    ts.enrolled_count = len(people)
    db.flush()
    service.complete_session(db, session_id=ts.id)


def _enrol_ready(
    db: Session, ctx: DemoContext, ts: TrainingSession, people: list[Employee]
) -> list[Employee]:
    """Enrol those of ``people`` the rules allow (the others wait, e.g. for the protocol)."""
    checks = rules.check_enrolments(db, org=ctx.org, training_session=ts, employees=people)
    enrolled: list[Employee] = []
    for person in people:
        if rules.errors_of(checks[person.id]) or len(enrolled) >= ts.capacity:
            continue
        service.enrol(db, org=ctx.org, session_id=ts.id, employee_id=person.id)
        enrolled.append(person)
    return enrolled


def seed(db: Session, ctx: DemoContext) -> None:
    """The catalogue, management sessions first, staff sessions and a refused enrolment."""
    now = utcnow()
    programs = _programs(db)
    m = ctx.managers
    hq = "Hoofdkantoor, Oldenzaalsestraat 12, Enschede"

    # Management first (seed step 4): senior management and three team managers were
    # trained two months ago; four more team managers are booked for next week. The
    # manager of Backoffice en receptie is not booked yet.
    management_done = _session(
        db,
        programs["management"],
        _at(now, -61, 9),
        location=hq,
        trainer="Ellen Schipper",
    )
    _held(
        db,
        management_done,
        [*ctx.senior_management, m["T-CRI"], m["T-JW-N"], m["T-AB-W"]],
    )
    management_next = _session(
        db, programs["management"], _at(now, 10, 9), location=hq, trainer="Ellen Schipper"
    )
    _enrol_ready(db, ctx, management_next, [m["T-SHV"], m["T-JW-Z"], m["T-MW"], m["T-AB-O"]])

    # The crisis team trained a month ago, after their manager, and goes on.
    crisis = ctx.staff["T-CRI"]
    crisis_done = _session(
        db,
        programs["deescalation_actor"],
        _at(now, -30, 9),
        location="Trainingscentrum De Bron, Hengelo",
        trainer="Rachid Amrani (met trainingsacteur)",
    )
    _held(db, crisis_done, crisis[:8])
    crisis_next = _session(
        db,
        programs["confused_intoxicated"],
        _at(now, 21, 9),
        location="Trainingscentrum De Bron, Hengelo",
        trainer="dr. Inge Wolters",
    )
    _enrol_ready(db, ctx, crisis_next, crisis[:8])

    # Jongerenwerk Noord: manager trained, protocol discussed: a full de-escalation group.
    jwn_next = _session(
        db,
        programs["deescalation_actor"],
        _at(now, 28, 9),
        location="Jongerencentrum De Kelder, Enschede-Noord",
        trainer="Rachid Amrani (met trainingsacteur)",
    )
    _enrol_ready(db, ctx, jwn_next, ctx.staff["T-JW-N"])

    # Jeugdbescherming West and Oost (gezinsvoogden, one function group): their managers'
    # workshop ends before this session starts, so readers of the protocol may enrol now.
    shv_next = _session(
        db,
        programs["deescalation_actor"],
        _at(now, 20, 13),
        location=hq,
        trainer="Karin Mulder (met trainingsacteur)",
    )
    _enrol_ready(db, ctx, shv_next, [*ctx.staff["T-SHV"], *ctx.staff["T-MW"]])

    # Mixed: a trained manager with their own team.
    peer_next = _session(
        db,
        programs["peer_support"],
        _at(now, 35, 13),
        location="Wijkcentrum Het Pakhuis, Enschede-West",
        trainer="Ellen Schipper",
    )
    _enrol_ready(db, ctx, peer_next, [m["T-AB-W"], *ctx.staff["T-AB-W"][:10]])

    # Backoffice en receptie: the session is planned, but its manager has no management
    # training nor a booking, so staff enrolments are refused (managers first).
    rec_next = _session(
        db,
        programs["basic_communication"],
        _at(now, 14, 9),
        location="Backoffice en receptie, Enschede",
        trainer="Joost de Wit",
    )
    # A protocol-ready employee, so managers first is the one rule that refuses.
    reception = ctx.staff["T-REC"]
    ready = policy_service.protocol_ready_ids(db, employee_ids=[p.id for p in reception])
    refused_for = next((p for p in reception if p.id in ready), reception[0])
    try:
        service.enrol(db, org=ctx.org, session_id=rec_next.id, employee_id=refused_for.id)
        refusal: list[dict[str, Any]] = []
    except RuleViolation as exc:
        refusal = list(exc.violations or [])

    # History from before the service: trainings now due for a refresher.
    today = now.date()
    for person in ctx.staff["T-AB-O"][:6]:
        service.record_completion(
            db,
            employee_id=person.id,
            program_id=programs["deescalation_actor"].id,
            completed_on=today - timedelta(days=670),
        )
    for person in crisis[8:11]:
        service.record_completion(
            db,
            employee_id=person.id,
            program_id=programs["physical_refresher"].id,
            completed_on=today - timedelta(days=380),
        )
    db.flush()

    ctx.extras["programs"] = programs
    ctx.extras["sessions"] = {
        "management_done": management_done,
        "management_next": management_next,
        "crisis_done": crisis_done,
        "crisis_next": crisis_next,
        "jwn_next": jwn_next,
        "shv_next": shv_next,
        "peer_next": peer_next,
        "rec_next": rec_next,
    }
    ctx.extras["refused_enrolment"] = {
        "session_id": rec_next.id,
        "employee_id": refused_for.id,
        "violations": refusal,
    }
    auth = f'-H "Authorization: Bearer {ctx.admin_key}"'
    base = "http://127.0.0.1:8000/v1"
    body = json.dumps({"employee_id": str(refused_for.id)})
    ctx.notes += [
        "  # the training catalogue, and a staff enrolment refused by managers first",
        f"  curl -s {auth} '{base}/training-programs'",
        f"  curl -s {auth} -H 'Content-Type: application/json' -d '{body}' "
        f"{base}/training-sessions/{rec_next.id}/enrolments",
        f"  curl -s {auth} '{base}/employees/{crisis[0].id}/training-record'",
        f"  curl -s {auth} '{base}/reports/refreshers-due'",
    ]
