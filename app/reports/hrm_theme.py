"""HRM theme coverage: seed step 4, the theme returns in the HRM conversation cycle.

An active employee is *covered* on a day when they had an HRM conversation that discussed
the theme (``theme_discussed``), held in the last ``hrm_theme_months`` (an organisation
setting, default 12: a conversation cycle): on or after ``covered_since(day, months)`` (the
day minus the months, clamped at month end) and on or before the day. A conversation held
exactly 12 months ago still covers (by default); one a day earlier does not.

The reports count the covered employees (``figures.py``) and list the others
(``theme_gaps``) from the one expression ``covered_employee_ids``, so the count and the
list cannot disagree.
"""

import uuid
from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy import Select, func, select
from sqlmodel import Session, col

from app.core.crud import resolve_ref
from app.core.dates import add_months
from app.core.pagination import PageParams, paginate
from app.core.queries import where_given
from app.core.tenancy import current_organisation_id
from app.followup.models import HrmConversation
from app.organisation import organisations
from app.organisation.models import Employee, FunctionGroup, Team, full_name
from app.reports.models import HrmThemeGap


def covered_since(day: date, months: int) -> date:
    """The earliest ``held_on`` of a theme conversation that still covers on ``day``."""
    return add_months(day, -months)


def covered_employee_ids(org_id: uuid.UUID, day: date, months: int) -> Select[uuid.UUID]:
    """SQL: the ids of the employees covered on ``day`` (see the module).

    Names its organisation itself: the figures run it on the connection, without the ORM's
    tenant criteria.
    """
    return select(col(HrmConversation.employee_id)).where(
        col(HrmConversation.organisation_id) == org_id,
        col(HrmConversation.theme_discussed).is_(True),
        col(HrmConversation.held_on) >= covered_since(day, months),
        col(HrmConversation.held_on) <= day,
    )


def _gaps_statement(
    org_id: uuid.UUID, day: date, months: int, team_id: uuid.UUID | None
) -> Select[*tuple[Any, ...]]:
    # Read per listed row through the (employee_id, held_on) index: only for the rows of
    # the page, however many conversations the organisation holds.
    last_theme_on = (
        select(func.max(col(HrmConversation.held_on)))
        .where(
            col(HrmConversation.organisation_id) == org_id,
            col(HrmConversation.employee_id) == col(Employee.id),
            col(HrmConversation.theme_discussed).is_(True),
            col(HrmConversation.held_on) <= day,
        )
        .correlate(Employee)
        .scalar_subquery()
    )
    stmt = (
        select(
            col(Employee.id),
            col(Employee.external_id),
            col(Employee.first_name),
            col(Employee.name_particle),
            col(Employee.last_name),
            col(Employee.team_id),
            col(Team.name),
            col(Employee.function_group_id),
            col(FunctionGroup.name),
            last_theme_on,
        )
        .outerjoin(Team, col(Team.id) == col(Employee.team_id))
        .outerjoin(FunctionGroup, col(FunctionGroup.id) == col(Employee.function_group_id))
        # Active only: an erased employee is always deactivated first (audit domain).
        .where(
            col(Employee.organisation_id) == org_id,
            col(Employee.active).is_(True),
            col(Employee.id).not_in(covered_employee_ids(org_id, day, months)),
        )
    )
    stmt = where_given(stmt, Employee, team_id=team_id)
    return stmt


def theme_gaps(
    db: Session,
    *,
    today: date,
    team_id: uuid.UUID | None = None,
    params: PageParams | None = None,
) -> tuple[list[HrmThemeGap], str | None]:
    """Active employees not covered on ``today``, in creation order (the keyset of every
    list): one page of ``params``, or all of them without. One statement either way
    (and one more to check ``team_id``: another organisation's team is an unknown one)."""
    if team_id is not None:
        resolve_ref(db, Team, team_id, pointer="/query/team_id", what="team")
    months = organisations.current_settings(db).hrm_theme_months
    stmt = _gaps_statement(current_organisation_id(db), today, months, team_id)
    rows: Sequence[Any]
    next_cursor = None
    if params is not None:
        rows, end = paginate(db, stmt, Employee, params, sync=False)
        next_cursor = end.next_cursor
    else:
        rows = db.execute(stmt.order_by(col(Employee.id))).all()
    gaps = [
        HrmThemeGap(
            employee_id=employee_id,
            external_id=external_id,
            full_name=full_name(first, particle, last),
            team_id=team,
            team_name=team_name,
            function_group_id=function_group,
            function_group_name=function_group_name,
            last_theme_conversation_on=last_on,
        )
        for (
            employee_id,
            external_id,
            first,
            particle,
            last,
            team,
            team_name,
            function_group,
            function_group_name,
            last_on,
        ) in rows
    ]
    return gaps, next_cursor


THEME_GAPS_CSV_HEADER = list(HrmThemeGap.model_fields)


def theme_gaps_csv_rows(gaps: list[HrmThemeGap]) -> list[list[object]]:
    """One row per employee, columns ``THEME_GAPS_CSV_HEADER``."""
    return [[getattr(gap, name) for name in THEME_GAPS_CSV_HEADER] for gap in gaps]
