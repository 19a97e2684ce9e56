"""Function groups and their derived exposure."""

from collections.abc import Sequence
from datetime import date

from sqlmodel import Session, col, select

from app.core.crud import apply_changes, delete_or_conflict
from app.core.errors import Conflict
from app.core.models import render
from app.core.pagination import PageParams, paginate
from app.core.queries import where_given
from app.organisation.models import (
    Employee,
    FunctionGroup,
    FunctionGroupCreate,
    FunctionGroupPublic,
    FunctionGroupUpdate,
    OrganisationSettings,
)


def function_group_public(
    fg: FunctionGroup, settings: OrganisationSettings, today: date
) -> FunctionGroupPublic:
    """The API shape of a function group with its derived exposure."""
    due = (
        fg.risk_assessed_on is None
        or _add_years(fg.risk_assessed_on, settings.risk_assessment_valid_years) <= today
    )
    return render(FunctionGroupPublic, fg, risk_assessment_due=due)


def _add_years(d: date, years: int) -> date:
    try:
        return d.replace(year=d.year + years)
    except ValueError:  # 29 February
        return d.replace(year=d.year + years, day=28)


def list_function_groups(
    db: Session, *, params: PageParams, external_id: str | None = None
) -> tuple[Sequence[FunctionGroup], str | None]:
    """Function groups, optionally by external id."""
    stmt = select(FunctionGroup)
    stmt = where_given(stmt, FunctionGroup, external_id=external_id)
    return paginate(db, stmt, FunctionGroup, params)


def create_function_group(db: Session, *, data: FunctionGroupCreate) -> FunctionGroup:
    """A new function group."""
    fg = FunctionGroup(**data.model_dump())
    db.add(fg)
    db.flush()
    return fg


def update_function_group(
    db: Session, *, fg: FunctionGroup, data: FunctionGroupUpdate
) -> FunctionGroup:
    """Change a function group; a new likelihood or impact changes its exposure level."""
    apply_changes(fg, data.model_dump(exclude_unset=True))
    db.flush()
    return fg


def delete_function_group(db: Session, *, fg: FunctionGroup) -> None:
    """Delete a function group nobody belongs to."""
    members = db.scalar(
        select(col(Employee.id)).where(col(Employee.function_group_id) == fg.id).limit(1)
    )
    if members is not None:
        raise Conflict(
            "Employees still belong to this function group.", code="function-group-in-use"
        )
    delete_or_conflict(db, fg, "The function group is still referenced.")
