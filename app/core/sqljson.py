"""A row's API shape built by the database, as one JSON text per row.

The hottest reads (a page of 100 employees) spent more time turning rows into Python
objects and back into JSON (UUIDs, timezone-aware datetimes, dicts) than the database
spent finding them. Here the database writes each row's JSON itself (SQLite's
``json_object``, PostgreSQL's ``json_build_object``) and the route joins the texts.

The shape follows a pydantic model: every field of the model, in its order, plus named
computed fields, each written exactly as pydantic writes it (UUIDs hyphenated, datetimes
``YYYY-MM-DDTHH:MM:SS[.ffffff]Z``, dates ``YYYY-MM-DD``, booleans, strings, numbers). A
field of another type is refused when the expression is built, so a model change cannot
silently produce a different shape; tests compare both paths on awkward rows.
"""

import datetime as dt
import enum
import json
import types
import uuid
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Union, get_args, get_origin

import sqlalchemy as sa
from pydantic import BaseModel
from sqlalchemy.dialects.postgresql.psycopg import dialect as postgresql_dialect
from sqlalchemy.dialects.sqlite import dialect as sqlite_dialect
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel.sql.sqltypes import AutoString

from app.core.models import UTCDateTime
from app.core.pagination import PageEnd
from app.core.queries import uuid_text

Expr = ColumnElement[Any]


def _scalar_type(annotation: Any) -> Any:
    # `X | None` and `Optional[X]` → X; anything else as it is.
    if get_origin(annotation) in (Union, types.UnionType):
        args = [a for a in get_args(annotation) if a is not type(None)]
        if len(args) == 1:
            return args[0]
    return annotation


def _text(column: Expr) -> Expr:
    # Treat the stored value as text: no bind or result processing of the column's type.
    return sa.type_coerce(column, sa.String)


def _sqlite_datetime(column: Expr) -> Expr:
    # Stored as UTC 'YYYY-MM-DD HH:MM:SS.ffffff' (rows written by raw SQL may lack the
    # fraction); pydantic leaves the fraction out when it is zero.
    s = _text(column)
    day_time = sa.func.substr(s, 1, 10) + "T" + sa.func.substr(s, 12, 8)
    return sa.case(
        (column.is_(None), sa.null()),
        (
            sa.or_(sa.func.length(s) <= 19, sa.func.substr(s, 21, 6) == "000000"),
            day_time + "Z",
        ),
        else_=day_time + "." + sa.func.substr(s, 21, 6) + "Z",
    )


def _sqlite_bool(column: Expr) -> Expr:
    # json() marks the text as JSON, so json_object embeds true/false rather than a string.
    return sa.func.json(
        sa.case((column.is_(None), sa.null()), (column == sa.true(), "true"), else_="false")
    )


def _postgres_datetime(column: Expr) -> Expr:
    utc = sa.func.timezone("UTC", column)
    fraction = sa.func.to_char(utc, "US")
    return sa.case(
        (column.is_(None), sa.null()),
        else_=sa.func.to_char(utc, 'YYYY-MM-DD"T"HH24:MI:SS')
        + sa.case((fraction == "000000", ""), else_="." + fraction)
        + "Z",
    )


def _identity(column: Expr) -> Expr:
    return column


_WRITERS: dict[str, dict[Any, Any]] = {
    "sqlite": {
        uuid.UUID: uuid_text,
        dt.datetime: _sqlite_datetime,
        dt.date: _text,
        bool: _sqlite_bool,
    },
    # PostgreSQL's JSON already writes uuid, date and boolean as pydantic does.
    "postgresql": {
        uuid.UUID: _identity,
        dt.datetime: _postgres_datetime,
        dt.date: _identity,
        bool: _identity,
    },
}
_PLAIN = (str, int, float)


def _writer(dialect: str, annotation: Any, name: str) -> Any:
    kind = _scalar_type(annotation)
    writers = _WRITERS[dialect]
    if kind in writers:
        return writers[kind]
    if isinstance(kind, type) and (issubclass(kind, _PLAIN) or issubclass(kind, enum.Enum)):
        # StrEnums are stored by value; strings and numbers are written as they are.
        return _identity
    raise TypeError(f"field {name!r}: no database JSON writer for {annotation!r}")


def json_object(
    dialect: str,
    model: type[BaseModel],
    columns: Mapping[str, Any],
    computed: Mapping[str, Any] | None = None,
) -> Expr:
    """One JSON text per row in ``model``'s shape: its fields from ``columns``, in order.

    ``computed`` adds fields the model computes (written as strings), after the fields,
    where pydantic puts computed fields.
    """
    if dialect not in _WRITERS:
        raise ValueError(f"no database JSON for dialect {dialect!r}")
    computed = computed or {}
    if set(computed) != set(model.model_computed_fields):
        raise TypeError(f"{model.__name__}: computed fields are {set(model.model_computed_fields)}")
    fields = [(name, field.annotation, columns[name]) for name, field in model.model_fields.items()]
    return _literal(dialect, _object(dialect, fields, computed, as_text=True))


def row_json(dialect: str, table: sa.Table, names: Sequence[str]) -> str:
    """SQL for one row of ``table`` as a JSON value (PostgreSQL ``json``, SQLite text) with
    the columns ``names``, in order, each written as pydantic writes its Python value: the
    change feed's state of a row (changes/bulk.py). Raises TypeError for a column whose
    type has no writer here (JSON, floats, bytes)."""
    fields = []
    for name in names:
        column = table.c[name]
        # These two read their stored value back as it is (UTCDateTime makes it aware);
        # another TypeDecorator may change values on the way out, so it is refused below.
        kind = column.type
        stored = kind.impl_instance if isinstance(kind, UTCDateTime | AutoString) else kind
        try:
            python_type = stored.python_type
        except NotImplementedError:
            raise TypeError(f"column {name!r}: no Python type") from None
        if python_type is float:
            # SQLite writes 15 significant digits, Python the shortest exact repr.
            raise TypeError(f"column {name!r}: a float is not written as Python writes it")
        fields.append((name, python_type, column))
    return str(_compiled(_object(dialect, fields, {}, as_text=False), dialect))


def _object(
    dialect: str,
    fields: Sequence[tuple[str, Any, Any]],
    computed: Mapping[str, Any],
    *,
    as_text: bool,
) -> Expr:
    args: list[Any] = []
    for name, annotation, column in fields:
        write = _writer(dialect, annotation, name)
        args += [_key(name), write(column)]
    for name, expr in computed.items():
        args += [_key(name), expr]
    if dialect == "sqlite":
        return sa.func.json_object(*args, type_=sa.String)
    # json_build_object takes at most 100 arguments. Read as text: psycopg would parse json.
    built: Expr = sa.func.json_build_object(*args)
    return sa.cast(built, sa.Text) if as_text else built


def _compiled(built: Expr, dialect: str) -> Any:
    return built.compile(dialect=_DIALECTS[dialect], compile_kwargs={"literal_binds": True})


def _literal(dialect: str, built: Expr) -> Expr:
    # Compiled to SQL text once: SQLAlchemy would otherwise walk this large expression for
    # its cache key on every execution, which cost more than running it. Everything in it
    # is a column of the row or a constant of ours, so the text is the same for every row.
    return sa.literal_column(str(_compiled(built, dialect)), sa.String)


_DIALECTS = {"sqlite": sqlite_dialect(), "postgresql": postgresql_dialect()}  # type: ignore[no-untyped-call]


def _key(name: str) -> Expr:
    # Field names are Python identifiers: written into the SQL, not bound, so PostgreSQL
    # knows their type (json_build_object takes "any") and the statement stays cacheable.
    if not name.isidentifier():
        raise ValueError(f"not a field name: {name!r}")
    return sa.literal_column(f"'{name}'", sa.String)


def joined_words(parts: Iterable[Any]) -> Expr:
    """SQL for ``" ".join(p for p in parts if p)``: empty and missing parts are skipped."""
    spaced: Expr | None = None
    for part in parts:
        piece = sa.case((sa.func.coalesce(part, "") == "", ""), else_=sa.literal(" ") + _text(part))
        spaced = piece if spaced is None else spaced + piece
    if spaced is None:
        raise ValueError("no parts")
    # Each present part brought its leading space; drop the first one.
    return sa.func.substr(spaced, 2)


def page_body(items: Iterable[str], end: PageEnd) -> bytes:
    """A ``Page`` (``items``, ``next_cursor``, ``sync_token``) from rows already in JSON."""
    tail = json.dumps({"next_cursor": end.next_cursor, "sync_token": end.sync_token})
    return ('{"items":[' + ",".join(items) + "]," + tail[1:]).encode()
