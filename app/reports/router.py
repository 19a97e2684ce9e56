"""HTTP routes of the reports: read-only overviews, as JSON or spreadsheet-safe CSV."""

import uuid
from collections.abc import Callable
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from sqlmodel import Session
from starlette.responses import Response

from app.core.auth import Principal, ReadPrincipal
from app.core.csv import csv_openapi, json_or_csv
from app.core.dates import report_period, today
from app.core.dutch import CsvLanguageQuery
from app.core.errors import Forbidden, problem_responses
from app.core.pagination import DEFAULT_LIMIT, Cursor, Limit, PageParams, page_params
from app.core.resource import signed
from app.core.roles import UserRole
from app.core.sessions import OrganisationWide, ReadSession
from app.organisation import organisations
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


def managed_teams(principal: Principal) -> frozenset[uuid.UUID] | None:
    """The teams whose rows a per-team report shows: all (``None``) for API keys and the HR
    roles, the teams a team manager manages, and none to anyone else (403): a trainer's or
    employee's reach is people, and a team's figures are about everyone in it."""
    reach = principal.reach
    if reach is None or reach.sees_everything:
        return None
    if UserRole.team_manager in reach.roles:
        return reach.managed_team_ids
    raise Forbidden(
        "Team figures are for HR roles, API keys and the managers of the teams.",
        code="role-forbids",
    )


def _add_report(
    path: str,
    name: str,
    model: type[OverviewReport | TeamsReport],
    *,
    doc: str,
    csv_doc: str,
    build: Callable[..., OverviewReport | TeamsReport],
    csv_rows: Callable[[Any], list[list[object]]],
    csv_header: list[str],
    per_team: bool = False,
) -> None:
    """Put a period report on ``router``: one period check, one "today", JSON or the same
    figures as a CSV download named after the report and the day (both reports alike).

    A report of the whole organisation is for API keys and the HR roles (OrganisationWide);
    one of ``per_team`` rows also for a team manager, who gets the rows of the teams they
    manage (``managed_teams``)."""

    def report(
        request: Request,
        principal: Principal,
        db: Session,
        period_from: date | None = None,
        period_to: date | None = None,
    ) -> Any:
        day, settings = today(), principal.organisation.settings
        period_from, period_to = report_period(period_from, period_to, today=day)
        narrowed = {"team_ids": managed_teams(principal)} if per_team else {}
        built = build(
            db,
            settings=settings,
            today=day,
            period_from=period_from,
            period_to=period_to,
            **narrowed,
        )
        return json_or_csv(
            request,
            json=lambda: built,
            rows=lambda: csv_rows(built),
            header=csv_header,
            filename=f"{path.removeprefix('/reports/')}-{day.isoformat()}.csv",
        )

    endpoint = signed(
        report,
        name,
        doc,
        request=Request,
        principal=ReadPrincipal,
        db=ReadSession,
        period_from=PeriodFrom,
        period_to=PeriodTo,
    )
    endpoint.__module__ = __name__
    router.add_api_route(
        path,
        endpoint,
        methods=["GET"],
        name=name,
        # The figures are computed over the whole organisation, per team, as plain SQL
        # (reports/figure_query.py), not narrowed row by row to a person's reach: the
        # organisation's totals are for API keys and the HR roles only, like the change
        # feed; rows per team are kept to a team manager's teams (managed_teams).
        dependencies=[CsvLanguageQuery] if per_team else [CsvLanguageQuery, OrganisationWide],
        tags=["reports"],
        response_model=model,
        responses={**csv_openapi(csv_doc), **READ},
    )


_add_report(
    "/reports/overview",
    "get_overview_report",
    OverviewReport,
    doc="Protocol readiness, managers first, goals, coverage, refreshers and follow-up at a "
    "glance.",
    csv_doc="The organisation's figures. With `Accept: text/csv`: one figure a row "
    "(section;figure;scope;value), UTF-8 with BOM, `;`-separated, formula-safe.",
    build=service.overview,
    csv_rows=service.overview_csv_rows,
    csv_header=service.OVERVIEW_CSV_HEADER,
)
_add_report(
    "/reports/teams",
    "get_teams_report",
    TeamsReport,
    doc="Per team: readiness, trained managers, goals, coverage, follow-up, reviews, meetings.",
    csv_doc="One row per team. With `Accept: text/csv`: the same columns as a spreadsheet "
    "(UTF-8 with BOM, `;`-separated, formula-safe).",
    build=service.teams_report,
    csv_rows=service.teams_csv_rows,
    csv_header=service.TEAMS_CSV_HEADER,
    per_team=True,
)


async def _page(limit: Limit = DEFAULT_LIMIT, cursor: Cursor = None) -> PageParams:
    # The list's limit and cursor without `updated_from`: a report row is not a record
    # an HR platform syncs, and an employee's updated_at says nothing about their talks.
    # async: it only parses, and a sync dependency costs a thread-pool hop.
    return page_params(limit=limit, cursor=cursor)


@router.get(
    "/reports/hrm-theme-gaps",
    dependencies=[CsvLanguageQuery],
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
    """Active employees without an HRM conversation on the theme in the last 12 months (the
    organisation's `hrm_theme_months`)."""
    day = today()

    def page() -> HrmThemeGapPage:
        gaps, cursor = hrm_theme.theme_gaps(db, today=day, team_id=team_id, params=params)
        return HrmThemeGapPage(
            items=gaps,
            next_cursor=cursor,
            generated_on=day,
            covered_since=hrm_theme.covered_since(
                day, organisations.current_settings(db).hrm_theme_months
            ),
        )

    # The CSV holds every gap in one file: no page.
    return json_or_csv(
        request,
        json=page,
        rows=lambda: hrm_theme.theme_gaps_csv_rows(
            hrm_theme.theme_gaps(db, today=day, team_id=team_id)[0]
        ),
        header=hrm_theme.THEME_GAPS_CSV_HEADER,
        filename=f"hrm-theme-gaps-{day.isoformat()}.csv",
    )
