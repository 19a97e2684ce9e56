"""Imports of function groups, teams and employees through the API."""

from datetime import UTC, date, datetime

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlmodel import Session, col

from app.audit.models import AuditEvent
from app.organisation.models import DEFAULT_BANDS, Employee, FunctionGroup, Role, Team, TeamManager
from tests.conftest import Tenant
from tests.factories.core import make_employee, make_team
from tests.helpers import assert_problem, count_statements, set_clock
from tests.imports.conftest import Post, example

HEADER = "external_id;first_name;last_name;email;team_external_id;role"


def employees(db: Session) -> dict[str, Employee]:
    db.expire_all()
    return {e.external_id: e for e in db.exec(select(Employee)).scalars() if e.external_id}


@pytest.mark.usefixtures("org_structure")
def test_dutch_excel_export_imports_as_it_is(post_import: Post, db: Session) -> None:
    r = post_import("employees", example("medewerkers-export-excel.csv"))
    assert r.status_code == 200, r.text
    body = r.json()
    assert (body["created"], body["updated"], body["unchanged"], body["failed"]) == (8, 0, 0, 0)
    assert body["encoding"] == "windows-1252" and body["delimiter"] == ";"
    assert any("Gül?en" in w for w in body["warnings"])
    people = employees(db)
    mirjam = people["100231"]
    assert (mirjam.first_name, mirjam.name_particle, mirjam.last_name) == (
        "Mirjam",
        "van der",
        "Berg",
    )
    assert mirjam.email == "m.vanderberg@welzijnoost.nl"
    assert mirjam.started_on == date(2019, 9, 1)
    assert mirjam.role == Role.employee
    team = db.exec(select(Team).where(col(Team.external_id) == "T-JW-01")).scalar_one()
    assert mirjam.team_id == team.id
    assert people["100234"].role == Role.team_manager
    assert people["100234"].first_name == "Gül?en"
    assert people["100235"].name_particle == "'t"
    director = people["100238"]
    assert director.role == Role.senior_management
    assert director.team_id is None and director.function_group_id is None
    assert all(e.active for e in people.values())


@pytest.mark.usefixtures("org_structure")
def test_reimport_counts_unchanged_and_rewrites_nothing(
    post_import: Post, db: Session, engine: object
) -> None:
    data = example("medewerkers-export-excel.csv")
    assert post_import("employees", data).status_code == 200
    before = {k: e.updated_at for k, e in employees(db).items()}
    with count_statements(db.get_bind()) as counter:  # type: ignore[arg-type]
        r = post_import("employees", data)
    assert r.json()["unchanged"] == 8 and r.json()["updated"] == 0
    assert not [
        s
        for s in counter.statements
        if s.lstrip().upper().startswith(("UPDATE", "INSERT")) and "employee" in s
    ]
    assert {k: e.updated_at for k, e in employees(db).items()} == before


@pytest.mark.usefixtures("org_structure")
def test_changed_rows_are_updated_and_only_those(
    post_import: Post, db: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    first, second = datetime(2026, 3, 2, 9, 0, tzinfo=UTC), datetime(2026, 3, 2, 9, 5, tzinfo=UTC)
    set_clock(monkeypatch, first)
    data = example("medewerkers-export-excel.csv").decode("cp1252")
    assert post_import("employees", data.encode("cp1252")).status_code == 200
    before = {k: e.updated_at for k, e in employees(db).items()}
    assert set(before.values()) == {first}
    set_clock(monkeypatch, second)
    changed = data.replace("Jan-Willem;'t;Hooft", "Jan-Willem;;Hooft").replace(
        "01-01-2020", "02-01-2020"
    )
    r = post_import("employees", changed.encode("cp1252"))
    assert (r.json()["updated"], r.json()["unchanged"]) == (2, 6)
    after = employees(db)
    assert after["100235"].name_particle is None
    assert after["100236"].started_on == date(2020, 1, 2)
    assert after["100235"].updated_at == second
    assert after["100231"].updated_at == first


@pytest.mark.usefixtures("org_structure")
def test_absent_columns_are_left_alone(post_import: Post, db: Session) -> None:
    assert post_import("employees", example("medewerkers-export-excel.csv")).status_code == 200
    r = post_import("employees", "Personeelsnummer;Voornaam;Achternaam\r\n100231;Mirjam;Bergh\r\n")
    assert r.json()["updated"] == 1
    mirjam = employees(db)["100231"]
    assert mirjam.name_particle == "van der"  # no Tussenvoegsel column: kept
    assert mirjam.email == "m.vanderberg@welzijnoost.nl" and mirjam.team_id is not None


@pytest.mark.usefixtures("org_structure")
def test_all_or_nothing_lists_every_error_and_writes_nothing(
    post_import: Post, db: Session
) -> None:
    r = post_import(
        "employees",
        f"{HEADER}\n"
        "1;Jan;Jansen;j@x.nl;T-JW-01;medewerker\n"
        "2;Els;Vos;not-an-email;T-NOPE;baas\n"
        "3;Piet;Bakker;p@x.nl;T-JW-01;medewerker\n"
        "3;Piet;Bakker;p2@x.nl;T-JW-01;medewerker\n",
    )
    body = assert_problem(r, 422, "import-rejected")
    assert body["failed"] == 3 and body["total"] == 4
    found = {(e["row"], e["column"], e["value"]) for e in body["errors"]}
    assert found == {
        (3, "email", "not-an-email"),
        (3, "role", "baas"),
        (4, "external_id", "3"),
        (5, "external_id", "3"),
    }
    assert all(e["message"] and e["pointer"].startswith("/") for e in body["errors"])
    assert employees(db) == {}


@pytest.mark.usefixtures("org_structure")
def test_unknown_team_is_a_row_error(post_import: Post) -> None:
    r = post_import("employees", f"{HEADER}\n1;Jan;Jansen;j@x.nl;T-NOPE;medewerker\n")
    [err] = assert_problem(r, 422, "import-rejected")["errors"]
    assert (err["row"], err["column"], err["value"]) == (2, "team_external_id", "T-NOPE")
    assert "no team" in err["message"]


@pytest.mark.usefixtures("org_structure")
def test_team_may_be_given_by_name(post_import: Post, db: Session) -> None:
    r = post_import("employees", f"{HEADER}\n1;Jan;Jansen;j@x.nl;balie stadskantoor;medewerker\n")
    assert r.status_code == 200, r.text
    team = db.exec(select(Team).where(col(Team.external_id) == "T-BAL-01")).scalar_one()
    assert employees(db)["1"].team_id == team.id


def test_another_organisations_team_is_unknown(
    post_import: Post, db: Session, tenant: Tenant, other_tenant: Tenant
) -> None:
    from app.core.tenancy import bind_organisation

    bind_organisation(db, other_tenant.id)
    make_team(db, external_id="T-THEIRS")
    bind_organisation(db, tenant.id)
    r = post_import("employees", f"{HEADER}\n1;Jan;Jansen;j@x.nl;T-THEIRS;medewerker\n")
    assert_problem(r, 422, "import-rejected")


@pytest.mark.usefixtures("org_structure")
def test_partial_writes_valid_rows_and_reports_the_rest(post_import: Post, db: Session) -> None:
    r = post_import(
        "employees",
        f"{HEADER}\n1;Jan;Jansen;j@x.nl;T-JW-01;medewerker\n2;Els;Vos;bad;T-JW-01;medewerker\n",
        mode="partial",
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert (body["created"], body["failed"], body["mode"]) == (1, 1, "partial")
    assert body["errors"][0]["row"] == 3
    assert set(employees(db)) == {"1"}


@pytest.mark.usefixtures("org_structure")
def test_a_key_twice_fails_both_rows_even_when_one_has_a_bad_cell(
    post_import: Post, db: Session
) -> None:
    # Which of the two is right cannot be known: neither is written, in either mode.
    body = (
        f"{HEADER}\n1;Jan;Jansen;nieuw@x.nl;T-JW-01;medewerker\n"
        "1;Jan;Jansen;kapot-adres;T-JW-01;medewerker\n2;Els;Vos;e@x.nl;T-JW-01;medewerker\n"
    )
    r = post_import("employees", body, mode="partial")
    assert r.status_code == 200, r.text
    result = r.json()
    assert (result["created"], result["failed"]) == (1, 2)
    twice = [e["row"] for e in result["errors"] if "more than once" in e["message"]]
    assert twice == [2, 3]
    assert set(employees(db)) == {"2"}
    refused = assert_problem(post_import("employees", body), 422, "import-rejected")
    assert [e["row"] for e in refused["errors"] if "more than once" in e["message"]] == [2, 3]


@pytest.mark.usefixtures("org_structure")
def test_dry_run_reports_and_writes_nothing(post_import: Post, db: Session) -> None:
    r = post_import("employees", example("medewerkers-export-excel.csv"), dry_run=True)
    assert r.status_code == 200
    assert (r.json()["created"], r.json()["dry_run"]) == (8, True)
    assert employees(db) == {}
    bad = post_import("employees", f"{HEADER}\n1;Jan;Jansen;bad;T-JW-01;medewerker\n", dry_run=True)
    assert_problem(bad, 422, "import-rejected")


@pytest.mark.usefixtures("org_structure")
def test_deactivate_missing(post_import: Post, db: Session) -> None:
    assert post_import("employees", example("medewerkers-export-excel.csv")).status_code == 200
    manual = make_employee(db, external_id=None)  # not the HR platform's: left alone
    lines = example("medewerkers-export-excel.csv").decode("cp1252").splitlines()
    # 100232 leaves; 100233's row is invalid but they are still in the file.
    kept = [ln for ln in lines if not ln.startswith("100232")]
    kept = [ln.replace("d.smits@", "d.smits@@") for ln in kept]
    body = "\r\n".join(kept).encode("cp1252")
    dry = post_import("employees", body, deactivate_missing=True, mode="partial", dry_run=True)
    assert dry.json()["deactivated"] == 1
    assert employees(db)["100232"].active
    r = post_import("employees", body, deactivate_missing=True, mode="partial")
    assert (r.json()["deactivated"], r.json()["failed"]) == (1, 1)
    people = employees(db)
    assert not people["100232"].active
    assert people["100233"].active
    db.refresh(manual)
    assert manual.active
    # Back in the file: active again, and nobody was ever deleted.
    again = post_import("employees", example("medewerkers-export-excel.csv"))
    assert again.json()["updated"] == 1
    assert employees(db)["100232"].active
    assert len(employees(db)) + 1 == 9  # the manual one has no external id


def test_deactivate_missing_is_for_employees_only(post_import: Post) -> None:
    r = post_import("teams", example("teams.csv"), deactivate_missing=True)
    assert_problem(r, 422, "invalid-option")


@pytest.mark.usefixtures("org_structure")
def test_email_used_by_someone_else_is_a_row_error(post_import: Post, db: Session) -> None:
    make_employee(db, external_id="X-1", email="taken@x.nl")
    r = post_import("employees", f"{HEADER}\n1;Jan;Jansen;Taken@x.nl;T-JW-01;medewerker\n")
    [err] = assert_problem(r, 422, "import-rejected")["errors"]
    assert err["column"] == "email" and "X-1" in err["message"]


@pytest.mark.usefixtures("org_structure")
def test_email_of_someone_without_external_id_names_their_id(
    post_import: Post, db: Session
) -> None:
    manual = make_employee(db, external_id=None, email="handmatig@x.nl")
    r = post_import("employees", f"{HEADER}\n1;Jan;Jansen;handmatig@x.nl;T-JW-01;medewerker\n")
    [err] = assert_problem(r, 422, "import-rejected")["errors"]
    assert err["message"] == f"is already used by employee {manual.id}"


def test_function_groups_and_teams(post_import: Post, db: Session) -> None:
    r = post_import("function-groups", example("function-groups.csv"))
    assert (r.status_code, r.json()["created"]) == (200, 4)
    fg = db.exec(
        select(FunctionGroup).where(col(FunctionGroup.external_id) == "FG-SHV")
    ).scalar_one()
    assert (fg.likelihood, fg.impact, fg.risk_assessed_on) == (3, 4, date(2023, 9, 15))
    assert fg.level(DEFAULT_BANDS) == "high"
    bad = post_import("function-groups", "code;naam;kans;effect\nFG-X;X;6;0\n")
    errors = assert_problem(bad, 422, "import-rejected")["errors"]
    assert {e["column"] for e in errors} == {"kans", "effect"}
    r = post_import("teams", example("teams.csv"))
    assert (r.status_code, r.json()["created"]) == (200, 4)


@pytest.mark.usefixtures("org_structure")
def test_team_managers_by_external_id(post_import: Post, db: Session) -> None:
    assert post_import("employees", example("medewerkers-export-excel.csv")).status_code == 200
    r = post_import("teams", example("teams-met-leidinggevenden.csv"))
    assert r.status_code == 200, r.text
    assert (r.json()["updated"], r.json()["unchanged"]) == (4, 0)
    team = db.exec(select(Team).where(col(Team.external_id) == "T-SHV-02")).scalar_one()
    managers = db.exec(select(TeamManager).where(col(TeamManager.team_id) == team.id)).scalars()
    assert [m.employee_id for m in managers] == [employees(db)["100234"].id]
    again = post_import("teams", example("teams-met-leidinggevenden.csv"))
    assert again.json()["unchanged"] == 4
    # A staff member cannot manage a team; an unknown id is named.
    bad = post_import("teams", "Teamcode;Teamnaam;Leidinggevenden\nT-JW-01;JW;100231|999\n")
    errors = assert_problem(bad, 422, "import-rejected")["errors"]
    assert [(e["value"], e["code"]) for e in errors] == [("100231", "not-a-manager"), ("999", None)]


def test_json_body(post_import: Post, db: Session, org_structure: None) -> None:
    import json

    r = post_import("employees", json.loads(example("employees.json")))
    assert r.status_code == 200, r.text
    assert r.json()["format"] == "json" and r.json()["created"] == 2
    assert employees(db)["100240"].name_particle == "van den"


def test_a_numeric_key_in_json_is_the_text_of_the_integer_everywhere(
    post_import: Post, db: Session
) -> None:
    # Spreadsheets export personnel numbers as numbers: 100231 and 100231.0 are the key
    # "100231" for the row, its duplicates and deactivate_missing alike, at any size.
    names = {"first_name": "Mirjam", "last_name": "Berg"}
    seed = [{"external_id": "100231", **names}, {"external_id": "100232", **names}]
    assert post_import("employees", seed).status_code == 200
    sync = [{"external_id": 100231.0, **names}, {"external_id": 100232, **names}]
    r = post_import("employees", sync, deactivate_missing=True)
    assert r.status_code == 200, r.text
    assert (r.json()["unchanged"], r.json()["deactivated"]) == (2, 0)
    assert employees(db)["100231"].active and employees(db)["100232"].active
    twice = [{"external_id": "100231", **names}, {"external_id": 100231.0, **names}]
    errors = assert_problem(post_import("employees", twice), 422, "import-rejected")["errors"]
    assert [(e["row"], e["value"]) for e in errors] == [(1, "100231"), (2, "100231")]
    assert all("more than once" in e["message"] for e in errors)
    # Past 2**31 the same (no whole-body 422 from the 32-bit guard of other routes) ...
    wide = [{"external_id": 3000000000, **names}, {"external_id": 3000000001.0, **names}]
    r = post_import("employees", wide, dry_run=True)
    assert r.status_code == 200, r.text
    assert [p["external_id"] for p in r.json()["changes"]["created"]] == [
        "3000000000",
        "3000000001",
    ]
    # ... up to 2**53, where JSON numbers stop being exact: one row error for either type.
    inexact = [{"external_id": 2**53 + 1, **names}, {"external_id": 2.0**53, **names}]
    errors = assert_problem(post_import("employees", inexact), 422, "import-rejected")["errors"]
    assert [e["row"] for e in errors] == [1, 2]
    assert len({e["message"] for e in errors}) == 1 and "send it as text" in errors[0]["message"]
    # Such a row fails, but still lists whom it names: deactivate_missing spares them.
    big = str(2**53 + 1)
    assert post_import("employees", [{"external_id": big, **names}, *seed]).status_code == 200
    numeric = [{"external_id": 2**53 + 1, **names}, *seed]
    r = post_import("employees", numeric, mode="partial", deactivate_missing=True)
    assert r.status_code == 200, r.text
    assert (r.json()["failed"], r.json()["deactivated"]) == (1, 0)
    assert employees(db)[big].active


def test_formula_cells_write_nothing(post_import: Post, db: Session, tenant: Tenant) -> None:
    r = post_import("teams", 'Teamcode;Teamnaam\nT-1;=HYPERLINK("http://evil")\nT-2;Goed\n')
    [err] = assert_problem(r, 422, "import-rejected")["errors"]
    assert err["row"] == 2 and "formula" in err["message"]
    assert (
        db.scalar(select(func.count(col(Team.id))).where(col(Team.organisation_id) == tenant.id))
        == 0
    )


def test_file_level_errors(post_import: Post) -> None:
    assert_problem(post_import("teams", b""), 422, "empty-file")
    assert_problem(post_import("teams", "Naam\nX\n"), 422, "missing-columns")
    assert_problem(post_import("teams", bytes(range(256))), 422, "undecodable-file")


def test_over_the_import_limit_is_413(client: TestClient, tenant: Tenant) -> None:
    from app.core.config import get_settings

    size = get_settings().max_import_bytes + 1
    r = client.post(
        "/v1/imports/employees",
        content=b"x" * size,
        headers={**tenant.write, "Content-Type": "text/csv"},
    )
    assert_problem(r, 413, "payload-too-large")


def test_needs_write_scope(client: TestClient, tenant: Tenant) -> None:
    r = client.post(
        "/v1/imports/teams",
        content=example("teams.csv"),
        headers={**tenant.read, "Content-Type": "text/csv"},
    )
    assert_problem(r, 403, "insufficient-scope")


def test_wrong_content_type_is_415(client: TestClient, tenant: Tenant) -> None:
    r = client.post(
        "/v1/imports/teams",
        content=b"<xml/>",
        headers={**tenant.write, "Content-Type": "application/xml"},
    )
    assert_problem(r, 415)


@pytest.mark.usefixtures("org_structure")
def test_bulk_import_uses_a_bounded_number_of_statements(post_import: Post, db: Session) -> None:
    def csv_of(n: int, *, start: int = 0) -> str:
        rows = [
            f"{i};Voornaam{i};Achternaam;m{i}@x.nl;T-JW-01;medewerker"
            for i in range(start, start + n)
        ]
        return HEADER + "\n" + "\n".join(rows) + "\n"

    with count_statements(db.get_bind()) as small:  # type: ignore[arg-type]
        assert post_import("employees", csv_of(10)).status_code == 200
    with count_statements(db.get_bind()) as large:  # type: ignore[arg-type]
        assert post_import("employees", csv_of(2500, start=100)).json()["created"] == 2500
    # Never one statement per row: a few per chunk of 1000.
    assert large.count <= small.count + 12, large.statements[:40]


def test_export_round_trips(
    post_import: Post, client: TestClient, tenant: Tenant, org_structure: None
) -> None:
    assert post_import("employees", example("medewerkers-export-excel.csv")).status_code == 200
    assert post_import("teams", example("teams-met-leidinggevenden.csv")).status_code == 200
    # Rows made through the API without an HR key cannot be found again by the import:
    # the exports leave them out rather than hand out a file that does not go back in.
    for path, body in (
        ("/v1/employees", {"first_name": "Zonder", "last_name": "Nummer"}),
        ("/v1/teams", {"name": "Zonder code"}),
        ("/v1/function-groups", {"name": "Zonder code", "likelihood": 1, "impact": 1}),
    ):
        assert client.post(path, json=body, headers=tenant.write).status_code == 201
    for kind in ("employees", "teams", "function-groups"):
        r = client.get(f"/v1/exports/{kind}", headers=tenant.read)
        assert r.status_code == 200
        assert r.headers["content-type"].startswith("text/csv")
        again = post_import(kind, r.content)
        assert again.status_code == 200, again.text
        assert again.json()["unchanged"] == again.json()["total"] > 0, (kind, again.json())


def test_export_neutralises_formulas(client: TestClient, tenant: Tenant, db: Session) -> None:
    make_team(db, name="=cmd|' /C calc'!A0", external_id="T-EVIL")
    text = client.get("/v1/exports/teams", headers=tenant.read).text
    assert "'=cmd" in text


def test_employee_moved_team_runs_the_team_changed_hooks(
    post_import: Post, db: Session, org_structure: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    from app.organisation.hooks import HOOKS

    calls: list[tuple[str | None, object]] = []
    monkeypatch.setattr(
        HOOKS,
        "employee_team_changed",
        (lambda _s, emp, old: calls.append((emp.external_id, old)),),
    )
    data = example("medewerkers-export-excel.csv").decode("cp1252")
    assert post_import("employees", data.encode("cp1252")).status_code == 200
    assert calls == []
    old_team = employees(db)["100231"].team_id
    moved = data.replace(
        "m.vanderberg@welzijnoost.nl;T-JW-01", "m.vanderberg@welzijnoost.nl;T-AB-03"
    )
    assert post_import("employees", moved.encode("cp1252")).json()["updated"] == 1
    assert calls == [("100231", old_team)]


@pytest.mark.usefixtures("org_structure")
def test_key_lookups_on_postgresql_are_planned_for_their_keys(
    post_import: Post, db: Session, is_postgres: bool
) -> None:
    # Keys bound as one array parameter got generic plans that psycopg's prepared
    # statements keep per connection: `= ANY(:keys)` compared each row of the organisation
    # with every key, `IN (SELECT unnest(:keys))` rescanned the keys per row (a re-import
    # of 100,000 employees on a new database: 313 s). The keys are written into the
    # statement instead, so PostgreSQL plans each lookup for its own keys.
    if not is_postgres:
        pytest.skip("PostgreSQL plans")
    body = HEADER + "\n" + "".join(f"{i};V{i};A;m{i}@x.nl;T-JW-01;medewerker\n" for i in range(5))
    with count_statements(db.get_bind()) as counter:  # type: ignore[arg-type]
        assert post_import("employees", body).status_code == 200
    lookups = [s for s in counter.statements if s.lstrip().upper().startswith("SELECT")]
    by_key = [s for s in lookups if "external_id IN (" in s]
    by_email = [s for s in lookups if "email IN (" in s]
    assert by_key and by_email, lookups
    assert all("'3'" in s for s in by_key) and all("'m3@x.nl'" in s for s in by_email)
    assert not [s for s in lookups if "ANY" in s.upper() or "unnest" in s]


def test_function_groups_carry_their_set_of_comparable_groups(
    post_import: Post, db: Session
) -> None:
    """Comparable functions (issue 20, item 6): the set comes along with the HR file."""
    csv = "code;naam;kans;effect;functiecluster\nFG-JW;Jongerenwerker;3;3;ambulant jeugd\n"
    r = post_import("function-groups", csv)
    assert r.status_code == 200, r.text
    fg = db.exec(
        select(FunctionGroup).where(col(FunctionGroup.external_id) == "FG-JW")
    ).scalar_one()
    assert fg.comparable_group == "ambulant jeugd"


@pytest.mark.usefixtures("org_structure")
def test_addresses_handed_over_or_swapped_in_one_file(post_import: Post, db: Session) -> None:
    # A leaver's address goes to a new hire, two colleagues swap theirs: the unique e-mail
    # must not refuse the file halfway (nor the audit trail record the passing NULL).
    first = (
        f"{HEADER}\n1;Jan;Jansen;jan@x.nl;T-JW-01;medewerker\n"
        "2;Els;Vos;els@x.nl;T-JW-01;medewerker\n3;Piet;Bos;piet@x.nl;T-JW-01;medewerker\n"
    )
    assert post_import("employees", first).status_code == 200
    audited = db.scalar(select(func.count()).select_from(AuditEvent)) or 0
    second = (
        f"{HEADER}\n1;Jan;Jansen;oud-jan@x.nl;T-JW-01;medewerker\n"
        "4;Nieuw;Lid;jan@x.nl;T-JW-01;medewerker\n"
        "2;Els;Vos;piet@x.nl;T-JW-01;medewerker\n3;Piet;Bos;els@x.nl;T-JW-01;medewerker\n"
    )
    r = post_import("employees", second)
    assert r.status_code == 200, r.text
    assert (r.json()["created"], r.json()["updated"]) == (1, 3)
    emails = {e.external_id: e.email for e in db.exec(select(Employee)).scalars()}
    assert emails == {"1": "oud-jan@x.nl", "2": "piet@x.nl", "3": "els@x.nl", "4": "jan@x.nl"}
    events = (db.scalar(select(func.count()).select_from(AuditEvent)) or 0) - audited
    assert events == 4  # one per row written


def test_a_key_the_export_escaped_counts_as_in_the_file(
    post_import: Post, client: TestClient, tenant: Tenant, db: Session
) -> None:
    # An HR key that starts like a formula goes out as "'-17" and comes back as "-17": a
    # nightly sync with deactivate_missing must see that employee as listed.
    made = client.post(
        "/v1/employees",
        json={"first_name": "Min", "last_name": "Zeventien", "external_id": "-17"},
        headers=tenant.write,
    )
    assert made.status_code == 201, made.text
    exported = client.get("/v1/exports/employees", headers=tenant.read)
    assert "'-17" in exported.text
    again = post_import("employees", exported.content, deactivate_missing=True)
    assert again.status_code == 200, again.text
    assert again.json()["deactivated"] == 0 and again.json()["unchanged"] == 1
    assert client.get(f"/v1/employees/{made.json()['id']}", headers=tenant.read).json()["active"]
