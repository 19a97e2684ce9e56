"""Function groups and their derived exposure."""

from collections.abc import Sequence
from datetime import date, timedelta

from sqlalchemy import ColumnElement, not_, or_
from sqlmodel import Session, col, select

from app.audit import trail
from app.audit.models import AuditAction
from app.core.crud import apply_changes, delete_or_conflict, refuse_existing
from app.core.errors import Conflict
from app.core.models import bulk_update, render
from app.core.pagination import PageEnd, PageParams, paginate
from app.core.queries import where_given
from app.organisation.models import (
    Employee,
    FunctionGroup,
    FunctionGroupCreate,
    FunctionGroupPublic,
    FunctionGroupUpdate,
    OrganisationSettings,
)

PATH = "/v1/function-groups"


def function_group_public(
    fg: FunctionGroup, settings: OrganisationSettings, today: date
) -> FunctionGroupPublic:
    """The API shape of a function group with its derived exposure."""
    due = (
        fg.risk_assessed_on is None
        or _add_years(fg.risk_assessed_on, settings.risk_assessment_valid_years) <= today
    )
    return render(
        FunctionGroupPublic,
        fg,
        exposure_level=fg.level(settings.exposure_bands),
        risk_assessment_due=due,
    )


# The settings a function group's answer is rendered from (exposure_level,
# risk_assessment_due): a change of one is a new version of every group, so its ETag
# changes (no 304 for a stale level) and a sync by updated_from sees it.
RENDERED_FROM_SETTINGS = ("exposure_bands", "risk_assessment_valid_years")


def settings_changed(
    db: Session, before: OrganisationSettings, after: OrganisationSettings
) -> None:
    """Give every function group a new version when settings it is rendered from changed,
    announced like any change (audit trail, change feed: a sync by sync_token sees it)."""
    changed = [n for n in RENDERED_FROM_SETTINGS if getattr(before, n) != getattr(after, n)]
    if not changed:
        return
    # The tenant criterion scopes both statements to this organisation (core/tenancy.py).
    ids = list(db.exec(select(FunctionGroup.id)).all())
    db.execute(bulk_update(FunctionGroup))
    # What changed is the answer, not a column: the settings it is rendered from are named.
    trail.record(
        db,
        resource_type=FunctionGroup.__tablename__,
        resource_ids=ids,
        action=AuditAction.update,
        changed_fields=[f"settings.{n}" for n in changed],
    )


def _add_years(d: date, years: int) -> date:
    try:
        return d.replace(year=d.year + years)
    except ValueError:  # 29 February
        return d.replace(year=d.year + years, day=28)


def risk_assessment_cutoff(settings: OrganisationSettings, today: date) -> date:
    """The latest ``risk_assessed_on`` that is due ``today``: a function group is due when
    it was never assessed or assessed on or before this day (the same answer as
    ``function_group_public``, as a bound SQL can use)."""
    years = settings.risk_assessment_valid_years
    try:
        cutoff = today.replace(year=today.year - years)
    except ValueError:  # 29 February
        cutoff = today.replace(year=today.year - years, day=28)
    while _add_years(cutoff + timedelta(days=1), years) <= today:
        cutoff += timedelta(days=1)
    while _add_years(cutoff, years) > today:
        cutoff -= timedelta(days=1)
    return cutoff


def risk_assessment_due(settings: OrganisationSettings, today: date) -> ColumnElement[bool]:
    """SQL: the function group's risk assessment is due ``today``."""
    cutoff = risk_assessment_cutoff(settings, today)
    assessed = col(FunctionGroup.risk_assessed_on)
    return or_(assessed.is_(None), assessed <= cutoff)


def list_function_groups(
    db: Session,
    *,
    params: PageParams,
    external_id: str | None = None,
    due: tuple[bool, OrganisationSettings, date] | None = None,
) -> tuple[Sequence[FunctionGroup], PageEnd]:
    """Function groups, optionally by external id or whether their risk assessment is due
    (``due``: the wanted answer, the settings and the day)."""
    stmt = select(FunctionGroup)
    stmt = where_given(stmt, FunctionGroup, external_id=external_id)
    if due is not None:
        wanted, settings, day = due
        condition = risk_assessment_due(settings, day)
        stmt = stmt.where(condition if wanted else not_(condition))
    return paginate(db, stmt, FunctionGroup, params)


def create_function_group(db: Session, *, data: FunctionGroupCreate) -> FunctionGroup:
    """A new function group."""
    refuse_existing(db, FunctionGroup, PATH, external_id=data.external_id)
    fg = FunctionGroup(**data.model_dump())
    db.add(fg)
    db.flush()
    return fg


def update_function_group(
    db: Session, *, fg: FunctionGroup, data: FunctionGroupUpdate
) -> FunctionGroup:
    """Change a function group; a new likelihood or impact changes its exposure level."""
    changes = data.model_dump(exclude_unset=True)
    refuse_existing(db, FunctionGroup, PATH, exclude=fg.id, external_id=changes.get("external_id"))
    apply_changes(fg, changes)
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
