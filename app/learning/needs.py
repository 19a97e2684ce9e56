"""Function-group needs: the skills a function group needs, its own or the default by exposure."""

import uuid
from collections.abc import Collection

from sqlalchemy import delete
from sqlmodel import Session, col, select

from app.core.errors import Conflict, InvalidInput, NotFound
from app.core.models import touch
from app.learning.models import (
    FunctionGroupNeed,
    FunctionGroupNeedPublic,
    FunctionGroupNeeds,
    FunctionGroupNeedsUpdate,
    NeedPriority,
    NeedSource,
    Skill,
)
from app.learning.skills import BUILTIN_SKILLS, skill_ids_by_code
from app.organisation import organisations
from app.organisation.models import (
    EXPOSURE_RANK,
    ExposureLevel,
    FunctionGroup,
    exposure_level,
)


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
    db: Session, *, function_group_ids: Collection[uuid.UUID] | None = None
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
    groups = db.exec(stmt).all()
    out: dict[uuid.UUID, list[tuple[uuid.UUID, NeedPriority]]] = {g[0]: [] for g in groups}
    bands = organisations.current_settings(db).exposure_bands
    custom = [g[0] for g in groups if g[3]]
    if custom:
        rows = db.exec(
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
        by_code = skill_ids_by_code(db)
        for fg_id, likelihood, impact, _custom in defaults:
            level = exposure_level(likelihood * impact, bands)
            out[fg_id] = [
                (by_code[code], priority)
                for code, priority in default_needs(level).items()
                if code in by_code
            ]
    return out


def function_group_needs(db: Session, *, fg: FunctionGroup) -> FunctionGroupNeeds:
    """A function group's needs with their source (default by exposure, or custom)."""
    needs = needs_by_function_group(db, function_group_ids=[fg.id])[fg.id]
    codes = dict(
        db.exec(select(Skill.id, Skill.code).where(col(Skill.id).in_([s for s, _ in needs]))).all()
    )
    return FunctionGroupNeeds(
        function_group_id=fg.id,
        exposure_level=fg.level(organisations.current_settings(db).exposure_bands),
        source=NeedSource.custom if fg.custom_needs else NeedSource.default,
        needs=[
            FunctionGroupNeedPublic(skill_id=s, skill_code=codes[s], priority=p) for s, p in needs
        ],
    )


def set_function_group_needs(
    db: Session, *, fg: FunctionGroup, data: FunctionGroupNeedsUpdate
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
    skills = {s.id: s for s in db.exec(select(Skill).where(col(Skill.id).in_(seen))).all()}
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
    db.execute(
        delete(FunctionGroupNeed).where(
            col(FunctionGroupNeed.function_group_id) == fg.id,
            col(FunctionGroupNeed.organisation_id) == fg.organisation_id,
        )
    )
    for need in data.needs:
        db.add(
            FunctionGroupNeed(
                function_group_id=fg.id, skill_id=need.skill_id, priority=need.priority
            )
        )
    fg.custom_needs = True
    touch(fg)
    db.flush()
    return function_group_needs(db, fg=fg)


def reset_function_group_needs(db: Session, *, fg: FunctionGroup) -> FunctionGroupNeeds:
    """Drop the organisation's own needs: the defaults by exposure level apply again."""
    db.execute(
        delete(FunctionGroupNeed).where(
            col(FunctionGroupNeed.function_group_id) == fg.id,
            col(FunctionGroupNeed.organisation_id) == fg.organisation_id,
        )
    )
    if fg.custom_needs:
        fg.custom_needs = False
    db.flush()
    return function_group_needs(db, fg=fg)
