"""What a programme practises (issue 20, item 1; seed: "Dat is immers waar mee geoefend
wordt", "leersituaties die vergelijkbaar zijn met de praktijksituatie").

A programme names the protocol sections and the norms it practises, and the practice
situations it uses, each for one function group or for all (``function_group_id`` null),
e.g. "cliënt weigert te vertrekken bij de balie" for the front desk. They are given with
the programme (``norm_ids``, ``protocol_section_ids``, ``practice_situations``; each, when
given on a change, replaces the list) and read in three queries for any number of
programmes.
"""

import uuid
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlmodel import Field, Session, SQLModel, col, select

from app.core.crud import resolve_refs, set_links, unknown_reference
from app.core.models import TenantTable, link_owner, link_target, render
from app.organisation.models import FunctionGroup
from app.policy.models import Norm, ProtocolSection

if TYPE_CHECKING:
    # training/models.py imports this module for PracticeSituationIn.
    from app.training.models import TrainingProgram

SITUATION_MAX = 1000


class ProgramNorm(SQLModel, table=True):
    """Link: a programme practises a norm (how to respond to it, and its aftercare)."""

    __tablename__ = "program_norm"

    program_id: uuid.UUID = link_owner("training_program")
    norm_id: uuid.UUID = link_target("norm")
    organisation_id: uuid.UUID = Field(foreign_key="organisation.id", index=True)


class ProgramProtocolSection(SQLModel, table=True):
    """Link: a programme practises a section of the protocol (gone with a deleted draft)."""

    __tablename__ = "program_protocol_section"

    program_id: uuid.UUID = link_owner("training_program")
    section_id: uuid.UUID = Field(
        sa_column=sa.Column(
            sa.Uuid,
            sa.ForeignKey("protocol_section.id", ondelete="CASCADE"),
            primary_key=True,
            index=True,
        )
    )
    organisation_id: uuid.UUID = Field(foreign_key="organisation.id", index=True)


class PracticeSituation(TenantTable, table=True):
    """A practice situation of a programme, for one function group or all."""

    __tablename__ = "practice_situation"

    program_id: uuid.UUID = Field(
        sa_column=sa.Column(
            sa.Uuid,
            sa.ForeignKey("training_program.id", ondelete="CASCADE"),
            nullable=False,
            index=True,
        )
    )
    function_group_id: uuid.UUID | None = Field(
        default=None, foreign_key="function_group.id", index=True
    )
    description: str = Field(max_length=SITUATION_MAX)


class PracticeSituationIn(SQLModel):
    function_group_id: uuid.UUID | None = Field(
        default=None, description="The function group it suits; null: every group."
    )
    description: str = Field(
        min_length=1,
        max_length=SITUATION_MAX,
        description="e.g. 'Cliënt weigert te vertrekken bij de balie'.",
    )


@dataclass
class Content:
    norm_ids: list[uuid.UUID] = field(default_factory=list)
    protocol_section_ids: list[uuid.UUID] = field(default_factory=list)
    practice_situations: list[PracticeSituationIn] = field(default_factory=list)


def content_by_program(db: Session, program_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, Content]:
    """The content of many programmes in three queries."""
    ids = list(program_ids)
    out: dict[uuid.UUID, Content] = defaultdict(Content)
    if not ids:
        return out
    for pid, nid in db.exec(
        select(col(ProgramNorm.program_id), col(ProgramNorm.norm_id))
        .where(col(ProgramNorm.program_id).in_(ids))
        .order_by(col(ProgramNorm.program_id), col(ProgramNorm.norm_id))
    ):
        out[pid].norm_ids.append(nid)
    for pid, sid in db.exec(
        select(col(ProgramProtocolSection.program_id), col(ProgramProtocolSection.section_id))
        .where(col(ProgramProtocolSection.program_id).in_(ids))
        .order_by(col(ProgramProtocolSection.program_id), col(ProgramProtocolSection.section_id))
    ):
        out[pid].protocol_section_ids.append(sid)
    for situation in db.exec(
        select(PracticeSituation)
        .where(col(PracticeSituation.program_id).in_(ids))
        .order_by(col(PracticeSituation.program_id), col(PracticeSituation.id))
    ):
        out[situation.program_id].practice_situations.append(render(PracticeSituationIn, situation))
    return out


def check_content(
    db: Session,
    *,
    norm_ids: Sequence[uuid.UUID] | None,
    protocol_section_ids: Sequence[uuid.UUID] | None,
    practice_situations: Sequence[PracticeSituationIn] | None,
) -> None:
    """Every id given names a row of the organisation (422 naming its place)."""
    if norm_ids:
        resolve_refs(db, Norm, norm_ids, pointer="/norm_ids/{i}", what="norm")
    if protocol_section_ids:
        resolve_refs(
            db,
            ProtocolSection,
            protocol_section_ids,
            pointer="/protocol_section_ids/{i}",
            what="protocol section",
        )
    groups = [s.function_group_id for s in practice_situations or () if s.function_group_id]
    if groups:
        # A pointer per situation: resolve_refs names the first unknown one's index.
        indexed = [
            (i, s.function_group_id)
            for i, s in enumerate(practice_situations or ())
            if s.function_group_id
        ]
        found = set(db.exec(select(col(FunctionGroup.id)).where(col(FunctionGroup.id).in_(groups))))
        for i, gid in indexed:
            if gid not in found:
                raise unknown_reference(
                    f"/practice_situations/{i}/function_group_id", "function group", gid
                )


def set_content(
    db: Session,
    *,
    program: "TrainingProgram",
    norm_ids: Sequence[uuid.UUID] | None,
    protocol_section_ids: Sequence[uuid.UUID] | None,
    practice_situations: Sequence[PracticeSituationIn] | None,
) -> bool:
    """Replace each list given (None: unchanged); whether anything changed."""
    changed = False
    if norm_ids is not None:
        changed |= set_links(
            db, col(ProgramNorm.program_id), col(ProgramNorm.norm_id), program, norm_ids
        )
    if protocol_section_ids is not None:
        changed |= set_links(
            db,
            col(ProgramProtocolSection.program_id),
            col(ProgramProtocolSection.section_id),
            program,
            protocol_section_ids,
        )
    if practice_situations is not None:
        for old in db.exec(
            select(PracticeSituation).where(col(PracticeSituation.program_id) == program.id)
        ):
            db.delete(old)
        db.add_all(
            PracticeSituation(
                program_id=program.id,
                function_group_id=s.function_group_id,
                description=s.description,
            )
            for s in practice_situations
        )
        changed = True  # rows of their own, replaced whole
    return changed
