"""The training catalogue: programmes and the skills they train."""

import uuid
from collections import defaultdict
from collections.abc import Iterable, Sequence

from sqlalchemy import delete
from sqlmodel import Session, col, select

from app.core.crud import (
    apply_changes,
    delete_or_conflict,
    loaded_fields,
    unknown_reference,
)
from app.core.errors import InvalidInput
from app.core.models import touch
from app.core.pagination import PageParams, paginate
from app.core.queries import where_given
from app.core.tenancy import current_organisation_id
from app.learning.models import Skill
from app.organisation.models import (
    EXPOSURE_RANK,
    ExposureLevel,
)
from app.training.deactivation import cancel_future_enrolments as cancel_future_enrolments
from app.training.models import (
    Audience,
    ProgramSkill,
    TrainingProgram,
    TrainingProgramCreate,
    TrainingProgramPublic,
    TrainingProgramUpdate,
)


def skill_ids_by_program(
    db: Session, program_ids: Iterable[uuid.UUID]
) -> dict[uuid.UUID, list[uuid.UUID]]:
    """The skills of many programmes in one query."""
    ids = list(program_ids)
    out: dict[uuid.UUID, list[uuid.UUID]] = defaultdict(list)
    if not ids:
        return out
    rows = db.exec(
        select(col(ProgramSkill.program_id), col(ProgramSkill.skill_id))
        .where(
            col(ProgramSkill.program_id).in_(ids),
            col(ProgramSkill.organisation_id) == current_organisation_id(db),
        )
        .order_by(col(ProgramSkill.program_id), col(ProgramSkill.skill_id))
    )
    for program_id, skill_id in rows:
        out[program_id].append(skill_id)
    return out


def programs_public(
    db: Session, programs: Sequence[TrainingProgram]
) -> list[TrainingProgramPublic]:
    """Programmes with their skills, in two queries whatever the count."""
    skills = skill_ids_by_program(db, (p.id for p in programs))
    return [
        TrainingProgramPublic.model_validate(
            {**loaded_fields(p), "skill_ids": skills.get(p.id, [])}
        )
        for p in programs
    ]


def list_programs(
    db: Session,
    *,
    params: PageParams,
    audience: Audience | None = None,
    active: bool | None = None,
    skill_id: uuid.UUID | None = None,
    external_id: str | None = None,
) -> tuple[Sequence[TrainingProgram], str | None]:
    """The catalogue, filtered by audience, active, a skill it trains or external id."""
    stmt = select(TrainingProgram)
    stmt = where_given(
        stmt, TrainingProgram, audience=audience, active=active, external_id=external_id
    )
    if skill_id is not None:
        stmt = stmt.where(
            col(TrainingProgram.id).in_(
                select(col(ProgramSkill.program_id)).where(col(ProgramSkill.skill_id) == skill_id)
            )
        )
    return paginate(db, stmt, TrainingProgram, params)


def _check_skills(db: Session, skill_ids: Sequence[uuid.UUID]) -> None:
    unique = set(skill_ids)
    if not unique:
        return
    found = set(db.exec(select(col(Skill.id)).where(col(Skill.id).in_(unique))))
    for i, sid in enumerate(skill_ids):
        if sid not in found:
            raise unknown_reference(f"/skill_ids/{i}", "skill", sid)


def _check_exposure_range(low: ExposureLevel, high: ExposureLevel) -> None:
    if EXPOSURE_RANK[low] > EXPOSURE_RANK[high]:
        raise InvalidInput(
            f"min_exposure_level {low} is above max_exposure_level {high}.",
            code="invalid-exposure-range",
            errors=[{"pointer": "/max_exposure_level", "detail": "below min_exposure_level"}],
        )


def _set_skills(db: Session, program: TrainingProgram, skill_ids: Sequence[uuid.UUID]) -> None:
    db.execute(delete(ProgramSkill).where(col(ProgramSkill.program_id) == program.id))
    for sid in dict.fromkeys(skill_ids):
        db.add(
            ProgramSkill(
                program_id=program.id, skill_id=sid, organisation_id=program.organisation_id
            )
        )


def create_program(db: Session, *, data: TrainingProgramCreate) -> TrainingProgram:
    """A new programme in the catalogue; its skills must be the organisation's."""
    _check_exposure_range(data.min_exposure_level, data.max_exposure_level)
    _check_skills(db, data.skill_ids)
    program = TrainingProgram(**data.model_dump(exclude={"skill_ids"}))
    db.add(program)
    db.flush()
    _set_skills(db, program, data.skill_ids)
    db.flush()
    return program


def update_program(
    db: Session, *, program: TrainingProgram, data: TrainingProgramUpdate
) -> TrainingProgram:
    """Change a programme; `skill_ids`, when given, replaces its skills."""
    changes = data.model_dump(exclude_unset=True, exclude={"skill_ids"})
    _check_exposure_range(
        changes.get("min_exposure_level", program.min_exposure_level),
        changes.get("max_exposure_level", program.max_exposure_level),
    )
    apply_changes(program, changes)
    if data.skill_ids is not None:
        _check_skills(db, data.skill_ids)
        _set_skills(db, program, data.skill_ids)
        touch(program)
    db.flush()
    return program


def delete_program(db: Session, *, program: TrainingProgram) -> None:
    """Delete a programme without sessions or completions (otherwise deactivate it)."""
    delete_or_conflict(
        db,
        program,
        "The programme has sessions or completions; deactivate it (active=false) instead.",
        code="program-has-history",
    )
