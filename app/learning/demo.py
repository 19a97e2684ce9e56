"""The learning part of the demo organisation: team goals derived from the published
protocol (seed step 3: translate the protocol into learning goals) and aligned personal goals.

Leaves ``ctx.extras["team_goals"]`` (team external id -> team goals) and
``ctx.extras["personal_goals"]`` for the later domains.
"""

import uuid
from datetime import date

from sqlmodel import Session, col, select

from app.demo import DemoContext
from app.learning import service
from app.learning.models import (
    PersonalGoal,
    PersonalGoalCreate,
    PersonalGoalStatus,
    TeamGoal,
    TeamGoalCreate,
)
from app.learning.skills import BUILTIN_SKILLS
from app.organisation.models import EXPOSURE_RANK
from app.policy import service as policy_service
from app.policy.models import (
    Norm,
    NormLevel,
    Protocol,
    ProtocolNorm,
    ProtocolSection,
    ProtocolStatus,
)

GOALS_PER_TEAM = 3
PERSONAL_GOALS_PER_TEAM = 4

# Which skill a protocol section asks for, recognised by words in its title and body
# (first match wins); otherwise by the section's pillar.
KEYWORDS: list[tuple[str, tuple[str, ...]]] = [
    ("manipulative_behaviour", ("manipul",)),
    ("less_influenceable_behaviour", ("onder invloed", "verward", "alcohol", "drugs")),
    ("peer_support", ("collega", "nazorg", "opvang", "incident", "melden", "melding")),
    ("risk_assessment", ("risico", "taxatie", "huisbezoek", "veilig werken")),
    ("tension_control", ("spanning",)),
    ("redirecting_emotion", ("emotie", "boos", "frustratie", "ombuig", "oranje")),
    ("deescalation", ("escal", "dreig", "rood", "grens")),
    ("naming_discomfort", ("ongemak", "benoem", "bespreek")),
    ("contact_bad_news", ("slecht nieuws", "contact", "verbind", "gastvrij")),
]
BY_PILLAR = {1: "contact_bad_news", 2: "risk_assessment", 3: "deescalation", 4: "peer_support"}

TEAM_GOAL_TEXT = {
    "contact_bad_news": "We brengen slecht nieuws helder en respectvol en houden contact met "
    "de cliënt",
    "naming_discomfort": "We benoemen ongemak op tijd, bij de cliënt en bij elkaar",
    "risk_assessment": "We schatten vóór elk huisbezoek of lastig gesprek het risico in en "
    "spreken af wie wat doet",
    "tension_control": "We herkennen oplopende spanning bij de cliënt en bij onszelf en houden "
    "die onder controle",
    "redirecting_emotion": "We buigen boosheid en frustratie om voordat het escaleert "
    "(oranje gedrag)",
    "deescalation": "We de-escaleren dreigend gedrag volgens het protocol en halen op tijd een "
    "collega erbij (rood gedrag)",
    "manipulative_behaviour": "We herkennen manipulatief gedrag en houden samen dezelfde grens aan",
    "less_influenceable_behaviour": "We handelen veilig bij cliënten die onder invloed of "
    "verward zijn",
    "peer_support": "We vangen elkaar op tijdens en na een incident en melden elk incident",
}
PERSONAL_GOAL_TEXT = {
    "contact_bad_news": "Ik wil een afwijzing kunnen brengen zonder dat het gesprek vastloopt",
    "naming_discomfort": "Ik wil durven zeggen wanneer een gesprek mij ongemakkelijk maakt",
    "risk_assessment": "Ik wil vóór een huisbezoek vaste risicovragen doorlopen",
    "tension_control": "Ik wil mijn eigen spanning eerder opmerken en rustig blijven",
    "redirecting_emotion": "Ik wil een boze cliënt kunnen ombuigen naar een gewoon gesprek",
    "deescalation": "Ik wil bij dreiging rustig blijven en de-escalerend optreden",
    "manipulative_behaviour": "Ik wil niet meegaan in het tegen elkaar uitspelen van collega's",
    "less_influenceable_behaviour": "Ik wil weten wanneer ik een gesprek met een cliënt onder "
    "invloed beter stop",
    "peer_support": "Ik wil een collega na een incident goed kunnen opvangen",
}
# Used when there is no published protocol to derive goals from.
FALLBACK_ORDER = [
    "deescalation",
    "peer_support",
    "redirecting_emotion",
    "contact_bad_news",
    "risk_assessment",
    "naming_discomfort",
]


def skill_for_section(section: ProtocolSection) -> str:
    """The skill a protocol section asks the team to practise (its title says most)."""
    for text in (section.title.lower(), section.body.lower()):
        for code, words in KEYWORDS:
            if any(w in text for w in words):
                return code
    return BY_PILLAR.get(section.pillar or 0, "contact_bad_news")


def _published_protocol(db: Session, ctx: DemoContext) -> tuple[list[ProtocolSection], list[Norm]]:
    # The policy demo leaves its protocol in extras; otherwise look for a published one.
    protocol = ctx.extras.get("protocol")
    if not isinstance(protocol, Protocol):
        protocol = db.exec(
            select(Protocol).where(col(Protocol.status) == ProtocolStatus.published)
        ).first()
    if protocol is None:
        return [], []
    sections = policy_service.protocol_sections(db, protocol.id)
    norms = db.exec(
        select(Norm)
        .join(ProtocolNorm, col(ProtocolNorm.norm_id) == col(Norm.id))
        .where(
            col(ProtocolNorm.protocol_id) == protocol.id,
            col(Norm.level).in_([NormLevel.orange, NormLevel.red]),
            col(Norm.team_id).is_(None),
        )
        .order_by(col(Norm.id))
    ).all()
    return sections, list(norms)


def seed(db: Session, ctx: DemoContext) -> None:
    """Team goals per team from the protocol and the team's needs; aligned personal goals."""
    sections, norms = _published_protocol(db, ctx)
    by_skill: dict[str, ProtocolSection] = {}
    for found in sections:
        by_skill.setdefault(skill_for_section(found), found)
    candidates = list(by_skill) or FALLBACK_ORDER
    skill_ids = service.skill_ids_by_code(db)
    code_of = {v: k for k, v in skill_ids.items()}
    needs = service.needs_by_function_group(db)
    norms_for = {
        "redirecting_emotion": [n.id for n in norms if n.level == NormLevel.orange],
        "deescalation": [n.id for n in norms],
    }
    # Most specific to the exposure first: a crisis team's goals are about de-escalating,
    # a reception's about contact; then in the protocol's order.
    specificity = {s.code: EXPOSURE_RANK[s.from_level] for s in BUILTIN_SKILLS}
    candidates.sort(key=lambda code: -specificity[code])
    team_goals: dict[str, list[TeamGoal]] = {}
    personal: list[PersonalGoal] = []
    for ext, team in ctx.teams.items():
        members = ctx.staff[ext]
        fg_id = members[0].function_group_id if members else None
        needed = {code_of[s] for s, _ in needs.get(fg_id, [])} if fg_id else set()
        chosen = [c for c in candidates if c in needed][:GOALS_PER_TEAM]
        team_goals[ext] = []
        for i, code in enumerate(chosen):
            section = by_skill.get(code)
            text = TEAM_GOAL_TEXT[code]
            team_goals[ext].append(
                service.create_team_goal(
                    db,
                    data=TeamGoalCreate(
                        team_id=team.id,
                        skill_id=skill_ids[code],
                        description=f"{text}. Protocol: {section.title}" if section else text,
                        target_on=date(2027, 3 + 3 * i, 30),
                        source_protocol_section_id=section.id if section else None,
                        source_norm_ids=norms_for.get(code, []),
                    ),
                )
            )
        for n, member in enumerate(members[:PERSONAL_GOALS_PER_TEAM]):
            if not team_goals[ext]:
                break
            target = ctx.rng.choice(team_goals[ext])
            code = code_of[target.skill_id]
            personal.append(
                service.create_personal_goal(
                    db,
                    org=ctx.org,
                    data=PersonalGoalCreate(
                        employee_id=member.id,
                        skill_id=target.skill_id,
                        description=PERSONAL_GOAL_TEXT[code],
                        status=PersonalGoalStatus.agreed if n % 2 else PersonalGoalStatus.draft,
                    ),
                )
            )
    ctx.extras["team_goals"] = team_goals
    ctx.extras["personal_goals"] = personal
    ctx.notes.extend(_refused_example(ctx, team_goals, skill_ids))


def _refused_example(
    ctx: DemoContext, team_goals: dict[str, list[TeamGoal]], skill_ids: dict[str, uuid.UUID]
) -> list[str]:
    # A personal goal for a skill the reception team has no objective for: refused (409).
    members = ctx.staff.get("T-REC", [])
    covered = {g.skill_id for g in team_goals.get("T-REC", [])}
    if not members or skill_ids["manipulative_behaviour"] in covered:
        return []
    body = (
        f'{{"employee_id": "{members[0].id}", '
        f'"skill_id": "{skill_ids["manipulative_behaviour"]}", '
        '"description": "Ik wil manipulatief gedrag leren hanteren"}'
    )
    auth = f'-H "Authorization: Bearer {ctx.admin_key}"'
    return [
        "  # a personal goal no objective of the employee's team serves: 409 goal-not-aligned",
        f"  curl -s {auth} -H 'Content-Type: application/json' "
        f"-d '{body}' http://127.0.0.1:8000/v1/personal-goals",
    ]
