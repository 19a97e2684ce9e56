"""Skills: the nine of the seed in every organisation, plus the organisation's own."""

import uuid
from dataclasses import dataclass
from typing import TypeVar

from pydantic import Field
from sqlalchemy import func
from sqlmodel import Session, col, select

from app.core.crud import already_exists, apply_changes, delete_or_conflict
from app.core.errors import Conflict, NotFound
from app.core.listing import ListFilters, Listing
from app.core.models import TenantTable
from app.core.tenancy import get_scoped
from app.learning.models import (
    OPEN_PERSONAL_GOAL_STATUSES,
    FunctionGroupNeed,
    PersonalGoal,
    Skill,
    SkillCreate,
    SkillPublic,
    SkillUpdate,
    TeamGoal,
    TeamGoalStatus,
)
from app.organisation.models import (
    ExposureLevel,
    Organisation,
)

T = TypeVar("T", bound=TenantTable)

# --- skills -----------------------------------------------------------------------------


@dataclass(frozen=True)
class BuiltinSkill:
    """One of the nine skills of the seed (DOMAIN.md, step 3)."""

    code: str
    label_nl: str
    label_en: str
    pillar: int
    # The lowest exposure level whose function groups need it by default.
    from_level: ExposureLevel


BUILTIN_SKILLS: tuple[BuiltinSkill, ...] = (
    BuiltinSkill(
        "contact_bad_news",
        "Contact maken, slecht nieuws brengen, verbindend communiceren",
        "Making contact, delivering bad news, connecting communication",
        1,
        ExposureLevel.low,
    ),
    BuiltinSkill(
        "naming_discomfort",
        "Benoemen en bespreken van ongemak",
        "Naming and discussing discomfort",
        1,
        ExposureLevel.low,
    ),
    BuiltinSkill(
        "risk_assessment",
        "Risicobewustzijn en risicotaxatie",
        "Risk awareness and risk assessment",
        2,
        ExposureLevel.moderate,
    ),
    BuiltinSkill(
        "tension_control",
        "Spanningsbewustzijn en spanningscontrole",
        "Awareness and control of tension",
        2,
        ExposureLevel.moderate,
    ),
    BuiltinSkill(
        "redirecting_emotion",
        "Ombuigen van emotioneel gedrag",
        "Redirecting emotional behaviour",
        3,
        ExposureLevel.moderate,
    ),
    BuiltinSkill(
        "deescalation",
        "De-escaleren van vormen van agressief gedrag",
        "De-escalating forms of aggressive behaviour",
        3,
        ExposureLevel.high,
    ),
    BuiltinSkill(
        "manipulative_behaviour",
        "Hanteren van manipulatief gedrag",
        "Handling manipulative behaviour",
        3,
        ExposureLevel.high,
    ),
    BuiltinSkill(
        "less_influenceable_behaviour",
        "Hanteren van minder beïnvloedbaar gedrag (onder invloed, verward)",
        "Handling less influenceable behaviour (under the influence, confused)",
        3,
        ExposureLevel.high,
    ),
    BuiltinSkill(
        "peer_support",
        "Collegiale ondersteuning tijdens en na incidenten",
        "Peer support during and after incidents",
        4,
        ExposureLevel.low,
    ),
)
BUILTIN_CODES = tuple(s.code for s in BUILTIN_SKILLS)
_BUILTIN_ORDER = {code: i for i, code in enumerate(BUILTIN_CODES)}


def ensure_builtin_skills(db: Session, org: Organisation) -> None:
    """Give ``org`` the nine seed skills it does not have yet (organisation-created hook)."""
    existing = set(db.exec(select(Skill.code).where(col(Skill.organisation_id) == org.id)).all())
    for s in BUILTIN_SKILLS:
        if s.code not in existing:
            db.add(
                Skill(
                    organisation_id=org.id,
                    code=s.code,
                    label_nl=s.label_nl,
                    label_en=s.label_en,
                    pillar=s.pillar,
                    builtin=True,
                )
            )
    db.flush()


def skill_ids_by_code(db: Session) -> dict[str, uuid.UUID]:
    """Every skill of the organisation (retired ones included) by its code, in one query."""
    return dict(db.exec(select(Skill.code, Skill.id)).all())


def sort_key(skill: Skill) -> tuple[int, int, str]:
    return (skill.pillar or 99, _BUILTIN_ORDER.get(skill.code, 99), skill.code)


class SkillFilters(ListFilters):
    code: str | None = Field(default=None, max_length=64)
    builtin: bool | None = None
    retired: bool | None = None


SKILL_LIST = Listing(
    model=Skill,
    filters=SkillFilters,
    public=SkillPublic,
    doc="The nine skills of the method plus the organisation's own; filter by code, builtin.",
)


def create_skill(db: Session, *, data: SkillCreate) -> Skill:
    """An organisation's own skill; its code must be new in the organisation."""
    taken = db.exec(select(Skill.id).where(col(Skill.code) == data.code)).first()
    if taken is not None:
        raise already_exists(Skill, "/v1/skills", taken, "code")
    skill = Skill(**data.model_dump(), builtin=False)
    db.add(skill)
    db.flush()
    return skill


def _skill_usage(db: Session, skill_id: uuid.UUID) -> dict[str, int]:
    team_goals = db.scalar(
        select(func.count())
        .select_from(TeamGoal)
        .where(col(TeamGoal.skill_id) == skill_id, col(TeamGoal.status) == TeamGoalStatus.active)
    )
    personal_goals = db.scalar(
        select(func.count())
        .select_from(PersonalGoal)
        .where(
            col(PersonalGoal.skill_id) == skill_id,
            col(PersonalGoal.status).in_(OPEN_PERSONAL_GOAL_STATUSES),
        )
    )
    needs = db.scalar(
        select(func.count())
        .select_from(FunctionGroupNeed)
        .where(col(FunctionGroupNeed.skill_id) == skill_id)
    )
    return {
        "active_team_goals": team_goals or 0,
        "open_personal_goals": personal_goals or 0,
        "function_group_needs": needs or 0,
    }


def update_skill(db: Session, *, skill: Skill, data: SkillUpdate) -> Skill:
    """Relabel or retire a skill; a skill in use by active goals or needs cannot retire."""
    changes = data.model_dump(exclude_unset=True)
    if changes.get("retired") and not skill.retired:
        if skill.builtin:
            raise Conflict(
                f"'{skill.code}' is one of the nine skills of the method; it cannot be retired.",
                code="builtin-skill",
            )
        usage = _skill_usage(db, skill.id)
        if any(usage.values()):
            raise Conflict(
                f"Skill '{skill.code}' is still in use: {usage['active_team_goals']} active team "
                f"goal(s), {usage['open_personal_goals']} open personal goal(s), "
                f"{usage['function_group_needs']} function-group need(s). Archive or change "
                "those first.",
                code="skill-in-use",
                usage=usage,
            )
    apply_changes(skill, changes)
    db.flush()
    return skill


def delete_skill(db: Session, *, skill: Skill) -> None:
    """Delete an organisation's own skill that nothing refers to (retire it otherwise)."""
    if skill.builtin:
        raise Conflict(
            f"'{skill.code}' is one of the nine skills of the method; it cannot be deleted.",
            code="builtin-skill",
        )
    delete_or_conflict(
        db,
        skill,
        "The skill is referenced by goals, needs or trainings; retire it instead.",
        code="skill-in-use",
    )


def body_ref(db: Session, model: type[T], id_: uuid.UUID, *, pointer: str, what: str) -> T:
    # Ids in a body that name nothing of this organisation are 404 in this domain (issue 4:
    # "skill or team goal from another organisation: 404"), with the field pointed out.
    try:
        return get_scoped(db, model, id_)
    except NotFound:
        raise NotFound(
            f"No {what} with id {id_} in this organisation.",
            errors=[{"pointer": pointer, "detail": f"unknown {what}"}],
        ) from None


def usable_skill(db: Session, skill_id: uuid.UUID, *, pointer: str) -> Skill:
    skill = body_ref(db, Skill, skill_id, pointer=pointer, what="skill")
    if skill.retired:
        raise Conflict(
            f"Skill '{skill.code}' is retired; choose a current skill.",
            code="skill-retired",
            errors=[{"pointer": pointer, "detail": "retired skill"}],
        )
    return skill
