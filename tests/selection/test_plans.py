"""Phased plans (issue 6, part 3), checked against the hand-worked organisation of conftest.

Whole organisation, on STARTS_ON:
- phase 1, management: nobody is trained yet. Only Ahmed needs a skill a management
  programme trains (C), so "Leidinggeven aan veiligheid" is picked for him, and Jolanda
  joins it because managers are trained first; Henk, senior management, gets a session of
  his own level in it (managers by level, issue 20 item 8): two groups.
- phase 2, high (5 Crisisteam + 3 Beschermd wonen, all nine skills, weight 2 each, 16 per
  skill): De-escalatie 64 need / 2 sessions = 32 beats Basis 48 / 3 = 16 and Fysieke
  veiligheid 32 / 2 = 16; then Basis (48 / 3) beats Fysieke veiligheid (M only: 16 / 2);
  then Fysieke veiligheid for M. Groups: De-escalatie [4 Crisisteam] [1 Crisisteam +
  3 Beschermd wonen]; Basis [3 Crisisteam] [3 Beschermd wonen] [2 Crisisteam];
  Fysieke veiligheid like De-escalatie.
- phase 3, moderate (1 Ambulant): Basis and De-escalatie tie on 6 per session; Basis has
  the lower id.
- phase 4, low (2 Receptie): Basis; their team goal D suits no programme for low exposure.
- uncovered: L for the 8 high-exposure staff; D for the 2 receptionists and Jolanda.
"""

import uuid
from collections import Counter

from fastapi.testclient import TestClient
from sqlmodel import Session, select

from app.organisation.models import DEFAULT_BANDS, EXPOSURE_RANK, Employee, ExposureLevel, Role
from app.selection.models import PhaseKind, PlanScope, TrainingPlanCreate
from app.selection.planning import ComputedPlan, PlannedGroup, compute_plan
from app.selection.service import create_plan
from app.training.models import Audience
from tests.conftest import Tenant
from tests.factories.core import make_employee, make_function_group
from tests.factories.learning import skill
from tests.factories.training import make_completion, make_program
from tests.helpers import assert_problem, count_statements
from tests.selection.conftest import STARTS_ON, Org

URL = "/v1/training-plans"


def _plan(db: Session, scope: PlanScope | None = None) -> ComputedPlan:
    return compute_plan(db, scope=scope or PlanScope(), starts_on=STARTS_ON)


def _shape(group: PlannedGroup, org: Org) -> list[str]:
    names = {org.crisis.id: "crisis", org.housing.id: "housing", org.reception.id: "reception"}
    names[org.ambulant.id] = "ambulant"
    out = []
    for m in group.members:
        emp = next(
            e
            for e in [*org.staff, org.senior, org.manager_a, org.manager_b]
            if e.id == m.employee_id
        )
        out.append(
            names.get(emp.function_group_id, "manager") if emp.function_group_id else "manager"
        )
    return out


def test_hand_worked_plan(db: Session, org: Org) -> None:
    plan = _plan(db)
    assert [(p.phase, p.kind, p.exposure_level) for p in plan.phases] == [
        (1, PhaseKind.management, None),
        (2, PhaseKind.staff, ExposureLevel.high),
        (3, PhaseKind.staff, ExposureLevel.moderate),
        (4, PhaseKind.staff, ExposureLevel.low),
    ]
    management, high, moderate, low = plan.phases
    assert [(g.program.title, len(g.members)) for g in management.groups] == [
        ("Leidinggeven aan veiligheid", 1),
        ("Leidinggeven aan veiligheid", 2),
    ]
    assert [{m.employee_id for m in g.members} for g in management.groups] == [
        {org.senior.id},
        {org.manager_a.id, org.manager_b.id},
    ]
    assert [(g.program.title, _shape(g, org)) for g in high.groups] == [
        ("De-escalatie", ["crisis"] * 4),
        ("De-escalatie", ["crisis", "housing", "housing", "housing"]),
        ("Basis", ["crisis"] * 3),
        ("Basis", ["housing"] * 3),
        ("Basis", ["crisis"] * 2),
        ("Fysieke veiligheid", ["crisis"] * 4),
        ("Fysieke veiligheid", ["crisis", "housing", "housing", "housing"]),
    ]
    assert [g.program.title for g in moderate.groups] == ["Basis", "De-escalatie"]
    assert [(g.program.title, len(g.members)) for g in low.groups] == [("Basis", 2)]
    codes = {
        s.id: s.code for s in [skill(db, "less_influenceable_behaviour"), skill(db, "deescalation")]
    }
    assert [(codes[u.skill_id], u.employee_count, u.required_count) for u in plan.uncovered] == [
        ("less_influenceable_behaviour", 8, 8),
        ("deescalation", 3, 3),
    ]
    assert plan.session_count == 2 + 7 + 2 + 1
    assert plan.employee_count == 14


def test_members_carry_the_skills_they_need_from_the_programme(db: Session, org: Org) -> None:
    plan = _plan(db)
    by_code = {skill(db, c).id: c for c in ("contact_bad_news", "peer_support")}
    skills = {
        m.employee_id: {by_code.get(s) for s in m.skill_ids}
        for g in plan.phases[0].groups
        for m in g.members
    }
    assert skills == {
        org.manager_b.id: {"contact_bad_news"},
        org.senior.id: set(),
        org.manager_a.id: set(),
    }


def test_the_management_phase_always_comes_first(db: Session, org: Org) -> None:
    # Even with very high exposure staff and managers who need nothing.
    very_high = make_function_group(db, name="Nachtopvang", likelihood=5, impact=5)
    make_employee(db, team_id=org.team_a.id, function_group_id=very_high.id)
    plan = _plan(db)
    assert plan.phases[0].kind == PhaseKind.management
    assert plan.phases[1].exposure_level == ExposureLevel.very_high
    assert all(p.kind == PhaseKind.staff for p in plan.phases[1:])
    levels = [EXPOSURE_RANK[p.exposure_level] for p in plan.phases[1:] if p.exposure_level]
    assert levels == sorted(levels, reverse=True)  # highest exposure first


def test_trained_managers_are_listed_not_planned(db: Session, org: Org) -> None:
    for manager in (org.senior, org.manager_a):
        make_completion(db, employee=manager, program=org.management)
    management = _plan(db).phases[0]
    assert set(management.managers_already_trained) == {org.senior.id, org.manager_a.id}
    # Ahmed still needs training first, and C: he alone is planned
    assert [[m.employee_id for m in g.members] for g in management.groups] == [[org.manager_b.id]]


def test_managers_without_a_management_programme_are_listed(db: Session, org: Org) -> None:
    org.management.active = False
    db.flush()
    management = _plan(db).phases[0]
    assert management.groups == ()
    assert set(management.managers_without_program) == {
        org.senior.id,
        org.manager_a.id,
        org.manager_b.id,
    }


def test_no_group_mixes_exposure_levels_and_sizes_are_respected(db: Session, org: Org) -> None:
    groups = [
        make_function_group(db, likelihood=lk, impact=im)
        for lk, im in ((1, 3), (3, 3), (4, 4), (5, 5), (2, 4))
    ]
    for i in range(60):
        make_employee(
            db,
            team_id=(org.team_a if i % 3 else org.team_b).id,
            function_group_id=groups[i % len(groups)].id if i % 7 else None,
            role=Role.team_manager if i % 13 == 0 else Role.employee,
        )
    make_program(
        db,
        title="Alles",
        skills=("contact_bad_news", "deescalation", "tension_control"),
        max_group_size=5,
    )
    make_program(
        db, title="Mix", audience=Audience.mixed, skills=("peer_support",), max_group_size=7
    )
    plan = _plan(db)
    level_of = {
        g.id: g.level(DEFAULT_BANDS)
        for g in [*groups, org.crisis, org.housing, org.reception, org.ambulant]
    }
    people = {e.id: e for e in db.exec(select(Employee))}
    for phase in plan.phases:
        for group in phase.groups:
            assert len(group.members) <= group.program.max_group_size
            levels = {
                level_of[people[m.employee_id].function_group_id]
                if people[m.employee_id].function_group_id
                else None
                for m in group.members
            }
            if group.program.audience == Audience.management:
                # managers of every level learn together; the group says so with null
                assert group.exposure_level == (levels.pop() if len(levels) == 1 else None)
            else:
                assert levels == {group.exposure_level}
            managers = {people[m.employee_id].role != Role.employee for m in group.members}
            assert managers == {phase.kind == PhaseKind.management}
    # every staff member is in at most one group per programme
    seen = Counter(
        (g.program.id, m.employee_id) for p in plan.phases for g in p.groups for m in g.members
    )
    assert max(seen.values()) == 1


def test_managers_of_every_exposure_level_share_a_management_session(db: Session, org: Org) -> None:
    # The enrolment rules check comparable functions for staff sessions only: managers of
    # different teams learning the approach together is the point of a management session.
    org.manager_a.function_group_id = org.crisis.id  # high
    org.manager_b.function_group_id = org.reception.id  # low
    db.flush()
    management = _plan(db).phases[0]
    assert [(g.program.title, len(g.members), g.exposure_level) for g in management.groups] == [
        ("Leidinggeven aan veiligheid", 1, None),
        ("Leidinggeven aan veiligheid", 2, None),
    ]


def test_managers_needs_beyond_management_programmes_go_to_mixed_ones_per_level(
    db: Session, org: Org
) -> None:
    make_program(db, title="Spanning herkennen", audience=Audience.mixed, skills=("deescalation",))
    management = _plan(db).phases[0]
    # Jolanda needs D (team A's goal): a mixed programme in phase 1, with Crisisteam staff
    # in their own phase (the mixed programme is not picked for them over De-escalatie).
    assert [(g.program.title, {m.employee_id for m in g.members}) for g in management.groups] == [
        ("Leidinggeven aan veiligheid", {org.senior.id}),
        ("Leidinggeven aan veiligheid", {org.manager_a.id, org.manager_b.id}),
        ("Spanning herkennen", {org.manager_a.id}),
    ]


def test_people_who_are_not_protocol_ready_are_listed_per_group(db: Session, org: Org) -> None:
    plan = _plan(db)
    team_b = {e.id for e in [*org.housing_staff, *org.ambulant_staff, org.manager_b]}
    for phase in plan.phases:
        for group in phase.groups:
            members = {m.employee_id for m in group.members}
            expected = (members & team_b) | (members & {org.senior.id})
            assert set(group.not_protocol_ready) == expected


def test_plans_are_deterministic(db: Session, org: Org) -> None:
    assert _plan(db) == _plan(db)


def test_computing_takes_the_same_number_of_queries_whatever_the_size(
    db: Session, org: Org, engine: object
) -> None:
    make_completion(db, employee=org.crisis_staff[0], program=org.basis)
    with count_statements(engine) as small:  # type: ignore[arg-type]
        _plan(db)
    for _ in range(20):
        make_employee(db, team_id=org.team_b.id, function_group_id=org.housing.id)
    with count_statements(engine) as large:  # type: ignore[arg-type]
        plan = _plan(db)
    assert plan.employee_count == 34
    assert large.count == small.count


def test_a_team_plan_covers_the_team_and_its_managers(db: Session, org: Org) -> None:
    plan = _plan(db, PlanScope(team_id=org.team_b.id))
    members = {m.employee_id for p in plan.phases for g in p.groups for m in g.members}
    assert members == {
        e.id for e in [*org.housing_staff, *org.ambulant_staff, org.manager_b, org.senior]
    }


# --- the routes ----------------------------------------------------------------------------


def _post(client: TestClient, tenant: Tenant, **scope: str) -> dict:  # type: ignore[type-arg]
    resp = client.post(
        URL, json={"scope": scope, "starts_on": STARTS_ON.isoformat()}, headers=tenant.write
    )
    assert resp.status_code == 201, resp.text
    assert resp.headers["Location"] == f"/v1/training-plans/{resp.json()['id']}"
    return resp.json()  # type: ignore[no-any-return]


def test_a_stored_plan_reads_back(client: TestClient, tenant: Tenant, org: Org) -> None:
    created = _post(client, tenant)
    assert created["status"] == "proposed"
    assert created["stale"] is False
    assert [p["phase"] for p in created["phases"]] == [1, 2, 3, 4]
    group = created["phases"][0]["groups"][0]
    assert group["program_title"] == "Leidinggeven aan veiligheid"
    names = {m["name"] for g in created["phases"][0]["groups"] for m in g["members"]}
    assert names == {org.senior.full_name, org.manager_a.full_name, org.manager_b.full_name}
    assert [u["skill_code"] for u in created["uncovered"]] == [
        "less_influenceable_behaviour",
        "deescalation",
    ]
    read = client.get(f"{URL}/{created['id']}", headers=tenant.read)
    assert read.status_code == 200
    assert read.json() == created
    assert read.headers["ETag"]
    listed = client.get(URL, headers=tenant.read).json()["items"]
    assert [(p["id"], p["session_count"]) for p in listed] == [(created["id"], 12)]


def test_the_same_data_gives_the_same_plan(client: TestClient, tenant: Tenant, org: Org) -> None:
    first, second = _post(client, tenant), _post(client, tenant)

    def strip(plan: dict) -> object:  # type: ignore[type-arg]
        return [
            [(g["program_id"], [m["employee_id"] for m in g["members"]]) for g in p["groups"]]
            for p in plan["phases"]
        ]

    assert strip(first) == strip(second)
    assert first["data_version"] == second["data_version"]


def test_a_plan_turns_stale_when_its_data_changes(
    client: TestClient, tenant: Tenant, org: Org, db: Session
) -> None:
    plan = _post(client, tenant, team_id=str(org.team_b.id))
    make_employee(db, team_id=org.team_a.id, function_group_id=org.crisis.id)  # another team
    assert client.get(f"{URL}/{plan['id']}", headers=tenant.read).json()["stale"] is False
    make_employee(db, team_id=org.team_b.id, function_group_id=org.housing.id)
    assert client.get(f"{URL}/{plan['id']}", headers=tenant.read).json()["stale"] is True


def test_a_plan_turning_stale_is_a_new_version(
    client: TestClient, tenant: Tenant, org: Org, db: Session
) -> None:
    # `stale` is computed from other rows: the ETag must move with it, or a client polling
    # with If-None-Match keeps a 304 for a plan that should be computed again.
    created = client.post(
        URL,
        json={"scope": {"team_id": str(org.team_b.id)}, "starts_on": STARTS_ON.isoformat()},
        headers=tenant.write,
    )
    url, fresh = f"{URL}/{created.json()['id']}", created.headers["ETag"]
    assert client.get(url, headers={**tenant.read, "If-None-Match": fresh}).status_code == 304
    make_employee(db, team_id=org.team_b.id, function_group_id=org.housing.id)
    db.commit()
    read = client.get(url, headers={**tenant.read, "If-None-Match": fresh})
    assert read.status_code == 200 and read.json()["stale"] is True
    stale = read.headers["ETag"]
    assert stale != fresh
    assert client.get(url, headers={**tenant.read, "If-None-Match": stale}).status_code == 304
    # A change based on the fresh version is refused; on the stale one it reaches the rule.
    body = {"phases": [{"phase": 1, "starts_at": "2027-01-04T09:00:00Z", "location": "Zaal 1"}]}
    old = client.post(f"{url}/schedule", json=body, headers={**tenant.write, "If-Match": fresh})
    assert_problem(old, 412)
    now = client.post(f"{url}/schedule", json=body, headers={**tenant.write, "If-Match": stale})
    assert_problem(now, 409, "plan-stale")
    deleted = client.delete(url, headers={**tenant.write, "If-Match": stale})
    assert deleted.status_code == 204, deleted.text


def test_plan_routes_refuse_what_they_should(
    client: TestClient, tenant: Tenant, other_tenant: Tenant, org: Org
) -> None:
    body = {"starts_on": STARTS_ON.isoformat()}
    assert_problem(client.post(URL, json=body, headers=tenant.read), 403)
    both = {
        **body,
        "scope": {"team_id": str(org.team_a.id), "function_group_id": str(org.crisis.id)},
    }
    assert_problem(client.post(URL, json=both, headers=tenant.write), 422)
    unknown = {**body, "scope": {"team_id": str(uuid.uuid4())}}
    resp = assert_problem(
        client.post(URL, json=unknown, headers=tenant.write), 422, "unknown-reference"
    )
    assert resp["errors"][0]["pointer"] == "/scope/team_id"
    plan = _post(client, tenant)
    assert_problem(client.get(f"{URL}/{plan['id']}", headers=other_tenant.read), 404)
    assert_problem(
        client.delete(f"{URL}/{plan['id']}", headers=tenant.write | {"If-Match": '"x"'}), 412
    )
    assert client.delete(f"{URL}/{plan['id']}", headers=tenant.write).status_code == 204
    assert_problem(client.get(f"{URL}/{plan['id']}", headers=tenant.read), 404)


def test_create_plan_stores_what_compute_plan_computed(db: Session, org: Org) -> None:
    stored = create_plan(db, data=TrainingPlanCreate(starts_on=STARTS_ON))
    assert stored.session_count == _plan(db).session_count
    assert stored.data_version == _plan(db).data_version


def test_the_organisations_exposure_bands_decide_the_phases(db: Session, org: Org) -> None:
    """Issue 20, item 12: with very_high from 16, Beschermd wonen (4 x 4) is very high and
    gets a phase of its own before Crisisteam; the stored plan turns stale on the change."""
    stored = create_plan(db, data=TrainingPlanCreate(starts_on=STARTS_ON))
    settings = dict(org.org.settings_json)
    settings["exposure_bands"] = {"moderate_from": 5, "high_from": 10, "very_high_from": 16}
    org.org.settings_json = settings
    db.flush()
    plan = _plan(db)
    assert [p.exposure_level for p in plan.phases[1:3]] == [
        ExposureLevel.very_high,
        ExposureLevel.high,
    ]
    assert {m.employee_id for g in plan.phases[1].groups for m in g.members} == {
        e.id for e in org.housing_staff
    }
    assert plan.data_version != stored.data_version
