"""Property-based API testing with schemathesis (issue 10).

Every operation of the OpenAPI document, in-process against the app, for an organisation
seeded with one resource of each kind and called with its admin key. Path ids are
replaced by the seeded resources so the success responses are exercised too (random
UUIDs only ever reach the 404). Checks: no 5xx, and every response's status code, content
type, headers and body conform to what the document declares.

Bounded for CI by VEERKRACHT_SCHEMATHESIS_EXAMPLES (default 5 per operation); the longer
run is documented in docs/reliability.md:

    VEERKRACHT_SCHEMATHESIS_EXAMPLES=200 .venv/bin/python -m pytest \
        tests/reliability/test_schemathesis.py -p no:randomly -q
"""

import os
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from sqlalchemy import Engine

from app.core import engine as core_engine
from tests.conftest import _tenant
from tests.helpers import built_app
from tests.reliability.registry import MAKERS, World, prepare

EXAMPLES = int(os.environ.get("VEERKRACHT_SCHEMATHESIS_EXAMPLES", "5"))
APP = built_app()
schema = schemathesis.openapi.from_asgi("/openapi.json", APP)
schema.config.generation.update(modes=[GenerationMode.POSITIVE], max_examples=EXAMPLES)
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]
FIGURES: dict[str, int] = {}


@pytest.fixture(scope="module")
def seeded(engine: Engine) -> Iterator[tuple[dict[str, str], dict[str, str]]]:
    """A committed organisation with one resource of each kind: (admin headers, ids)."""
    session = core_engine.new_session(engine)
    try:
        tenant = _tenant(session, f"Stichting Schemathesis {uuid.uuid4().hex[:6]}")
        session.commit()
    finally:
        session.close()
    with TestClient(APP, raise_server_exceptions=False) as client:
        world = prepare(World(client, tenant))
        ids = {name: world.id(name) for name in MAKERS}
    yield tenant.admin, ids
    if FIGURES:
        total = sum(FIGURES.values())
        print(f"\nschemathesis: {len(FIGURES)} operations, {total} examples")  # noqa: T201


@schema.parametrize()
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
)
def test_api_conforms_to_its_openapi_document(
    case: Any, seeded: tuple[dict[str, str], dict[str, str]]
) -> None:
    headers, ids = seeded
    for name in list(case.path_parameters or {}):
        if name in ids:
            case.path_parameters[name] = ids[name]
    key = f"{case.method.upper()} {case.path}"
    FIGURES[key] = FIGURES.get(key, 0) + 1
    case.call_and_validate(headers={**(case.headers or {}), **headers}, checks=CHECKS)
