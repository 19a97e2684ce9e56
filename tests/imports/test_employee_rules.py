"""Employee imports keep the rules a PATCH keeps.

- ``still-manages-teams``: a row may not give a non-manager role to someone who still
  manages a team (PATCH /v1/employees/{id} answers 409 with the same code and message).
- Deactivating (``actief: nee``, or ``deactivate_missing``) cancels the employee's
  enrolments in sessions that have not started, as a PATCH ``active: false`` does.

Both in all-or-nothing, partial and dry-run mode.
"""

from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, col, select

from app.core.models import utcnow
from app.organisation.models import Employee, Role, Team
from app.training.models import Audience, Enrolment, EnrolmentStatus, TrainingSession
from tests.conftest import Tenant
from tests.factories.core import make_employee, make_team
from tests.factories.training import make_enrolment, make_program, make_session
from tests.helpers import assert_problem, count_statements
from tests.imports.conftest import Post

ROLES = "Personeelsnummer;Voornaam;Achternaam;Rol\n"
MANAGER = "M-1;Jolanda;Leidinggevende"


def _employee(db: Session, external_id: str) -> Employee | None:
    db.expire_all()
    return db.exec(select(Employee).where(col(Employee.external_id) == external_id)).first()


@pytest.fixture
def team(db: Session, tenant: Tenant) -> Team:
    """Team Ambulant West, managed by M-1 (Jolanda Leidinggevende)."""
    manager = make_employee(
        db,
        external_id="M-1",
        first_name="Jolanda",
        last_name="Leidinggevende",
        role=Role.team_manager,
    )
    return make_team(db, name="Ambulant West", external_id="T-W", managers=[manager])


# --- still-manages-teams ------------------------------------------------------------------


@pytest.mark.usefixtures("team")
def test_demoting_a_team_manager_refuses_the_file(post_import: Post, db: Session) -> None:
    body = f"{ROLES}N-1;Nieuw;Persoon;medewerker\n{MANAGER}-de Boer;medewerker\n"
    problem = assert_problem(post_import("employees", body), 422, "import-rejected")
    assert (problem["total"], problem["failed"]) == (2, 1)
    [error] = problem["errors"]
    assert (error["row"], error["column"], error["value"]) == (3, "Rol", "employee")
    assert error["code"] == "still-manages-teams"
    assert error["pointer"] == "/3/Rol"
    assert "Jolanda Leidinggevende" in error["message"]
    assert "still-manages-teams" in error["message"] and "Ambulant West" in error["message"]
    # Nothing half-written: not the valid row, not the manager's other cells.
    assert _employee(db, "N-1") is None
    manager = _employee(db, "M-1")
    assert manager is not None
    assert (manager.role, manager.last_name) == (Role.team_manager, "Leidinggevende")


def test_the_import_and_the_api_refuse_with_one_rule(
    post_import: Post, client: TestClient, tenant: Tenant, db: Session, team: Team
) -> None:
    [error] = post_import("employees", f"{ROLES}{MANAGER};medewerker\n").json()["errors"]
    manager = _employee(db, "M-1")
    assert manager is not None
    r = client.patch(f"/v1/employees/{manager.id}", json={"role": "employee"}, headers=tenant.write)
    problem = assert_problem(r, 409, error["code"])
    assert problem["detail"] == error["message"]
    assert problem["team_ids"] == [str(team.id)]


@pytest.mark.usefixtures("team")
def test_partial_mode_skips_and_reports_the_demoting_row(post_import: Post, db: Session) -> None:
    rows = [
        {"personeelsnummer": "N-1", "voornaam": "Nieuw", "achternaam": "Persoon"},
        {"personeelsnummer": "M-1", "voornaam": "Jolanda", "achternaam": "X", "rol": "medewerker"},
    ]
    r = post_import("employees", rows, mode="partial")
    assert r.status_code == 200, r.text
    result = r.json()
    assert (result["created"], result["updated"], result["failed"]) == (1, 0, 1)
    [error] = result["errors"]
    assert (error["row"], error["code"]) == (2, "still-manages-teams")
    assert _employee(db, "N-1") is not None
    manager = _employee(db, "M-1")
    assert manager is not None and (manager.role, manager.last_name) == (
        Role.team_manager,
        "Leidinggevende",
    )


@pytest.mark.usefixtures("team")
def test_dry_run_reports_the_demotion_and_writes_nothing(post_import: Post, db: Session) -> None:
    body = f"{ROLES}N-1;Nieuw;Persoon;medewerker\n{MANAGER};medewerker\n"
    problem = assert_problem(post_import("employees", body, dry_run=True), 422, "import-rejected")
    assert [e["code"] for e in problem["errors"]] == ["still-manages-teams"]
    r = post_import("employees", body, dry_run=True, mode="partial")
    assert r.status_code == 200, r.text
    assert (r.json()["created"], r.json()["failed"]) == (1, 1)
    assert r.json()["errors"][0]["code"] == "still-manages-teams"
    assert _employee(db, "N-1") is None


@pytest.mark.usefixtures("team")
def test_what_the_rule_allows(post_import: Post, db: Session) -> None:
    make_employee(db, external_id="M-2", role=Role.team_manager)  # manages no team
    body = f"{ROLES}{MANAGER};directie\nM-2;Piet;Zonder Team;medewerker\n"
    r = post_import("employees", body)
    assert r.status_code == 200, r.text
    assert [e["code"] for e in r.json()["errors"]] == []
    manager, former = _employee(db, "M-1"), _employee(db, "M-2")
    assert manager is not None and manager.role == Role.senior_management
    assert former is not None and former.role == Role.employee
    # Without a role column the role is left alone: nothing to judge.
    r = post_import("employees", "Personeelsnummer;Voornaam;Achternaam\nM-1;Jolanda;Smit\n")
    assert r.status_code == 200 and r.json()["updated"] == 1


@pytest.mark.usefixtures("team")
def test_the_rule_is_one_query_for_the_whole_file(post_import: Post, db: Session) -> None:
    for n in (2, 300):
        rows = "".join(f"N-{i};Nieuw;Persoon {i};medewerker\n" for i in range(n))
        with count_statements(db.get_bind()) as counter:  # type: ignore[arg-type]
            r = post_import("employees", ROLES + rows, dry_run=True)
        assert r.status_code == 200, r.text
        managers = [s for s in counter.statements if "team_manager" in s]
        assert len(managers) == 1, managers


# --- deactivation cancels enrolments in sessions that have not started --------------------

ACTIVE = "Personeelsnummer;Voornaam;Achternaam;Actief\n"


class Booked:
    """E-1 and E-2, each booked on a session next month; E-1 also on one that started."""

    def __init__(self, db: Session) -> None:
        program = make_program(db, audience=Audience.staff)
        self.coming = make_session(db, program=program, starts_at=utcnow() + timedelta(days=30))
        self.started = make_session(db, program=program, starts_at=utcnow() - timedelta(minutes=30))
        self.e1 = make_employee(db, external_id="E-1", first_name="Sanne", last_name="Bakker")
        self.e2 = make_employee(db, external_id="E-2", first_name="Daan", last_name="Visser")
        self.e1_coming = make_enrolment(db, training_session=self.coming, employee=self.e1)
        self.e1_started = make_enrolment(db, training_session=self.started, employee=self.e1)
        self.e2_coming = make_enrolment(db, training_session=self.coming, employee=self.e2)

    def status(self, db: Session, enrolment: Enrolment) -> EnrolmentStatus:
        db.refresh(enrolment)
        return enrolment.status

    def seats(self, db: Session, ts: TrainingSession) -> int:
        db.refresh(ts)
        return ts.enrolled_count


@pytest.fixture
def booked(db: Session, tenant: Tenant) -> Booked:
    return Booked(db)


def test_a_deactivating_row_cancels_enrolments_not_started(
    post_import: Post, db: Session, booked: Booked
) -> None:
    r = post_import("employees", f"{ACTIVE}E-1;Sanne;Bakker;nee\nE-2;Daan;Visser;ja\n")
    assert r.status_code == 200, r.text
    # Counted as deactivated, not as updated (issue 19).
    assert (r.json()["updated"], r.json()["deactivated"], r.json()["unchanged"]) == (0, 1, 1)
    assert any("1 enrolment(s) of 1 deactivated" in w for w in r.json()["warnings"])
    assert booked.status(db, booked.e1_coming) == EnrolmentStatus.cancelled
    assert booked.seats(db, booked.coming) == 1
    assert booked.status(db, booked.e1_started) == EnrolmentStatus.enrolled
    assert booked.status(db, booked.e2_coming) == EnrolmentStatus.enrolled


def test_dry_run_reports_the_cancellations_and_writes_nothing(
    post_import: Post, db: Session, booked: Booked
) -> None:
    r = post_import("employees", f"{ACTIVE}E-1;Sanne;Bakker;nee\n", dry_run=True)
    assert r.status_code == 200, r.text
    assert any("would be cancelled" in w for w in r.json()["warnings"])
    employee = _employee(db, "E-1")
    assert employee is not None and employee.active
    assert booked.status(db, booked.e1_coming) == EnrolmentStatus.enrolled
    assert booked.seats(db, booked.coming) == 2


def test_a_refused_file_deactivates_and_cancels_nothing(
    post_import: Post, db: Session, booked: Booked
) -> None:
    body = f"{ACTIVE}E-1;Sanne;Bakker;nee\nE-2;Daan;Visser;misschien\n"
    assert_problem(post_import("employees", body), 422, "import-rejected")
    employee = _employee(db, "E-1")
    assert employee is not None and employee.active
    assert booked.status(db, booked.e1_coming) == EnrolmentStatus.enrolled
    assert booked.seats(db, booked.coming) == 2


def test_partial_mode_cancels_for_the_written_rows_only(
    post_import: Post, db: Session, booked: Booked
) -> None:
    body = f"{ACTIVE}E-1;Sanne;Bakker;nee\nE-2;=Daan;Visser;nee\n"  # a formula: refused
    r = post_import("employees", body, mode="partial")
    assert r.status_code == 200, r.text
    assert (r.json()["deactivated"], r.json()["failed"]) == (1, 1)
    assert booked.status(db, booked.e1_coming) == EnrolmentStatus.cancelled
    assert booked.status(db, booked.e2_coming) == EnrolmentStatus.enrolled
    assert booked.seats(db, booked.coming) == 1
    employee = _employee(db, "E-2")
    assert employee is not None and employee.active


def test_deactivate_missing_cancels_enrolments_not_started(
    post_import: Post, db: Session, booked: Booked
) -> None:
    body = f"{ACTIVE}E-2;Daan;Visser;ja\n"
    dry = post_import("employees", body, deactivate_missing=True, dry_run=True)
    assert dry.json()["deactivated"] == 1
    assert any("would be cancelled" in w for w in dry.json()["warnings"])
    assert booked.status(db, booked.e1_coming) == EnrolmentStatus.enrolled
    r = post_import("employees", body, deactivate_missing=True)
    assert r.status_code == 200, r.text
    assert r.json()["deactivated"] == 1
    assert any("1 enrolment(s) of 1 deactivated" in w for w in r.json()["warnings"])
    assert booked.status(db, booked.e1_coming) == EnrolmentStatus.cancelled
    assert booked.status(db, booked.e1_started) == EnrolmentStatus.enrolled
    assert booked.status(db, booked.e2_coming) == EnrolmentStatus.enrolled
    assert booked.seats(db, booked.coming) == 1
