"""HTTP routes: identity providers and users (admin), and the caller's own view (`/me`)."""

from fastapi import APIRouter

from app.core.resource import Docs, Resource
from app.core.responses import READ
from app.core.sessions import AdminOnly, ReadScope, ReadSession
from app.identity import service
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

router = APIRouter()
# Providers and users are the organisation's settings: hr_admin and admin keys only.
admin_router = APIRouter(dependencies=[AdminOnly])


@router.get("/me", tags=["me"], responses=READ)
def get_me(principal: ReadScope, db: ReadSession) -> MePublic:
    """The caller: user, roles, employee, teams and what they may do (show or hide actions)."""
    return service.me(db, reach=principal.reach, api_key_id=principal.api_key_id)


PROVIDERS = Resource(
    model=IdentityProvider,
    id_param="identity_provider_id",
    schemas=(IdentityProviderCreate, IdentityProviderUpdate, IdentityProviderPublic),
    public=lambda db, p, _: IdentityProviderPublic.model_validate(p, from_attributes=True),
    create=lambda db, data, _: service.create_provider(db, data=data),
    update=lambda db, p, data, _: service.update_provider(db, provider=p, data=data),
    delete=lambda db, p: service.delete_provider(db, provider=p),
    docs=Docs(
        create="Configure an OpenID Connect identity provider: issuer, audience, the claims "
        "that carry email / employee number / groups, and which groups give which roles.",
        read="One identity provider.",
        update="Change a provider's claims, group mapping or switches (issuer and audience "
        "are fixed: add a new provider instead).",
        delete="Delete a provider nobody signed in with.",
    ),
)
USERS = Resource(
    model=User,
    id_param="user_id",
    schemas=(UserCreate, UserUpdate, UserPublic),
    public=lambda db, user, _: service.user_public(user),
    create=lambda db, data, _: service.create_user(db, data=data),
    update=lambda db, user, data, _: service.update_user(db, user=user, data=data),
    delete=lambda db, user: service.delete_user(db, user=user),
    docs=Docs(
        create="Create a user before their first sign-in (linked by email at that sign-in).",
        read="One user with the roles given here.",
        update="Change a user's employee, roles or active flag.",
        delete="Delete a user who made no recorded change (deactivate otherwise).",
    ),
)


service.PROVIDER_LIST.add_route(admin_router)


PROVIDERS.add_routes(admin_router)


service.USER_LIST.add_route(admin_router)


USERS.add_routes(admin_router)
