"""The demo's incidents: two years of plausible reports, most with their aftercare recorded.

The front desk (Backoffice en receptie) meets far more aggression than its entered likelihood
(2) says: the risk analysis flags it, and its physical incidents raise de-escalation and
tension control for a team whose function group alone would not need them. Jongerenwerk
Noord's threats and damage move the de-escalation training up its recommendations.
"""

import random
import uuid
from datetime import UTC, timedelta

from sqlmodel import Session, col, select

from app.core.dates import today
from app.core.models import utcnow
from app.demo import DemoContext
from app.incidents import incidents
from app.incidents.models import (
    Aftercare,
    AftercareStatus,
    IncidentCategory,
    IncidentCreate,
    InvolvedEmployeeIn,
    Involvement,
)
from app.organisation import service as organisation_service
from app.organisation.models import ApiKeyCreate, Scope
from app.policy.models import Norm, NormLevel

C = IncidentCategory
# team -> incidents of the last two years per category
PER_TEAM: dict[str, dict[IncidentCategory, int]] = {
    "T-REC": {C.verbal_aggression: 6, C.threat: 4, C.intimidation: 2, C.physical: 3},
    "T-JW-N": {
        C.verbal_aggression: 4,
        C.threat: 3,
        C.damage_to_property: 2,
        C.physical: 2,
        C.discrimination: 1,
    },
    "T-JW-Z": {C.verbal_aggression: 3, C.threat: 1},
    "T-SHV": {C.verbal_aggression: 3, C.threat: 2, C.intimidation: 1},
    "T-AB-W": {C.verbal_aggression: 3, C.threat: 2},
    "T-AB-O": {C.verbal_aggression: 2, C.intimidation: 1},
    "T-CRI": {C.physical: 4, C.threat: 3, C.verbal_aggression: 2, C.damage_to_property: 1},
    "T-MW": {C.verbal_aggression: 2, C.discrimination: 1},
}
SEVERITY = {
    C.verbal_aggression: (1, 2),
    C.threat: (2, 4),
    C.intimidation: (2, 3),
    C.discrimination: (2, 3),
    C.damage_to_property: (2, 4),
    C.physical: (4, 5),
}
DESCRIPTIONS = {
    C.verbal_aggression: "Cliënt schold de medewerker uit toen de afspraak werd verzet.",
    C.threat: "Cliënt dreigde 'het er niet bij te laten' en noemde het adres van de medewerker.",
    C.intimidation: "Cliënt bleef na het gesprek bij de uitgang staan wachten.",
    C.discrimination: "Cliënt maakte herhaald racistische opmerkingen tegen de medewerker.",
    C.damage_to_property: "Cliënt sloeg een stoel kapot in de spreekkamer.",
    C.physical: "Cliënt duwde de medewerker hard weg bij de balie.",
}


def seed(db: Session, ctx: DemoContext) -> None:
    """Incidents of the last two years with aftercare, and a key that may read them."""
    rng: random.Random = ctx.rng
    now = utcnow()
    settings = ctx.org.settings
    orange = _norm_ids(db, NormLevel.orange)
    red = _norm_ids(db, NormLevel.red)
    made = 0
    for team_ext, counts in PER_TEAM.items():
        team = ctx.teams[team_ext]
        members = ctx.staff[team_ext]
        for category, n in counts.items():
            for _ in range(n):
                occurred = now - timedelta(days=rng.randint(2, 720), minutes=rng.randint(0, 600))
                affected = rng.sample(members, k=1 if rng.random() < 0.8 else 2)
                witness = rng.choice([m for m in members if m not in affected])
                low, high = SEVERITY[category]
                level_ids = orange if category == C.verbal_aggression else red
                data = IncidentCreate(
                    occurred_at=occurred.astimezone(UTC),
                    team_id=team.id,
                    function_group_id=members[0].function_group_id,  # type: ignore[arg-type]
                    norm_id=rng.choice(level_ids),
                    category=category,
                    severity=rng.randint(low, high),
                    police_informed=category in (C.physical, C.threat) and rng.random() < 0.5,
                    description=DESCRIPTIONS[category],
                    involved=[
                        *(InvolvedEmployeeIn(employee_id=a.id) for a in affected),
                        InvolvedEmployeeIn(employee_id=witness.id, involvement=Involvement.witness),
                    ],
                )
                incidents.create_incident(db, data=data, settings=settings, now=now)
                made += 1
    db.flush()
    _record_aftercare(db, rng)
    key = organisation_service.create_api_key(
        db, data=ApiKeyCreate(name="Vertrouwenspersoon (demo)", scope=Scope.admin, sensitive=True)
    )
    auth = f'-H "Authorization: Bearer {key.key}"'
    base = "http://127.0.0.1:8000/v1"
    rec = ctx.teams["T-REC"].id
    ctx.notes += [
        f"  # incidents: {made} in two years; this key also has the `sensitive` permission",
        f"  # (incident descriptions, aftercare), shown once: {key.key}",
        f"  curl -s {auth} '{base}/aftercare?overdue=true'",
        f"  curl -s {auth} {base}/risk-analysis",
        f"  curl -s {auth} '{base}/training-recommendations?team_id={rec}'",
        f"  curl -s {auth} -H 'Accept: text/csv' {base}/reports/incidents -o incidenten.csv",
    ]


def _norm_ids(db: Session, level: NormLevel) -> list[uuid.UUID]:
    return list(
        db.exec(
            select(col(Norm.id)).where(col(Norm.level) == level, col(Norm.team_id).is_(None))
        ).all()
    )


def _record_aftercare(db: Session, rng: random.Random) -> None:
    """Most aftercare recorded on time, some late or declined; the last weeks' partly open."""
    day = today()
    for row in db.exec(select(Aftercare).order_by(col(Aftercare.id))).all():
        if row.due_on >= day or (row.due_on > day - timedelta(days=21) and rng.random() < 0.5):
            continue  # not due yet, or still open (overdue)
        late = 0 if rng.random() < 0.8 else rng.randint(1, 6)
        status = AftercareStatus.declined if rng.random() < 0.1 else AftercareStatus.given
        row.status = status
        row.recorded_on = min(row.due_on + timedelta(days=late), day)
