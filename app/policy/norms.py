"""Behaviour norms (seed step 1): green, orange and red, for the organisation and its teams."""

import uuid
from typing import ClassVar

from pydantic import Field
from sqlmodel import Session, col, select

from app.core.crud import apply_changes, resolve_ref
from app.core.errors import Conflict, RuleViolation
from app.core.listing import Clauses, ListFilters, Listing
from app.core.tenancy import take_turn
from app.organisation.models import Team
from app.policy.models import (
    ACCEPTABLE_LEVELS,
    Norm,
    NormCreate,
    NormLevel,
    NormPublic,
    NormStatus,
    NormUpdate,
    ProtocolNorm,
)


def _title_key(title: str) -> str:
    return " ".join(title.split()).casefold()


# A team norm is checked against the organisation's red norms and a red organisation norm
# against the team norms: two such writes side by side would each pass against the other's
# rows as they were (write skew), so every norm write checks in turn (PostgreSQL).
NORMS_TURN = "norms"


def _check_norm_within_organisation(db: Session, norm: Norm) -> None:
    """A team norm may sharpen the organisation norm, never soften it.

    A team norm may not mark acceptable (green/orange) a behaviour the organisation marks
    red; checked both ways, so a red organisation norm cannot be added under a team norm
    that already accepts the behaviour. Retired norms are out of force and do not count.
    """
    if norm.status == NormStatus.retired:
        return
    key = _title_key(norm.title)
    if norm.team_id is not None and norm.level in ACCEPTABLE_LEVELS:
        candidates = db.exec(
            select(Norm).where(
                col(Norm.team_id).is_(None),
                col(Norm.level) == NormLevel.red,
                col(Norm.status) != NormStatus.retired,
            )
        )
        clash = [n for n in candidates if _title_key(n.title) == key and n.id != norm.id]
        if clash:
            org_norm = clash[0]
            raise RuleViolation(
                f"The organisation norm '{org_norm.title}' marks this behaviour red "
                f"(unacceptable); a team norm may sharpen it, not mark it {norm.level}.",
                code="team-norm-softens-organisation-norm",
                violations=[
                    {
                        "rule": "team_norm_within_organisation_norm",
                        "message": f"'{org_norm.title}' is red in the organisation norm.",
                        "organisation_norm_id": str(org_norm.id),
                        "organisation_norm_title": org_norm.title,
                    }
                ],
            )
    if norm.team_id is None and norm.level == NormLevel.red:
        candidates = db.exec(
            select(Norm).where(
                col(Norm.team_id).is_not(None),
                col(Norm.level).in_(list(ACCEPTABLE_LEVELS)),
                col(Norm.status) != NormStatus.retired,
            )
        )
        clash = [n for n in candidates if _title_key(n.title) == key and n.id != norm.id]
        if clash:
            raise RuleViolation(
                f"Team norms mark '{norm.title}' acceptable; retire or change them before "
                "marking it red for the whole organisation.",
                code="team-norm-softens-organisation-norm",
                violations=[
                    {
                        "rule": "team_norm_within_organisation_norm",
                        "message": f"Team norm '{n.title}' marks it {n.level}.",
                        "team_norm_id": str(n.id),
                        "team_id": str(n.team_id),
                    }
                    for n in clash
                ],
            )


class NormFilters(ListFilters):
    clauses: ClassVar[Clauses] = {
        "organisation_only": lambda only: col(Norm.team_id).is_(None) if only else None
    }

    team_id: uuid.UUID | None = None
    organisation_only: bool = Field(
        default=False, description="Only organisation norms (no team norms)."
    )
    level: NormLevel | None = None
    status: NormStatus | None = None


NORM_LIST = Listing(
    model=Norm,
    filters=NormFilters,
    public=NormPublic,
    doc="Behaviour norms (green/orange/red); filter by team, level or status.",
)


def create_norm(db: Session, *, data: NormCreate) -> Norm:
    """A new organisation or team norm; a team norm may not soften a red organisation norm."""
    if data.team_id is not None:
        resolve_ref(db, Team, data.team_id, pointer="/team_id", what="team")
    norm = Norm(**data.model_dump())
    take_turn(db, NORMS_TURN)
    _check_norm_within_organisation(db, norm)
    db.add(norm)
    db.flush()
    return norm


def update_norm(db: Session, *, norm: Norm, data: NormUpdate) -> Norm:
    """Change a norm; the result is checked against the organisation norm again."""
    changes = data.model_dump(exclude_unset=True)
    if changes.get("team_id") is not None:
        resolve_ref(db, Team, changes["team_id"], pointer="/team_id", what="team")
    take_turn(db, NORMS_TURN)
    with db.no_autoflush:
        apply_changes(norm, changes)
        try:
            _check_norm_within_organisation(db, norm)
        except RuleViolation:
            db.expire(norm)
            raise
    db.flush()
    return norm


def delete_norm(db: Session, *, norm: Norm) -> None:
    """Delete a norm no protocol includes; otherwise retire it (status=retired)."""
    used = db.scalar(
        select(col(ProtocolNorm.protocol_id)).where(col(ProtocolNorm.norm_id) == norm.id).limit(1)
    )
    if used is not None:
        raise Conflict(
            "A protocol includes this norm; retire it (status=retired) instead.",
            code="norm-in-protocol",
        )
    db.delete(norm)
    db.flush()
