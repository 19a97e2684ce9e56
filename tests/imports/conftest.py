"""Fixtures of the import tests: files from examples/, and a helper to post them."""

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from httpx import Response
from sqlmodel import Session

from app.core.tenancy import bind_organisation
from tests.conftest import Tenant

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"

Post = Callable[..., Response]


def example(name: str) -> bytes:
    """The bytes of a file in examples/, exactly as committed."""
    return (EXAMPLES / name).read_bytes()


@pytest.fixture
def post_import(client: TestClient, tenant: Tenant, db: Session) -> Post:
    """``post_import(kind, body, **query)``: POST a CSV (bytes/str) or JSON (list) body."""

    def _post(
        kind: str,
        body: bytes | str | list[Any],
        *,
        headers: dict[str, str] | None = None,
        **params: Any,
    ) -> Response:
        h = dict(tenant.write)
        if isinstance(body, list):
            h["Content-Type"] = "application/json"
            import json

            content = json.dumps(body).encode()
        else:
            h["Content-Type"] = "text/csv"
            content = body.encode() if isinstance(body, str) else body
        h.update(headers or {})
        query = {k: str(v).lower() if isinstance(v, bool) else v for k, v in params.items()}
        response = client.post(f"/v1/imports/{kind}", content=content, headers=h, params=query)
        # The request's session override clears the binding: scope the test's queries again.
        bind_organisation(db, tenant.id)
        return response

    return _post


@pytest.fixture
def org_structure(post_import: Post) -> None:
    """The function groups and teams the Dutch Excel example refers to."""
    assert post_import("function-groups", example("function-groups.csv")).status_code == 200
    assert post_import("teams", example("teams.csv")).status_code == 200
