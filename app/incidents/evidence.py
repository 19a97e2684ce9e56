"""What the last two years of incidents say about the skills a team or function group needs
(the organisation's ``incident_evidence_months``, two years by default).

The method derives exposure and training need from what actually happens (risk-based
training-needs analysis uses two years of incident data, DOMAIN.md). Each category of
incident raises the need for the skills that answer it; these pairs are this service's
defaults, not the seed's.
"""

import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import func
from sqlmodel import Session, col, select

from app.core.dates import add_months, start_of
from app.incidents.models import Incident, IncidentCategory

# The default of settings.incident_evidence_months (DOMAIN.md: two years of incident data).
EVIDENCE_MONTHS = 24

# Category -> the skills (codes) that answer it.
CATEGORY_SKILLS: dict[IncidentCategory, tuple[str, ...]] = {
    IncidentCategory.verbal_aggression: ("redirecting_emotion", "naming_discomfort"),
    IncidentCategory.threat: ("naming_discomfort", "manipulative_behaviour"),
    IncidentCategory.intimidation: ("tension_control", "manipulative_behaviour"),
    IncidentCategory.discrimination: ("naming_discomfort", "contact_bad_news"),
    IncidentCategory.damage_to_property: ("deescalation", "less_influenceable_behaviour"),
    IncidentCategory.physical: ("deescalation", "tension_control"),
}


def evidence_window(on: date, months: int) -> tuple[datetime, datetime]:
    """The ``months`` up to and including ``on``, as instants [from, to)."""
    return start_of(add_months(on, -months), next_day=True), start_of(on, next_day=True)


@dataclass
class Evidence:
    """Incidents of the last two years per team and per function group, by category."""

    on: date
    by_team: dict[uuid.UUID, Counter[IncidentCategory]] = field(default_factory=dict)
    by_function_group: dict[uuid.UUID, Counter[IncidentCategory]] = field(default_factory=dict)
    # (team, function group, category) -> incidents: to count what reached a set of people
    cells: Counter[tuple[uuid.UUID, uuid.UUID, IncidentCategory]] = field(default_factory=Counter)

    def categories_for(
        self, team_id: uuid.UUID | None, function_group_id: uuid.UUID | None
    ) -> frozenset[IncidentCategory]:
        """The categories that weigh for an employee: their team's and their function
        group's incidents."""
        found: set[IncidentCategory] = set()
        if team_id is not None and team_id in self.by_team:
            found.update(self.by_team[team_id])
        if function_group_id is not None and function_group_id in self.by_function_group:
            found.update(self.by_function_group[function_group_id])
        return frozenset(found)

    def reaching(
        self, team_ids: set[uuid.UUID], function_group_ids: set[uuid.UUID]
    ) -> Counter[IncidentCategory]:
        """Incidents per category that weigh for people of these teams or function groups."""
        out: Counter[IncidentCategory] = Counter()
        for (team_id, fg_id, category), n in self.cells.items():
            if team_id in team_ids or fg_id in function_group_ids:
                out[category] += n
        return out


def load_evidence(db: Session, *, on: date, months: int) -> Evidence:
    """The organisation's incidents of the ``months`` up to ``on`` (its setting
    ``incident_evidence_months``), counted in one query."""
    start, end = evidence_window(on, months)
    rows = db.exec(
        select(
            col(Incident.team_id),
            col(Incident.function_group_id),
            col(Incident.category),
            func.count(),
        )
        .where(col(Incident.occurred_at) >= start, col(Incident.occurred_at) < end)
        .group_by(col(Incident.team_id), col(Incident.function_group_id), col(Incident.category))
    ).all()
    evidence = Evidence(on=on)
    for team_id, fg_id, category, n in rows:
        cat = IncidentCategory(category)
        evidence.cells[(team_id, fg_id, cat)] += n
        evidence.by_team.setdefault(team_id, Counter())[cat] += n
        evidence.by_function_group.setdefault(fg_id, Counter())[cat] += n
    return evidence
