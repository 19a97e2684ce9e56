"""HTTP routes of the reports: read-only overviews, as JSON or spreadsheet-safe CSV."""

import uuid
from collections.abc import Callable
from datetime import date
from typing import Annotated, TypeVar

from fastapi import APIRouter, Depends, Query, Request
from sqlmodel import Session
from starlette.responses import Response

from app.core.auth import ReadPrincipal
from app.core.csv import csv_openapi, csv_response, prefers_csv
from app.core.dates import today
from app.core.errors import InvalidInput, problem_responses
from app.core.pagination import DEFAULT_LIMIT, Cursor, Limit, PageParams, page_params
from app.core.sessions import ReadSession
from app.organisation.models import OrganisationSettings
from app.reports import hrm_theme, service
from app.reports.models import HrmThemeGapPage, OverviewReport, TeamsReport

READ = problem_responses(401, 403, 422)
PeriodFrom = Annotated[
    date | None,
    Query(description="Start of the period for meeting figures (default: 12 months back)."),
]
PeriodTo = Annotated[
    date | None, Query(description="End of the period for meeting figures (default: today).")
]

router = APIRouter()


def _check_period(period_from: date | None, period_to: date | None) -> None:
    if period_from is not None and period_to is not None and period_from > period_to:
        raise InvalidInput(
            "period_from must not be after period_to.",
            code="invalid-period",
            errors=[{"pointer": "/query/period_from", "detail": "after period_to"}],
        )


Report = TypeVar("Report", OverviewReport, TeamsReport)


def _report(
    request: Request,
    db: Session,
    settings: OrganisationSettings,
    period_from: date | None,
    period_to: date | None,
    *,
    build: Callable[..., Report],
    csv_rows: Callable[[Report], list[list[object]]],
    csv_header: list[str],
    name: str,
) -> Report | Response:
    # Both reports answer the same way: one period check, one "today", JSON or the same
    # figures as a CSV download named after the report and the day.
    _check_period(period_from, period_to)
    day = today()
    report = build(db, settings=settings, today=day, period_from=period_from, period_to=period_to)
    if prefers_csv(request):
        return csv_response(csv_rows(report), csv_header, f"{name}-{day.isoformat()}.csv")
    return report


@router.get(
    "/reports/overview",
    tags=["reports"],
    response_model=OverviewReport,
    responses={
        **csv_openapi(
            "The organisation's figures. With `Accept: text/csv`: one figure a row "
            "(section;figure;scope;value), UTF-8 with BOM, `;`-separated, formula-safe."
        ),
        **READ,
    },
)
def get_overview_report(
    request: Request,
    principal: ReadPrincipal,
    db: ReadSession,
    period_from: PeriodFrom = None,
    period_to: PeriodTo = None,
) -> OverviewReport | Response:
    """Protocol readiness, managers first, goals, coverage, refreshers and follow-up at a glance."""
    return _report(
        request,
        db,
        principal.organisation.settings,
        period_from,
        period_to,
        build=service.overview,
        csv_rows=service.overview_csv_rows,
        csv_header=service.OVERVIEW_CSV_HEADER,
        name="overview",
    )


@router.get(
    "/reports/teams",
    tags=["reports"],
    response_model=TeamsReport,
    responses={
        **csv_openapi(
            "One row per team. With `Accept: text/csv`: the same columns as a spreadsheet "
            "(UTF-8 with BOM, `;`-separated, formula-safe)."
        ),
        **READ,
    },
)
def get_teams_report(
    request: Request,
    principal: ReadPrincipal,
    db: ReadSession,
    period_from: PeriodFrom = None,
    period_to: PeriodTo = None,
) -> TeamsReport | Response:
    """Per team: readiness, trained managers, goals, coverage, follow-up, reviews, meetings."""
    return _report(
        request,
        db,
        principal.organisation.settings,
        period_from,
        period_to,
        build=service.teams_report,
        csv_rows=service.teams_csv_rows,
        csv_header=service.TEAMS_CSV_HEADER,
        name="teams",
    )


async def _page(limit: Limit = DEFAULT_LIMIT, cursor: Cursor = None) -> PageParams:
    # The list's limit and cursor without `updated_since`: a report row is not a record
    # an HR platform syncs, and an employee's updated_at says nothing about their talks.
    # async: it only parses, and a sync dependency costs a thread-pool hop.
    return page_params(limit=limit, cursor=cursor)


@router.get(
    "/reports/hrm-theme-gaps",
    tags=["reports"],
    response_model=HrmThemeGapPage,
    responses={
        **csv_openapi(
            "Active employees without an HRM conversation that discussed the theme in the "
            "last 12 months. With `Accept: text/csv`: all of them in one file (`limit` and "
            "`cursor` do not apply), one employee a row, UTF-8 with BOM, `;`-separated, "
            "formula-safe."
        ),
        **READ,
    },
)
def get_hrm_theme_gaps(
    request: Request,
    db: ReadSession,
    params: Annotated[PageParams, Depends(_page)],
    team_id: Annotated[
        uuid.UUID | None, Query(description="Only the members of this team.")
    ] = None,
) -> HrmThemeGapPage | Response:
    """Active employees without an HRM conversation on the theme in the last 12 months."""
    day = today()
    if prefers_csv(request):
        gaps, _ = hrm_theme.theme_gaps(db, today=day, team_id=team_id)
        return csv_response(
            hrm_theme.theme_gaps_csv_rows(gaps),
            hrm_theme.THEME_GAPS_CSV_HEADER,
            f"hrm-theme-gaps-{day.isoformat()}.csv",
        )
    gaps, cursor = hrm_theme.theme_gaps(db, today=day, team_id=team_id, params=params)
    return HrmThemeGapPage(
        items=gaps,
        next_cursor=cursor,
        generated_on=day,
        covered_since=hrm_theme.covered_since(day),
    )
