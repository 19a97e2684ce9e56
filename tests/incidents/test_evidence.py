"""Selection uses the evidence (issue 21 item 5): incident categories raise the skills that
answer them, per team and function group, and the recommendation says which weighed.

The team's function group has low exposure (C N P only). The catalogue has "Basis" (C N P)
and "Spanning de baas" (deescalation, tension_control). Without incidents the second
covers nothing; two physical incidents in the team raise D and T for its three members.
"""

from datetime import timedelta

from sqlmodel import Session

from app.core.dates import today
from app.selection.models import PlanScope
from app.selection.ranking import recommend
from tests.factories.training import make_completion, make_program
from tests.incidents.conftest import Place, ago, make_incident


def _titles(db: Session, place: Place, **scope: object) -> dict[str, float]:
    result = recommend(db, scope=PlanScope(**scope), on=today())  # type: ignore[arg-type]
    return {r.title: r.score for r in result.items}


def _catalogue(db: Session) -> None:
    make_program(
        db, title="Basis", skills=("contact_bad_news", "naming_discomfort", "peer_support")
    )
    make_program(db, title="Spanning de baas", skills=("deescalation", "tension_control"))


def test_physical_incidents_raise_deescalation_and_tension_control(
    db: Session, place: Place
) -> None:
    place.group.likelihood, place.group.impact = 1, 2  # low
    db.flush()
    _catalogue(db)
    assert "Spanning de baas" not in _titles(db, place, team_id=place.team.id)
    make_incident(db, place, category="physical")
    make_incident(db, place, category="physical", occurred_at=ago(days=200).isoformat())
    result = recommend(db, scope=PlanScope(team_id=place.team.id), on=today())
    top = {r.title: r for r in result.items}["Spanning de baas"]
    # anna and bram (the team): 2 people x 2 skills x required 2 x low exposure 1
    assert top.score == 8.0
    assert [(e.category, e.incident_count, e.skill_codes) for e in top.incidents_weighed] == [
        ("physical", 2, ["deescalation", "tension_control"])
    ]
    assert "Incidents of the last two years weighed: 2 physical" in top.explanation
    assert [(e.category, e.incident_count) for e in result.incident_evidence] == [("physical", 2)]


def test_threats_raise_naming_discomfort_and_manipulative_behaviour(
    db: Session, place: Place
) -> None:
    place.group.likelihood, place.group.impact = 1, 2
    db.flush()
    make_program(db, title="Manipulatie", skills=("manipulative_behaviour",))
    assert "Manipulatie" not in _titles(db, place, team_id=place.team.id)
    make_incident(db, place, category="threat")
    assert "Manipulatie" in _titles(db, place, team_id=place.team.id)


def test_incidents_older_than_two_years_do_not_weigh(db: Session, place: Place) -> None:
    place.group.likelihood, place.group.impact = 1, 2
    db.flush()
    _catalogue(db)
    make_incident(db, place, category="physical", occurred_at=ago(days=365 * 2 + 5).isoformat())
    assert "Spanning de baas" not in _titles(db, place, team_id=place.team.id)


def test_a_current_training_answers_the_raised_need(db: Session, place: Place) -> None:
    place.group.likelihood, place.group.impact = 1, 2
    db.flush()
    _catalogue(db)
    make_incident(db, place, category="physical")
    trained = make_program(db, title="Eerder gevolgd", skills=("deescalation", "tension_control"))
    for person in (place.anna, place.bram, place.olga):
        make_completion(
            db, employee=person, program=trained, completed_on=today() - timedelta(days=30)
        )
    assert "Spanning de baas" not in _titles(db, place, team_id=place.team.id)


def test_a_new_incident_makes_a_stored_plan_stale(db: Session, place: Place) -> None:
    from app.selection.scope import data_version

    scope = PlanScope(team_id=place.team.id)
    before = data_version(db, scope=scope)
    make_incident(db, place, category="threat")
    assert data_version(db, scope=scope) != before


def test_a_function_groups_incidents_weigh_in_every_team_of_the_group(
    db: Session, place: Place
) -> None:
    place.group.likelihood, place.group.impact = 1, 2
    db.flush()
    _catalogue(db)
    # Olga's team, Olga's (shared) function group: it weighs for Anna and Bram as well.
    make_incident(
        db,
        place,
        category="physical",
        team_id=str(place.other_team.id),
        involved=[{"employee_id": str(place.olga.id)}],
    )
    assert _titles(db, place, team_id=place.team.id)["Spanning de baas"] == 8.0
    assert _titles(db, place, function_group_id=place.group.id)["Spanning de baas"] == 12.0
