"""The aggression protocol's lifecycle (seed step 2): draft -> published -> superseded.

Also who read a version (acknowledgements) and which teams discussed it in a meeting.
"""

import uuid
from collections import defaultdict
from collections.abc import Sequence
from datetime import date, timedelta

import sqlalchemy as sa
from sqlalchemy import delete, func
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from app.core.crud import (
    apply_changes,
    no_duplicate_ids,
    resolve_ref,
    resolve_refs,
    set_links,
)
from app.core.dates import day_of
from app.core.errors import Conflict, InvalidInput
from app.core.listing import ListFilters, Listing, rendered_with_links
from app.core.models import render, touch, utcnow
from app.core.queries import linked_ids
from app.followup.models import SAFE_RESILIENT_WORK_TITLE, TeamMeeting
from app.organisation import organisations
from app.organisation.models import Employee, Team
from app.policy.models import (
    AcknowledgementCreate,
    AcknowledgementPublic,
    Norm,
    Protocol,
    ProtocolAcknowledgement,
    ProtocolCreate,
    ProtocolNorm,
    ProtocolPublic,
    ProtocolSection,
    ProtocolStatus,
    ProtocolUpdate,
    SectionIn,
    SectionPublic,
    TeamDiscussion,
    TeamDiscussionCreate,
    TeamDiscussionParticipant,
    TeamDiscussionPublic,
)
from app.policy.readiness import current_protocol

# Clocks of HR platforms drift; a read_at a few minutes ahead is not "in the future".
CLOCK_SKEW = timedelta(minutes=5)


def protocols_public(db: Session, protocols: Sequence[Protocol]) -> list[ProtocolPublic]:
    """Protocols with their sections and norm ids: three queries for a whole page."""
    ids = [p.id for p in protocols]
    sections: dict[uuid.UUID, list[SectionPublic]] = defaultdict(list)
    norms = linked_ids(db, col(ProtocolNorm.protocol_id), col(ProtocolNorm.norm_id), ids)
    if ids:
        for sec in db.exec(
            select(ProtocolSection)
            .where(col(ProtocolSection.protocol_id).in_(ids))
            .order_by(col(ProtocolSection.protocol_id), col(ProtocolSection.position))
        ):
            sections[sec.protocol_id].append(
                SectionPublic.model_validate(sec, from_attributes=True)
            )
    return [
        render(ProtocolPublic, p, sections=sections.get(p.id, []), norm_ids=norms.get(p.id, []))
        for p in protocols
    ]


def protocol_sections(db: Session, protocol_id: uuid.UUID) -> list[ProtocolSection]:
    """One protocol's sections in their order."""
    return list(
        db.exec(
            select(ProtocolSection)
            .where(col(ProtocolSection.protocol_id) == protocol_id)
            .order_by(col(ProtocolSection.position))
        )
    )


class ProtocolFilters(ListFilters):
    status: ProtocolStatus | None = None


PROTOCOL_LIST = Listing(
    model=Protocol,
    filters=ProtocolFilters,
    public=ProtocolPublic,
    render=protocols_public,
    doc="Versions of the aggression protocol, with sections; filter by status.",
)


def _check_norm_ids(db: Session, norm_ids: list[uuid.UUID]) -> list[uuid.UUID]:
    resolve_refs(db, Norm, norm_ids, pointer="/norm_ids/{i}", what="norm")
    return list(dict.fromkeys(norm_ids))


def _replace_contents(
    db: Session,
    protocol: Protocol,
    sections: list[SectionIn] | None,
    norm_ids: list[uuid.UUID] | None,
) -> None:
    if sections is not None:
        # Core delete first: the unit of work would insert the new positions before
        # deleting the old ones and trip the (protocol_id, position) unique constraint.
        db.execute(delete(ProtocolSection).where(col(ProtocolSection.protocol_id) == protocol.id))
        db.add_all(
            ProtocolSection(protocol_id=protocol.id, position=i, **sec.model_dump())
            for i, sec in enumerate(sections, start=1)
        )
    if norm_ids is not None:
        set_links(db, col(ProtocolNorm.protocol_id), col(ProtocolNorm.norm_id), protocol, norm_ids)


def create_protocol(db: Session, *, data: ProtocolCreate) -> Protocol:
    """A new draft; its version is the organisation's highest so far plus one."""
    norm_ids = _check_norm_ids(db, data.norm_ids)
    # Version numbering and publishing take turns per organisation; the partial unique
    # index stays the backstop.
    organisations.lock_organisation(db)
    highest = db.scalar(select(func.max(Protocol.version))) or 0
    protocol = Protocol(title=data.title, summary=data.summary, version=highest + 1)
    db.add(protocol)
    db.flush()
    _replace_contents(db, protocol, data.sections, norm_ids)
    db.flush()
    return protocol


def _require_draft(protocol: Protocol, action: str) -> None:
    if protocol.status != ProtocolStatus.draft:
        raise Conflict(
            f"Version {protocol.version} is {protocol.status}; only drafts can be {action}. "
            "Create a new version instead.",
            code="protocol-not-draft",
        )


def update_protocol(db: Session, *, protocol: Protocol, data: ProtocolUpdate) -> Protocol:
    """Change a draft; a published or superseded version is immutable (409)."""
    _require_draft(protocol, "edited")
    norm_ids = _check_norm_ids(db, data.norm_ids) if data.norm_ids is not None else None
    changes = data.model_dump(exclude_unset=True, include={"title", "summary"})
    apply_changes(protocol, changes)
    if data.sections is not None or norm_ids is not None:
        _replace_contents(db, protocol, data.sections, norm_ids)
        touch(protocol)
    db.flush()
    return protocol


def delete_protocol(db: Session, *, protocol: Protocol) -> None:
    """Delete a draft; published and superseded versions are history (409)."""
    _require_draft(protocol, "deleted")
    _replace_contents(db, protocol, [], [])
    db.flush()  # the links removed before the protocol (crud.set_links)
    db.delete(protocol)
    db.flush()


def publish_protocol(db: Session, *, protocol: Protocol) -> Protocol:
    """Publish a draft; the version published so far becomes superseded.

    Publishing the published version again changes nothing. Publishing an older draft
    over a newer published version is refused, so versions only move forward.
    """
    organisations.lock_organisation(db)
    db.refresh(protocol)  # the state after whoever held the lock before us
    if protocol.status == ProtocolStatus.published:
        return protocol
    if protocol.status == ProtocolStatus.superseded:
        raise Conflict(
            f"Version {protocol.version} was superseded; it cannot be published again.",
            code="protocol-superseded",
        )
    has_sections = db.scalar(
        select(col(ProtocolSection.id))
        .where(col(ProtocolSection.protocol_id) == protocol.id)
        .limit(1)
    )
    if has_sections is None:
        raise Conflict(
            "A protocol without sections cannot be published; add its agreements first.",
            code="protocol-has-no-sections",
        )
    now = utcnow()
    current = current_protocol(db)
    if current is not None:
        if current.version > protocol.version:
            raise Conflict(
                f"Version {current.version} is already published; version "
                f"{protocol.version} is older.",
                code="newer-version-published",
            )
        apply_changes(current, {"status": ProtocolStatus.superseded, "superseded_at": now})
        # Flush the supersede first: the one-published index is checked row by row.
        db.flush()
    apply_changes(protocol, {"status": ProtocolStatus.published, "published_at": now})
    try:
        db.flush()
    except IntegrityError:
        raise Conflict(
            "Another version was published at the same moment; fetch the current one.",
            code="concurrent-publish",
        ) from None
    return protocol


# --- acknowledgements and team discussions (seed step 2) --------------------------------


def _require_published(protocol: Protocol) -> None:
    # Only the version in force can be read for readiness; a superseded one is history.
    if protocol.status != ProtocolStatus.published:
        raise Conflict(
            f"Version {protocol.version} is {protocol.status}; only the published version "
            "can be acknowledged or discussed.",
            code="protocol-not-published",
        )


def _find_acknowledgement(
    db: Session, protocol_id: uuid.UUID, employee_id: uuid.UUID
) -> ProtocolAcknowledgement | None:
    return db.exec(
        select(ProtocolAcknowledgement).where(
            col(ProtocolAcknowledgement.protocol_id) == protocol_id,
            col(ProtocolAcknowledgement.employee_id) == employee_id,
        )
    ).first()


def acknowledge(
    db: Session, *, protocol: Protocol, data: AcknowledgementCreate
) -> tuple[ProtocolAcknowledgement, bool]:
    """Record that an employee read this version; returns (record, created).

    Idempotent: a second call, also a concurrent one, returns the first record. The
    unique (protocol, employee) constraint decides races; the loser reads the winner's row.
    """
    _require_published(protocol)
    resolve_ref(db, Employee, data.employee_id, pointer="/employee_id", what="employee")
    now = utcnow()
    if data.read_at is not None and data.read_at > now + CLOCK_SKEW:
        raise InvalidInput(
            "read_at lies in the future.",
            code="read-at-in-future",
            errors=[{"pointer": "/read_at", "detail": "must not be in the future"}],
        )
    existing = _find_acknowledgement(db, protocol.id, data.employee_id)
    if existing is not None:
        return existing, False
    ack = ProtocolAcknowledgement(
        protocol_id=protocol.id, employee_id=data.employee_id, read_at=data.read_at or now
    )
    try:
        with db.begin_nested():
            db.add(ack)
            db.flush()
    except IntegrityError:
        existing = _find_acknowledgement(db, protocol.id, data.employee_id)
        if existing is None:
            raise
        return existing, False
    return ack, True


class AcknowledgementFilters(ListFilters):
    employee_id: uuid.UUID | None = None


ACKNOWLEDGEMENT_LIST = Listing(
    model=ProtocolAcknowledgement,
    filters=AcknowledgementFilters,
    public=AcknowledgementPublic,
    doc="Employees who read this version; filter by employee.",
)


def _participants(
    db: Session, *, team_id: uuid.UUID, ids: Sequence[uuid.UUID] | None
) -> list[uuid.UUID]:
    """The participants: the team's active members by default, else each one given, who
    must be an active member of the team (422 naming their place)."""
    members = set(
        db.exec(
            select(col(Employee.id)).where(
                col(Employee.team_id) == team_id, col(Employee.active).is_(True)
            )
        )
    )
    if ids is None:
        return sorted(members)
    no_duplicate_ids(ids, pointer="/participant_ids/{i}", what="employee")
    resolve_refs(db, Employee, ids, pointer="/participant_ids/{i}", what="employee")
    for i, emp_id in enumerate(ids):
        if emp_id not in members:
            raise InvalidInput(
                "Participants of a team discussion are active members of the team.",
                code="employee-of-another-team",
                errors=[{"pointer": f"/participant_ids/{i}", "detail": "not an active member"}],
            )
    return list(ids)


def _does_not_fit(pointer: str) -> Conflict:
    return Conflict(
        "A discussion held in a team meeting is of that meeting's team and day, and the "
        f"meeting has '{SAFE_RESILIENT_WORK_TITLE}' on its agenda.",
        code="meeting-does-not-fit",
        errors=[{"pointer": pointer, "detail": "other team, day or agenda"}],
    )


def _fits(meeting: TeamMeeting, team_id: uuid.UUID, day: date) -> bool:
    return (
        meeting.team_id == team_id
        and meeting.held_on == day
        and meeting.safe_resilient_work_on_agenda
    )


def _check_meeting(db: Session, data: TeamDiscussionCreate) -> None:
    if data.team_meeting_id is None:
        return
    meeting = resolve_ref(
        db, TeamMeeting, data.team_meeting_id, pointer="/team_meeting_id", what="team meeting"
    )
    if not _fits(meeting, data.team_id, data.discussed_on):
        raise _does_not_fit("/team_meeting_id")


def check_discussions_in_meeting(db: Session, meeting: TeamMeeting) -> None:
    """A changed team meeting must still fit the protocol discussions recorded in it (its
    team, its day, the fixed item on its agenda): else 409 ``meeting-does-not-fit``."""
    discussions = db.exec(
        select(TeamDiscussion).where(col(TeamDiscussion.team_meeting_id) == meeting.id)
    )
    if any(not _fits(meeting, d.team_id, d.discussed_on) for d in discussions):
        raise _does_not_fit("")


def record_team_discussion(
    db: Session, *, protocol: Protocol, data: TeamDiscussionCreate
) -> TeamDiscussion:
    """Record that a team discussed this version in a team meeting (werkoverleg), with
    who took part (default: the team's active members)."""
    _require_published(protocol)
    resolve_ref(db, Team, data.team_id, pointer="/team_id", what="team")
    if data.discussed_on > day_of(utcnow() + CLOCK_SKEW):
        raise InvalidInput(
            "discussed_on lies in the future; record the meeting once it took place.",
            code="discussed-on-in-future",
            errors=[{"pointer": "/discussed_on", "detail": "must not be in the future"}],
        )
    participants = _participants(db, team_id=data.team_id, ids=data.participant_ids)
    _check_meeting(db, data)
    discussion = TeamDiscussion(
        protocol_id=protocol.id, **data.model_dump(exclude={"participant_ids"})
    )
    db.add(discussion)
    db.flush()
    db.add_all(
        TeamDiscussionParticipant(
            discussion_id=discussion.id,
            employee_id=emp_id,
            organisation_id=discussion.organisation_id,
        )
        for emp_id in participants
    )
    db.flush()
    return discussion


# Discussions recorded without participants (bulk loads, before issue 20): the team's
# active members took part. The migration runs the same statement.
TEAM_MEMBERS_TOOK_PART = sa.text(
    "INSERT INTO team_discussion_participant (discussion_id, employee_id, organisation_id) "
    "SELECT d.id, e.id, d.organisation_id FROM team_discussion d "
    "JOIN employee e ON e.team_id = d.team_id AND e.active "
    "WHERE NOT EXISTS (SELECT 1 FROM team_discussion_participant p WHERE p.discussion_id = d.id)"
)


# Discussions with their participants, in one more query whatever the count.
discussions_public = rendered_with_links(
    TeamDiscussionPublic,
    "participant_ids",
    col(TeamDiscussionParticipant.discussion_id),
    col(TeamDiscussionParticipant.employee_id),
)


class TeamDiscussionFilters(ListFilters):
    team_id: uuid.UUID | None = None


TEAM_DISCUSSION_LIST = Listing(
    model=TeamDiscussion,
    filters=TeamDiscussionFilters,
    public=TeamDiscussionPublic,
    render=discussions_public,
    doc="Team meetings that discussed this version; filter by team.",
)
