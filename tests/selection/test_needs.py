"""Needs per employee (issue 6, part 1): function-group needs not current, goals, bookings."""

import uuid
from datetime import timedelta

from sqlmodel import Session

from app.learning.models import NeedPriority, PersonalGoalStatus
from app.selection.models import PlanScope
from app.selection.needs import ScopeData, load_scope
from app.training.models import EnrolmentStatus
from tests.factories.core import make_employee
from tests.factories.learning import make_personal_goal, set_needs, skill
from tests.factories.policy import make_acknowledgement, make_protocol
from tests.factories.training import make_completion, make_enrolment, make_session
from tests.helpers import count_statements
from tests.selection.conftest import STARTS_ON, Org

ALL_NINE = {
    "contact_bad_news",
    "naming_discomfort",
    "peer_support",
    "risk_assessment",
    "tension_control",
    "redirecting_emotion",
    "deescalation",
    "manipulative_behaviour",
    "less_influenceable_behaviour",
}


def _load(db: Session, scope: PlanScope | None = None) -> ScopeData:
    return load_scope(db, scope=scope or PlanScope(), on=STARTS_ON)


def _needs(data: ScopeData) -> dict[uuid.UUID, set[str]]:
    return {p.id: {data.skills[s].code for s in data.skills_of(p.mask)} for p in data.people}


def _required(data: ScopeData) -> dict[uuid.UUID, set[str]]:
    return {
        p.id: {data.skills[s].code for s in data.skills_of(p.required_mask)} for p in data.people
    }


def test_function_group_needs_by_exposure_plus_team_goals(db: Session, org: Org) -> None:
    needs = _needs(_load(db))
    assert needs[org.crisis_staff[0].id] == ALL_NINE  # high: all nine
    # low: the three basics, plus de-escalation for team A's goal
    assert needs[org.reception_staff[0].id] == {
        "contact_bad_news",
        "naming_discomfort",
        "peer_support",
        "deescalation",
    }
    assert needs[org.ambulant_staff[0].id] == {
        "contact_bad_news",
        "naming_discomfort",
        "peer_support",
        "risk_assessment",
        "tension_control",
        "redirecting_emotion",
    }
    # managers have no function group: only their team's goals and their own goals count
    assert needs[org.manager_a.id] == {"deescalation"}
    assert needs[org.manager_b.id] == {"contact_bad_news"}
    assert needs[org.senior.id] == set()


def test_current_skills_are_not_needed_not_even_for_a_team_goal(db: Session, org: Org) -> None:
    fresh, lapsed = org.crisis_staff[0], org.crisis_staff[1]
    make_completion(
        db, employee=fresh, program=org.physical, completed_on=STARTS_ON - timedelta(days=60)
    )
    # Fysieke veiligheid keeps its skills current for 12 months only
    make_completion(
        db, employee=lapsed, program=org.physical, completed_on=STARTS_ON - timedelta(days=400)
    )
    data = _load(db)
    needs = _needs(data)
    # No forced retraining (issue 20, item 7): team A's goal on de-escalation does not send
    # Fresh back to training while hers is current; it is practice for the team.
    assert needs[fresh.id] == ALL_NINE - {"manipulative_behaviour", "deescalation"}
    assert needs[lapsed.id] == ALL_NINE
    [(team_id, counts)] = data.practice_needs.items()
    assert team_id == org.team_a.id
    assert {data.skills[data.skill_order[b]].code: n for b, n in counts.items()} == {
        "deescalation": 1
    }


def test_an_agreed_personal_goal_still_counts_when_current(db: Session, org: Org) -> None:
    fresh = org.crisis_staff[0]
    make_completion(
        db, employee=fresh, program=org.physical, completed_on=STARTS_ON - timedelta(days=60)
    )
    make_personal_goal(
        db,
        employee=fresh,
        skill_row=skill(db, "deescalation"),
        status=PersonalGoalStatus.agreed,
    )
    assert "deescalation" in _needs(_load(db))[fresh.id]


def test_recommended_needs_weigh_less(db: Session, org: Org) -> None:
    set_needs(
        db,
        org.reception,
        [
            (skill(db, "contact_bad_news"), NeedPriority.required),
            (skill(db, "tension_control"), NeedPriority.recommended),
        ],
    )
    data = _load(db)
    person = org.reception_staff[0].id
    assert _needs(data)[person] == {"contact_bad_news", "tension_control", "deescalation"}
    assert _required(data)[person] == {"contact_bad_news", "deescalation"}


def test_only_agreed_personal_goals_count(db: Session, org: Org) -> None:
    low = org.reception_staff[0]
    make_personal_goal(
        db, employee=low, skill_row=skill(db, "risk_assessment"), status=PersonalGoalStatus.agreed
    )
    make_personal_goal(
        db, employee=low, skill_row=skill(db, "tension_control"), status=PersonalGoalStatus.draft
    )
    make_personal_goal(
        db,
        employee=low,
        skill_row=skill(db, "redirecting_emotion"),
        status=PersonalGoalStatus.achieved,
    )
    data = _load(db)
    assert "risk_assessment" in _needs(data)[low.id]
    assert "risk_assessment" in _required(data)[low.id]
    assert not {"tension_control", "redirecting_emotion"} & _needs(data)[low.id]


def test_a_booked_training_settles_its_skills(db: Session, org: Org) -> None:
    booked, cancelled = org.crisis_staff[0], org.crisis_staff[1]
    ts = make_session(db, program=org.physical)
    make_enrolment(db, training_session=ts, employee=booked)
    make_enrolment(db, training_session=ts, employee=cancelled, status=EnrolmentStatus.cancelled)
    needs = _needs(_load(db))
    assert needs[booked.id] == ALL_NINE - {"deescalation", "manipulative_behaviour"}
    assert needs[cancelled.id] == ALL_NINE


def test_inactive_employees_are_left_out(db: Session, org: Org) -> None:
    org.crisis_staff[0].active = False
    db.flush()
    ids = {p.id for p in _load(db).people}
    assert org.crisis_staff[0].id not in ids
    assert org.crisis_staff[1].id in ids


def test_a_team_scope_holds_its_people_and_their_responsible_managers(
    db: Session, org: Org
) -> None:
    ids = {p.id for p in _load(db, PlanScope(team_id=org.team_a.id)).people}
    expected = {e.id for e in [*org.crisis_staff, *org.reception_staff]}
    assert ids == expected | {org.manager_a.id, org.senior.id}


def test_a_function_group_scope_adds_the_managers_of_its_teams(db: Session, org: Org) -> None:
    ids = {p.id for p in _load(db, PlanScope(function_group_id=org.crisis.id)).people}
    assert ids == {e.id for e in org.crisis_staff} | {org.manager_a.id, org.senior.id}


def test_readiness_is_reading_or_a_team_discussion_of_the_version_in_force(
    db: Session, org: Org
) -> None:
    make_acknowledgement(db, protocol=org.protocol, employee=org.housing_staff[0])
    draft = make_protocol(db)  # reading a draft does not count
    make_acknowledgement(db, protocol=draft, employee=org.housing_staff[1])
    data = _load(db)
    ready = {p.id for p in data.people if p.protocol_ready}
    team_a = [org.manager_a, *org.crisis_staff, *org.reception_staff]  # team A discussed it
    assert ready == {e.id for e in team_a} | {org.housing_staff[0].id}


def test_loading_takes_the_same_number_of_queries_whatever_the_size(
    db: Session, org: Org, engine: object
) -> None:
    make_completion(db, employee=org.crisis_staff[0], program=org.basis)
    with count_statements(engine) as small:  # type: ignore[arg-type]
        _load(db)
    for _ in range(15):
        emp = make_employee(db, team_id=org.team_b.id, function_group_id=org.housing.id)
        make_completion(db, employee=emp, program=org.basis)
        make_personal_goal(
            db, employee=emp, skill_row=skill(db, "peer_support"), status=PersonalGoalStatus.agreed
        )
        make_acknowledgement(db, protocol=org.protocol, employee=emp)
    with count_statements(engine) as large:  # type: ignore[arg-type]
        data = _load(db)
    assert len(data.people) == 15 + 14
    assert large.count == small.count
    assert small.count <= 20
