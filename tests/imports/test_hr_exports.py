"""HR platform exports as they are (issue 19): precedence, mappings, managers, end dates."""

from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlmodel import Session, col

from app.changes.models import ChangeEvent
from app.core.dates import today
from app.organisation import service as organisation_service
from app.organisation.models import Employee, FunctionGroup, Role, Team, TeamManager
from tests.conftest import Tenant
from tests.helpers import assert_problem, set_clock
from tests.imports.conftest import Post

FIXTURES = Path(__file__).resolve().parent / "fixtures"
# The examples' Dutch Excel export with a Roepnaam and a Functie column added.
HR_EXPORT = (FIXTURES / "medewerkers-export-hr.csv").read_bytes()
MAPPINGS = (
    "Soort;Waarde;Doel\n"
    "functie;Jongerenwerker;FG-JW\n"
    "functie;Schuldhulpverlener;FG-SHV\n"
    "functie;Teamleider schuldhulpverlening;FG-SHV\n"
    "functie;Baliemedewerker;Balie en receptie\n"
    "functie;Ambulant begeleider;FG-AB\n"
    "functie;Teamleider ambulante begeleiding;FG-AB\n"
    "rol;Coördinator;leidinggevende\n"
)


def people(db: Session) -> dict[str, Employee]:
    db.expire_all()
    return {e.external_id: e for e in db.exec(select(Employee)).scalars() if e.external_id}


def group_id(db: Session, code: str) -> object:
    return db.exec(
        select(FunctionGroup.id).where(col(FunctionGroup.external_id) == code)
    ).scalar_one()


def team(db: Session, code: str) -> Team:
    return db.exec(select(Team).where(col(Team.external_id) == code)).scalar_one()


@pytest.mark.usefixtures("org_structure")
def test_the_hr_export_with_roepnaam_and_functie_imports_through_a_mapping(
    post_import: Post, db: Session
) -> None:
    r = post_import("import-mappings", MAPPINGS)
    assert r.status_code == 200, r.text
    assert (r.json()["created"], r.json()["failed"]) == (7, 0)
    r = post_import("employees", HR_EXPORT)
    assert r.status_code == 200, r.text
    body = r.json()
    assert (body["created"], body["failed"]) == (8, 0)
    assert body["ignored_columns"] == ["Voornaam"]
    assert any("'Roepnaam' takes precedence" in w for w in body["warnings"])
    found = people(db)
    assert found["100233"].first_name == "Daan"  # Roepnaam, not Voornaam (Daniëlle)
    assert found["100235"].function_group_id == group_id(db, "FG-BAL")  # mapped by name
    assert found["100238"].function_group_id is None
    # A re-import changes nothing.
    again = post_import("employees", HR_EXPORT).json()
    assert (again["unchanged"], again["updated"]) == (8, 0)


def test_the_mappings_export_goes_back_in(
    client: TestClient, tenant: Tenant, post_import: Post
) -> None:
    client.post(
        "/v1/function-groups",
        json={"name": "Jongerenwerk", "external_id": "FG-JW", "likelihood": 3, "impact": 3},
        headers=tenant.write,
    )
    assert post_import("import-mappings", MAPPINGS.split("functie;Schuld")[0]).status_code == 200
    exported = client.get("/v1/exports/import-mappings?lang=nl", headers=tenant.read).content
    assert "soort;waarde;doel\r\nfunctie;Jongerenwerker;FG-JW" in exported.decode("utf-8-sig")
    again = post_import("import-mappings", exported).json()
    assert (again["unchanged"], again["failed"]) == (1, 0)


@pytest.mark.usefixtures("org_structure")
def test_a_mapped_functie_wins_over_the_functiegroep_cell(post_import: Post, db: Session) -> None:
    assert (
        post_import("import-mappings", "soort;waarde;doel\nfunctie;Kok;FG-AB\n").status_code == 200
    )
    body = "Personeelsnummer;Roepnaam;Achternaam;Functiegroep;Functie\n1;Ada;Kok;FG-JW;kok\n"
    assert post_import("employees", body).status_code == 200
    assert people(db)["1"].function_group_id == group_id(db, "FG-AB")
    # Also over a Functiegroep cell that names no function group (a pay grade) ...
    grade = "Personeelsnummer;Roepnaam;Achternaam;Functiegroep;Functie\n2;Bo;Kok;Schaal 8;kok\n"
    r = post_import("employees", grade)
    assert r.status_code == 200, r.text
    assert people(db)["2"].function_group_id == group_id(db, "FG-AB")
    # ... which is still an error on a row whose Functie is not mapped.
    unmapped = "Personeelsnummer;Roepnaam;Achternaam;Functiegroep;Functie\n3;Cas;Kok;Schaal 8;\n"
    [err] = assert_problem(post_import("employees", unmapped), 422)["errors"]
    assert err["column"] == "Functiegroep"


@pytest.mark.usefixtures("org_structure")
def test_an_unknown_functie_is_listed_with_the_known_ones(post_import: Post, db: Session) -> None:
    assert post_import("import-mappings", MAPPINGS).status_code == 200
    body = "Personeelsnummer;Roepnaam;Achternaam;Functie\n1;Ada;Kok;Kok\n2;Bo;Smit;Jongerenwerker\n"
    problem = assert_problem(post_import("employees", body), 422, "import-rejected")
    [error] = problem["errors"]
    assert (error["row"], error["column"], error["value"]) == (2, "Functie", "Kok")
    assert "Baliemedewerker" in error["message"] and "import-mappings" in error["message"]
    assert people(db) == {}


def test_role_words_are_mapped_and_unknown_ones_listed(
    client: TestClient, tenant: Tenant, post_import: Post, db: Session
) -> None:
    r = client.post(
        "/v1/import-mappings",
        json={"kind": "role", "value": "Coördinator", "role": "team_manager"},
        headers=tenant.write,
    )
    assert r.status_code == 201, r.text
    body = "Personeelsnummer;Roepnaam;Achternaam;Rol\n1;Ada;Kok;coordinator\n2;Bo;Smit;mt-lid\n"
    problem = assert_problem(post_import("employees", body), 422, "import-rejected")
    [error] = problem["errors"]
    assert (error["row"], error["column"], error["value"]) == (3, "Rol", "mt-lid")
    assert "Coördinator" in error["message"] and "directie" in error["message"]
    r = client.post(
        "/v1/import-mappings",
        json={"kind": "role", "value": "MT-lid", "role": "senior_management"},
        headers=tenant.write,
    )
    assert r.status_code == 201
    assert post_import("employees", body).status_code == 200
    found = people(db)
    assert (found["1"].role, found["2"].role) == (Role.team_manager, Role.senior_management)


def test_the_mappings_api(client: TestClient, tenant: Tenant, db: Session) -> None:
    fg = client.post(
        "/v1/function-groups",
        json={"name": "Jongerenwerk", "likelihood": 3, "impact": 3},
        headers=tenant.write,
    ).json()
    body = {"kind": "function", "value": "Jongerenwerker", "function_group_id": fg["id"]}
    first = client.post("/v1/import-mappings", json=body, headers=tenant.write)
    assert first.status_code == 201 and first.headers["Location"].endswith(first.json()["id"])
    # The same value (case and accents ignored) again: 409 naming the one that exists.
    again = client.post(
        "/v1/import-mappings", json={**body, "value": "JONGERENWERKER"}, headers=tenant.write
    )
    problem = assert_problem(again, 409, "already-exists")
    assert problem["existing"] == {
        "id": first.json()["id"],
        "url": f"/v1/import-mappings/{first.json()['id']}",
    }
    # A role mapping naming a function group is refused.
    wrong = {"kind": "role", "value": "x", "role": "employee", "function_group_id": fg["id"]}
    assert_problem(client.post("/v1/import-mappings", json=wrong, headers=tenant.write), 422)
    listed = client.get("/v1/import-mappings?kind=function", headers=tenant.read).json()
    assert [m["value"] for m in listed["items"]] == ["Jongerenwerker"]
    item = f"/v1/import-mappings/{first.json()['id']}"
    r = client.patch(item, json={"value": "Jongerenwerker (ambulant)"}, headers=tenant.write)
    assert r.status_code == 200 and r.json()["value"] == "Jongerenwerker (ambulant)"
    assert client.delete(item, headers=tenant.write).status_code == 204


@pytest.mark.usefixtures("org_structure")
def test_leidinggevende_sets_the_teams_manager(post_import: Post, db: Session) -> None:
    body = (
        "Personeelsnummer;Roepnaam;Achternaam;Team;Rol;Leidinggevende\n"
        "D;Dirk;Directeur;;directie;\n"
        "L;Lies;Leider;T-JW-01;leidinggevende;D\n"
        "A;Ali;Werker;T-JW-01;medewerker;L\n"
        "B;Bo;Werker;T-JW-01;medewerker;L\n"
    )
    r = post_import("employees", body)
    assert r.status_code == 200, r.text
    assert any("managers of 1 team(s) were set" in w for w in r.json()["warnings"])
    found = people(db)
    managers = (
        db.exec(
            select(TeamManager.employee_id).where(
                col(TeamManager.team_id) == team(db, "T-JW-01").id
            )
        )
        .scalars()
        .all()
    )
    assert managers == [found["L"].id]  # not the director named by the leader's own row
    # A manager who is not one, or nobody, is a row error on the column.
    bad = (
        "Personeelsnummer;Roepnaam;Achternaam;Team;Leidinggevende\nA;A;Werker;T-JW-01;B\n"
        "B;B;Werker;T-JW-01;X\nN;N;Nieuw;;\nM;M;Werker;T-JW-01;N\n"
    )  # N is new and, without a role column, an employee
    problem = assert_problem(post_import("employees", bad), 422, "import-rejected")
    assert {(e["row"], e["column"], e["value"], e["code"]) for e in problem["errors"]} == {
        (2, "Leidinggevende", "B", "not-a-manager"),  # the API's code for the same rule
        (3, "Leidinggevende", "X", None),  # a reference that does not resolve: no rule
        (5, "Leidinggevende", "N", "not-a-manager"),
    }


@pytest.mark.usefixtures("org_structure")
def test_a_manager_whose_own_row_fails_leads_nobody_in_partial_mode(
    post_import: Post, db: Session
) -> None:
    # The new leader's row fails (unknown function group): the rows naming them must fail
    # too, not leave their team without the manager it had.
    first = (
        "Personeelsnummer;Roepnaam;Achternaam;Team;Rol;Leidinggevende\n"
        "L;Lies;Leider;T-JW-01;leidinggevende;\nA;Ali;Werker;T-JW-01;medewerker;L\n"
    )
    assert post_import("employees", first).status_code == 200
    body = (
        "Personeelsnummer;Roepnaam;Achternaam;Team;Functiegroep;Rol;Leidinggevende\n"
        "N;Nieuwe;Leider;T-JW-01;FG-NOPE;leidinggevende;\n"
        "A;Ali;Werker;T-JW-01;;medewerker;N\n"
    )
    r = post_import("employees", body, mode="partial")
    assert r.status_code == 200, r.text
    assert {(e["row"], e["column"]) for e in r.json()["errors"]} == {
        (2, "Functiegroep"),
        (3, "Leidinggevende"),
    }
    managers = (
        db.exec(
            select(TeamManager.employee_id).where(
                col(TeamManager.team_id) == team(db, "T-JW-01").id
            )
        )
        .scalars()
        .all()
    )
    assert managers == [people(db)["L"].id]


def managers_of(db: Session, code: str) -> set[str]:
    found = {e.id: k for k, e in people(db).items()}
    links = db.exec(
        select(TeamManager.employee_id).where(col(TeamManager.team_id) == team(db, code).id)
    )
    return {found[i] for i in links.scalars()}


def _leaders_file(*rows: str) -> str:
    """An employees file with team, role, actief and Leidinggevende: one row per line."""
    header = "Personeelsnummer;Roepnaam;Achternaam;Team;Rol;Actief;Leidinggevende"
    return "\n".join([header, *rows]) + "\n"


@pytest.mark.usefixtures("org_structure")
def test_a_new_manager_must_still_be_employed_and_one_the_team_has_may_stay(
    post_import: Post, db: Session
) -> None:
    # Someone no longer employed cannot become a team's manager: stored as inactive, or
    # made inactive by the same file (actief, end date, deactivate_missing), in every mode.
    # The team's own manager may stay listed when they leave, as over the API.
    first = (
        "Personeelsnummer;Roepnaam;Achternaam;Team;Rol;Actief;Leidinggevende;Uit dienst\n"
        "L;Lies;Leider;T-JW-01;leidinggevende;ja;;\n"
        "O;Olaf;Oud;T-JW-01;leidinggevende;nee;;\n"
        "P;Piet;Post;T-JW-01;leidinggevende;ja;;\n"
        "A;Ali;Werker;T-JW-01;medewerker;ja;L;\n"
    )
    assert post_import("employees", first).status_code == 200
    assert managers_of(db, "T-JW-01") == {"L"}
    stored = "Personeelsnummer;Team;Leidinggevende\nA;T-JW-01;O\nL;T-JW-01;\n"
    problem = assert_problem(post_import("employees", stored), 422, "import-rejected")
    [error] = problem["errors"]
    assert (error["row"], error["column"], error["value"]) == (2, "Leidinggevende", "O")
    assert "is inactive (deactivated)" in error["message"]
    assert error["code"] == "not-a-manager"
    partial = post_import("employees", stored, mode="partial")
    assert partial.status_code == 200, partial.text
    assert [(e["row"], e["value"]) for e in partial.json()["errors"]] == [(2, "O")]
    assert managers_of(db, "T-JW-01") == {"L"}
    # Made inactive by the same file: its own row (actief nee, or an end date passed).
    for leaving in ("nee;", "ja;01-01-2020"):
        body = (
            "Personeelsnummer;Roepnaam;Achternaam;Team;Rol;Leidinggevende;Actief;Uit dienst\n"
            f"P;Piet;Post;T-JW-01;leidinggevende;;{leaving}\n"
            "A;Ali;Werker;T-JW-01;medewerker;P;ja;\n"
        )
        problem = assert_problem(post_import("employees", body), 422, "import-rejected")
        assert [(e["row"], e["value"]) for e in problem["errors"]] == [(3, "P")]
        assert "made inactive by row 2" in problem["errors"][0]["message"]
        partial = post_import("employees", body, mode="partial")
        assert [(e["row"], e["value"]) for e in partial.json()["errors"]] == [(3, "P")]
        assert managers_of(db, "T-JW-01") == {"L"}  # the list is left as it was
        if leaving.endswith("2020"):  # written in partial mode: P's row is valid
            # Actief ja without an end date column leaves the past end date (the worker
            # deactivates again): still out of service.
            again = "Personeelsnummer;Team;Actief;Leidinggevende\nP;T-JW-01;ja;\nA;T-JW-01;ja;P\n"
            problem = assert_problem(post_import("employees", again), 422, "import-rejected")
            assert "out of service since 2020-01-01" in problem["errors"][0]["message"]
        assert post_import("employees", first).status_code == 200  # P active again
    # ... or not in a file that deactivates whom it does not list.
    body = "Personeelsnummer;Team;Leidinggevende\nA;T-JW-01;P\nL;T-JW-01;\nO;T-JW-01;\n"
    dry = post_import("employees", body, dry_run=True)
    assert dry.status_code == 200, dry.text
    problem = assert_problem(
        post_import("employees", body, deactivate_missing=True), 422, "import-rejected"
    )
    assert [(e["row"], e["value"]) for e in problem["errors"]] == [(2, "P")]
    assert people(db)["P"].active
    # The daily export that records the team's manager leaving still names them for their
    # staff, beside a new hire: it goes through, and the team keeps its manager listed.
    daily = _leaders_file(
        "L;Lies;Leider;T-JW-01;leidinggevende;nee;",
        "A;Ali;Werker;T-JW-01;medewerker;ja;L",
        "N;Noor;Nieuw;T-JW-01;medewerker;ja;L",
    )
    r = post_import("employees", daily)
    assert r.status_code == 200, r.text
    assert not people(db)["L"].active and people(db)["N"].active
    assert managers_of(db, "T-JW-01") == {"L"}
    # Reactivated by the same file, a former manager may lead again.
    back = (
        "Personeelsnummer;Roepnaam;Achternaam;Team;Actief;Leidinggevende\n"
        "O;Olaf;Oud;T-JW-01;ja;\nA;Ali;Werker;T-JW-01;ja;O\n"
    )
    assert post_import("employees", back).status_code == 200
    assert managers_of(db, "T-JW-01") == {"O"}


@pytest.mark.usefixtures("org_structure")
def test_a_leaving_director_named_only_by_team_leaders_makes_no_team_manager(
    post_import: Post, db: Session
) -> None:
    # A team leader's row names their own manager, who leads the team leaders, not the
    # team: that person's leaving is no new manager for any team, so the export that
    # records it goes through (and a row without a team makes nobody a manager either).
    first = _leaders_file(
        "S;Sara;Stam;;directie;ja;",
        "L;Lies;Leider;T-JW-01;leidinggevende;ja;S",
        "A;Ali;Werker;T-JW-01;medewerker;ja;L",
    )
    r = post_import("employees", first)
    assert r.status_code == 200, r.text
    assert managers_of(db, "T-JW-01") == {"L"}
    daily = _leaders_file(
        "S;Sara;Stam;;directie;nee;",
        "L;Lies;Leider;T-JW-01;leidinggevende;ja;S",
        "A;Ali;Werker;T-JW-01;medewerker;ja;L",
        "B;Bo;Nieuw;;medewerker;ja;S",
    )
    r = post_import("employees", daily)
    assert r.status_code == 200, r.text
    assert not people(db)["S"].active and people(db)["B"].active
    assert managers_of(db, "T-JW-01") == {"L"}


@pytest.mark.usefixtures("org_structure")
def test_in_partial_mode_a_manager_the_refused_rows_leave_in_place_is_checked_too(
    post_import: Post, db: Session
) -> None:
    # Without A's refused row, L's row names S as T-JW-01's manager: S left, so L's row is
    # refused as well, and the team keeps K rather than taking on someone no longer employed.
    first = _leaders_file(
        "S;Sara;Stam;;directie;ja;",
        "K;Kees;Kap;T-JW-01;leidinggevende;ja;",
        "L;Lot;Lid;T-JW-01;medewerker;ja;K",
        "A;Ali;Werker;T-JW-01;medewerker;ja;K",
    )
    assert post_import("employees", first).status_code == 200
    assert managers_of(db, "T-JW-01") == {"K"}
    daily = _leaders_file(
        "S;Sara;Stam;;directie;nee;",
        "L;Lot;Lid;T-JW-01;medewerker;ja;S",
        "A;Ali;Werker;T-JW-01;medewerker;ja;L",
    )
    r = post_import("employees", daily, mode="partial")
    assert r.status_code == 200, r.text
    assert sorted((e["row"], e["value"]) for e in r.json()["errors"]) == [(3, "S"), (4, "L")]
    assert not people(db)["S"].active
    assert managers_of(db, "T-JW-01") == {"K"}
    # In strict mode only the row that is wrong as sent is named.
    strict = assert_problem(post_import("employees", daily), 422, "import-rejected")
    assert [(e["row"], e["value"]) for e in strict["errors"]] == [(4, "L")]


@pytest.mark.usefixtures("org_structure")
def test_the_teams_import_refuses_an_inactive_manager(
    post_import: Post, db: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    set_clock(monkeypatch, datetime(2026, 3, 2, 9, 0, tzinfo=UTC))
    first = (
        "Personeelsnummer;Roepnaam;Achternaam;Rol;Actief;Datum uit dienst\n"
        "L;Lies;Leider;leidinggevende;ja;\n"
        "O;Olaf;Oud;leidinggevende;nee;\n"
        "E;Eva;Eind;leidinggevende;ja;10-03-2026\n"
    )
    assert post_import("employees", first).status_code == 200
    # Past her end date, before the worker's daily pass deactivated her: no longer employed.
    set_clock(monkeypatch, datetime(2026, 3, 11, 9, 0, tzinfo=UTC))
    assert people(db)["E"].active
    body = "Teamcode;Teamnaam;Leidinggevenden\nT-JW-01;Jongerenwerk;L|O|E\n"
    problem = assert_problem(post_import("teams", body), 422, "import-rejected")
    assert [(e["row"], e["column"], e["value"]) for e in problem["errors"]] == [
        (2, "Leidinggevenden", "O"),
        (2, "Leidinggevenden", "E"),
    ]
    assert "is inactive (deactivated)" in problem["errors"][0]["message"]
    assert {e["code"] for e in problem["errors"]} == {"not-a-manager"}
    assert "out of service since 2026-03-10" in problem["errors"][1]["message"]
    assert managers_of(db, "T-JW-01") == set()
    partial = post_import("teams", body, mode="partial")
    assert partial.json()["failed"] == 1
    assert managers_of(db, "T-JW-01") == set()
    assert (
        post_import("teams", "Teamcode;Teamnaam;Leidinggevenden\nT-JW-01;JW;L\n").status_code == 200
    )
    assert managers_of(db, "T-JW-01") == {"L"}
    # Once L leaves, the team may keep listing them (a sync sending it unchanged), but
    # not take on another manager who left.
    gone = "Personeelsnummer;Roepnaam;Achternaam;Rol;Actief\nL;Lies;Leider;leidinggevende;nee\n"
    assert post_import("employees", gone).status_code == 200
    assert (
        post_import("teams", "Teamcode;Teamnaam;Leidinggevenden\nT-JW-01;JW;L\n").status_code == 200
    )
    assert managers_of(db, "T-JW-01") == {"L"}
    body = "Teamcode;Teamnaam;Leidinggevenden\nT-JW-01;JW;L|O\n"
    problem = assert_problem(post_import("teams", body), 422, "import-rejected")
    assert [e["value"] for e in problem["errors"]] == ["O"]


@pytest.mark.usefixtures("org_structure")
def test_datum_uit_dienst_deactivates_today_or_on_its_day(
    post_import: Post, db: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    set_clock(monkeypatch, datetime(2026, 3, 2, 9, 0, tzinfo=UTC))
    first = "Personeelsnummer;Roepnaam;Achternaam\n1;Ada;Kok\n2;Bo;Smit\n"
    assert post_import("employees", first).status_code == 200
    body = (
        "Personeelsnummer;Roepnaam;Achternaam;Datum uit dienst\n"
        "1;Ada;Kok;02-03-2026\n"
        "2;Bo;Smit;10-03-2026\n"
    )
    r = post_import("employees", body)
    assert r.status_code == 200, r.text
    assert (r.json()["deactivated"], r.json()["updated"]) == (1, 1)
    found = people(db)
    assert not found["1"].active and found["2"].active
    assert found["2"].ended_on == date(2026, 3, 10)
    # The worker's daily pass: nothing the day before, deactivated on the day itself.
    set_clock(monkeypatch, datetime(2026, 3, 9, 12, 0, tzinfo=UTC))
    assert organisation_service.deactivate_ended(db, today=today()) == 0
    set_clock(monkeypatch, datetime(2026, 3, 10, 6, 0, tzinfo=UTC))
    assert organisation_service.deactivate_ended(db, today=today()) == 1
    assert not people(db)["2"].active
    # A change like any other: the feed announces it.
    events = (
        db.exec(select(ChangeEvent.type).where(col(ChangeEvent.resource_id) == people(db)["2"].id))
        .scalars()
        .all()
    )
    assert "employee.updated" in events


@pytest.mark.usefixtures("org_structure")
def test_a_dry_run_lists_who_by_name_and_number(post_import: Post, db: Session) -> None:
    start = (
        "Personeelsnummer;Roepnaam;Tussenvoegsel;Achternaam\n1;Ada;de;Kok\n2;Bo;;Smit\n3;Cas;;Vos\n"
    )
    assert post_import("employees", start).status_code == 200
    body = (
        "Personeelsnummer;Roepnaam;Achternaam;Actief\n1;Ada;Bakker;ja\n2;Bo;Smit;nee\n4;Do;Ek;ja\n"
    )
    r = post_import("employees", body, dry_run=True, deactivate_missing=True)
    assert r.status_code == 200, r.text
    changes = r.json()["changes"]
    assert changes["created"] == [{"external_id": "4", "name": "Do Ek"}]
    assert changes["updated"] == [{"external_id": "1", "name": "Ada de Kok"}]
    assert changes["deactivated"] == [
        {"external_id": "2", "name": "Bo Smit"},
        {"external_id": "3", "name": "Cas Vos"},
    ]
    assert r.json()["deactivated"] == 2
    assert all(e.active for e in people(db).values())
    assert post_import("employees", body).json()["changes"] is None  # not a dry run


@pytest.mark.usefixtures("org_structure")
def test_a_file_of_numbers_and_email_changes_email_addresses_only(
    post_import: Post, db: Session
) -> None:
    start = (
        "Personeelsnummer;Roepnaam;Achternaam;Team;Actief\n1;Ada;Kok;T-JW-01;nee\n2;Bo;Smit;;ja\n"
    )
    assert post_import("employees", start).status_code == 200
    r = post_import("employees", "Pers.nr.;E-mail werk\n1;ada@werk.nl\n2;bo@werk.nl\n")
    assert r.status_code == 200, r.text
    assert (r.json()["updated"], r.json()["deactivated"]) == (2, 0)
    found = people(db)
    assert (found["1"].email, found["1"].last_name, found["1"].active) == (
        "ada@werk.nl",
        "Kok",
        False,
    )
    assert found["1"].team_id == team(db, "T-JW-01").id
    # A number not known yet cannot be created without names: a row error, nothing written.
    problem = assert_problem(
        post_import("employees", "Personeelsnummer;E-mail\n1;a@b.nl\n9;n@b.nl\n"),
        422,
        "import-rejected",
    )
    [error] = problem["errors"]
    assert error["row"] == 3 and "no employee with this number" in error["message"]
