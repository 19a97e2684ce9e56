"""Dutch exports (issue 19): headers and values the import takes back; skills by label."""

import csv
import io

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlmodel import Session, col

from app.learning.models import Skill, TeamGoal
from tests.conftest import Tenant
from tests.imports.conftest import Post, example


def _rows(body: bytes) -> list[list[str]]:
    assert body.startswith(b"\xef\xbb\xbf")
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig")), delimiter=";"))


@pytest.mark.usefixtures("org_structure")
def test_a_dutch_employees_export_goes_back_in_unchanged(
    client: TestClient, tenant: Tenant, post_import: Post
) -> None:
    assert post_import("employees", example("medewerkers-export-excel.csv")).status_code == 200
    r = client.get("/v1/exports/employees?lang=nl", headers=tenant.read)
    assert r.status_code == 200, r.text
    rows = _rows(r.content)
    assert rows[0][:4] == ["personeelsnummer", "roepnaam", "tussenvoegsel", "achternaam"]
    by_number = {row[0]: dict(zip(rows[0], row, strict=True)) for row in rows[1:]}
    kaya = by_number["100234"]
    assert (kaya["rol"], kaya["actief"], kaya["in dienst"]) == (
        "leidinggevende",
        "ja",
        "01-06-2015",
    )
    assert by_number["100238"]["rol"] == "directie"
    again = post_import("employees", r.content)
    assert again.status_code == 200, again.text
    assert (again.json()["unchanged"], again.json()["updated"]) == (8, 0)
    # English stays the default.
    english = _rows(client.get("/v1/exports/employees", headers=tenant.read).content)
    assert english[0][0] == "external_id"
    assert {row[english[0].index("role")] for row in english[1:]} >= {"team_manager", "employee"}


def test_dutch_function_groups_and_teams_go_back_in(
    client: TestClient, tenant: Tenant, post_import: Post
) -> None:
    for kind, name in (("function-groups", "function-groups.csv"), ("teams", "teams.csv")):
        assert post_import(kind, example(name)).status_code == 200
        r = client.get(f"/v1/exports/{kind}", headers={**tenant.read, "Accept-Language": "nl"})
        assert _rows(r.content)[0][0] in ("code", "teamcode")
        again = post_import(kind, r.content).json()
        assert (again["unchanged"], again["failed"]) == (4, 0), again


@pytest.mark.usefixtures("org_structure")
def test_skills_are_accepted_by_their_dutch_label(post_import: Post, db: Session) -> None:
    label = db.exec(select(Skill.label_nl).where(col(Skill.code) == "deescalation")).scalar_one()
    body = f"Team;Vaardigheid;Doel\nT-JW-01;{label.upper()};Rustig blijven\n"
    r = post_import("team-goals", body)
    assert r.status_code == 200, r.text
    goal = db.exec(select(TeamGoal)).scalar_one()
    skill_id = db.exec(select(Skill.id).where(col(Skill.code) == "deescalation")).scalar_one()
    assert goal.skill_id == skill_id
