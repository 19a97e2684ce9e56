"""The organisation itself and its API keys."""

from sqlmodel import Session, col, select

from app.core.auth import forget_principals, generate_key, hash_key
from app.core.crud import apply_changes
from app.core.errors import InvalidInput
from app.core.listing import ListFilters, Listing
from app.core.models import render, touch, utcnow
from app.core.tenancy import bind_organisation, current_organisation_id
from app.organisation import function_groups
from app.organisation.hooks import HOOKS
from app.organisation.models import (
    ApiKey,
    ApiKeyCreate,
    ApiKeyCreated,
    ApiKeyPublic,
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
        for key, value in patch.items():
            # Nested settings (rule severities, exposure bands) merge field by field.
            merged[key] = {**merged[key], **value} if isinstance(value, dict) else value
        settings = OrganisationSettings.model_validate(merged)
        if not settings.exposure_bands.ascending():
            bands = settings.exposure_bands
            raise InvalidInput(
                "Each exposure band must start above the one before it: moderate_from "
                f"{bands.moderate_from} < high_from {bands.high_from} < very_high_from "
                f"{bands.very_high_from}.",
                code="invalid-exposure-bands",
                errors=[
                    {"pointer": f"/settings/exposure_bands/{name}", "detail": "not ascending"}
                    for name in patch.get("exposure_bands", {})
                ],
            )
        changes["settings_json"] = settings.model_dump(mode="json")
        function_groups.settings_changed(db, org.settings, settings)
    apply_changes(org, changes)
    db.flush()
    forget_principals(db, organisation_id=org.id)
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


API_KEY_LIST = Listing(
    model=ApiKey,
    filters=ListFilters,
    public=ApiKeyPublic,
    doc="The organisation's API keys (admin), revoked ones included with their "
    "`revoked_at`;\nsecrets are never shown again.",
)


def revoke_api_key(db: Session, *, key: ApiKey) -> ApiKey:
    """Revoke a key: it answers 401 from now on. Revoking twice is harmless."""
    if key.revoked_at is None:
        apply_changes(key, {"revoked_at": utcnow()})
        touch(key)
        db.flush()
    forget_principals(db, organisation_id=key.organisation_id)
    return key


def lock_organisation(db: Session) -> Organisation:
    """The organisation of the session, its row locked until the transaction ends.

    On PostgreSQL this serialises what must take turns per organisation: a change of its
    name or settings (so an ``If-Match`` check sees the version it changes), protocol
    version numbering and publishing. SQLite's write transactions are serial already.
    """
    org = db.exec(
        select(Organisation)
        .where(col(Organisation.id) == current_organisation_id(db))
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one()
    return org


def current_settings(db: Session) -> OrganisationSettings:
    """The settings of the organisation the session is bound to (the identity map's copy
    when the request loaded it already)."""
    org = db.get(Organisation, current_organisation_id(db))
    assert org is not None
    return org.settings
