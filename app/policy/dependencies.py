"""Fetch-or-404 dependencies for path ids of the policy domain."""

import uuid
from typing import Annotated

from fastapi import Depends, Path

from app.core.auth import DbSession, ReadPrincipal
from app.core.tenancy import get_scoped
from app.policy.models import Norm, Protocol


def _norm(norm_id: Annotated[uuid.UUID, Path()], session: DbSession, _p: ReadPrincipal) -> Norm:
    return get_scoped(session, Norm, norm_id)


def _protocol(
    protocol_id: Annotated[uuid.UUID, Path()], session: DbSession, _p: ReadPrincipal
) -> Protocol:
    return get_scoped(session, Protocol, protocol_id)


NormDep = Annotated[Norm, Depends(_norm)]
ProtocolDep = Annotated[Protocol, Depends(_protocol)]
