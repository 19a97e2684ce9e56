"""SCIM list queries: the filter in SQL (filters.py), sorting, and 1-based paging."""

from dataclasses import dataclass
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlmodel import Session, col, select

from app.organisation.models import Employee, Team
from app.scim.errors import ScimError
from app.scim.filters import SORTABLE_GROUPS, SORTABLE_USERS, group_condition, user_condition
from app.scim.mapping import PROVISIONED

COUNT_DEFAULT = 100
COUNT_MAX = 200
T = TypeVar("T", Employee, Team)


@dataclass(frozen=True)
class ListParams:
    """What a SCIM list request asks for (RFC 7644 section 3.4.2)."""

    filter: str | None = None
    start_index: int = 1
    count: int = COUNT_DEFAULT
    sort_by: str | None = None
    descending: bool = False


def _page(
    db: Session, model: type[T], condition: Any, sortable: dict[str, Any], params: ListParams
) -> tuple[int, list[T]]:
    stmt = select(model)
    counted = select(sa.func.count()).select_from(model)
    if condition is not None:
        stmt, counted = stmt.where(condition), counted.where(condition)
    total = int(db.execute(counted).scalar_one())
    order: list[Any] = []
    if params.sort_by:
        sort_col = sortable.get(params.sort_by.lower())
        if sort_col is None:
            raise ScimError(
                f"Sorting on '{params.sort_by}' is not supported; sortable: "
                + ", ".join(sorted(sortable)) + ".",
                scim_type="invalidValue",
            )  # fmt: skip
        order.append(sort_col.desc() if params.descending else sort_col.asc())
    order.append(col(model.id))
    offset = max(params.start_index, 1) - 1
    count = min(max(params.count, 0), COUNT_MAX)
    if count == 0:
        return total, []
    rows = db.exec(stmt.order_by(*order).offset(offset).limit(count)).all()
    return total, list(rows)


def list_employees(db: Session, params: ListParams) -> tuple[int, list[Employee]]:
    """Employees matching the SCIM filter (organisation-scoped by the session), one page."""
    condition: sa.ColumnElement[bool] = PROVISIONED
    if params.filter:
        condition = sa.and_(condition, user_condition(params.filter))
    return _page(db, Employee, condition, SORTABLE_USERS, params)


def list_teams(db: Session, params: ListParams) -> tuple[int, list[Team]]:
    """Teams matching the SCIM filter, one page."""
    condition = group_condition(params.filter) if params.filter else None
    return _page(db, Team, condition, SORTABLE_GROUPS, params)
