"""Every request body and answer of the contract has an example, valid for its schema
(issue 19, item 5): a wrong example would teach a client the wrong thing."""

import copy
from typing import Any

import jsonschema_rs

from tests.helpers import built_app

DOCUMENT = built_app().openapi()


def _contents() -> list[tuple[str, dict[str, Any]]]:
    out = []
    for path, item in DOCUMENT["paths"].items():
        for method, op in item.items():
            if not isinstance(op, dict) or "responses" not in op:
                continue
            for mt, c in op.get("requestBody", {}).get("content", {}).items():
                out.append((f"{method.upper()} {path} request {mt}", c))
            for status, response in op["responses"].items():
                for mt, c in response.get("content", {}).items():
                    out.append((f"{method.upper()} {path} {status} {mt}", c))
    return out


def test_every_body_and_answer_has_an_example() -> None:
    missing = [name for name, c in _contents() if "example" not in c and "examples" not in c]
    assert missing == []


def test_every_example_is_valid_for_its_schema() -> None:
    components = copy.deepcopy(DOCUMENT["components"])
    invalid = []
    for name, content in _contents():
        schema = {**content.get("schema", {}), "components": components}
        if schema.get("format") == "binary":
            continue
        validator = jsonschema_rs.Draft202012Validator(schema)
        errors = [e.message for e in validator.iter_errors(content["example"])]
        if errors:
            invalid.append((name, errors[:2]))
    assert invalid == []


def test_a_problem_example_shows_its_status() -> None:
    responses = DOCUMENT["paths"]["/v1/teams"]["post"]["responses"]
    example = responses["409"]["content"]["application/problem+json"]["example"]
    assert example["status"] == 409 and example["violations"]
    example = responses["422"]["content"]["application/problem+json"]["example"]
    assert example["code"] == "validation-error" and example["errors"]
