"""What every import kind has in common: its columns, how it resolves and how it writes.

A kind is a ``Kind``: the columns of its file, the key it upserts by, a ``resolve`` step
that turns references (a team's external id, a programme's title) into ids with one query
per table or chunk and reports every row it cannot resolve, and a ``write`` step that
inserts, updates or leaves rows alone in bulk. Writes use Core ``executemany`` on the
tables, never one statement per row, and always name the organisation explicitly.
"""

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from operator import itemgetter
from typing import Any

import sqlalchemy as sa
from sqlalchemy import bindparam, select, update
from sqlmodel import Session

from app.core.ids import uuid7_many
from app.core.queries import chunks, unique_chunks
from app.imports.models import ImportChanges
from app.imports.parsing import Column, Record, RowError
from app.organisation.models import Organisation

CHUNK = 1000


@dataclass
class Context:
    """One import run: the session, the organisation, the options, one clock."""

    session: Session
    org: Organisation
    now: datetime
    dry_run: bool
    partial: bool
    columns: dict[str, str]  # field -> header as written in the file
    # Employees: whether the run ends with deactivate_missing, and the key of every row
    # (failed ones too): who is still employed afterwards (a team's manager must be).
    deactivate_missing: bool = False
    keys_seen: frozenset[str] = frozenset()

    @property
    def org_id(self) -> uuid.UUID:
        return self.org.id

    def header(self, field_name: str) -> str:
        """The column name as the file wrote it (for messages)."""
        return self.columns.get(field_name, field_name)


@dataclass
class Outcome:
    """Counts of one write."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    deactivated: int = 0
    warnings: list[str] = field(default_factory=list)
    # Employees, dry run: who would be created, changed, deactivated (by number and name).
    changes: ImportChanges | None = None


Resolver = Callable[[Context, list[Record]], list[RowError]]
Writer = Callable[[Context, list[Record]], Outcome]


@dataclass(frozen=True)
class Kind:
    """An import kind: its columns, the key it upserts by, and its two steps."""

    name: str
    columns: tuple[Column, ...]
    key: str | None
    resolve: Resolver
    write: Writer
    summary: str
    # The columns for one organisation, when a converter depends on its settings (the
    # employees' role column takes the organisation's role words); default: ``columns``.
    columns_for: Callable[[Session, uuid.UUID], tuple[Column, ...]] | None = None


def lookup_by_key(
    ctx: Context, table: sa.Table, key: str, keys: Sequence[Any], *columns: str
) -> dict[Any, Any]:
    """Rows of the organisation whose ``key`` is one of ``keys``: one query per chunk."""
    out: dict[Any, Any] = {}
    cols = [table.c.id, table.c[key], *(table.c[c] for c in columns)]
    for part in unique_chunks(keys, CHUNK):
        stmt = select(*cols).where(
            table.c.organisation_id == ctx.org_id, in_(ctx, table.c[key], part)
        )
        for row in ctx.session.execute(stmt).all():
            out[row[1]] = row
    return out


def in_(ctx: Context, column: sa.ColumnElement[Any], values: Sequence[Any]) -> Any:
    """``column IN values``, planned for these values on PostgreSQL.

    On PostgreSQL the values are written into the statement (escaped by SQLAlchemy's
    literal rendering), not bound: psycopg prepares a statement it has run five times, and
    PostgreSQL then keeps a generic plan for it, chosen once (for a table without
    statistics, or an organisation far larger than the average) and kept for the
    connection's life. Bound as an array, the lookups of a new database got such plans:
    ``= ANY(:keys)`` compared every row of the organisation with each of 1,000 keys (1 s a
    chunk, the benchmark's import of 10,000 employees 7.9x executemany) and ``IN (SELECT
    unnest(:keys))`` a nested loop rescanning the keys per row (a re-import of 100,000
    employees: 313 s). A literal list is planned each time, with its length known: an
    index scan, or a hashed filter, never worse than one pass over the organisation.
    """
    if ctx.session.get_bind().dialect.name == "postgresql":
        listed = sa.bindparam(
            None, list(values), type_=column.type, expanding=True, literal_execute=True
        )
        return column.in_(listed)
    return column.in_(values)


@dataclass
class Upserted:
    """What ``upsert`` did, for kinds that write more (links, hooks)."""

    outcome: Outcome
    ids: dict[Any, uuid.UUID]  # key -> id of every written or unchanged row
    created: set[Any]
    previous: dict[Any, Any]  # key -> row as it was, for updated rows


def upsert(
    ctx: Context,
    table: sa.Table,
    records: Sequence[Record],
    *,
    key: str,
    fields: Sequence[str],
    defaults: dict[str, Any] | None = None,
    row_defaults: Callable[[Record], dict[str, Any]] | None = None,
    force_update: set[Any] | None = None,
    unique: Sequence[str] = (),
) -> Upserted:
    """Insert new rows, update changed ones and leave identical ones alone, by ``key``.

    ``fields`` are the columns the file supplies (absent columns are left as they are);
    ``defaults`` fill the other columns of new rows, ``row_defaults`` those that depend on
    the row (a programme's refresher months on whether it is physical). Unchanged rows are
    counted, not rewritten, so their ``updated_at`` (and every sync cursor) stays put.
    ``force_update`` names keys that changed elsewhere (a team's managers) and must be
    bumped anyway. ``unique`` names columns unique in the organisation (an e-mail address)
    that rows may hand to each other: within a chunk their changed values are released
    first and updates run before inserts, so a leaver's address can go to a new hire and
    two people can swap theirs.
    """
    result = Upserted(Outcome(), {}, set(), {})
    force = force_update or set()
    pick = _picker(fields)
    # Per row only the file's values are copied: the rest of a new row is the same for all.
    template = {
        **(defaults or {}),
        "organisation_id": ctx.org_id,
        "created_at": ctx.now,
        "updated_at": ctx.now,
    }
    for part in chunks(records, CHUNK):
        existing = lookup_by_key(ctx, table, key, [r.values[key] for r in part], *fields)
        inserts: list[dict[str, Any]] = []
        # Updates grouped by which columns changed: one executemany per shape, and only
        # the changed columns are set (fewer index entries rewritten).
        updates: dict[tuple[str, ...], list[dict[str, Any]]] = {}
        for record in part:
            k = record.values[key]
            values = pick(record.values)
            row = existing.get(k)
            if row is None:
                params = template.copy()
                if row_defaults is not None:
                    params.update(row_defaults(record))
                params.update(zip(fields, values, strict=True))
                params[key] = k
                inserts.append(params)
                continue
            result.ids[k] = row.id
            # lookup_by_key's rows are (id, key, *fields): compare by position.
            diff = [(f, v) for f, old, v in zip(fields, row[2:], values, strict=True) if old != v]
            if diff or k in force:
                params = {"b_id": row.id, "b_updated_at": ctx.now}
                params.update({f"b_{f}": v for f, v in diff})
                updates.setdefault(tuple(f for f, _v in diff), []).append(params)
                result.previous[k] = row
            else:
                result.outcome.unchanged += 1
        for params, new_id in zip(inserts, uuid7_many(len(inserts)), strict=True):
            params["id"] = new_id
            result.ids[params[key]] = new_id
            result.created.add(params[key])
        result.outcome.created += len(inserts)
        result.outcome.updated += sum(len(u) for u in updates.values())
        if ctx.dry_run:
            continue
        for column in unique:
            releasing = [p["b_id"] for shape, ps in updates.items() if column in shape for p in ps]
            if releasing:
                # On the connection, past the audit trail's listener: no change of its own
                # (the update below sets the new value, and that is recorded).
                ctx.session.connection().execute(
                    update(table)
                    .where(table.c.organisation_id == ctx.org_id, table.c.id.in_(releasing))
                    .values({column: None})
                )
        for changed, params_list in updates.items():
            stmt = (
                update(table)
                .where(table.c.id == bindparam("b_id"))
                .values({f: bindparam(f"b_{f}") for f in (*changed, "updated_at")})
            )
            ctx.session.execute(stmt, params_list)
        if inserts:
            ctx.session.execute(sa.insert(table), inserts)
    return result


def _picker(names: Sequence[str]) -> Callable[[dict[str, Any]], tuple[Any, ...]]:
    """A function returning a dict's values for ``names``, as a tuple, in that order."""
    if len(names) == 1:
        only = names[0]
        return lambda d: (d[only],)
    if not names:
        return lambda _d: ()
    return itemgetter(*names)


def changed_links(
    ctx: Context,
    table: sa.Table,
    records: Sequence[Record],
    *,
    key: str,
    wanted: str,
    link: sa.Table,
    owner: str,
    target: str,
) -> dict[Any, list[uuid.UUID]]:
    """Keys whose link list (a team's managers, a programme's skills) differs from the file.

    ``wanted`` is the record field holding the target ids the file asks for. The owners and
    their current links are read with one query per chunk each.
    """
    owners = lookup_by_key(ctx, table, key, [r.values[key] for r in records])
    current: dict[uuid.UUID, set[uuid.UUID]] = {}
    for part in chunks([row.id for row in owners.values()], CHUNK):
        stmt = select(link.c[owner], link.c[target]).where(
            link.c.organisation_id == ctx.org_id, in_(ctx, link.c[owner], part)
        )
        for owner_id, target_id in ctx.session.execute(stmt).all():
            current.setdefault(owner_id, set()).add(target_id)
    out: dict[Any, list[uuid.UUID]] = {}
    for r in records:
        row = owners.get(r.values[key])
        now = current.get(row.id, set()) if row is not None else set()
        if set(r.values[wanted]) != now:
            out[r.values[key]] = list(dict.fromkeys(r.values[wanted]))
    return out


def replace_links(
    ctx: Context,
    link: sa.Table,
    *,
    owner: str,
    target: str,
    links: dict[uuid.UUID, list[uuid.UUID]],
) -> None:
    """Replace the links of these owners: one delete per chunk, one executemany insert."""
    if ctx.dry_run or not links:
        return
    for part in chunks(list(links), CHUNK):
        ctx.session.execute(
            sa.delete(link).where(
                link.c.organisation_id == ctx.org_id, in_(ctx, link.c[owner], part)
            )
        )
    rows = [
        {owner: owner_id, target: target_id, "organisation_id": ctx.org_id}
        for owner_id, targets in links.items()
        for target_id in targets
    ]
    if rows:
        ctx.session.execute(sa.insert(link), rows)


@dataclass
class Directory:
    """A small table (teams, function groups, programmes) by external id and by name.

    Loaded whole in one query; ``find`` takes the HR export's code first and accepts a
    name too when exactly one row has it (Excel exports often list names).
    """

    by_key: dict[str, uuid.UUID]
    by_name: dict[str, list[uuid.UUID]]

    @classmethod
    def load(cls, ctx: Context, model: Any, name_column: str = "name") -> "Directory":
        """Every row of the organisation, in one query."""
        table = table_of(model)
        directory = cls({}, {})
        stmt = select(table.c.id, table.c.external_id, table.c[name_column]).where(
            table.c.organisation_id == ctx.org_id
        )
        for id_, key, name in ctx.session.execute(stmt).all():
            if key is not None:
                directory.by_key[key] = id_
            directory.by_name.setdefault(name.casefold(), []).append(id_)
        return directory

    def find(self, value: str) -> uuid.UUID | None:
        """The row with this external id, else the only row with this name."""
        found = self.by_key.get(value)
        if found is not None:
            return found
        named = self.by_name.get(value.casefold(), [])
        return named[0] if len(named) == 1 else None

    def ambiguous(self, value: str) -> bool:
        """Whether several rows have this name (and none this external id)."""
        return value not in self.by_key and len(self.by_name.get(value.casefold(), [])) > 1


def table_of(model: Any) -> sa.Table:
    """The Core table of a SQLModel table class."""
    table: sa.Table = model.__table__
    return table
