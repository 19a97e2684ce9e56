"""Roles of signed-in people and what each one reaches (issue 18).

A person who signs in (OpenID Connect, app/identity) has one or more roles. API keys have
no roles: their scope decides, as before. What a role reaches is applied to the request's
session by construction, the way tenancy is (app/identity/reach.py): rows outside the
caller's reach are not found (404, like another organisation's), and a change the role may
not make to a row it can see is refused at flush (403). This module holds the data, and
the one way a service rule reads its evidence beyond the caller's reach
(``evidence_beyond_reach``).
"""

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from app.organisation.models import Scope

REACH_KEY = "reach"
# session.info key of the loader criteria that keep a session to its reach (reach.py).
REACH_OPTIONS_KEY = "reach_options"
# session.info key naming the API key of the request, for the audit trail (app/audit).
ACTOR_KEY = "api_key_id"
# session.info key naming the signed-in user of the request, for the audit trail.
ACTOR_USER = "user_id"


class UserRole(StrEnum):
    """hr_admin, hr_viewer, team_manager, trainer, employee (docs/identity.md)."""

    hr_admin = "hr_admin"
    hr_viewer = "hr_viewer"
    team_manager = "team_manager"
    trainer = "trainer"
    employee = "employee"


# The key scope a role's routes need: admin routes are hr_admin's; hr_viewer writes nothing.
ROLE_SCOPE = {
    UserRole.hr_admin: Scope.admin,
    UserRole.hr_viewer: Scope.read,
    UserRole.team_manager: Scope.write,
    UserRole.trainer: Scope.write,
    UserRole.employee: Scope.write,
}
_RANK = {Scope.read: 0, Scope.write: 1, Scope.admin: 2}


def scope_of(roles: frozenset[UserRole]) -> Scope:
    """The widest scope any of ``roles`` gives."""
    return max((ROLE_SCOPE[r] for r in roles), key=_RANK.__getitem__, default=Scope.read)


@dataclass(frozen=True)
class Reach:
    """A signed-in person's roles and the rows they start from, read at sign-in."""

    user_id: uuid.UUID
    roles: frozenset[UserRole]
    employee_id: uuid.UUID | None = None
    team_id: uuid.UUID | None = None
    managed_team_ids: frozenset[uuid.UUID] = frozenset()
    # Employees of the managed teams, the manager themselves not among them.
    managed_employee_ids: frozenset[uuid.UUID] = frozenset()
    # Training sessions whose trainer is this person (their email or name).
    trained_session_ids: frozenset[uuid.UUID] = frozenset()
    # Employees enrolled in those sessions.
    participant_ids: frozenset[uuid.UUID] = frozenset()
    # Their teams (the briefing: team goals and practice reviews).
    participant_team_ids: frozenset[uuid.UUID] = frozenset()

    @property
    def sees_everything(self) -> bool:
        """hr_admin and hr_viewer see the whole organisation."""
        return bool(self.roles & {UserRole.hr_admin, UserRole.hr_viewer})

    @property
    def writes_everything(self) -> bool:
        return UserRole.hr_admin in self.roles


@contextmanager
def evidence_beyond_reach(db: Session, *evidence: type[Any]) -> Iterator[None]:
    """Within: the caller's reach does not narrow the ``evidence`` tables.

    A rule the service applies decides on the organisation's facts, not on what the caller
    may see: a trainer completing their session must find the participants' protocol
    acknowledgements, which the trainer's role does not read. Only the evidence is widened:
    the rows the rule is about (the employees asked about) stay within reach, and nothing
    read here is shown beyond the rule's own answer.
    """
    options = db.info.get(REACH_OPTIONS_KEY)
    if not options:
        yield
        return
    mappers = {sa.inspect(table) for table in evidence}
    db.info[REACH_OPTIONS_KEY] = [o for o in options if getattr(o, "entity", None) not in mappers]
    try:
        yield
    finally:
        db.info[REACH_OPTIONS_KEY] = options
