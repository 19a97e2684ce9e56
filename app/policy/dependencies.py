"""Fetch-or-404 dependencies for path ids of the policy domain."""

import uuid
from typing import Annotated

from fastapi import Depends, Path
from sqlmodel import Session

from app.core.errors import NotFound
from app.core.sessions import ReadSession, WriteSession, reader, writer
from app.core.tenancy import get_scoped
from app.policy.models import Protocol, TeamDiscussion

ProtocolDep = Annotated[Protocol, Depends(reader(Protocol, "protocol_id"))]
ProtocolForUpdate = Annotated[Protocol, Depends(writer(Protocol, "protocol_id"))]
DiscussionId = Annotated[uuid.UUID, Path(alias="team_discussion_id")]


def _discussion_of(db: Session, protocol: Protocol, discussion_id: uuid.UUID) -> TeamDiscussion:
    discussion = get_scoped(db, TeamDiscussion, discussion_id, name="team discussion")
    if discussion.protocol_id != protocol.id:
        # Another version's discussion is not found under this one.
        raise NotFound(resource="team discussion", id_=discussion_id)
    return discussion


def _read_discussion(
    protocol: ProtocolDep, discussion_id: DiscussionId, db: ReadSession
) -> TeamDiscussion:
    return _discussion_of(db, protocol, discussion_id)


def _write_discussion(
    protocol: ProtocolForUpdate, discussion_id: DiscussionId, db: WriteSession
) -> TeamDiscussion:
    return _discussion_of(db, protocol, discussion_id)


TeamDiscussionDep = Annotated[TeamDiscussion, Depends(_read_discussion)]
TeamDiscussionForUpdate = Annotated[TeamDiscussion, Depends(_write_discussion)]
