"""The organisation's settings: rule severities and the figures of this service.

The figures below that the seed does not fix (the exposure score bands, refresher months,
the review interval, the HRM window, how many months of incidents weigh, ...) are defaults
of this service taken from established practice (DOMAIN.md, "What established practice
adds"), not of the method: each organisation changes them in ``PATCH /v1/organisation``.
"""

from enum import StrEnum

from pydantic import BaseModel, ConfigDict
from sqlmodel import Field

from app.core.models import PatchModel


class Severity(StrEnum):
    """How an enrolment rule acts: refuse, warn, or skip."""

    error = "error"
    warning = "warning"
    off = "off"


_BAND = "The lowest risk score (likelihood x impact) with exposure level {}."
_REVIEW = "Months until a practice review is due again (default 3)."
_MEETINGS = "Team meetings in a row without the agenda item that the team report flags."
_RISK_YEARS = "Years a function group's risk analysis stays valid (default 4, Dutch VPT: 4-5)."
_REFRESHER = (
    "The `refresher_months` of a new programme that does not give its own: how long a "
    "completion keeps the skills current (default 24, for conversation and de-escalation)."
)
_PHYSICAL_REFRESHER = (
    "The `refresher_months` of a new programme with `physical_safety` that does not give its "
    "own (default 12: physical safety skills fade faster)."
)
_HRM = (
    "Months an HRM conversation that discussed the theme keeps the employee covered "
    "(default 12: once a conversation cycle)."
)
_EVIDENCE = (
    "Months of incidents that weigh in the risk analysis and the recommendations (default "
    "24: the training needs analysis uses two years of incident data)."
)


class ExposureLevel(StrEnum):
    """Exposure to aggression from likelihood x impact (DOMAIN.md)."""

    low = "low"
    moderate = "moderate"
    high = "high"
    very_high = "very_high"


class RuleSeverities(BaseModel):
    """Severity per configurable enrolment rule (DOMAIN.md, "Further checks")."""

    model_config = ConfigDict(extra="forbid")

    managers_first: Severity = Severity.error
    protocol_ready: Severity = Severity.error
    comparable_functions: Severity = Severity.warning
    exposure_fit: Severity = Severity.warning
    audience_fit: Severity = Severity.error
    # Seed: "Reflecteer voorafgaand aan de training" (issue 20); applied at completion.
    reflected_before_training: Severity = Severity.warning


class ExposureBands(BaseModel):
    """Where the exposure levels start on the risk score, likelihood x impact (1-25). The
    defaults (low 1-4, moderate 5-9, high 10-16, very_high 17-25) are this service's, from
    established practice (DOMAIN.md), not the method's."""

    model_config = ConfigDict(extra="forbid")

    moderate_from: int = Field(default=5, ge=2, le=25, description=_BAND.format("moderate"))
    high_from: int = Field(default=10, ge=2, le=25, description=_BAND.format("high"))
    very_high_from: int = Field(default=17, ge=2, le=25, description=_BAND.format("very_high"))

    def level(self, score: int) -> ExposureLevel:
        """The exposure level of a risk score."""
        if score >= self.very_high_from:
            return ExposureLevel.very_high
        if score >= self.high_from:
            return ExposureLevel.high
        if score >= self.moderate_from:
            return ExposureLevel.moderate
        return ExposureLevel.low

    def ascending(self) -> bool:
        """Every band starts above the one before it."""
        return self.moderate_from < self.high_from < self.very_high_from


DEFAULT_BANDS = ExposureBands()


class OrganisationSettings(BaseModel):
    """The organisation's own choices. The figures are this service's defaults from
    established practice (DOMAIN.md), not the method's: change them here."""

    model_config = ConfigDict(extra="forbid")

    rule_severities: RuleSeverities = Field(default_factory=RuleSeverities)
    allow_unaligned_personal_goals: bool = False
    review_interval_months: int = Field(default=3, ge=1, le=24, description=_REVIEW)
    meetings_without_item_threshold: int = Field(default=3, ge=1, le=24, description=_MEETINGS)
    risk_assessment_valid_years: int = Field(default=4, ge=1, le=10, description=_RISK_YEARS)
    # Aftercare after an incident (pillar 4): first care the same day, a follow-up
    # conversation within a week; incident details are kept five years (app/incidents).
    aftercare_first_care_days: int = Field(default=0, ge=0, le=7)
    aftercare_follow_up_days: int = Field(default=7, ge=1, le=60)
    incident_retention_years: int = Field(default=5, ge=1, le=30)
    # Issue 20, item 12: the remaining DOMAIN.md figures, editable per organisation.
    exposure_bands: ExposureBands = Field(default_factory=ExposureBands)
    default_refresher_months: int = Field(default=24, ge=1, le=240, description=_REFRESHER)
    physical_refresher_months: int = Field(
        default=12, ge=1, le=240, description=_PHYSICAL_REFRESHER
    )
    hrm_theme_months: int = Field(default=12, ge=1, le=36, description=_HRM)
    incident_evidence_months: int = Field(default=24, ge=3, le=120, description=_EVIDENCE)

    def refresher_months(self, *, physical_safety: bool) -> int:
        """The refresher months of a new programme that gives none (DOMAIN.md, Refreshers)."""
        if physical_safety:
            return self.physical_refresher_months
        return self.default_refresher_months


class RuleSeveritiesUpdate(PatchModel):
    managers_first: Severity = Field(default=None)
    protocol_ready: Severity = Field(default=None)
    comparable_functions: Severity = Field(default=None)
    exposure_fit: Severity = Field(default=None)
    audience_fit: Severity = Field(default=None)
    reflected_before_training: Severity = Field(default=None)


class ExposureBandsUpdate(PatchModel):
    moderate_from: int = Field(default=None, ge=2, le=25, description=_BAND.format("moderate"))
    high_from: int = Field(default=None, ge=2, le=25, description=_BAND.format("high"))
    very_high_from: int = Field(default=None, ge=2, le=25, description=_BAND.format("very_high"))


class OrganisationSettingsUpdate(PatchModel):
    """A partial settings change; omitted fields keep their value."""

    rule_severities: RuleSeveritiesUpdate = Field(default=None)
    allow_unaligned_personal_goals: bool = Field(default=None)
    review_interval_months: int = Field(default=None, ge=1, le=24)
    meetings_without_item_threshold: int = Field(default=None, ge=1, le=24)
    risk_assessment_valid_years: int = Field(default=None, ge=1, le=10)
    aftercare_first_care_days: int = Field(default=None, ge=0, le=7)
    aftercare_follow_up_days: int = Field(default=None, ge=1, le=60)
    incident_retention_years: int = Field(default=None, ge=1, le=30)
    exposure_bands: ExposureBandsUpdate = Field(
        default=None,
        description="Where the levels start; each band above the one before it (422 "
        "`invalid-exposure-bands` otherwise, also against the stored bands).",
    )
    default_refresher_months: int = Field(default=None, ge=1, le=240, description=_REFRESHER)
    physical_refresher_months: int = Field(
        default=None, ge=1, le=240, description=_PHYSICAL_REFRESHER
    )
    hrm_theme_months: int = Field(default=None, ge=1, le=36, description=_HRM)
    incident_evidence_months: int = Field(default=None, ge=3, le=120, description=_EVIDENCE)
