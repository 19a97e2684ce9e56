"""Identity providers (one organisation's OpenID Connect configuration) and users.

No password is ever stored here: people sign in at their organisation's identity provider
and send its access token; the service only validates it (app/identity/oidc.py).
"""

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Annotated

import sqlalchemy as sa
from pydantic import Field as PydanticField
from sqlmodel import JSON, Column, Field, SQLModel, UniqueConstraint

from app.core.models import (
    CreateModel,
    PatchModel,
    TenantTable,
    optional_timestamp_field,
)
from app.core.roles import UserRole

URL_MAX = 500
CLAIM_MAX = 100
NAME_MAX = 200
SUBJECT_MAX = 255
GROUP_MAX = 255


class LinkBy(StrEnum):
    """Which claim links a new user to an employee: email, employee number or `sub`."""

    email = "email"
    employee_number = "employee_number"
    subject = "subject"


class IdentityProvider(TenantTable, table=True):
    """An organisation's identity provider: whose tokens count, and what their claims mean."""

    __tablename__ = "identity_provider"
    # One organisation per (issuer, audience): a token names both, so it names its tenant.
    __table_args__ = (UniqueConstraint("issuer", "audience"),)

    name: str = Field(max_length=NAME_MAX)
    issuer: str = Field(max_length=URL_MAX)
    audience: str = Field(max_length=URL_MAX)
    email_claim: str = Field(default="email", max_length=CLAIM_MAX)
    employee_number_claim: str | None = Field(default=None, max_length=CLAIM_MAX)
    groups_claim: str = Field(default="groups", max_length=CLAIM_MAX)
    # {"<IdP group>": ["<role>", ...]}: roles a member of the group gets at sign-in.
    group_roles: dict[str, list[str]] = Field(
        default_factory=dict, sa_column=Column(JSON, nullable=False)
    )
    link_by: LinkBy = Field(default=LinkBy.email, sa_type=sa.String(32))
    # Create a user at the first sign-in when the token's groups give at least one role.
    create_users: bool = True
    active: bool = True


_BLANK = r"\x00-\x20\x7f-\x9f\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff"
# An https URL of a host name or an IPv6 address in brackets, or plain http on this machine
# (tests, the dev issuer); then a port, a path or nothing (app/identity/oidc.py).
IssuerUrl = Annotated[
    str,
    PydanticField(
        min_length=1,
        max_length=URL_MAX,
        pattern=(
            rf"^(https://([^{_BLANK}/?#\[\]@:]+|\[[0-9A-Fa-f:.]+\])"
            rf"|http://(localhost|127\.0\.0\.1|\[::1\]))(:[0-9]{{1,5}})?([/?#][^{_BLANK}]*)?$"
        ),
    ),
]


class IdentityProviderCreate(CreateModel):
    name: str = Field(min_length=1, max_length=NAME_MAX)
    issuer: IssuerUrl = Field(
        description="The `iss` of the tokens; `<issuer>/.well-known/openid-configuration` "
        "names the signing keys. https (plain http only on this machine).",
    )
    audience: str = Field(
        min_length=1, max_length=URL_MAX, description="The `aud` the tokens must carry."
    )
    email_claim: str = Field(default="email", min_length=1, max_length=CLAIM_MAX)
    employee_number_claim: str | None = Field(default=None, min_length=1, max_length=CLAIM_MAX)
    groups_claim: str = Field(default="groups", min_length=1, max_length=CLAIM_MAX)
    group_roles: dict[str, list[UserRole]] = Field(
        default_factory=dict,
        max_length=200,
        description="IdP group (name or id, as the groups claim carries it) -> roles.",
    )
    link_by: LinkBy = LinkBy.email
    create_users: bool = True
    active: bool = True


class IdentityProviderUpdate(PatchModel):
    name: str = Field(default=None, min_length=1, max_length=NAME_MAX)
    email_claim: str = Field(default=None, min_length=1, max_length=CLAIM_MAX)
    employee_number_claim: str | None = Field(default=None, min_length=1, max_length=CLAIM_MAX)
    groups_claim: str = Field(default=None, min_length=1, max_length=CLAIM_MAX)
    group_roles: dict[str, list[UserRole]] = Field(default=None, max_length=200)
    link_by: LinkBy = Field(default=None)
    create_users: bool = Field(default=None)
    active: bool = Field(default=None)


class IdentityProviderPublic(SQLModel):
    id: uuid.UUID
    name: str
    issuer: str
    audience: str
    email_claim: str
    employee_number_claim: str | None
    groups_claim: str
    group_roles: dict[str, list[UserRole]]
    link_by: LinkBy
    create_users: bool
    active: bool
    created_at: datetime
    updated_at: datetime


class User(TenantTable, table=True):
    """A person who signs in, linked to an employee; their roles say what they reach."""

    # "user" is a reserved word in PostgreSQL: SQLAlchemy quotes it in every statement.
    __tablename__ = "user"
    __table_args__ = (UniqueConstraint("identity_provider_id", "subject"),)

    identity_provider_id: uuid.UUID | None = Field(
        default=None, foreign_key="identity_provider.id", index=True
    )
    # The token's `sub`; null for a user created by an admin who has not signed in yet.
    subject: str | None = Field(default=None, max_length=SUBJECT_MAX)
    email: str | None = Field(default=None, max_length=320, index=True)
    name: str | None = Field(default=None, max_length=NAME_MAX)
    employee_id: uuid.UUID | None = Field(default=None, foreign_key="employee.id", index=True)
    roles: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    active: bool = True
    last_sign_in_at: datetime | None = optional_timestamp_field()


class UserCreate(CreateModel):
    email: str | None = Field(default=None, max_length=320)
    name: str | None = Field(default=None, max_length=NAME_MAX)
    subject: str | None = Field(default=None, max_length=SUBJECT_MAX)
    identity_provider_id: uuid.UUID | None = None
    employee_id: uuid.UUID | None = None
    roles: list[UserRole] = Field(default_factory=list, max_length=5)
    active: bool = True


class UserUpdate(PatchModel):
    email: str | None = Field(default=None, max_length=320)
    name: str | None = Field(default=None, max_length=NAME_MAX)
    employee_id: uuid.UUID | None = None
    roles: list[UserRole] = Field(default=None, max_length=5)
    active: bool = Field(default=None)


class UserPublic(SQLModel):
    id: uuid.UUID
    email: str | None
    name: str | None
    subject: str | None
    identity_provider_id: uuid.UUID | None
    employee_id: uuid.UUID | None
    roles: list[UserRole] = Field(
        description="Roles given here; the IdP's groups may add more at each sign-in."
    )
    active: bool
    last_sign_in_at: datetime | None
    created_at: datetime
    updated_at: datetime


class MePublic(SQLModel):
    """The caller: the user (or key), roles, employee, teams and what they may do."""

    kind: str = Field(description="`user` or `api_key`.")
    user: UserPublic | None
    api_key_id: uuid.UUID | None
    roles: list[UserRole]
    employee_id: uuid.UUID | None
    managed_team_ids: list[uuid.UUID]
    team_id: uuid.UUID | None
    may: dict[str, list[str]] = Field(
        description="Per resource (table name), the actions allowed on what the caller "
        "reaches: `read`, `write`."
    )
