"""Imports of the training catalogue, historical completions, team and personal goals."""

import uuid
from datetime import UTC, date, datetime

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlmodel import Session, col

from app.learning.models import Alignment, PersonalGoal, Skill, TeamGoal
from app.organisation import service as organisation_service
from app.organisation.models import Employee, Organisation, OrganisationSettingsUpdate
from app.organisation.models import OrganisationUpdate as OrgUpdate
from app.training.models import ProgramSkill, TrainingCompletion, TrainingProgram
from tests.conftest import Tenant
from tests.helpers import assert_problem, set_clock
from tests.imports.conftest import Post, example


@pytest.fixture
def people(post_import: Post, org_structure: None) -> None:
    """The Dutch Excel employees, with the structure they need."""
    assert post_import("employees", example("medewerkers-export-excel.csv")).status_code == 200


@pytest.fixture
def catalogue(post_import: Post) -> None:
    r = post_import("training-programs", example("training-programs.csv"))
    assert r.status_code == 200, r.text


def by_ext(db: Session, ext: str) -> Employee:
    return db.exec(select(Employee).where(col(Employee.external_id) == ext)).scalar_one()


def test_programmes_with_skills(post_import: Post, db: Session, catalogue: None) -> None:
    program = db.exec(
        select(TrainingProgram).where(col(TrainingProgram.external_id) == "TP-FYS")
    ).scalar_one()
    assert (program.audience, program.min_exposure_level, program.refresher_months) == (
        "staff",
        "high",
        12,
    )
    codes = db.exec(
        select(Skill.code)
        .join(ProgramSkill, col(ProgramSkill.skill_id) == col(Skill.id))
        .where(col(ProgramSkill.program_id) == program.id)
    ).scalars()
    assert sorted(codes) == ["deescalation", "less_influenceable_behaviour"]
    again = post_import("training-programs", example("training-programs.csv"))
    assert (again.json()["unchanged"], again.json()["updated"]) == (3, 0)
    changed = example("training-programs.csv").replace(b"|less_influenceable_behaviour", b"")
    assert post_import("training-programs", changed).json()["updated"] == 1


def test_a_programme_row_keeps_the_rules_with_the_stored_values_it_leaves_out(
    post_import: Post, client: TestClient, tenant: Tenant
) -> None:
    # As a PATCH: the file's columns change, the others stay, and the programme as it
    # would be must still hold the API's rules (exposure range, level only for managers).
    for body in (
        {"title": "Senioren", "audience": "management", "management_level": "senior_management",
         "external_id": "TP-X"},
        {"title": "Hoog", "audience": "staff", "min_exposure_level": "high", "external_id": "TP-Y"},
    ):  # fmt: skip
        assert client.post("/v1/training-programs", json=body, headers=tenant.write).is_success
    for csv, column in (
        ("external_id;title;audience\nTP-X;Senioren;staff\n", "audience"),
        ("external_id;title;audience;max_exposure_level\nTP-Y;Hoog;staff;low\n",
         "max_exposure_level"),
    ):  # fmt: skip
        [err] = assert_problem(post_import("training-programs", csv), 422)["errors"]
        assert err["column"] == column, err
    listed = client.get("/v1/training-programs", headers=tenant.read).json()["items"]
    stored = {p["external_id"]: p for p in listed}
    assert stored["TP-X"]["audience"] == "management"
    assert stored["TP-Y"]["max_exposure_level"] == "very_high"
    # A file that keeps them is taken.
    ok = "external_id;title;audience;max_exposure_level\nTP-Y;Hoog;staff;very_high\n"
    assert post_import("training-programs", ok).status_code == 200


def test_whom_an_enrolled_programme_trains_is_fixed_in_an_import_too(
    post_import: Post, client: TestClient, tenant: Tenant, db: Session
) -> None:
    # The API's rule (program-audience-fixed): a programme with enrolments or completions
    # keeps its audience, or a management training could stop counting for managers first.
    body = {"title": "Leiding", "audience": "management", "external_id": "TP-L"}
    created = client.post("/v1/training-programs", json=body, headers=tenant.write).json()
    csv = "external_id;title;audience\nTP-L;Leiding;staff\n"
    assert post_import("training-programs", csv, dry_run=True).status_code == 200  # not used yet
    program = db.get(TrainingProgram, uuid.UUID(created["id"]))
    assert program is not None
    employee = Employee(first_name="Ans", last_name="Bos", external_id="E-1")
    db.add(employee)
    db.flush()
    db.add(
        TrainingCompletion(
            employee_id=employee.id, program_id=program.id, completed_on=date(2026, 1, 5)
        )
    )
    db.commit()
    [err] = assert_problem(post_import("training-programs", csv), 422)["errors"]
    assert (err["column"], err["code"]) == ("audience", "program-audience-fixed")
    assert (
        client.get(f"/v1/training-programs/{program.id}", headers=tenant.read).json()["audience"]
        == "management"
    )
    # The same audience, with another title, is taken.
    same = "external_id;title;audience\nTP-L;Leidinggevenden;management\n"
    assert post_import("training-programs", same).status_code == 200


def test_a_new_programme_without_months_takes_the_default_for_its_kind(
    post_import: Post, db: Session
) -> None:
    # DOMAIN.md: 12 months with physical safety skills, else 24; per row, as by the API.
    r = post_import(
        "training-programs",
        "code;titel;doelgroep;fysieke veiligheid\n"
        "P-FYS;Loskomen;medewerkers;ja\n"
        "P-GES;Gesprek;medewerkers;nee\n"
        "P-LEEG;Leeg;medewerkers;\n",
    )
    assert (r.status_code, r.json()["created"]) == (200, 3), r.text
    months = dict(
        db.exec(select(TrainingProgram.external_id, TrainingProgram.refresher_months)).all()
    )
    assert months == {"P-FYS": 12, "P-GES": 24, "P-LEEG": 24}
    # An empty months cell means the default of the row's kind too.
    r = post_import(
        "training-programs",
        "code;titel;doelgroep;fysieke veiligheid;herhaling maanden\n"
        "P-FYS2;Loskomen 2;medewerkers;ja;\n"
        "P-GES2;Gesprek 2;medewerkers;nee;36\n",
    )
    assert r.status_code == 200, r.text
    months = dict(
        db.exec(select(TrainingProgram.external_id, TrainingProgram.refresher_months)).all()
    )
    assert (months["P-FYS2"], months["P-GES2"]) == (12, 36)


def test_programme_errors(post_import: Post) -> None:
    r = post_import(
        "training-programs",
        "code;titel;doelgroep;minimale blootstelling;maximale blootstelling;vaardigheden\n"
        "P1;Een;iedereen;hoog;laag;deescalation\n"
        "P2;Twee;niemand;laag;hoog;deescalation\n"
        "P3;Drie;iedereen;laag;hoog;karate\n",
    )
    errors = assert_problem(r, 422, "import-rejected")["errors"]
    assert {(e["row"], e["column"]) for e in errors} == {
        (2, "maximale blootstelling"),
        (3, "doelgroep"),
        (4, "vaardigheden"),
    }


@pytest.mark.usefixtures("people", "catalogue")
def test_historical_completions(post_import: Post, db: Session) -> None:
    r = post_import("training-completions", example("training-completions.csv"))
    assert (r.status_code, r.json()["created"]) == (200, 4), r.text
    gulsen = by_ext(db, "100234")
    [done] = db.exec(
        select(TrainingCompletion).where(col(TrainingCompletion.employee_id) == gulsen.id)
    ).scalars()
    assert done.completed_on == date(2024, 3, 15) and done.session_id is None
    # By title works as by external id; the same file again changes nothing.
    again = post_import("training-completions", example("training-completions.csv"))
    assert (again.json()["created"], again.json()["unchanged"]) == (0, 4)


@pytest.mark.usefixtures("people", "catalogue")
def test_completion_errors(post_import: Post) -> None:
    r = post_import(
        "training-completions",
        "Personeelsnummer;Programma;Afgerond op\n"
        "999;TP-LG;01-01-2024\n"
        "100231;Onbekend;01-01-2024\n"
        "100231;TP-LG;01-01-2999\n"
        "100232;TP-LG;01-01-2024\n"
        "100232;TP-LG;01-01-2024\n",
    )
    errors = assert_problem(r, 422, "import-rejected")["errors"]
    assert [(e["row"], e["column"]) for e in errors] == [
        (2, "Personeelsnummer"),
        (3, "Programma"),
        (4, "Afgerond op"),
        (6, None),
    ]


@pytest.mark.usefixtures("people", "catalogue")
def test_a_completion_of_today_is_taken_on_the_dutch_day(
    post_import: Post, monkeypatch: pytest.MonkeyPatch
) -> None:
    # 00:30 in Amsterdam is still yesterday in UTC: "today" is the Dutch calendar day.
    set_clock(monkeypatch, datetime(2025, 6, 15, 22, 30, tzinfo=UTC))
    r = post_import(
        "training-completions", "Personeelsnummer;Programma;Afgerond op\n100234;TP-LG;16-06-2025\n"
    )
    assert r.status_code == 200, r.text
    late = "Personeelsnummer;Programma;Afgerond op\n100234;TP-LG;17-06-2025\n"
    assert_problem(post_import("training-completions", late), 422, "import-rejected")


@pytest.mark.usefixtures("people")
def test_team_goals(post_import: Post, db: Session) -> None:
    r = post_import("team-goals", example("team-goals.csv"))
    assert (r.status_code, r.json()["created"]) == (200, 3), r.text
    goal = db.exec(select(TeamGoal).order_by(col(TeamGoal.id))).scalars().first()
    assert goal is not None and goal.target_on == date(2026, 12, 31) and goal.status == "active"
    again = post_import("team-goals", example("team-goals.csv"))
    assert again.json()["unchanged"] == 3
    bad = post_import("team-goals", "Team;Vaardigheid;Doel\nT-NOPE;karate;x\n")
    errors = assert_problem(bad, 422, "import-rejected")["errors"]
    assert {e["column"] for e in errors} == {"Team", "Vaardigheid"}


@pytest.mark.usefixtures("people")
def test_personal_goals_follow_the_alignment_rule(post_import: Post, db: Session) -> None:
    assert post_import("team-goals", example("team-goals.csv")).status_code == 200
    r = post_import("personal-goals", example("personal-goals.csv"))
    assert (r.status_code, r.json()["created"]) == (200, 3), r.text
    goals = db.exec(select(PersonalGoal)).scalars().all()
    assert all(g.alignment == Alignment.aligned and g.aligned_team_goal_id for g in goals)
    assert post_import("personal-goals", example("personal-goals.csv")).json()["unchanged"] == 3
    # 100235's team (T-BAL-01) has no objective for this skill: refused, with the reason.
    refused = post_import(
        "personal-goals", "Personeelsnummer;Vaardigheid;Leerdoel\n100235;deescalation;Rustig\n"
    )
    [err] = assert_problem(refused, 422, "import-rejected")["errors"]
    assert err["column"] == "Vaardigheid" and "objectives" in err["message"]


@pytest.mark.usefixtures("people")
def test_unaligned_goals_stored_when_allowed_and_realigned_by_a_team_goal(
    post_import: Post, db: Session, tenant: Tenant
) -> None:
    org = db.get(Organisation, tenant.id)
    assert org is not None
    organisation_service.update_organisation(
        db,
        org=org,
        data=OrgUpdate(settings=OrganisationSettingsUpdate(allow_unaligned_personal_goals=True)),
    )
    db.commit()
    r = post_import(
        "personal-goals", "Personeelsnummer;Vaardigheid;Leerdoel\n100235;deescalation;Rustig\n"
    )
    assert r.status_code == 200, r.text
    assert "unaligned" in r.json()["warnings"][0]
    [goal] = db.exec(select(PersonalGoal)).scalars().all()
    assert goal.alignment == Alignment.unaligned
    t = post_import("team-goals", "Team;Vaardigheid;Doel\nT-BAL-01;deescalation;De-escaleren\n")
    assert t.status_code == 200, t.text
    db.refresh(goal)
    assert goal.alignment == Alignment.aligned


@pytest.mark.usefixtures("people")
def test_a_goal_keeps_its_chosen_team_goal_through_an_import(
    post_import: Post, db: Session, client: TestClient, tenant: Tenant
) -> None:
    # An updating row follows update_personal_goal: the rule runs again only when the row
    # reopens the goal, and then against the team goal chosen for it.
    assert post_import("team-goals", example("team-goals.csv")).status_code == 200
    first = db.exec(select(TeamGoal).order_by(col(TeamGoal.id))).scalars().first()
    assert first is not None
    chosen = client.post(
        "/v1/team-goals",
        headers=tenant.write,
        json={"team_id": str(first.team_id), "skill_id": str(first.skill_id), "description": "x"},
    ).json()["id"]
    goal = client.post(
        "/v1/personal-goals",
        headers=tenant.write,
        json={
            "employee_id": str(by_ext(db, "100231").id),
            "skill_id": str(first.skill_id),
            "description": "Eerder ingrijpen",
            "team_goal_id": chosen,
        },
    ).json()
    assert goal["aligned_team_goal_id"] == chosen

    def round_trip() -> dict[str, object]:
        exported = client.get("/v1/exports/personal-goals", headers=tenant.read).content
        again = post_import("personal-goals", exported)
        assert again.status_code == 200, again.text
        assert again.json()["unchanged"] == again.json()["total"] == 1, again.json()
        stored = client.get(f"/v1/personal-goals/{goal['id']}", headers=tenant.read).json()
        return {k: stored[k] for k in ("alignment", "aligned_team_goal_id", "team_goal_id")}

    assert round_trip() == {
        "alignment": "aligned",
        "aligned_team_goal_id": chosen,
        "team_goal_id": chosen,
    }
    # The chosen objective archived: the goal is unaligned, and an import of it does not
    # align it with the team's other objective for the skill.
    client.patch(f"/v1/team-goals/{chosen}", headers=tenant.write, json={"status": "archived"})
    assert round_trip() == {
        "alignment": "unaligned",
        "aligned_team_goal_id": None,
        "team_goal_id": chosen,
    }
    # Reopening a dropped goal by import runs the rule against the chosen (archived) goal.
    client.patch(
        f"/v1/personal-goals/{goal['id']}", headers=tenant.write, json={"status": "dropped"}
    )
    reopened = post_import(
        "personal-goals",
        "Personeelsnummer;Vaardigheid;Leerdoel;Status\n"
        "100231;deescalation;Eerder ingrijpen;afgesproken\n",
    )
    [err] = assert_problem(reopened, 422, "import-rejected")["errors"]
    assert "the chosen team goal is archived" in err["message"]


@pytest.mark.usefixtures("people")
def test_text_the_export_made_formula_safe_comes_back_as_it_was(
    post_import: Post, db: Session, client: TestClient, tenant: Tenant
) -> None:
    # The export writes "- elkaar opvangen" as "'- elkaar opvangen" so a spreadsheet does
    # not evaluate it; importing that file must store the text without the apostrophe.
    assert post_import("team-goals", example("team-goals.csv")).status_code == 200
    goal = db.exec(select(TeamGoal).order_by(col(TeamGoal.id))).scalars().first()
    assert goal is not None
    r = client.patch(
        f"/v1/team-goals/{goal.id}", json={"description": "- elkaar opvangen"}, headers=tenant.write
    )
    assert r.status_code == 200, r.text
    exported = client.get("/v1/exports/team-goals", headers=tenant.read)
    assert "'- elkaar opvangen" in exported.text
    again = post_import("team-goals", exported.content)
    assert again.status_code == 200, again.text
    assert again.json()["unchanged"] == again.json()["total"], again.json()
    stored = client.get(f"/v1/team-goals/{goal.id}", headers=tenant.read).json()
    assert stored["description"] == "- elkaar opvangen"
    # Without the apostrophe the cell is still refused as a formula.
    formula = 'Team;Vaardigheid;Doel\nT-JW-01;deescalation;=HYPERLINK("x")\n'
    [err] = assert_problem(post_import("team-goals", formula), 422)["errors"]
    assert "formula" in err["message"]


@pytest.mark.usefixtures("people")
def test_goal_exports_hold_the_latest_goal_per_key_and_go_back_in(
    post_import: Post, db: Session, client: TestClient, tenant: Tenant
) -> None:
    # A team archives its objective for a skill and sets a new one: the import's key (team
    # and skill) finds the latest, so the export writes that one only.
    assert post_import("team-goals", example("team-goals.csv")).status_code == 200
    first = db.exec(select(TeamGoal).order_by(col(TeamGoal.id))).scalars().first()
    assert first is not None
    client.patch(f"/v1/team-goals/{first.id}", json={"status": "archived"}, headers=tenant.write)
    newer = client.post(
        "/v1/team-goals",
        json={
            "team_id": str(first.team_id),
            "skill_id": str(first.skill_id),
            "description": "Nieuw",
        },
        headers=tenant.write,
    )
    assert newer.status_code == 201, newer.text
    exported = client.get("/v1/exports/team-goals", headers=tenant.read)
    assert "Nieuw" in exported.text and first.description not in exported.text
    again = post_import("team-goals", exported.content, dry_run=True)
    assert again.status_code == 200, again.text
    assert again.json()["unchanged"] == again.json()["total"] == 3, again.json()


@pytest.mark.usefixtures("people", "catalogue")
def test_exports_round_trip(post_import: Post, client: TestClient, tenant: Tenant) -> None:
    assert post_import("training-completions", example("training-completions.csv")).is_success
    assert post_import("team-goals", example("team-goals.csv")).is_success
    assert post_import("personal-goals", example("personal-goals.csv")).is_success
    for kind in ("training-programs", "training-completions", "team-goals", "personal-goals"):
        exported = client.get(f"/v1/exports/{kind}", headers=tenant.read)
        assert exported.status_code == 200
        again = post_import(kind, exported.content)
        assert again.status_code == 200, (kind, again.text)
        assert again.json()["unchanged"] == again.json()["total"] > 0, (kind, again.json())


@pytest.mark.usefixtures("people", "catalogue")
def test_exports_show_only_the_callers_organisation(
    post_import: Post, client: TestClient, other_tenant: Tenant
) -> None:
    assert post_import("training-completions", example("training-completions.csv")).is_success
    assert post_import("team-goals", example("team-goals.csv")).is_success
    assert post_import("personal-goals", example("personal-goals.csv")).is_success
    for kind in (
        "employees",
        "teams",
        "function-groups",
        "training-programs",
        "training-completions",
        "team-goals",
        "personal-goals",
    ):
        text = client.get(f"/v1/exports/{kind}", headers=other_tenant.read).text
        assert text.count("\r\n") == 1, (kind, text)  # the header only
