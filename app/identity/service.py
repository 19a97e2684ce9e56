"""Identity providers and users of the organisation (admin), and the caller's own view."""

import uuid
from collections.abc import Sequence

from pydantic import Field
from sqlmodel import Session, col, select

from app.core.crud import apply_changes, delete_or_conflict, resolve_ref
from app.core.errors import InvalidInput
from app.core.listing import ListFilters, Listing
from app.core.models import bulk_update, render
from app.core.roles import Reach
from app.identity import oidc
from app.identity.devtoken import DEV_ISSUER
from app.identity.models import (
    IdentityProvider,
    IdentityProviderCreate,
    IdentityProviderPublic,
    IdentityProviderUpdate,
    MePublic,
    User,
    UserCreate,
    UserPublic,
    UserUpdate,
)
from app.identity.reach import may
from app.organisation.models import Employee

# --- identity providers -------------------------------------------------------------------


def create_provider(db: Session, *, data: IdentityProviderCreate) -> IdentityProvider:
    """A new identity provider; (issuer, audience) is unique across organisations."""
    why = oidc.issuer_refused(data.issuer)
    if why is not None and data.issuer != DEV_ISSUER:  # never fetched: its keys are ours
        raise InvalidInput(
            f"The service may not call this issuer: {why}.",
            code="issuer-refused",
            errors=[{"pointer": "/issuer", "detail": why}],
        )
    values = data.model_dump()
    values["group_roles"] = {g: [str(r) for r in rs] for g, rs in data.group_roles.items()}
    provider = IdentityProvider(**values)
    db.add(provider)
    db.flush()
    return provider


def update_provider(
    db: Session, *, provider: IdentityProvider, data: IdentityProviderUpdate
) -> IdentityProvider:
    """Change a provider's claims, group mapping or switches."""
    changes = data.model_dump(exclude_unset=True)
    if "group_roles" in changes and changes["group_roles"] is not None:
        changes["group_roles"] = {
            g: [str(r) for r in rs] for g, rs in changes["group_roles"].items()
        }
    apply_changes(provider, changes)
    db.flush()
    return provider


def delete_provider(db: Session, *, provider: IdentityProvider) -> None:
    """Delete a provider nobody has signed in with (deactivate it otherwise)."""
    delete_or_conflict(db, provider, "Users signed in with this provider; set active=false.")


# --- users --------------------------------------------------------------------------------


def _check_refs(db: Session, employee_id: uuid.UUID | None, provider_id: uuid.UUID | None) -> None:
    if employee_id is not None:
        resolve_ref(db, Employee, employee_id, pointer="/employee_id", what="employee")
    if provider_id is not None:
        resolve_ref(
            db,
            IdentityProvider,
            provider_id,
            pointer="/identity_provider_id",
            what="identity provider",
        )


def create_user(db: Session, *, data: UserCreate) -> User:
    """A user made by an admin, before (or instead of) a first sign-in."""
    _check_refs(db, data.employee_id, data.identity_provider_id)
    user = User(**data.model_dump(exclude={"roles"}), roles=[str(r) for r in data.roles])
    db.add(user)
    db.flush()
    return user


def update_user(db: Session, *, user: User, data: UserUpdate) -> User:
    """Change a user's employee, roles or active flag."""
    changes = data.model_dump(exclude_unset=True)
    _check_refs(db, changes.get("employee_id"), None)
    if changes.get("roles") is not None:
        changes["roles"] = [str(r) for r in changes["roles"]]
    apply_changes(user, changes)
    db.flush()
    return user


def delete_user(db: Session, *, user: User) -> None:
    """Delete a user; their changes stay in the audit trail (set active=false to keep them)."""
    delete_or_conflict(db, user, "The user made changes the audit trail keeps; set active=false.")


def deactivate_users_of(
    db: Session, employee_ids: Sequence[uuid.UUID], /, *, dry_run: bool = False
) -> list[str]:
    """Hook: a deactivated employee's users are deactivated too (they can no longer sign in)."""
    ids = list(employee_ids)
    if not ids:
        return []
    where = (col(User.employee_id).in_(ids), col(User.active).is_(True))
    users = list(db.execute(select(col(User.id)).where(*where)).scalars())
    if users and not dry_run:
        db.execute(bulk_update(User).where(*where).values(active=False))
    if not users:
        return []
    verb = "would be" if dry_run else "were"
    return [f"{len(users)} user(s) of deactivated employees {verb} deactivated."]


def user_public(user: User) -> UserPublic:
    """A user as the API shows it."""
    return render(UserPublic, user)


def me(db: Session, *, reach: Reach | None, api_key_id: uuid.UUID | None) -> MePublic:
    """The caller: user, roles, employee, teams and what they may do."""
    user = db.get(User, reach.user_id) if reach is not None else None
    return MePublic(
        kind="user" if reach is not None else "api_key",
        user=user_public(user) if user is not None else None,
        api_key_id=api_key_id,
        roles=sorted(reach.roles) if reach is not None else [],
        employee_id=reach.employee_id if reach is not None else None,
        team_id=reach.team_id if reach is not None else None,
        managed_team_ids=sorted(reach.managed_team_ids) if reach is not None else [],
        may=may(reach),
    )


class UserFilters(ListFilters):
    employee_id: uuid.UUID | None = None
    active: bool | None = None
    email: str | None = Field(default=None, max_length=320)


USER_LIST = Listing(
    model=User,
    filters=UserFilters,
    public=UserPublic,
    render=lambda db, rows: [user_public(r) for r in rows],
    doc="The organisation's users (admin); filter by employee, active or email.",
)
PROVIDER_LIST = Listing(
    model=IdentityProvider,
    filters=ListFilters,
    public=IdentityProviderPublic,
    doc="The organisation's identity providers (admin).",
)
