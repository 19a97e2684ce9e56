"""Sign-in: from a validated access token to the user, their roles and their reach.

The token names its issuer and audience; the identity provider configured for that pair
names the organisation. The user is found by (provider, ``sub``); a first sign-in links an
admin-made user with the same email, or creates one when the provider allows it and the
token's groups give a role. Roles are the user's own plus those the groups map to.
Everything is read in a short read of its own, before the request takes its connection; a
write follows only for a first sign-in and, at most once a minute, ``last_sign_in_at``.
"""

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import func, or_, select, update
from sqlmodel import Session, col

from app.core.db import Database
from app.core.errors import Forbidden
from app.core.models import utcnow
from app.core.roles import Reach, UserRole
from app.core.tenancy import bind_organisation
from app.identity import devtoken
from app.identity.models import IdentityProvider, LinkBy, User
from app.identity.oidc import JWKS, InvalidToken, peek, verify
from app.organisation.models import Employee, Organisation, TeamManager
from app.training.models import Enrolment, TrainingSession

SIGN_IN_RESOLUTION = timedelta(minutes=1)


@dataclass(frozen=True)
class SignedIn:
    """A signed-in person: their organisation and reach."""

    organisation_columns: Mapping[str, Any]  # Organisation.column_values()
    reach: Reach


@dataclass(frozen=True)
class _Found:
    signed_in: SignedIn | None
    # True when the user must first be created or linked (a write).
    needs_write: bool
    record_sign_in: bool


def _audiences(claims: dict[str, Any]) -> list[str]:
    aud = claims.get("aud")
    if isinstance(aud, str):
        return [aud]
    if isinstance(aud, list):
        return [a for a in aud if isinstance(a, str)]
    return []


def _providers(db: Session, issuer: str) -> list[IdentityProvider]:
    rows = db.execute(
        select(IdentityProvider).where(
            col(IdentityProvider.issuer) == issuer, col(IdentityProvider.active).is_(True)
        )
    )
    return list(rows.scalars())


def mapped_roles(provider: IdentityProvider, claims: dict[str, Any]) -> set[UserRole]:
    """The roles the token's groups give under the provider's mapping."""
    groups = claims.get(provider.groups_claim)
    if isinstance(groups, str):
        groups = [groups]
    if not isinstance(groups, list):
        return set()
    return {
        UserRole(role)
        for group in groups
        if isinstance(group, str)
        for role in provider.group_roles.get(group, [])
        if role in UserRole.__members__
    }


def _claim(claims: dict[str, Any], name: str | None) -> str | None:
    value = claims.get(name) if name else None
    return value if isinstance(value, str) and value else None


def _trusted_email(provider: IdentityProvider, claims: dict[str, Any]) -> str | None:
    """The email claim, unless the provider says it is not verified (OIDC
    ``email_verified: false``): an address a person typed in themselves links nobody."""
    if str(claims.get("email_verified")).lower() == "false":  # also as a string, as some send
        return None
    return _claim(claims, provider.email_claim)


def _employee_for(
    db: Session, provider: IdentityProvider, claims: dict[str, Any]
) -> uuid.UUID | None:
    if provider.link_by == LinkBy.email:
        email = _trusted_email(provider, claims)
        where = func.lower(col(Employee.email)) == email.lower() if email else None
    elif provider.link_by == LinkBy.employee_number:
        number = _claim(claims, provider.employee_number_claim)
        where = col(Employee.external_id) == number if number else None
    else:
        return None  # linked by `sub`: an admin links the user to an employee
    if where is None:
        return None
    # An employee another user is linked to already is not linked again: one person, one
    # user (an admin links a second account by hand if it is really theirs).
    taken = select(col(User.employee_id)).where(col(User.employee_id).is_not(None))
    return (
        db.execute(select(col(Employee.id)).where(where, col(Employee.id).not_in(taken)))
        .scalars()
        .first()
    )


def _user(db: Session, provider: IdentityProvider, claims: dict[str, Any]) -> User | None:
    found: User | None = (
        db.execute(
            select(User).where(
                col(User.identity_provider_id) == provider.id, col(User.subject) == claims["sub"]
            )
        )
        .scalars()
        .first()
    )
    if found is not None:
        return found
    # An admin may have made the user before their first sign-in: the same (verified)
    # email links it, when the user is for this provider or for none in particular. A user
    # made for another provider is that provider's people's to claim, never this one's.
    email = _trusted_email(provider, claims)
    if email is None:
        return None
    return (
        db.execute(
            select(User).where(
                col(User.subject).is_(None),
                func.lower(col(User.email)) == email.lower(),
                or_(
                    col(User.identity_provider_id).is_(None),
                    col(User.identity_provider_id) == provider.id,
                ),
            )
        )
        .scalars()
        .first()
    )


def _trainer_names(db: Session, user: User) -> set[str]:
    """What a session's free-text ``trainer`` says when it names this user: their email, and
    their name unless another user here has that name too. A shared name names neither: it
    would show one trainer the other's participants (personal data beyond their reach)."""
    names = {user.email.lower()} if user.email else set()
    if user.name:
        namesake = db.execute(
            select(col(User.id))
            .where(func.lower(col(User.name)) == user.name.lower(), col(User.id) != user.id)
            .limit(1)
        ).first()
        if namesake is None:
            names.add(user.name.lower())
    return names


def _reach(db: Session, user: User, roles: frozenset[UserRole]) -> Reach:
    employee = db.get(Employee, user.employee_id) if user.employee_id else None
    if employee is not None and not employee.active:
        raise Forbidden("Your employee record is no longer active.", code="user-deactivated")
    managed = (
        frozenset(
            db.execute(
                select(col(TeamManager.team_id)).where(
                    col(TeamManager.employee_id) == user.employee_id
                )
            ).scalars()
        )
        if employee is not None and UserRole.team_manager in roles
        else frozenset()
    )
    # Their people: not the manager themselves, who reaches their own rows as an employee
    # does ("me" in app/identity/reach.py) and may not write their own HRM conversations.
    people = (
        frozenset(
            db.execute(
                select(col(Employee.id)).where(
                    col(Employee.team_id).in_(managed), col(Employee.id) != user.employee_id
                )
            ).scalars()
        )
        if managed
        else frozenset()
    )
    sessions: frozenset[uuid.UUID] = frozenset()
    participants: frozenset[uuid.UUID] = frozenset()
    participant_teams: frozenset[uuid.UUID] = frozenset()
    names = _trainer_names(db, user)
    if UserRole.trainer in roles and names:
        sessions = frozenset(
            db.execute(
                select(col(TrainingSession.id)).where(
                    func.lower(col(TrainingSession.trainer)).in_(names)
                )
            ).scalars()
        )
        participants = (
            frozenset(
                db.execute(
                    select(col(Enrolment.employee_id)).where(
                        col(Enrolment.session_id).in_(sessions)
                    )
                ).scalars()
            )
            if sessions
            else frozenset()
        )
        # Their teams: the briefing shows the trainer the teams' goals and reviews.
        participant_teams = (
            frozenset(
                db.execute(
                    select(col(Employee.team_id))
                    .where(col(Employee.id).in_(participants), col(Employee.team_id).is_not(None))
                    .distinct()
                ).scalars()
            )
            if participants
            else frozenset()
        )
    return Reach(
        user_id=user.id,
        roles=roles,
        employee_id=employee.id if employee else None,
        team_id=employee.team_id if employee else None,
        managed_team_ids=managed,
        managed_employee_ids=people,
        trained_session_ids=sessions,
        participant_ids=participants,
        participant_team_ids=participant_teams,
    )


def _sign_in(
    db: Session, provider_id: uuid.UUID, claims: dict[str, Any], *, create: bool
) -> _Found:
    provider = db.get(IdentityProvider, provider_id)
    assert provider is not None
    bind_organisation(db, provider.organisation_id)
    user = _user(db, provider, claims)
    mapped = mapped_roles(provider, claims)
    if user is None or user.subject is None:
        if user is None and not (provider.create_users and mapped):
            raise Forbidden(
                "You signed in, but have no access here yet: ask HR for a role.",
                code="no-user",
            )
        if not create:
            return _Found(None, needs_write=True, record_sign_in=False)
        if user is None:
            user = User(
                identity_provider_id=provider.id,
                email=_trusted_email(provider, claims),  # a trainer's reach matches it
                name=_claim(claims, "name"),
                employee_id=_employee_for(db, provider, claims),
            )
        user.subject = claims["sub"]
        user.identity_provider_id = provider.id
        db.add(user)
        db.flush()
    if not user.active:
        raise Forbidden("This user has been deactivated.", code="user-deactivated")
    roles = frozenset({*(UserRole(r) for r in user.roles), *mapped})
    if not roles:
        raise Forbidden("You have no role here: ask HR for one.", code="no-role")
    org = db.get(Organisation, provider.organisation_id)
    assert org is not None
    now = utcnow()
    stale = user.last_sign_in_at is None or now - user.last_sign_in_at >= SIGN_IN_RESOLUTION
    return _Found(
        SignedIn(organisation_columns=org.column_values(), reach=_reach(db, user, roles)),
        needs_write=False,
        record_sign_in=stale,
    )


def _record_sign_in(db: Session, user_id: uuid.UUID) -> None:
    db.execute(update(User).where(col(User.id) == user_id).values(last_sign_in_at=utcnow()))


async def sign_in(database: Database, token: str) -> SignedIn:
    """The person a bearer token signs in; 401 (invalid_token) for any token not valid."""
    header, unverified = peek(token)
    issuer = unverified["iss"]
    providers = await database.read(_providers, issuer)
    audiences = _audiences(unverified)
    matching = [p for p in providers if p.audience in audiences]
    if not matching:
        raise InvalidToken("The token's issuer and audience are not configured here.")
    if len(matching) > 1:
        # The (issuer, audience) pair names the organisation and the claims' meaning. A
        # token whose aud names two providers of its issuer (two organisations, or two
        # group mappings of one) names neither: refused, never signed in to whichever
        # provider the database happened to return first.
        raise InvalidToken(
            "The token's audience names more than one identity provider configured here "
            "for its issuer; it is ambiguous. Ask for a token for this service's audience only."
        )
    provider = matching[0]
    kid = header.get("kid")
    if devtoken.is_dev_issuer(issuer):
        key = devtoken.public_key(kid)
    else:
        key = await JWKS.key(issuer, kid if isinstance(kid, str) else None)
    claims = verify(token, key, issuer=issuer, audience=provider.audience)
    found = await database.read(_sign_in, provider.id, claims, create=False)
    if found.needs_write:
        found = await database.write(_sign_in, provider.id, claims, create=True)
    assert found.signed_in is not None
    if found.record_sign_in:
        # Telemetry, as an API key's last use (core/auth.py): written only when it need not
        # wait, else by the person's next request; never a reason to refuse the sign-in.
        await database.write_if_free(_record_sign_in, found.signed_in.reach.user_id)
    return found.signed_in
