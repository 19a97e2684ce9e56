"""One error contract (docs/errors.md): every code listed, `type` URIs that resolve, titles
in Dutch on request, `violations` on every 409 and `errors` on every 422."""

import json
import uuid
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.core.problems import CATALOGUE, codes, markdown, preferred_language
from tests.conftest import Tenant
from tests.factories.core import make_employee, make_team

ROOT = Path(__file__).resolve().parents[2]


def test_the_literal_and_the_catalogue_name_the_same_codes() -> None:
    # ProblemCode (checked by mypy wherever a code is raised) and problems.toml (titles and
    # explanations) must not drift apart.
    assert set(codes()) == set(CATALOGUE)
    for code, known in CATALOGUE.items():
        assert known.title and known.title_nl and known.explanation, code
        assert 400 <= known.status <= 599, code


def test_the_contract_lists_every_code_and_the_shape_per_status() -> None:
    document = json.loads((ROOT / "openapi" / "openapi.json").read_text())
    schemas = document["components"]["schemas"]
    assert schemas["Problem"]["properties"]["code"]["enum"] == sorted(CATALOGUE)
    assert "violations" in schemas["RefusalProblem"]["required"]
    assert "errors" in schemas["InvalidProblem"]["required"]
    expected = {"409": "RefusalProblem", "422": "InvalidProblem"}
    seen = set()
    for item in document["paths"].values():
        for operation in item.values():
            for status, response in operation.get("responses", {}).items():
                if status[0] in "45":
                    ref = response["content"]["application/problem+json"]["schema"]["$ref"]
                    assert ref.endswith("/" + expected.get(status, "Problem")), (status, ref)
                    seen.add(status)
    assert {"409", "422", "404"} <= seen
    assert (ROOT / "docs" / "errors.md").read_text() == markdown()


@pytest.mark.parametrize(
    ("header", "language"),
    [
        (None, "en"),
        ("nl", "nl"),
        ("nl-NL,nl;q=0.9,en;q=0.8", "nl"),
        ("en-GB,en;q=0.9,nl;q=0.8", "en"),
        ("de-DE, nl;q=0.5", "nl"),
        ("de", "en"),
        ("nl;q=0", "en"),
        ("nl;q=abc, en", "en"),
    ],
)
def test_the_language_is_the_callers_best_of_dutch_and_english(
    header: str | None, language: str
) -> None:
    assert preferred_language(header) == language


def _problem(answer: Any, status: int, code: str) -> dict[str, Any]:
    assert answer.status_code == status, answer.text
    assert answer.headers["content-type"] == "application/problem+json"
    body: dict[str, Any] = answer.json()
    assert body["code"] == code and body["type"] == f"/problems/{code}"
    return body


def test_a_problems_type_resolves_to_its_explanation_in_either_language(
    client: TestClient, tenant: Tenant
) -> None:
    missing = f"/v1/teams/{uuid.uuid4()}"
    body = _problem(client.get(missing, headers=tenant.read), 404, "not-found")
    assert body["title"] == "Not found"
    page = client.get(body["type"])
    assert page.status_code == 200
    assert page.json() == {
        "code": "not-found",
        "status": 404,
        "title": "Not found",
        "explanation": CATALOGUE["not-found"].explanation,
    }

    dutch = {**tenant.read, "Accept-Language": "nl-NL,nl;q=0.9"}
    assert _problem(client.get(missing, headers=dutch), 404, "not-found")["title"] == (
        "Niet gevonden"
    )
    assert client.get(body["type"], headers=dutch).json()["title"] == "Niet gevonden"
    listed = client.get("/problems").json()
    assert [p["code"] for p in listed] == sorted(CATALOGUE)

    unknown = _problem(client.get("/problems/no-such-code"), 404, "not-found")
    assert "GET /problems" in unknown["detail"]


def test_every_409_carries_violations(client: TestClient, db: Session, tenant: Tenant) -> None:
    # This refusal names no rule of its own: the contract still gives one violation.
    staffed = make_team(db)
    make_employee(db, team_id=staffed.id)
    body = _problem(
        client.delete(f"/v1/teams/{staffed.id}", headers=tenant.write), 409, "team-has-employees"
    )
    assert body["violations"] == [{"rule": "team-has-employees", "message": body["detail"]}]


def test_every_422_carries_errors(client: TestClient, tenant: Tenant) -> None:
    # Refused in the middleware, before any route: still the one shape.
    answer = client.post(
        "/v1/teams",
        headers={**tenant.write, "Idempotency-Key": "not visible\x7f"},
        json={"name": "A"},
    )
    body = _problem(answer, 422, "invalid-idempotency-key")
    assert body["errors"] == [{"pointer": "", "detail": body["detail"]}]
    # A schema refusal keeps its field pointers.
    body = _problem(
        client.post("/v1/teams", headers=tenant.write, json={"name": 5}), 422, "validation-error"
    )
    assert body["errors"][0]["pointer"] == "/name"
