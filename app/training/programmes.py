"""The training catalogue: programmes and the skills they train."""

import uuid
from collections.abc import Iterable, Sequence
from typing import ClassVar

from pydantic import Field
from sqlmodel import Session, col, select

from app.core.crud import (
    apply_changes,
    delete_or_conflict,
    loaded_fields,
    resolve_refs,
    set_links,
)
from app.core.errors import Conflict, InvalidInput
from app.core.listing import Clauses, ListFilters, Listing
from app.core.models import touch
from app.core.queries import chunks, linked_ids
from app.learning.models import Skill
from app.organisation import organisations
from app.organisation.models import (
    EXPOSURE_RANK,
    ExposureLevel,
)
from app.training import content
from app.training.deactivation import cancel_future_enrolments as cancel_future_enrolments
from app.training.models import (
    Audience,
    Enrolment,
    EnrolmentStatus,
    ManagementLevel,
    ProgramSkill,
    TrainingCompletion,
    TrainingProgram,
    TrainingProgramCreate,
    TrainingProgramPublic,
    TrainingProgramUpdate,
    TrainingSession,
)
from app.training.sessions import take_turns_on_managers_first


def skill_ids_by_program(
    db: Session, program_ids: Iterable[uuid.UUID]
) -> dict[uuid.UUID, list[uuid.UUID]]:
    """The skills of many programmes in one query."""
    return linked_ids(db, col(ProgramSkill.program_id), col(ProgramSkill.skill_id), program_ids)


def programs_public(
    db: Session, programs: Sequence[TrainingProgram]
) -> list[TrainingProgramPublic]:
    """Programmes with their skills and what they practise, in five queries whatever the
    count."""
    skills = skill_ids_by_program(db, (p.id for p in programs))
    practised = content.content_by_program(db, (p.id for p in programs))
    out = []
    for p in programs:
        c = practised.get(p.id) or content.Content()
        out.append(
            TrainingProgramPublic.model_validate(
                {
                    **loaded_fields(p),
                    "skill_ids": skills.get(p.id, []),
                    "norm_ids": c.norm_ids,
                    "protocol_section_ids": c.protocol_section_ids,
                    "practice_situations": c.practice_situations,
                }
            )
        )
    return out


class TrainingProgramFilters(ListFilters):
    clauses: ClassVar[Clauses] = {
        "skill_id": lambda skill_id: col(TrainingProgram.id).in_(
            select(col(ProgramSkill.program_id)).where(col(ProgramSkill.skill_id) == skill_id)
        )
    }

    audience: Audience | None = None
    active: bool | None = None
    skill_id: uuid.UUID | None = None
    external_id: str | None = Field(
        default=None, max_length=100, description="The HR platform's own id."
    )


TRAINING_PROGRAM_LIST = Listing(
    model=TrainingProgram,
    filters=TrainingProgramFilters,
    public=TrainingProgramPublic,
    render=programs_public,
    doc="The training catalogue; filter by audience, active, a skill trained or external id.",
)


def _check_skills(db: Session, skill_ids: Sequence[uuid.UUID]) -> None:
    resolve_refs(db, Skill, skill_ids, pointer="/skill_ids/{i}", what="skill")


def _check_exposure_range(low: ExposureLevel, high: ExposureLevel) -> None:
    if EXPOSURE_RANK[low] > EXPOSURE_RANK[high]:
        raise InvalidInput(
            f"min_exposure_level {low} is above max_exposure_level {high}.",
            code="invalid-exposure-range",
            errors=[{"pointer": "/max_exposure_level", "detail": "below min_exposure_level"}],
        )


def _check_management_level(audience: Audience, level: ManagementLevel) -> None:
    # Managers by level (issue 20, item 8): a level only means something among managers.
    if level != ManagementLevel.all and audience != Audience.management:
        raise InvalidInput(
            f"management_level {level} is for management programmes; this one is {audience}.",
            code="management-level-audience",
            errors=[{"pointer": "/management_level", "detail": "only for audience management"}],
        )


def _set_skills(db: Session, program: TrainingProgram, skill_ids: Sequence[uuid.UUID]) -> bool:
    return set_links(
        db, col(ProgramSkill.program_id), col(ProgramSkill.skill_id), program, skill_ids
    )


def create_program(db: Session, *, data: TrainingProgramCreate) -> TrainingProgram:
    """A new programme in the catalogue; its skills must be the organisation's."""
    _check_exposure_range(data.min_exposure_level, data.max_exposure_level)
    _check_management_level(data.audience, data.management_level)
    _check_skills(db, data.skill_ids)
    content.check_content(
        db,
        norm_ids=data.norm_ids,
        protocol_section_ids=data.protocol_section_ids,
        practice_situations=data.practice_situations,
    )
    program = TrainingProgram(**data.model_dump(exclude=_LISTS))
    if data.refresher_months is None:
        # Issue 20, item 12: the organisation's own default, not a figure fixed here.
        program.refresher_months = organisations.current_settings(db).refresher_months(
            physical_safety=data.physical_safety
        )
    db.add(program)
    db.flush()
    _set_skills(db, program, data.skill_ids)
    content.set_content(
        db,
        program=program,
        norm_ids=data.norm_ids,
        protocol_section_ids=data.protocol_section_ids,
        practice_situations=data.practice_situations,
    )
    db.flush()
    return program


_LISTS = {"skill_ids", "norm_ids", "protocol_section_ids", "practice_situations"}


def update_program(
    db: Session, *, program: TrainingProgram, data: TrainingProgramUpdate
) -> TrainingProgram:
    """Change a programme; `skill_ids`, when given, replaces its skills."""
    changes = data.model_dump(exclude_unset=True, exclude=_LISTS)
    _check_exposure_range(
        changes.get("min_exposure_level", program.min_exposure_level),
        changes.get("max_exposure_level", program.max_exposure_level),
    )
    _check_management_level(
        changes.get("audience", program.audience),
        changes.get("management_level", program.management_level),
    )
    _check_audience_fixed(db, program, changes)
    apply_changes(program, changes)
    if data.skill_ids is not None:
        _check_skills(db, data.skill_ids)
        if _set_skills(db, program, data.skill_ids):
            touch(program)
    content.check_content(
        db,
        norm_ids=data.norm_ids,
        protocol_section_ids=data.protocol_section_ids,
        practice_situations=data.practice_situations,
    )
    if content.set_content(
        db,
        program=program,
        norm_ids=data.norm_ids,
        protocol_section_ids=data.protocol_section_ids,
        practice_situations=data.practice_situations,
    ):
        touch(program)
    db.flush()
    return program


def _check_audience_fixed(
    db: Session, program: TrainingProgram, changes: dict[str, object]
) -> None:
    moved = [f for f in ("audience", "management_level") if f in changes]
    if any(changes[f] != getattr(program, f) for f in moved) and programs_in_use(db, [program.id]):
        raise Conflict(
            "The programme has enrolments or completions: whom it trains can no longer "
            "change. Create a new programme for the other audience.",
            code="program-audience-fixed",
        )


def programs_in_use(db: Session, program_ids: Sequence[uuid.UUID]) -> set[uuid.UUID]:
    """Those of these programmes with an enrolment (not cancelled) or a completion.

    Whom such a programme trains (its audience and management level) is fixed: it decided
    audience_fit and managers first for every enrolment and completion of it, and changed
    afterwards a management training could silently stop counting for the staff who were
    enrolled after their managers (seed step 4). The API and the catalogue import both
    refuse it (``program-audience-fixed``).

    Asked only to decide such a change, it first takes the managers-first turn that an
    enrolment takes (PostgreSQL): an enrolment made side by side is then either committed
    and seen here, or waits and is checked against the new audience. Before the turn it
    locks the programmes' rows, in id order: a PATCH holds its programme's row (the route
    locks it) when it gets here, so an import that took the turn first and then updated
    that row would wait for the PATCH while the PATCH waits for its turn (a deadlock).
    """
    wanted = sorted(set(program_ids))
    if not wanted:
        return set()
    for ids in chunks(wanted):
        db.execute(
            select(col(TrainingProgram.id))
            .where(col(TrainingProgram.id).in_(ids))
            .order_by(col(TrainingProgram.id))
            .with_for_update(key_share=True)
        )
    take_turns_on_managers_first(db)
    found: set[uuid.UUID] = set()
    for ids in chunks(wanted):
        enrolled = (
            select(col(TrainingSession.program_id))
            .join(Enrolment, col(Enrolment.session_id) == col(TrainingSession.id))
            .where(
                col(TrainingSession.program_id).in_(ids),
                col(Enrolment.status) != EnrolmentStatus.cancelled,
            )
        )
        completed = select(col(TrainingCompletion.program_id)).where(
            col(TrainingCompletion.program_id).in_(ids)
        )
        found.update(db.execute(enrolled.union(completed)).scalars())
    return found


def delete_program(db: Session, *, program: TrainingProgram) -> None:
    """Delete a programme without sessions or completions (otherwise deactivate it)."""
    delete_or_conflict(
        db,
        program,
        "The programme has sessions or completions; deactivate it (active=false) instead.",
        code="program-has-history",
    )
