"""Imports (issue 21 item 7): the reporting system's CSV export, as the other imports."""

import pytest
from fastapi.testclient import TestClient
from httpx import Response
from sqlalchemy import func, select
from sqlmodel import Session

from app.core.tenancy import bind_organisation
from app.incidents.models import Aftercare, Incident
from app.policy.models import NormLevel
from tests.conftest import Tenant
from tests.factories.policy import make_norm
from tests.helpers import assert_problem
from tests.imports.conftest import Post, example

FILE = "incidenten-meldsysteem.csv"


@pytest.fixture
def post_import(client: TestClient, tenant: Tenant, db: Session) -> Post:
    """``post_import(kind, body, **query)``: POST a CSV body with the write key."""

    def _post(kind: str, body: bytes, **params: object) -> Response:
        query = {k: str(v).lower() if isinstance(v, bool) else v for k, v in params.items()}
        headers = {**tenant.write, "Content-Type": "text/csv"}
        r = client.post(f"/v1/imports/{kind}", content=body, headers=headers, params=query)
        bind_organisation(db, tenant.id)  # the request's session override cleared it
        return r

    return _post


def _setup(post_import: Post, db: Session) -> None:
    assert post_import("function-groups", example("function-groups.csv")).status_code == 200
    assert post_import("teams", example("teams.csv")).status_code == 200
    r = post_import("employees", example("medewerkers-export-excel.csv"))
    assert r.status_code == 200, r.text
    make_norm(db, title="Schelden en uitschelden", level=NormLevel.orange)
    make_norm(db, title="Dreigen met geweld", level=NormLevel.red)
    make_norm(db, title="Fysiek geweld", level=NormLevel.red)


def _count(db: Session, model: type) -> int:  # type: ignore[type-arg]
    return db.scalar(select(func.count()).select_from(model)) or 0


def test_the_export_imports_with_aftercare(post_import: Post, db: Session) -> None:
    _setup(post_import, db)
    dry = post_import("incidents", example(FILE), dry_run=True)
    assert dry.status_code == 200, dry.text
    assert dry.json()["created"] == 5 and _count(db, Incident) == 0
    r = post_import("incidents", example(FILE))
    assert r.status_code == 200, r.text
    assert r.json()["encoding"] == "windows-1252" and r.json()["created"] == 5
    # affected: 1 + 1 + 1 + 2 + 1 = 6 employees, two steps each
    assert _count(db, Incident) == 5 and _count(db, Aftercare) == 12
    again = post_import("incidents", example(FILE)).json()
    assert (again["created"], again["unchanged"]) == (0, 5)


def test_a_reimport_after_people_moved_team_leaves_the_incidents_alone(
    post_import: Post, client: TestClient, tenant: Tenant, db: Session
) -> None:
    # Stored reports are left alone: checked against today's teams, the export of an
    # incident whose people moved on since could not go back in.
    _setup(post_import, db)
    assert post_import("incidents", example(FILE)).status_code == 200
    moved = post_import("employees", b"Personeelsnummer;Team\n100231;T-AB-03\n")
    assert moved.status_code == 200, moved.text
    exported = client.get("/v1/exports/incidents", headers=tenant.admin)
    again = post_import("incidents", exported.content)
    assert again.status_code == 200, again.text
    assert again.json()["unchanged"] == again.json()["total"] == 5


def test_a_bad_row_rejects_the_file(post_import: Post, db: Session) -> None:
    _setup(post_import, db)
    text = example(FILE).decode("cp1252")
    bad = (
        text.replace("14-01-2025", "14-01-2099")  # future
        .replace(
            "M-2025-0031;03-02-2025;16:10;T-JW-01;FG-JW;Dreigen",
            "M-2025-0031;03-02-2025;16:10;T-JW-01;FG-JW;Onbekend",
        )
        .replace(";100233|100234;", ";100233|100231;")  # 100231 is of another team
    )
    r = post_import("incidents", bad.encode("cp1252"))
    problem = assert_problem(r, 422, "import-rejected")
    messages = " ".join(e["message"] for e in problem["errors"])
    assert "in the future" in messages
    assert "no norm" in messages
    assert "not a member of the incident's team" in messages
    assert _count(db, Incident) == 0 and _count(db, Aftercare) == 0


def test_export_leaves_descriptions_out(
    post_import: Post, db: Session, client: TestClient, tenant: Tenant
) -> None:
    _setup(post_import, db)
    post_import("incidents", example(FILE))
    r = client.get("/v1/exports/incidents", headers=tenant.read)
    assert r.status_code == 200, r.text
    text = r.content.decode("utf-8")
    assert "M-2025-0058" in text and "stoel" not in text
