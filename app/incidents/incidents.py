"""Registering incidents: who was involved, which norm was crossed, what happened."""

import uuid
from collections import defaultdict
from collections.abc import Collection, Sequence
from datetime import date, datetime
from typing import Any, ClassVar

from pydantic import Field
from sqlalchemy import delete
from sqlmodel import Session, col, select

from app.core.crud import apply_changes, resolve_ref, unknown_reference
from app.core.dates import day_of, start_of
from app.core.errors import InvalidInput
from app.core.listing import Clauses, ListFilters, Listing
from app.core.models import render, touch
from app.core.problems import ProblemCode
from app.incidents import aftercare
from app.incidents.models import (
    CrossedLevel,
    Incident,
    IncidentCategory,
    IncidentCreate,
    IncidentEmployee,
    IncidentPublic,
    IncidentSummary,
    IncidentUpdate,
    InvolvedEmployee,
    InvolvedEmployeeIn,
    Involvement,
)
from app.organisation.models import Employee, FunctionGroup, OrganisationSettings, Team
from app.policy.models import Norm, NormLevel

CROSSED = {NormLevel.orange: CrossedLevel.orange, NormLevel.red: CrossedLevel.red}


def _invalid(pointer: str, detail: str, message: str, code: ProblemCode) -> InvalidInput:
    return InvalidInput(message, code=code, errors=[{"pointer": pointer, "detail": detail}])


def check_occurred_at(occurred_at: datetime, *, now: datetime) -> None:
    """An incident is history: not in the future (422)."""
    if occurred_at > now:
        raise _invalid(
            "/occurred_at",
            "in the future",
            "An incident cannot have happened in the future.",
            "occurred-in-future",
        )


def crossed_level(db: Session, *, norm_id: uuid.UUID, team_id: uuid.UUID) -> CrossedLevel:
    """The level of the crossed norm: an orange or red norm of the organisation or the team."""
    norm = resolve_ref(db, Norm, norm_id, pointer="/norm_id", what="norm")
    level = CROSSED.get(NormLevel(norm.level))
    if level is None:
        raise _invalid(
            "/norm_id",
            "a green norm",
            "A green norm describes desired behaviour; an incident crosses an orange or red one.",
            "norm-not-crossed",
        )
    if norm.team_id is not None and norm.team_id != team_id:
        raise _invalid(
            "/norm_id",
            "another team's norm",
            "The norm is a team norm of another team.",
            "norm-of-another-team",
        )
    return level


def check_involved(
    db: Session, *, team_id: uuid.UUID, involved: Sequence[InvolvedEmployeeIn]
) -> None:
    """Every employee involved exists and belongs to the incident's team (422 naming the first
    that does not)."""
    ids = [i.employee_id for i in involved]
    teams = dict(
        db.exec(
            select(col(Employee.id), col(Employee.team_id)).where(col(Employee.id).in_(ids))
        ).all()
    )
    for i, employee_id in enumerate(ids):
        pointer = f"/involved/{i}/employee_id"
        if employee_id not in teams:
            raise unknown_reference(pointer, "employee", employee_id)
        if teams[employee_id] != team_id:
            raise _invalid(
                pointer,
                "employee of another team",
                f"Employee {employee_id} is not a member of the incident's team.",
                "employee-of-another-team",
            )


def involved_of(
    db: Session, incident_ids: Collection[uuid.UUID]
) -> dict[uuid.UUID, list[InvolvedEmployee]]:
    """The employees involved per incident, in one query (affected first, then by id)."""
    out: dict[uuid.UUID, list[InvolvedEmployee]] = defaultdict(list)
    if not incident_ids:
        return out
    rows = db.exec(
        select(IncidentEmployee)
        .where(col(IncidentEmployee.incident_id).in_(list(incident_ids)))
        .order_by(col(IncidentEmployee.involvement), col(IncidentEmployee.employee_id))
    ).all()
    for row in rows:
        out[row.incident_id].append(render(InvolvedEmployee, row))
    return out


def incident_summaries(db: Session, rows: Sequence[Incident]) -> list[IncidentSummary]:
    """The list shape: no description, ever."""
    involved = involved_of(db, [r.id for r in rows])
    return [render(IncidentSummary, r, involved=involved.get(r.id, [])) for r in rows]


def incident_public(db: Session, incident: Incident, *, sensitive: bool) -> IncidentPublic:
    """One incident; its description only for a caller with the `sensitive` permission."""
    involved = involved_of(db, [incident.id]).get(incident.id, [])
    return render(
        IncidentPublic,
        incident,
        involved=involved,
        description=incident.description if sensitive else None,
        description_withheld=not sensitive and incident.description is not None,
    )


def _affected(involved: Sequence[InvolvedEmployeeIn | InvolvedEmployee]) -> list[uuid.UUID]:
    return [i.employee_id for i in involved if i.involvement == Involvement.affected]


def _link(db: Session, incident: Incident, involved: Sequence[InvolvedEmployeeIn]) -> None:
    db.add_all(
        IncidentEmployee(
            incident_id=incident.id,
            employee_id=i.employee_id,
            involvement=i.involvement,
            organisation_id=incident.organisation_id,
        )
        for i in involved
    )


def create_incident(
    db: Session, *, data: IncidentCreate, settings: OrganisationSettings, now: datetime
) -> Incident:
    """Register an incident; aftercare is scheduled for every affected employee."""
    check_occurred_at(data.occurred_at, now=now)
    resolve_ref(db, Team, data.team_id, pointer="/team_id", what="team")
    resolve_ref(
        db,
        FunctionGroup,
        data.function_group_id,
        pointer="/function_group_id",
        what="function group",
    )
    level = crossed_level(db, norm_id=data.norm_id, team_id=data.team_id)
    check_involved(db, team_id=data.team_id, involved=data.involved)
    incident = Incident(**data.model_dump(exclude={"involved"}), norm_level=level)
    db.add(incident)
    db.flush()
    _link(db, incident, data.involved)
    aftercare.schedule(
        db, incident=incident, employee_ids=_affected(data.involved), settings=settings
    )
    db.flush()
    return incident


def update_incident(
    db: Session,
    *,
    incident: Incident,
    data: IncidentUpdate,
    settings: OrganisationSettings,
    now: datetime,
) -> Incident:
    """Change an incident; the same checks as a new one, aftercare follows the affected."""
    changes: dict[str, Any] = data.model_dump(exclude_unset=True)
    involved_in = data.involved if "involved" in changes else None
    changes.pop("involved", None)
    if "occurred_at" in changes:
        check_occurred_at(data.occurred_at, now=now)
    team_id = changes.get("team_id", incident.team_id)
    if "team_id" in changes:
        resolve_ref(db, Team, team_id, pointer="/team_id", what="team")
    if "function_group_id" in changes:
        resolve_ref(
            db,
            FunctionGroup,
            changes["function_group_id"],
            pointer="/function_group_id",
            what="function group",
        )
    if "norm_id" in changes or "team_id" in changes:
        norm_id = changes.get("norm_id", incident.norm_id)
        changes["norm_level"] = crossed_level(db, norm_id=norm_id, team_id=team_id)
    current = involved_of(db, [incident.id]).get(incident.id, [])
    involved = involved_in if involved_in is not None else current
    if involved_in is not None or "team_id" in changes:
        check_involved(
            db,
            team_id=team_id,
            involved=[InvolvedEmployeeIn(**i.model_dump()) for i in involved],
        )
    apply_changes(incident, changes)
    if involved_in is not None:
        db.execute(delete(IncidentEmployee).where(col(IncidentEmployee.incident_id) == incident.id))
        _link(db, incident, involved_in)
        touch(incident)
    aftercare.reconcile(db, incident=incident, employee_ids=_affected(involved), settings=settings)
    db.flush()
    return incident


def delete_incident(db: Session, *, incident: Incident) -> None:
    """Delete an incident registered by mistake, with its aftercare."""
    db.execute(delete(IncidentEmployee).where(col(IncidentEmployee.incident_id) == incident.id))
    aftercare.delete_of(db, incident_ids=[incident.id])
    db.delete(incident)
    db.flush()


class IncidentFilters(ListFilters):
    clauses: ClassVar[Clauses] = {
        "employee_id": lambda employee_id: col(Incident.id).in_(
            select(col(IncidentEmployee.incident_id)).where(
                col(IncidentEmployee.employee_id) == employee_id
            )
        ),
        # Calendar days in the Netherlands, the last one whole.
        "occurred_from": lambda day: col(Incident.occurred_at) >= start_of(day),
        "occurred_to": lambda day: col(Incident.occurred_at) < start_of(day, next_day=True),
    }

    team_id: uuid.UUID | None = None
    function_group_id: uuid.UUID | None = None
    category: IncidentCategory | None = None
    norm_level: CrossedLevel | None = None
    police_informed: bool | None = None
    employee_id: uuid.UUID | None = Field(
        default=None, description="Incidents this employee was involved in."
    )
    external_id: str | None = Field(default=None, max_length=100)
    occurred_from: date | None = Field(default=None, description="On or after this day.")
    occurred_to: date | None = Field(default=None, description="On or before this day.")


INCIDENT_LIST = Listing(
    model=Incident,
    filters=IncidentFilters,
    public=IncidentSummary,
    render=incident_summaries,
    doc="Incidents without their descriptions; filter by team, function group, category, "
    "level,\nemployee and period.",
)


def occurred_on(incident: Incident) -> date:
    """The Dutch calendar day of the incident."""
    return day_of(incident.occurred_at)
