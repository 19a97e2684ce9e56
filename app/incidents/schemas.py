"""The shapes of the incident figures: risk analysis, incident counts, aftercare compliance."""

import uuid
from datetime import date

from pydantic import BaseModel, Field

from app.incidents.models import IncidentCategory
from app.organisation.models import ExposureLevel


class RiskAnalysis(BaseModel):
    """One function group: the entered risk beside the last two years of incidents."""

    function_group_id: uuid.UUID
    function_group_name: str
    employee_count: int = Field(description="Active employees of the group (the denominator).")
    incident_count: int = Field(description="Incidents of the group in the period.")
    red_count: int = Field(description="Of those, incidents that crossed a red norm.")
    by_category: dict[str, int] = Field(description="Incidents per category.")
    incidents_per_employee_per_year: float | None = Field(
        description="Null when the group has no active employees."
    )
    mean_severity: float | None = Field(description="Mean severity (1-5); null without incidents.")
    likelihood: int = Field(description="As entered (kans, 1-5).")
    impact: int = Field(description="As entered (effect, 1-5).")
    exposure_score: int
    exposure_level: ExposureLevel
    suggested_likelihood: int | None = Field(
        description="From incidents per employee per year: <0.05 1, <0.2 2, <0.5 3, <1 4, "
        "else 5. Null without employees."
    )
    suggested_impact: int | None = Field(description="The mean severity, rounded.")
    suggested_exposure_level: ExposureLevel | None = Field(
        description="The level with the suggested likelihood and the entered impact."
    )
    likelihood_out_of_line: bool = Field(
        description="The entered likelihood is two or more steps from the suggestion."
    )
    risk_assessed_on: date | None
    assessment_outdated: bool = Field(
        description="No assessment, or older than the organisation's validity (4 years)."
    )
    needs_attention: bool = Field(description="Out of line or outdated: assess again.")


class RiskAnalysisReport(BaseModel):
    """Every function group's risk analysis over the last two years (DOMAIN.md)."""

    period_from: date
    period_to: date
    items: list[RiskAnalysis]


class IncidentCount(BaseModel):
    """Incidents of one month, team, function group and category."""

    month: str = Field(description="`YYYY-MM`, the Dutch calendar month.")
    team_id: uuid.UUID
    team_name: str
    function_group_id: uuid.UUID
    function_group_name: str
    category: IncidentCategory
    incidents: int
    red: int = Field(description="Of those, incidents that crossed a red norm.")
    police_informed: int


class IncidentReport(BaseModel):
    """Incidents per month, team, function group and category in the period."""

    period_from: date
    period_to: date
    total: int
    rows: list[IncidentCount]


class AftercareCompliance(BaseModel):
    """Aftercare of one team (or of the organisation: team null) due in the period."""

    team_id: uuid.UUID | None
    team_name: str
    due: int = Field(description="Steps due in the period, up to today.")
    on_time: int = Field(description="Recorded (offered, given or declined) by the due date.")
    late: int = Field(description="Recorded after the due date.")
    overdue: int = Field(description="Still pending after the due date.")
    declined: int
    compliance_pct: float | None = Field(description="on_time / due x 100; null when none due.")


class AftercareComplianceReport(BaseModel):
    period_from: date
    period_to: date
    teams: list[AftercareCompliance]
    total: AftercareCompliance
