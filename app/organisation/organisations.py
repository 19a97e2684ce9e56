"""The organisation itself and its API keys."""

import uuid
from collections.abc import Sequence

from sqlmodel import Session, select

from app.core.auth import forget_principals, generate_key, hash_key
from app.core.crud import apply_changes
from app.core.models import render, touch, utcnow
from app.core.pagination import PageParams, paginate
from app.core.tenancy import bind_organisation, get_scoped
from app.organisation.hooks import HOOKS
from app.organisation.models import (
    ApiKey,
    ApiKeyCreate,
    ApiKeyCreated,
    Organisation,
    OrganisationPublic,
    OrganisationSettings,
    OrganisationUpdate,
    Scope,
)


def create_organisation(db: Session, *, name: str) -> tuple[Organisation, str]:
    """A new organisation with its first admin key (returned in clear, once)."""
    org = Organisation(name=name, settings_json=OrganisationSettings().model_dump(mode="json"))
    db.add(org)
    db.flush()
    bind_organisation(db, org.id)
    created = create_api_key(db, data=ApiKeyCreate(name="first admin key", scope=Scope.admin))
    for hook in HOOKS.organisation_created:
        hook(db, org)
    db.flush()
    return org, created.key


def organisation_public(org: Organisation) -> OrganisationPublic:
    """The organisation with its settings resolved against the defaults."""
    return render(OrganisationPublic, org)


def update_organisation(
    db: Session, *, org: Organisation, data: OrganisationUpdate
) -> Organisation:
    """Rename the organisation or change settings; omitted settings keep their value."""
    org = db.get(Organisation, org.id, with_for_update=True) or org
    changes: dict[str, object] = {}
    if data.name is not None:
        changes["name"] = data.name
    if data.settings is not None:
        merged = org.settings.model_dump(mode="json")
        patch = data.settings.model_dump(mode="json", exclude_none=True)
        severities = patch.pop("rule_severities", None)
        merged.update(patch)
        if severities:
            merged["rule_severities"] = {**merged["rule_severities"], **severities}
        changes["settings_json"] = OrganisationSettings.model_validate(merged).model_dump(
            mode="json"
        )
    apply_changes(org, changes)
    db.flush()
    forget_principals(organisation_id=org.id)
    return org


# --- API keys ---------------------------------------------------------------------------


def create_api_key(db: Session, *, data: ApiKeyCreate) -> ApiKeyCreated:
    """A new key; the secret is in the result and nowhere else, ever."""
    key, prefix = generate_key()
    row = ApiKey(
        name=data.name,
        scope=data.scope,
        sensitive=data.sensitive,
        prefix=prefix,
        key_hash=hash_key(key),
    )
    db.add(row)
    db.flush()
    return ApiKeyCreated(**row.model_dump(exclude={"key_hash", "organisation_id"}), key=key)


def list_api_keys(db: Session, *, params: PageParams) -> tuple[Sequence[ApiKey], str | None]:
    """The organisation's keys, revoked ones included."""
    return paginate(db, select(ApiKey), ApiKey, params)


def revoke_api_key(db: Session, *, key_id: uuid.UUID) -> ApiKey:
    """Revoke a key: it answers 401 from now on. Revoking twice is harmless."""
    key = get_scoped(db, ApiKey, key_id)
    if key.revoked_at is None:
        apply_changes(key, {"revoked_at": utcnow()})
        touch(key)
        db.flush()
    forget_principals(organisation_id=key.organisation_id)
    return key
