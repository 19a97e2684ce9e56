"""Incident figures: incidents per month, team and function group; aftercare compliance."""

import uuid
from collections import Counter
from datetime import date

from sqlalchemy import case, func
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from app.core.dates import CALENDAR_ZONE, start_of
from app.incidents.models import (
    Aftercare,
    AftercareStatus,
    CrossedLevel,
    Incident,
    IncidentCategory,
)
from app.incidents.schemas import (
    AftercareCompliance,
    AftercareComplianceReport,
    IncidentCount,
    IncidentReport,
)
from app.organisation.models import FunctionGroup, Team


def _names(db: Session, model: type[Team] | type[FunctionGroup]) -> dict[uuid.UUID, str]:
    return dict(db.exec(select(col(model.id), col(model.name))).all())


def incident_report(db: Session, *, period_from: date, period_to: date) -> IncidentReport:
    """Incidents per month, team, function group and category (Dutch calendar months)."""
    rows = db.execute(
        sa_select(
            col(Incident.occurred_at),
            col(Incident.team_id),
            col(Incident.function_group_id),
            col(Incident.category),
            col(Incident.norm_level),
            col(Incident.police_informed),
        ).where(
            col(Incident.occurred_at) >= start_of(period_from),
            col(Incident.occurred_at) < start_of(period_to, next_day=True),
        )
    ).all()
    counts: Counter[tuple[str, uuid.UUID, uuid.UUID, str]] = Counter()
    red: Counter[tuple[str, uuid.UUID, uuid.UUID, str]] = Counter()
    police: Counter[tuple[str, uuid.UUID, uuid.UUID, str]] = Counter()
    for occurred_at, team_id, fg_id, category, level, informed in rows:
        month = occurred_at.astimezone(CALENDAR_ZONE).strftime("%Y-%m")
        key = (month, team_id, fg_id, category)
        counts[key] += 1
        red[key] += level == CrossedLevel.red
        police[key] += bool(informed)
    teams, groups = _names(db, Team), _names(db, FunctionGroup)
    out = [
        IncidentCount(
            month=month,
            team_id=team_id,
            team_name=teams.get(team_id, ""),
            function_group_id=fg_id,
            function_group_name=groups.get(fg_id, ""),
            category=IncidentCategory(category),
            incidents=n,
            red=red[key],
            police_informed=police[key],
        )
        for key, n in counts.items()
        for month, team_id, fg_id, category in [key]
    ]
    out.sort(key=lambda r: (r.month, r.team_name, r.function_group_name, r.category.value))
    return IncidentReport(period_from=period_from, period_to=period_to, total=len(rows), rows=out)


INCIDENT_CSV_HEADER = [
    "month",
    "team",
    "function_group",
    "category",
    "incidents",
    "red",
    "police_informed",
]


def incident_csv_rows(report: IncidentReport) -> list[list[object]]:
    """One row per month, team, function group and category."""
    return [
        [
            r.month,
            r.team_name,
            r.function_group_name,
            r.category.value,
            r.incidents,
            r.red,
            r.police_informed,
        ]
        for r in report.rows
    ]


def _compliance(team_id: uuid.UUID | None, name: str, c: Counter[str]) -> AftercareCompliance:
    due = c["due"]
    return AftercareCompliance(
        team_id=team_id,
        team_name=name,
        due=due,
        on_time=c["on_time"],
        late=c["late"],
        overdue=c["overdue"],
        declined=c["declined"],
        compliance_pct=round(100 * c["on_time"] / due, 1) if due else None,
    )


def aftercare_compliance(
    db: Session, *, period_from: date, period_to: date, today: date
) -> AftercareComplianceReport:
    """Per team: aftercare due in the period (up to today) recorded on time, late, or still
    pending; counted in the database."""
    last = min(period_to, today)
    recorded = col(Aftercare.status) != AftercareStatus.pending
    on_time = recorded & (col(Aftercare.recorded_on) <= col(Aftercare.due_on))
    rows = db.execute(
        sa_select(
            col(Incident.team_id),
            func.count(),
            func.sum(case((on_time, 1), else_=0)),
            func.sum(case((recorded & ~on_time, 1), else_=0)),
            func.sum(
                case(
                    (
                        (col(Aftercare.status) == AftercareStatus.pending)
                        & (col(Aftercare.due_on) < today),
                        1,
                    ),
                    else_=0,
                )
            ),
            func.sum(case((col(Aftercare.status) == AftercareStatus.declined, 1), else_=0)),
        )
        .join(Incident, col(Incident.id) == col(Aftercare.incident_id))
        .where(col(Aftercare.due_on) >= period_from, col(Aftercare.due_on) <= last)
        .group_by(col(Incident.team_id))
    ).all()
    names = _names(db, Team)
    total: Counter[str] = Counter()
    teams = []
    for team_id, due, ok, late, overdue, declined in rows:
        c: Counter[str] = Counter(
            due=int(due),
            on_time=int(ok or 0),
            late=int(late or 0),
            overdue=int(overdue or 0),
            declined=int(declined or 0),
        )
        total.update(c)
        teams.append(_compliance(team_id, names.get(team_id, ""), c))
    teams.sort(key=lambda t: (t.team_name, str(t.team_id)))
    return AftercareComplianceReport(
        period_from=period_from,
        period_to=period_to,
        teams=teams,
        total=_compliance(None, "", total),
    )


COMPLIANCE_CSV_HEADER = [
    "team",
    "due",
    "on_time",
    "late",
    "overdue",
    "declined",
    "compliance_pct",
]


def dutch_decimal(value: float | None) -> str:
    """A decimal as Dutch Excel reads it: a comma, not a point (85,5)."""
    return "" if value is None else f"{value:.1f}".replace(".", ",")


def compliance_csv_rows(report: AftercareComplianceReport) -> list[list[object]]:
    """One row per team and a last row for the organisation."""
    return [
        [
            t.team_name or "(organisatie)",
            t.due,
            t.on_time,
            t.late,
            t.overdue,
            t.declined,
            dutch_decimal(t.compliance_pct),
        ]
        for t in [*report.teams, report.total]
    ]
