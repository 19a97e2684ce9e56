"""Risk analysis per function group: the entered likelihood beside what incidents show.

Incidents per employee per year over the last two years suggest a likelihood (kans) on the
same 1-5 scale; the mean severity of those incidents suggests an impact (effect). A group
is flagged when the entered likelihood is two or more steps from the suggestion, or when
the assessment is missing or older than the organisation's validity (default 4 years).
The thresholds are this service's defaults (docs/incidents.md), not the seed's.
"""

import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import case, func
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from app.core.dates import add_months
from app.incidents.evidence import evidence_window
from app.incidents.models import CrossedLevel, Incident, IncidentCategory
from app.incidents.schemas import RiskAnalysis, RiskAnalysisReport
from app.organisation.models import (
    Employee,
    FunctionGroup,
    OrganisationSettings,
    exposure_level,
)

# Incidents per employee per year at or above which likelihood 2, 3, 4 and 5 are suggested.
LIKELIHOOD_THRESHOLDS = (0.05, 0.2, 0.5, 1.0)
OUT_OF_LINE_STEPS = 2


def suggested_likelihood(rate: float) -> int:
    """1-5 from incidents per employee per year (LIKELIHOOD_THRESHOLDS)."""
    return 1 + sum(1 for t in LIKELIHOOD_THRESHOLDS if rate >= t)


def assessment_outdated(assessed_on: date | None, *, today: date, valid_years: int) -> bool:
    """Missing, or older than the validity (DOMAIN.md: due again after 4 years)."""
    return assessed_on is None or assessed_on < add_months(today, -12 * valid_years)


@dataclass
class _Tally:
    incidents: int = 0
    severity: int = 0
    red: int = 0
    categories: Counter[IncidentCategory] = field(default_factory=Counter)


def risk_analyses(
    db: Session,
    *,
    today: date,
    settings: OrganisationSettings,
    function_group_id: uuid.UUID | None = None,
) -> RiskAnalysisReport:
    """The risk analysis of every function group (or one), in three queries, over the
    organisation's evidence months, bands and validity."""
    months, bands = settings.incident_evidence_months, settings.exposure_bands
    valid_years = settings.risk_assessment_valid_years
    start, end = evidence_window(today, months)
    groups_stmt = select(FunctionGroup).order_by(col(FunctionGroup.name), col(FunctionGroup.id))
    people_stmt = (
        select(col(Employee.function_group_id), func.count())
        .where(col(Employee.active).is_(True), col(Employee.function_group_id).is_not(None))
        .group_by(col(Employee.function_group_id))
    )
    incidents_stmt = (
        sa_select(
            col(Incident.function_group_id),
            col(Incident.category),
            func.count(),
            func.sum(col(Incident.severity)),
            func.sum(case((col(Incident.norm_level) == CrossedLevel.red, 1), else_=0)),
        )
        .where(col(Incident.occurred_at) >= start, col(Incident.occurred_at) < end)
        .group_by(col(Incident.function_group_id), col(Incident.category))
    )
    if function_group_id is not None:
        groups_stmt = groups_stmt.where(col(FunctionGroup.id) == function_group_id)
        people_stmt = people_stmt.where(col(Employee.function_group_id) == function_group_id)
        incidents_stmt = incidents_stmt.where(col(Incident.function_group_id) == function_group_id)
    people = dict(db.exec(people_stmt).all())
    tallies: dict[uuid.UUID, _Tally] = {}
    for fg_id, category, n, severity, red in db.execute(incidents_stmt).all():
        tally = tallies.setdefault(fg_id, _Tally())
        tally.incidents += n
        tally.severity += int(severity or 0)
        tally.red += int(red or 0)
        tally.categories[IncidentCategory(category)] += n
    years = months / 12
    items = []
    for fg in db.exec(groups_stmt).all():
        employees = int(people.get(fg.id, 0))
        tally = tallies.get(fg.id, _Tally())
        rate = tally.incidents / employees / years if employees else None
        suggestion = suggested_likelihood(rate) if rate is not None else None
        mean_severity = tally.severity / tally.incidents if tally.incidents else None
        outdated = assessment_outdated(fg.risk_assessed_on, today=today, valid_years=valid_years)
        out_of_line = suggestion is not None and abs(fg.likelihood - suggestion) >= (
            OUT_OF_LINE_STEPS
        )
        items.append(
            RiskAnalysis(
                function_group_id=fg.id,
                function_group_name=fg.name,
                employee_count=employees,
                incident_count=tally.incidents,
                red_count=tally.red,
                by_category={c.value: tally.categories[c] for c in IncidentCategory},
                incidents_per_employee_per_year=round(rate, 3) if rate is not None else None,
                mean_severity=round(mean_severity, 2) if mean_severity is not None else None,
                likelihood=fg.likelihood,
                impact=fg.impact,
                exposure_score=fg.exposure_score,
                exposure_level=fg.level(bands),
                suggested_likelihood=suggestion,
                suggested_impact=round(mean_severity) if mean_severity is not None else None,
                suggested_exposure_level=(
                    exposure_level(suggestion * fg.impact, bands)
                    if suggestion is not None
                    else None
                ),
                likelihood_out_of_line=out_of_line,
                risk_assessed_on=fg.risk_assessed_on,
                assessment_outdated=outdated,
                needs_attention=out_of_line or outdated,
            )
        )
    return RiskAnalysisReport(
        period_from=add_months(today, -months) + timedelta(days=1),
        period_to=today,
        items=items,
    )
