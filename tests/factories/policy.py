"""Factories for norms, protocols, acknowledgements and team discussions."""

import itertools
from datetime import date, datetime, timedelta
from typing import Any

from sqlmodel import Session, col, select

from app.core.models import utcnow
from app.organisation.models import Employee, Team
from app.policy import protocols
from app.policy.models import (
    Norm,
    NormLevel,
    Protocol,
    ProtocolAcknowledgement,
    ProtocolCreate,
    SectionIn,
    SectionKind,
    TeamDiscussion,
    TeamDiscussionParticipant,
)

_seq = itertools.count(1)


def make_norm(session: Session, **overrides: Any) -> Norm:
    n = next(_seq)
    norm = Norm(
        **{
            "title": f"Gedrag {n}",
            "description": "Wat het gedrag inhoudt.",
            "level": NormLevel.orange,
            "response": "Benoem het gedrag en begrens.",
            "aftercare": "Bespreek het met je leidinggevende.",
            **overrides,
        }
    )
    session.add(norm)
    session.flush()
    return norm


def section(**overrides: Any) -> SectionIn:
    data: dict[str, Any] = {
        "kind": SectionKind.agreement,
        "title": "Wij accepteren geen fysiek geweld",
        "body": "Bij fysiek geweld stop je het gesprek en haal je een collega erbij.",
        "pillar": 3,
    }
    data.update(overrides)
    return SectionIn(**data)


def make_protocol(
    session: Session,
    *,
    publish: bool = False,
    sections: list[SectionIn] | None = None,
    **overrides: Any,
) -> Protocol:
    """A draft (or, with ``publish``, the published version) through the service."""
    n = next(_seq)
    data = ProtocolCreate(
        **{
            "title": f"Agressieprotocol {n}",
            "summary": "Afspraken over omgaan met agressie.",
            "sections": [section()] if sections is None else sections,
            **overrides,
        }
    )
    protocol = protocols.create_protocol(session, data=data)
    if publish:
        protocols.publish_protocol(session, protocol=protocol)
    return protocol


def set_published_at(
    session: Session, protocol: Protocol, published_at: datetime, superseded_at: datetime | None
) -> None:
    """Move a protocol's publication window into the past (readiness at a moment)."""
    protocol.published_at = published_at
    protocol.superseded_at = superseded_at
    session.flush()


def make_acknowledgement(
    session: Session, *, protocol: Protocol, employee: Employee, read_at: datetime | None = None
) -> ProtocolAcknowledgement:
    ack = ProtocolAcknowledgement(
        protocol_id=protocol.id,
        employee_id=employee.id,
        read_at=read_at or utcnow() - timedelta(minutes=1),
    )
    session.add(ack)
    session.flush()
    return ack


def make_team_discussion(
    session: Session, *, protocol: Protocol, team: Team, discussed_on: date | None = None
) -> TeamDiscussion:
    discussion = TeamDiscussion(
        protocol_id=protocol.id,
        team_id=team.id,
        discussed_on=discussed_on or utcnow().date(),
        notes="Besproken in het werkoverleg.",
    )
    session.add(discussion)
    session.flush()
    took_part(session, discussion)
    return discussion


def took_part(
    session: Session, discussion: TeamDiscussion, employees: list[Employee] | None = None
) -> None:
    """Participants of a discussion: ``employees``, or the team's active members now."""
    if employees is None:
        employees = list(
            session.exec(
                select(Employee).where(
                    Employee.team_id == discussion.team_id, col(Employee.active).is_(True)
                )
            )
        )
    session.add_all(
        TeamDiscussionParticipant(
            discussion_id=discussion.id,
            employee_id=e.id,
            organisation_id=discussion.organisation_id,
        )
        for e in employees
    )
    session.flush()
