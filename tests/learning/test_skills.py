"""Skills: the nine of the seed in every organisation, own skills, retiring, deleting."""

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

from fastapi.testclient import TestClient
from sqlmodel import Session, select

from app.learning.models import Skill
from app.learning.skills import BUILTIN_SKILLS
from tests.conftest import Tenant
from tests.factories.core import make_employee, make_team
from tests.factories.learning import make_personal_goal, make_skill, make_team_goal, skill
from tests.helpers import assert_problem

ROOT = Path(__file__).resolve().parents[2]

# DOMAIN.md, step 3: code -> (Dutch label, pillar)
SEED_TABLE = {
    "contact_bad_news": ("Contact maken, slecht nieuws brengen, verbindend communiceren", 1),
    "naming_discomfort": ("Benoemen en bespreken van ongemak", 1),
    "risk_assessment": ("Risicobewustzijn en risicotaxatie", 2),
    "tension_control": ("Spanningsbewustzijn en spanningscontrole", 2),
    "redirecting_emotion": ("Ombuigen van emotioneel gedrag", 3),
    "deescalation": ("De-escaleren van vormen van agressief gedrag", 3),
    "manipulative_behaviour": ("Hanteren van manipulatief gedrag", 3),
    "less_influenceable_behaviour": (
        "Hanteren van minder beïnvloedbaar gedrag (onder invloed, verward)",
        3,
    ),
    "peer_support": ("Collegiale ondersteuning tijdens en na incidenten", 4),
}


def test_new_organisation_has_the_nine_seed_skills(db: Session, tenant: Tenant) -> None:
    rows = db.exec(select(Skill)).all()
    assert {r.code: (r.label_nl, r.pillar) for r in rows} == SEED_TABLE
    assert all(r.builtin and not r.retired and r.label_en for r in rows)
    assert [s.code for s in BUILTIN_SKILLS] == list(SEED_TABLE)


def test_skills_are_per_organisation(db: Session, tenant: Tenant, other_tenant: Tenant) -> None:
    own = db.exec(select(Skill)).all()
    assert len(own) == 9 and {s.organisation_id for s in own} == {tenant.id}


def test_list_skills(client: TestClient, tenant: Tenant) -> None:
    resp = client.get("/v1/skills", headers=tenant.read, params={"builtin": True})
    assert resp.status_code == 200
    items = resp.json()["items"]
    assert len(items) == 9
    assert {i["code"] for i in items} == set(SEED_TABLE)
    one = client.get("/v1/skills", headers=tenant.read, params={"code": "peer_support"}).json()
    assert one["items"][0]["label_en"] == "Peer support during and after incidents"


def test_create_own_skill_and_duplicate_code(client: TestClient, tenant: Tenant) -> None:
    body = {
        "code": "veilig_huisbezoek",
        "label_nl": "Veilig op huisbezoek",
        "label_en": "Safe home visits",
        "pillar": 2,
    }
    resp = client.post("/v1/skills", headers=tenant.write, json=body)
    assert resp.status_code == 201, resp.text
    assert resp.json()["builtin"] is False
    assert resp.headers["Location"] == f"/v1/skills/{resp.json()['id']}"
    assert_problem(
        client.post("/v1/skills", headers=tenant.write, json=body), 409, "already-exists"
    )
    bad = client.post("/v1/skills", headers=tenant.write, json={**body, "code": "Met Spatie"})
    assert_problem(bad, 422)
    assert_problem(client.post("/v1/skills", headers=tenant.read, json=body), 403)


def test_builtin_skill_cannot_be_deleted_or_retired(
    client: TestClient, db: Session, tenant: Tenant
) -> None:
    s = skill(db, "deescalation")
    assert_problem(client.delete(f"/v1/skills/{s.id}", headers=tenant.write), 409, "builtin-skill")
    resp = client.patch(f"/v1/skills/{s.id}", headers=tenant.write, json={"retired": True})
    assert_problem(resp, 409, "builtin-skill")
    relabel = client.patch(
        f"/v1/skills/{s.id}", headers=tenant.write, json={"label_nl": "De-escaleren"}
    )
    assert relabel.status_code == 200 and relabel.json()["label_nl"] == "De-escaleren"


def test_retire_own_skill_in_use_by_active_goal_is_refused(
    client: TestClient, db: Session, tenant: Tenant
) -> None:
    own = make_skill(db)
    goal = make_team_goal(db, team=make_team(db), skill_row=own)
    resp = client.patch(f"/v1/skills/{own.id}", headers=tenant.write, json={"retired": True})
    body = assert_problem(resp, 409, "skill-in-use")
    assert body["usage"]["active_team_goals"] == 1
    client.patch(
        f"/v1/team-goals/{goal.id}", headers=tenant.write, json={"status": "archived"}
    ).raise_for_status()
    resp = client.patch(f"/v1/skills/{own.id}", headers=tenant.write, json={"retired": True})
    assert resp.status_code == 200 and resp.json()["retired"] is True
    # A retired skill cannot be used for new goals.
    team = make_team(db)
    new_goal = {"team_id": str(team.id), "skill_id": str(own.id), "description": "x"}
    assert_problem(
        client.post("/v1/team-goals", headers=tenant.write, json=new_goal), 409, "skill-retired"
    )


def test_a_retired_skill_takes_no_reopened_goals(
    client: TestClient, db: Session, tenant: Tenant
) -> None:
    # Retiring is refused while goals are open; reopening them afterwards must be too.
    own, team = make_skill(db), make_team(db)
    team_goal = make_team_goal(db, team=team, skill_row=own, status="archived")
    member = make_employee(db, team_id=team.id)
    goal = make_personal_goal(db, employee=member, skill_row=own, status="dropped")
    db.commit()
    retired = client.patch(f"/v1/skills/{own.id}", headers=tenant.write, json={"retired": True})
    assert retired.status_code == 200, retired.text
    r = client.patch(
        f"/v1/team-goals/{team_goal.id}", headers=tenant.write, json={"status": "active"}
    )
    assert assert_problem(r, 409, "skill-retired")["errors"][0]["pointer"] == "/status"
    r = client.patch(
        f"/v1/personal-goals/{goal.id}", headers=tenant.write, json={"status": "agreed"}
    )
    assert_problem(r, 409, "skill-retired")
    stored = client.get(f"/v1/team-goals/{team_goal.id}", headers=tenant.read).json()
    assert stored["status"] == "archived"
    # Archived and dropped goals may still change otherwise.
    r = client.patch(
        f"/v1/team-goals/{team_goal.id}", headers=tenant.write, json={"description": "Oud"}
    )
    assert r.status_code == 200, r.text


def test_delete_own_skill(client: TestClient, db: Session, tenant: Tenant) -> None:
    unused = make_skill(db)
    assert client.delete(f"/v1/skills/{unused.id}", headers=tenant.write).status_code == 204
    used = make_skill(db)
    make_team_goal(db, team=make_team(db), skill_row=used, status="archived")
    resp = client.delete(f"/v1/skills/{used.id}", headers=tenant.write)
    assert_problem(resp, 409, "skill-in-use")


def test_other_organisations_skill_is_404(
    client: TestClient, db: Session, tenant: Tenant, other_tenant: Tenant
) -> None:
    theirs = skill(db, "peer_support")  # session bound to A: A's skill
    assert_problem(client.get(f"/v1/skills/{theirs.id}", headers=other_tenant.read), 404)
    resp = client.patch(f"/v1/skills/{theirs.id}", headers=other_tenant.write, json={})
    assert_problem(resp, 404)


def _cli(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "VEERKRACHT_DATABASE_URL": f"sqlite:///{tmp_path / 'cli.db'}"}
    return subprocess.run(
        [sys.executable, "-m", "app.cli", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def _skills_in(tmp_path: Path) -> list[tuple[str, str]]:
    with sqlite3.connect(tmp_path / "cli.db") as conn:
        rows = conn.execute(
            "SELECT o.name, s.code FROM skill s JOIN organisation o ON o.id = s.organisation_id"
        ).fetchall()
    return [(name, code) for name, code in rows]


def test_cli_create_organisation_creates_the_nine_skills(tmp_path: Path) -> None:
    result = _cli(tmp_path, "create-organisation", "Stichting CLI")
    assert result.returncode == 0, result.stderr
    rows = _skills_in(tmp_path)
    assert sorted(code for _, code in rows) == sorted(SEED_TABLE)


def test_cli_demo_creates_the_nine_skills(tmp_path: Path) -> None:
    result = _cli(tmp_path, "demo", "--fresh")
    assert result.returncode == 0, result.stderr
    assert sorted(code for _, code in _skills_in(tmp_path)) == sorted(SEED_TABLE)
