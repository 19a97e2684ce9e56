"""The outbox's hot path: a long run of rows announced by one ``INSERT ... SELECT``.

An import of 10,000 employees spent about 45% of its time in the outbox: each row read
back through SQLAlchemy's type processing, turned into JSON in Python, and bound again,
column by column, for the insert of its event. For a run of rows of one table, of one
organisation and one verb, whose state no derived rule reads, the outbox hands the run to
``insert_events`` instead: the database writes each row's state as JSON in pydantic's
shape (``core/sqljson.py``) and inserts the events in the run's order, so ``seq`` orders
them as the Python path would. Measured in docs/imports.md ("Performance") and the
README ("Benchmarks").
"""

import uuid
from collections.abc import Sequence
from datetime import datetime
from functools import cache

import sqlalchemy as sa
from sqlmodel import SQLModel

from app.changes.models import ChangeEvent
from app.core.models import UTCDateTime
from app.core.queries import id_pairs
from app.core.sqljson import row_json

# Shorter runs take the Python path: a statement of their own would cost an ordinary
# request more than building its few states in Python does.
BULK_ROWS = 100

_TABLE: sa.Table = ChangeEvent.__table__  # type: ignore[attr-defined]


@cache
def _state_json(dialect: str, table_name: str, columns: tuple[str, ...]) -> str | None:
    try:
        return row_json(dialect, SQLModel.metadata.tables[table_name], columns)
    except TypeError:
        return None


def supported(dialect: str, table_name: str, columns: tuple[str, ...]) -> bool:
    """Whether the database writes these columns of the table as pydantic would."""
    return dialect in ("sqlite", "postgresql") and (
        _state_json(dialect, table_name, columns) is not None
    )


def insert_events(
    conn: sa.Connection,
    *,
    table_name: str,
    columns: tuple[str, ...],
    organisation_id: uuid.UUID,
    type_: str,
    resource_ids: Sequence[uuid.UUID],
    txid: int,
    now: datetime,
    all_present: bool,
) -> bool:
    """One event per row of ``resource_ids`` that still exists, in their order.

    With ``all_present`` the run is announced only if every row still exists (False, and
    nothing written, otherwise: their tombstones belong in order, which the Python path
    writes); without it a row gone is skipped (one created and deleted in the transaction).
    """
    state = _state_json(conn.dialect.name, table_name, columns)
    if state is None:
        raise ValueError(f"{table_name}: the database does not write its state")
    table = SQLModel.metadata.tables[table_name]
    pairs = id_pairs(conn.dialect, resource_ids)
    rows = pairs.source.join(table, table.c.id == pairs.resource_id)
    if all_present:
        found = conn.execute(sa.select(sa.func.count()).select_from(rows)).scalar_one()
        if found != len(resource_ids):
            return False
    values = {
        "id": pairs.id,
        "txid": sa.literal(txid, _TABLE.c.txid.type),
        "organisation_id": sa.literal(organisation_id, _TABLE.c.organisation_id.type),
        "type": sa.literal(type_, _TABLE.c.type.type),
        "resource_type": sa.literal(table_name, _TABLE.c.resource_type.type),
        "resource_id": table.c.id,
        "external_id": table.c.external_id if "external_id" in table.c else sa.null(),
        "occurred_at": sa.literal(now, UTCDateTime()),
        "data": sa.literal_column(state),
    }
    source = sa.select(*values.values()).select_from(rows).order_by(pairs.position)
    conn.execute(sa.insert(_TABLE).from_select(list(values), source))
    return True
