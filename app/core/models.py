"""Shared table machinery: naming convention, UTC timestamps and the tenant mixin."""

import types
import uuid
from datetime import UTC, date, datetime
from typing import Any, ClassVar, TypeVar, Union, get_args, get_origin

import email_validator
import sqlalchemy as sa
from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    FutureDate,
    FutureDatetime,
    NaiveDatetime,
    PastDate,
    PastDatetime,
    ValidationInfo,
    ValidatorFunctionWrapHandler,
    field_validator,
)
from pydantic_core import PydanticCustomError
from sqlalchemy.engine import Dialect
from sqlmodel import Field, SQLModel

from app.core.ids import uuid7

# Addresses are stored, never checked for deliverability; the contract's rule is
# `format: email`. email-validator also refuses special-use domains (`.test`, `.local`,
# `.invalid`): a schema-valid `a@b.test` was 422 (issue 19, schemathesis). Those are
# syntactically valid addresses, as `.example` (which it already takes) is.
email_validator.SPECIAL_USE_DOMAIN_NAMES = []

# Deterministic constraint names, so migrations are identical on SQLite and PostgreSQL and
# a unique violation can be traced back to the field it protects (see core/errors.py).
SQLModel.metadata.naming_convention = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    """The current time, timezone-aware UTC."""
    return datetime.now(UTC)


class UTCDateTime(sa.types.TypeDecorator[datetime]):
    """Stores UTC; always returns timezone-aware UTC (SQLite keeps no zone)."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; use timezone-aware UTC")
        value = value.astimezone(UTC)
        if dialect.name == "sqlite":
            return value.replace(tzinfo=None)
        return value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def id_field() -> Any:
    """Primary key: a time-ordered UUID, so ordering by id is ordering by creation."""
    return Field(default_factory=uuid7, primary_key=True)


def timestamp_field(*, index: bool = False) -> Any:
    """A UTC timestamp column defaulting to now."""
    return Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False, index=index)


def optional_timestamp_field() -> Any:
    """A nullable UTC timestamp column."""
    return Field(default=None, sa_type=UTCDateTime, nullable=True)


class TimestampedTable(SQLModel):
    """id, created_at, updated_at: every resource has them (API.md).

    ``updated_at`` maintains itself: every UPDATE of the row, through the ORM or a bulk
    ``update()`` statement, sets it to now unless the statement sets it itself. ETags,
    ``If-Match`` and the ``updated_from`` sync all rely on it moving with every change.
    """

    # True where the answer derives from the calendar day as well as from the row (a
    # follow-up item's `overdue`): its ETag then changes with the day too, so a client
    # revalidating after midnight never gets 304 for an answer that has turned
    # (RFC 9110 8.8.3, core/concurrency.py).
    answer_depends_on_today: ClassVar[bool] = False

    id: uuid.UUID = id_field()
    created_at: datetime = timestamp_field()
    updated_at: datetime = Field(
        default_factory=utcnow,
        sa_type=UTCDateTime,
        nullable=False,
        index=True,
        sa_column_kwargs={"onupdate": utcnow},
    )


def touch(obj: TimestampedTable) -> None:
    """Mark a row changed when only rows that belong to it changed (its links or children).

    ``onupdate`` runs only for an UPDATE of the row itself, and the ORM writes none when
    none of its own columns changed; a team whose managers changed is still a new version.
    """
    obj.updated_at = utcnow()


def bulk_update(
    model: type[TimestampedTable] | sa.Table, *, at: datetime | None = None
) -> sa.Update:
    """``update(model)`` that sets ``updated_at`` (to ``at``, default now) in the statement.

    The version is then part of the statement's values: ``synchronize_session`` applies it
    to rows already loaded, and a caller can give the same ``at`` as another column.
    """
    return sa.update(model).values(updated_at=at or utcnow())


class TenantTable(TimestampedTable):
    """A row owned by one organisation. Queries on subclasses are scoped automatically.

    The scoping is added by ``core/tenancy.py`` to every ORM statement of a request's
    session: forgetting a ``where organisation_id = ...`` cannot leak another tenant's rows.
    """

    # Filled in before flush from the request's organisation (core/tenancy.py). Indexed
    # together with the id, below.
    organisation_id: uuid.UUID = Field(default=None, foreign_key="organisation.id")


@sa.event.listens_for(TenantTable, "instrument_class", propagate=True)
def _index_organisation_pages(mapper: sa.orm.Mapper[Any], _cls: type) -> None:
    """Every tenant table's organisation index is ``(organisation_id, id)`` (migration 0020).

    It serves every look-up by organisation as the index on ``organisation_id`` alone did,
    and every list page besides: a page is ``WHERE organisation_id = ? AND id > ? ORDER BY
    id``, one range of this index. With it, and random reads priced as they cost
    (``core/engine.py``), PostgreSQL reads an organisation's page here instead of walking
    the primary key past every other organisation's rows, which cost most for one that
    joined a shared database last (docs/performance.md, "First pages of an organisation
    that joined last"). Declared with the mixin, so a new table cannot be without it.
    """
    table = mapper.local_table
    assert isinstance(table, sa.Table)
    sa.Index(f"ix_{table.name}_organisation_id_id", table.c.organisation_id, table.c.id)


# Pydantic's constrained dates and times, which are no subclasses of date and datetime.
_PYDANTIC_TEMPORAL = (
    AwareDatetime,
    NaiveDatetime,
    PastDatetime,
    FutureDatetime,
    PastDate,
    FutureDate,
)


def _member_types(annotation: Any) -> list[Any]:
    """The types a field takes, ``None`` left out (``bool | None`` -> [bool])."""
    if get_origin(annotation) in (Union, types.UnionType):
        return [a for a in get_args(annotation) if a is not type(None)]
    return [annotation]


def _json_type_problem(annotation: Any, value: Any) -> str | None:
    # Pydantic's lax mode reads 0/1 and "yes" as booleans and numbers as Unix times; the
    # contract declares `boolean` and `format: date(-time)`: such values are refused (issue
    # 19: schemathesis found `"sensitive": 0` and `"retired": 0` accepted).
    members = _member_types(annotation)
    if members == [bool] and not isinstance(value, bool):
        return "Input should be true or false (a JSON boolean)."
    if isinstance(value, bool) and members and all(m in (int, float) for m in members):
        return "Input should be a number, not true or false."
    temporal = [
        m
        for m in members
        if m in _PYDANTIC_TEMPORAL or (isinstance(m, type) and issubclass(m, date))
    ]
    if temporal and len(temporal) == len(members) and isinstance(value, int | float):
        return "Input should be an ISO 8601 date or date-time string, not a number."
    return None


def _json_types_only(cls: type[SQLModel], value: Any, info: ValidationInfo) -> Any:
    if value is not None and info.field_name is not None:
        problem = _json_type_problem(cls.model_fields[info.field_name].annotation, value)
        if problem is not None:
            raise PydanticCustomError("json_type", problem)
    return value


class CreateModel(SQLModel):
    """A request body that creates or acts (every body but a PATCH): unknown fields are a 422.

    Refusing them, rather than ignoring them, tells a client at once that a misspelt field
    was not stored. Inherit it last: ``class TeamCreate(TeamBase, CreateModel)``.
    """

    model_config = ConfigDict(extra="forbid")  # type: ignore[assignment]

    @field_validator("*", mode="before")
    @classmethod
    def _json_types(cls, value: Any, info: ValidationInfo) -> Any:
        return _json_types_only(cls, value, info)


NOT_NULLABLE = "may not be null: omit the field to keep its value"


def _accepts_null(annotation: Any) -> bool:
    return get_origin(annotation) in (Union, types.UnionType) and type(None) in get_args(annotation)


def _no_null_defaults(schema: dict[str, Any]) -> None:
    # "Omitted" is not a value the client can send; a `default: null` on a field that
    # refuses null would contradict itself in the OpenAPI document.
    for prop in schema.get("properties", {}).values():
        if "default" in prop and prop["default"] is None:
            del prop["default"]


class PatchModel(SQLModel):
    """The body of a PATCH, one rule for every resource (JSON merge patch, RFC 7396).

    An omitted field keeps its value. ``null`` clears a field the resource may be without
    (typed ``X | None``). A field the resource cannot be without is typed without ``None``
    and defaults to ``None`` only to mark it omitted: ``null`` for it is a 422 problem whose
    pointer names the field, before anything is read or changed. Services read the change
    with ``model_dump(exclude_unset=True)``; ``apply_changes`` (core/crud.py) guards the rule
    once more at the column.
    """

    model_config = ConfigDict(extra="forbid", json_schema_extra=_no_null_defaults)  # type: ignore[assignment]

    @field_validator("*", mode="wrap")
    @classmethod
    def _null_only_where_nullable(
        cls, value: Any, handler: ValidatorFunctionWrapHandler, info: ValidationInfo
    ) -> Any:
        if value is None and info.field_name is not None:
            if not _accepts_null(cls.model_fields[info.field_name].annotation):
                raise PydanticCustomError("not_nullable", NOT_NULLABLE)
        return handler(_json_types_only(cls, value, info))


def link_owner(table: str) -> Any:
    """A link table's key column naming its owner: the links go with the owner, and who
    may change the owner may change its links (identity/reach.py: ``OWNER``)."""
    return Field(
        sa_column=sa.Column(
            sa.Uuid,
            sa.ForeignKey(f"{table}.id", ondelete="CASCADE"),
            primary_key=True,
            info={LINK_OWNER: True},
        )
    )


LINK_OWNER = "link_owner"


def link_target(table: str) -> Any:
    """A link table's key column naming what is linked, indexed for "who links to this"."""
    return Field(
        sa_column=sa.Column(sa.Uuid, sa.ForeignKey(f"{table}.id"), primary_key=True, index=True)
    )


Shape = TypeVar("Shape", bound=BaseModel)


def render(schema: type[Shape], row: object, **derived: Any) -> Shape:
    """The API shape of ``row``: each field of ``schema`` read from the row, or from
    ``derived`` for what the row does not carry (a team's managers, a computed status).

    The one way a service turns a row into its public schema (the same as
    ``model_validate(row, from_attributes=True)`` when nothing is derived). A derived name
    that is no field of the schema is refused: misspelt, it would be dropped silently and
    the field read from the row instead."""
    unknown = derived.keys() - schema.model_fields.keys()
    if unknown:
        raise TypeError(f"{schema.__name__} has no field {', '.join(sorted(unknown))}")
    values = {
        name: derived[name] if name in derived else getattr(row, name)
        for name in schema.model_fields
    }
    return schema.model_validate(values)
