"""Managers by level (issue 20, item 8): senior management and team managers get
programmes for their level, and the plan's management phase gives each level its own
sessions. Against the hand-worked organisation of conftest."""

from fastapi.testclient import TestClient
from sqlmodel import Session

from app.organisation.models import Grouping, Role
from app.selection.models import PlanScope
from app.selection.planning import compute_plan
from app.training.models import Audience, ManagementLevel
from tests.conftest import Tenant
from tests.factories.training import make_program
from tests.helpers import assert_problem
from tests.selection.conftest import STARTS_ON, Org


def _management(db: Session):  # type: ignore[no-untyped-def]
    return compute_plan(db, scope=PlanScope(), starts_on=STARTS_ON).phases[0]


def test_each_level_gets_its_own_management_sessions(db: Session, org: Org) -> None:
    phase = _management(db)
    assert [(g.grouping, g.management_level) for g in phase.groups] == [
        (Grouping.management_level, Role.senior_management),
        (Grouping.management_level, Role.team_manager),
    ]


def test_a_programme_for_one_level_is_planned_for_that_level_only(db: Session, org: Org) -> None:
    org.management.management_level = ManagementLevel.team_manager
    board = make_program(
        db,
        title="Bestuurlijk kader agressie",
        audience=Audience.management,
        management_level=ManagementLevel.senior_management,
        skills=("peer_support",),
    )
    db.flush()
    phase = _management(db)
    assert [
        (g.program.title, g.management_level, {m.employee_id for m in g.members})
        for g in phase.groups
    ] == [
        (board.title, Role.senior_management, {org.senior.id}),
        ("Leidinggeven aan veiligheid", Role.team_manager, {org.manager_a.id, org.manager_b.id}),
    ]


def test_a_level_without_a_programme_of_its_own_is_listed(db: Session, org: Org) -> None:
    org.management.management_level = ManagementLevel.team_manager
    db.flush()
    phase = _management(db)
    assert phase.managers_without_program == (org.senior.id,)
    assert all(org.senior.id not in {m.employee_id for m in g.members} for g in phase.groups)


def test_a_level_is_for_management_programmes_only(
    client: TestClient, tenant: Tenant, org: Org
) -> None:
    body = {"title": "Basis", "audience": "staff", "management_level": "team_manager"}
    r = client.post("/v1/training-programs", json=body, headers=tenant.write)
    assert_problem(r, 422, "management-level-audience")
    body["audience"] = "management"
    created = client.post("/v1/training-programs", json=body, headers=tenant.write)
    assert created.status_code == 201, created.text
    assert created.json()["management_level"] == "team_manager"
    url = f"/v1/training-programs/{created.json()['id']}"
    r = client.patch(url, json={"audience": "mixed"}, headers=tenant.write)
    assert_problem(r, 422, "management-level-audience")
    r = client.patch(
        url, json={"audience": "mixed", "management_level": "all"}, headers=tenant.write
    )
    assert r.status_code == 200, r.text
