"""Query-building helpers every domain's list and bulk queries share."""

import uuid
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from typing import Any, NamedTuple, Protocol, Self, TypeVar, cast

import sqlalchemy as sa
from sqlalchemy import CursorResult, String, func, select
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import GenericFunction

from app.core.ids import uuid7_hex_many
from app.core.tenancy import current_organisation_id

T = TypeVar("T")


class _Filterable(Protocol):
    # Any select, whatever its row type: SQLModel's and SQLAlchemy's both return Self.
    def where(self, *whereclause: Any) -> Self: ...


S = TypeVar("S", bound=_Filterable)

# Large IN lists are split so one query never exceeds the drivers' parameter limits
# (SQLite 32766, PostgreSQL 65535); the number of queries stays bounded by the input size.
IN_LIST_CHUNK = 5_000


def chunks(items: Sequence[T], size: int = IN_LIST_CHUNK) -> Iterator[Sequence[T]]:
    """Consecutive slices of at most ``size`` items."""
    for start in range(0, len(items), size):
        yield items[start : start + size]


def unique_chunks(items: Iterable[T], size: int = IN_LIST_CHUNK) -> Iterator[list[T]]:
    """The distinct items in first-seen order, in lists of at most ``size`` (for ``IN``)."""
    unique = list(dict.fromkeys(items))
    for start in range(0, len(unique), size):
        yield unique[start : start + size]


def where_given(stmt: S, model: type[Any], **equals: Any) -> S:
    """Filter ``stmt`` on ``model.<name> == value`` for every filter the caller gave.

    ``None`` means the query parameter was omitted ("any"), never "is null": a list filter
    cannot ask for missing values, so no column is compared with NULL here.
    """
    for name, value in equals.items():
        if value is not None:
            stmt = stmt.where(getattr(model, name) == value)
    return stmt


def escape_like(value: str) -> str:
    """``value`` as a literal inside a LIKE pattern whose escape character is a backslash."""
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


class folded(GenericFunction[str]):
    """Text folded to one case in SQL, for comparisons that ignore case in every script.

    ``folded(column) == folded(literal)`` folds both sides in the database, so they agree
    whatever the script: PostgreSQL's ``lower`` folds by the database's locale, SQLite's
    folds ASCII only, so there it is the ``casefold`` function every SQLite connection
    registers (core/engine.py).
    """

    type = String()
    name = "folded"
    inherit_cache = True


@compiles(folded)
def _folded_lower(element: folded, compiler: SQLCompiler, **kw: Any) -> str:
    return f"lower({compiler.process(element.clauses, **kw)})"


@compiles(folded, "sqlite")
def _folded_sqlite(element: folded, compiler: SQLCompiler, **kw: Any) -> str:
    return f"casefold({compiler.process(element.clauses, **kw)})"


class uuid_text(GenericFunction[str]):
    """A UUID column as the text Python writes of it (``str(uuid)``: lowercase, hyphenated),
    on every database: what the API answers, for SQL that compares or builds that text.

    PostgreSQL's cast writes it so; SQLite holds 32 hex digits (SQLAlchemy's ``Uuid``),
    hyphenated here. NULL stays NULL on both.
    """

    type = String()
    name = "uuid_text"
    inherit_cache = True


_UUID_PARTS = ((1, 8), (9, 4), (13, 4), (17, 4), (21, 12))


@compiles(uuid_text)
def _uuid_text_cast(element: uuid_text, compiler: SQLCompiler, **kw: Any) -> str:
    return f"CAST({compiler.process(element.clauses, **kw)} AS TEXT)"


@compiles(uuid_text, "sqlite")
def _uuid_text_sqlite(element: uuid_text, compiler: SQLCompiler, **kw: Any) -> str:
    hexed = compiler.process(element.clauses, **kw)
    return "(" + " || '-' || ".join(f"substr({hexed}, {a}, {n})" for a, n in _UUID_PARTS) + ")"


def contains_text(column: Any, text: str, dialect: str) -> Any:
    """``column`` contains ``text``, ignoring case in every script (a search box's ``q``).

    ``%`` and ``_`` in the text are literal. PostgreSQL's ILIKE folds case by the
    database's locale; SQLite's folds ASCII only, so there both sides go through the
    ``casefold`` function every SQLite connection registers (core/engine.py).
    """
    escaped = escape_like(text)
    if dialect == "sqlite":
        return func.casefold(column).like("%" + escaped.casefold() + "%", escape="\\")
    return column.ilike("%" + escaped + "%", escape="\\")


def where_range(
    stmt: S,
    column: Any,
    *,
    at_least: Any = None,
    below: Any = None,
    at_most: Any = None,
) -> S:
    """Filter ``stmt`` on the bounds given for ``column`` (each ``None`` bound is open)."""
    if at_least is not None:
        stmt = stmt.where(column >= at_least)
    if below is not None:
        stmt = stmt.where(column < below)
    if at_most is not None:
        stmt = stmt.where(column <= at_most)
    return stmt


def rowcount(result: Any) -> int:
    """Rows matched by an ``UPDATE``/``DELETE`` (``Session.execute`` types it as a plain Result)."""
    return cast(CursorResult[Any], result).rowcount


def linked_ids(
    db: Session, parent: Any, child: Any, parent_ids: Iterable[uuid.UUID]
) -> dict[uuid.UUID, list[uuid.UUID]]:
    """The ids a link table names for each of ``parent_ids`` (``parent`` -> ``child``
    columns of the same link table), each list in id order; one query for a whole page.

    Link tables are not tenant tables (core/tenancy.py adds no criterion for them): the
    session's organisation is compared here, on the table's own column, so no caller can
    forget it.
    """
    out: dict[uuid.UUID, list[uuid.UUID]] = defaultdict(list)
    ids = list(parent_ids)
    if not ids:
        return out
    link = parent.class_
    rows = db.execute(
        select(parent, child)
        .where(link.organisation_id == current_organisation_id(db), parent.in_(ids))
        .order_by(child)
    )
    for parent_id, child_id in rows:
        out[parent_id].append(child_id)
    return out


class IdPairs(NamedTuple):
    """``(id, resource_id)`` rows of a statement, in the order given (``position``)."""

    source: Any
    id: Any
    resource_id: Any
    position: Any


def id_pairs(dialect: sa.Dialect, resource_ids: Sequence[uuid.UUID]) -> IdPairs:
    """New ids (UUIDv7, in increasing order) paired with the rows they are about, as a
    table bound as one text parameter: each pair's 64 hex digits (SQLite stores a UUID as
    its 32 hex digits).

    A bulk ``INSERT ... SELECT`` from it (the audit trail's events, the change feed's) binds
    its other columns once. An executemany would convert every column of every row in
    Python (timestamps, UUIDs, JSON), and so would a driver binding arrays of UUIDs: that
    was most of an import's time (issue 8).
    """
    ids = uuid7_hex_many(len(resource_ids))
    pairs = [i + r.hex for i, r in zip(ids, resource_ids, strict=True)]
    if dialect.name == "postgresql":
        split = sa.func.string_to_array(sa.bindparam("pairs", ",".join(pairs), String), ",")
        table = (
            sa.func.unnest(split).table_valued("value", with_ordinality="position").render_derived()
        )
        value = table.c.value
        return IdPairs(
            table,
            sa.cast(func.substr(value, 1, 32), sa.Uuid),
            sa.cast(func.substr(value, 33, 32), sa.Uuid),
            table.c.position,
        )
    # SQLite (JSON1 is built in since 3.38): a JSON array of the pairs; hex needs no escape.
    doc = '["' + '","'.join(pairs) + '"]' if pairs else "[]"
    each = func.json_each(sa.bindparam("pairs", doc, String)).table_valued("key", "value")
    return IdPairs(
        each, func.substr(each.c.value, 1, 32), func.substr(each.c.value, 33, 32), each.c.key
    )
