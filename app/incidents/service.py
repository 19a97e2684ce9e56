"""The incidents domain's public API, for its router and for other domains.

One module per part: ``incidents`` (registration), ``aftercare`` (per affected employee),
``privacy`` (erasure and the retention purge), ``risk`` (risk analysis per function group),
``evidence`` (what incidents say about training need, for selection) and ``reports``.
"""

from app.incidents.aftercare import aftercare_public, is_overdue, list_aftercare, update_aftercare
from app.incidents.evidence import CATEGORY_SKILLS, Evidence, load_evidence
from app.incidents.incidents import (
    INCIDENT_LIST,
    create_incident,
    delete_incident,
    incident_public,
    incident_summaries,
    update_incident,
)
from app.incidents.privacy import Purged, erase_employee_part, purge_incidents
from app.incidents.reports import aftercare_compliance, incident_report
from app.incidents.risk import risk_analyses

__all__ = [
    "CATEGORY_SKILLS",
    "INCIDENT_LIST",
    "Evidence",
    "Purged",
    "aftercare_compliance",
    "aftercare_public",
    "create_incident",
    "delete_incident",
    "erase_employee_part",
    "incident_public",
    "incident_report",
    "incident_summaries",
    "is_overdue",
    "list_aftercare",
    "load_evidence",
    "purge_incidents",
    "risk_analyses",
    "update_aftercare",
    "update_incident",
]
