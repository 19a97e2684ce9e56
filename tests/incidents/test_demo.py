"""The demo's two years of incidents shift a recommendation and the risk analysis."""

from sqlalchemy import delete, func, select
from sqlmodel import Session

from app import demo
from app.core.dates import add_months, day_of, today
from app.incidents import service
from app.incidents.models import Aftercare, Incident, IncidentEmployee
from app.organisation.models import OrganisationSettings
from app.selection.models import PlanScope
from app.selection.ranking import recommend

E_LEARNING = "E-learning risicobewustzijn en spanningsbewustzijn"


def test_the_demo_incidents_shift_the_front_desks_recommendations(db: Session) -> None:
    ctx = demo.create_demo(db)
    first = db.scalar(select(func.min(Incident.occurred_at)))
    assert first is not None and day_of(first) >= add_months(today(), -24)
    assert (db.scalar(select(func.count()).select_from(Incident)) or 0) > 50

    scope = PlanScope(team_id=ctx.teams["T-REC"].id)
    with_incidents = {r.title: r for r in recommend(db, scope=scope, on=today()).items}
    # tension control, raised by the desk's physical and intimidation incidents
    assert [e.category for e in with_incidents[E_LEARNING].incidents_weighed]
    (reception,) = [
        i
        for i in service.risk_analyses(db, today=today(), settings=OrganisationSettings()).items
        if i.function_group_name == "Backoffice en receptie"
    ]
    assert reception.likelihood_out_of_line and reception.assessment_outdated

    db.execute(delete(Aftercare))
    db.execute(delete(IncidentEmployee))
    db.execute(delete(Incident))
    without = {r.title for r in recommend(db, scope=scope, on=today()).items}
    assert E_LEARNING not in without
