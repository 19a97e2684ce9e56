"""Fetch-or-404 dependencies for path ids of the policy domain."""

import uuid
from typing import Annotated

from fastapi import Depends, Path

from app.core.auth import DbSession, ReadPrincipal
from app.core.errors import NotFound
from app.core.tenancy import get_scoped
from app.policy.models import Norm, Protocol, TeamDiscussion


def _norm(norm_id: Annotated[uuid.UUID, Path()], session: DbSession, _p: ReadPrincipal) -> Norm:
    return get_scoped(session, Norm, norm_id)


def _protocol(
    protocol_id: Annotated[uuid.UUID, Path()], session: DbSession, _p: ReadPrincipal
) -> Protocol:
    return get_scoped(session, Protocol, protocol_id)


def _team_discussion(
    protocol: Annotated[Protocol, Depends(_protocol)],
    team_discussion_id: Annotated[uuid.UUID, Path()],
    session: DbSession,
) -> TeamDiscussion:
    discussion = get_scoped(session, TeamDiscussion, team_discussion_id, name="team discussion")
    if discussion.protocol_id != protocol.id:
        # Another version's discussion is not found under this one.
        raise NotFound(resource="team discussion", id_=team_discussion_id)
    return discussion


NormDep = Annotated[Norm, Depends(_norm)]
ProtocolDep = Annotated[Protocol, Depends(_protocol)]
TeamDiscussionDep = Annotated[TeamDiscussion, Depends(_team_discussion)]
