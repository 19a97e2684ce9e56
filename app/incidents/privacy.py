"""Privacy of incident details: erasure of an employee's part, and the retention purge.

Descriptions and aftercare are sensitive personal data. When an employee involved is
erased, their involvement and aftercare go and the descriptions of their incidents are
cleared (free text may name them); the incident's facts stay as anonymous figures. After
the retention period (default 5 years) whole incidents are deleted.
"""

import uuid
from dataclasses import dataclass
from datetime import date

from sqlalchemy import delete
from sqlmodel import Session, col, select

from app.core.dates import add_months, start_of
from app.core.models import bulk_update
from app.core.queries import rowcount
from app.core.tenancy import current_organisation_id
from app.incidents import aftercare
from app.incidents.models import Aftercare, Incident, IncidentEmployee


def erase_employee_part(db: Session, *, employee_id: uuid.UUID) -> int:
    """Remove an erased employee's involvement and aftercare and clear the descriptions of
    their incidents; returns the number of incidents touched."""
    incident_ids = list(
        db.exec(
            select(col(IncidentEmployee.incident_id)).where(
                col(IncidentEmployee.employee_id) == employee_id
            )
        ).all()
    )
    db.execute(delete(Aftercare).where(col(Aftercare.employee_id) == employee_id))
    db.execute(
        delete(IncidentEmployee).where(
            col(IncidentEmployee.employee_id) == employee_id,
            col(IncidentEmployee.organisation_id) == current_organisation_id(db),
        )
    )
    if incident_ids:
        db.execute(
            bulk_update(Incident).where(col(Incident.id).in_(incident_ids)).values(description=None)
        )
    return len(incident_ids)


@dataclass(frozen=True)
class Purged:
    """What a purge removed (or, in a dry run, would remove)."""

    before: date
    incidents: int


def purge_before(today: date, retention_years: int) -> date:
    """Incidents that happened before this day are past the retention period."""
    return add_months(today, -12 * retention_years)


def purge_incidents(
    db: Session, *, today: date, retention_years: int, dry_run: bool = False
) -> Purged:
    """Delete the organisation's incidents older than the retention period, with their
    involvement and aftercare; follow-up items from them stay, without the source
    (the foreign key sets it null)."""
    before = purge_before(today, retention_years)
    ids = list(
        db.exec(select(col(Incident.id)).where(col(Incident.occurred_at) < start_of(before))).all()
    )
    if dry_run or not ids:
        return Purged(before=before, incidents=len(ids))
    db.execute(delete(IncidentEmployee).where(col(IncidentEmployee.incident_id).in_(ids)))
    aftercare.delete_of(db, incident_ids=ids)
    removed = rowcount(db.execute(delete(Incident).where(col(Incident.id).in_(ids))))
    return Purged(before=before, incidents=removed)
