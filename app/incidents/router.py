"""HTTP routes: incidents, aftercare, the risk analysis and the incident figures."""

import uuid
from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response

from app.core.auth import ReadPrincipal
from app.core.concurrency import IfMatch, check_if_match, set_etag
from app.core.csv import csv_openapi, json_or_csv
from app.core.dates import report_period, today
from app.core.dutch import CsvLanguageQuery
from app.core.models import utcnow
from app.core.pagination import Page, PageQuery
from app.core.resource import Docs, Resource
from app.core.responses import READ, READ_ONE, WRITE_ONE
from app.core.sessions import (
    OrganisationWide,
    ReadSession,
    SensitiveOnly,
    WriteSession,
)
from app.incidents import reports, service
from app.incidents.dependencies import AftercareDep, AftercareForUpdate
from app.incidents.models import (
    AftercareKind,
    AftercarePublic,
    AftercareStatus,
    AftercareUpdate,
    Incident,
    IncidentCreate,
    IncidentPublic,
    IncidentUpdate,
)
from app.incidents.schemas import (
    AftercareComplianceReport,
    IncidentReport,
    RiskAnalysis,
    RiskAnalysisReport,
)
from app.organisation.dependencies import FunctionGroupDep

# Incidents are about people across teams: HR roles and API keys only (roles per team are
# not built for them yet; docs/incidents.md).
router = APIRouter(dependencies=[OrganisationWide])

PeriodFrom = Annotated[
    date | None, Query(description="First day of the period (default: 12 months back).")
]
PeriodTo = Annotated[date | None, Query(description="Last day of the period (default: today).")]


INCIDENTS = Resource(
    model=Incident,
    id_param="incident_id",
    schemas=(IncidentCreate, IncidentUpdate, IncidentPublic),
    public=lambda db, incident, principal: service.incident_public(
        db, incident, sensitive=principal.sensitive
    ),
    create=lambda db, data, principal: service.create_incident(
        db, data=data, settings=principal.organisation.settings, now=utcnow()
    ),
    update=lambda db, incident, data, principal: service.update_incident(
        db, incident=incident, data=data, settings=principal.organisation.settings, now=utcnow()
    ),
    delete=lambda db, incident: service.delete_incident(db, incident=incident),
    docs=Docs(
        create="Register an incident; aftercare is scheduled for every affected employee. "
        "Involved employees must be of the team, the norm orange or red, the time not future.",
        read="One incident; its description only for a key with the `sensitive` permission.",
        update="Change an incident; `involved`, when given, replaces the list and aftercare "
        "follows the affected employees.",
        delete="Delete an incident registered by mistake, with its aftercare.",
    ),
)


service.INCIDENT_LIST.add_route(router)
INCIDENTS.add_routes(router)


# --- aftercare (sensitive) --------------------------------------------------------------


@router.get("/aftercare", tags=["aftercare"], responses=READ, dependencies=[SensitiveOnly])
def list_aftercare(
    db: ReadSession,
    params: PageQuery,
    incident_id: uuid.UUID | None = None,
    employee_id: uuid.UUID | None = None,
    team_id: Annotated[
        uuid.UUID | None, Query(description="Aftercare of the team's incidents.")
    ] = None,
    kind: AftercareKind | None = None,
    status: AftercareStatus | None = None,
    overdue: Annotated[
        bool | None, Query(description="`true`: still pending after the due date.")
    ] = None,
) -> Page[AftercarePublic]:
    """Aftercare per affected employee (needs the `sensitive` permission); `overdue=true`
    lists what is late."""
    day = today()
    rows, cursor = service.list_aftercare(
        db,
        params=params,
        today=day,
        incident_id=incident_id,
        employee_id=employee_id,
        team_id=team_id,
        kind=kind,
        status=status,
        overdue=overdue,
    )
    return Page.of([service.aftercare_public(r, day) for r in rows], cursor)


@router.get(
    "/aftercare/{aftercare_id}",
    tags=["aftercare"],
    responses=READ_ONE,
    dependencies=[SensitiveOnly],
)
def get_aftercare(
    row: AftercareDep,
    response: Response,
) -> AftercarePublic:
    """One step of aftercare (needs the `sensitive` permission)."""
    set_etag(response, row)
    return service.aftercare_public(row, today())


@router.patch(
    "/aftercare/{aftercare_id}",
    tags=["aftercare"],
    responses=WRITE_ONE,
    dependencies=[SensitiveOnly],
)
def update_aftercare(
    row: AftercareForUpdate,
    data: AftercareUpdate,
    db: WriteSession,
    response: Response,
    if_match: IfMatch = None,
) -> AftercarePublic:
    """Record a step as offered, given or declined (`recorded_on` defaults to today); needs
    the `sensitive` permission."""
    check_if_match(if_match, row)
    day = today()
    row = service.update_aftercare(db, row=row, data=data, today=day)
    set_etag(response, row)
    return service.aftercare_public(row, day)


# --- risk analysis ----------------------------------------------------------------------


@router.get("/risk-analysis", tags=["risk-analysis"], responses=READ)
def get_risk_analysis(principal: ReadPrincipal, db: ReadSession) -> RiskAnalysisReport:
    """Every function group: entered likelihood and impact beside the last two years of
    incidents, a suggested likelihood, and flags when out of line or outdated."""
    return service.risk_analyses(db, today=today(), settings=principal.organisation.settings)


@router.get(
    "/function-groups/{function_group_id}/risk-analysis", tags=["risk-analysis"], responses=READ
)
def get_function_group_risk_analysis(
    group: FunctionGroupDep,
    principal: ReadPrincipal,
    db: ReadSession,
) -> RiskAnalysis:
    """One function group's risk analysis (see `/risk-analysis`)."""
    report = service.risk_analyses(
        db,
        today=today(),
        settings=principal.organisation.settings,
        function_group_id=group.id,
    )
    return report.items[0]


# --- reports ----------------------------------------------------------------------------


def _period(period_from: date | None, period_to: date | None) -> tuple[date, date]:
    return report_period(period_from, period_to, today=today())


@router.get(
    "/reports/incidents",
    dependencies=[CsvLanguageQuery],
    tags=["reports"],
    response_model=IncidentReport,
    responses={
        **csv_openapi(
            "Incidents per month, team, function group and category. With `Accept: text/csv`: "
            "the same rows for Dutch Excel (UTF-8 with BOM, `;`-separated, formula-safe)."
        ),
        **READ,
    },
)
def get_incident_report(
    request: Request,
    db: ReadSession,
    period_from: PeriodFrom = None,
    period_to: PeriodTo = None,
) -> IncidentReport | Response:
    """Incidents per month, team, function group and category (no personal data)."""
    start, end = _period(period_from, period_to)
    report = service.incident_report(db, period_from=start, period_to=end)
    return json_or_csv(
        request,
        json=lambda: report,
        rows=lambda: reports.incident_csv_rows(report),
        header=reports.INCIDENT_CSV_HEADER,
        filename=f"incidents-{start.isoformat()}-{end.isoformat()}.csv",
    )


@router.get(
    "/reports/aftercare-compliance",
    dependencies=[CsvLanguageQuery],
    tags=["reports"],
    response_model=AftercareComplianceReport,
    responses={
        **csv_openapi(
            "Aftercare due in the period per team: on time, late, overdue. With "
            "`Accept: text/csv`: one team a row and the organisation last, decimals with a "
            "comma (Dutch Excel)."
        ),
        **READ,
    },
)
def get_aftercare_compliance(
    request: Request,
    db: ReadSession,
    period_from: PeriodFrom = None,
    period_to: PeriodTo = None,
) -> AftercareComplianceReport | Response:
    """Per team: aftercare due in the period recorded on time, late, or overdue (counts only)."""
    start, end = _period(period_from, period_to)
    report = service.aftercare_compliance(db, period_from=start, period_to=end, today=today())
    return json_or_csv(
        request,
        json=lambda: report,
        rows=lambda: reports.compliance_csv_rows(report),
        header=reports.COMPLIANCE_CSV_HEADER,
        filename=f"aftercare-compliance-{start.isoformat()}-{end.isoformat()}.csv",
    )
