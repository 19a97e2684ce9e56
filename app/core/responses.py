"""The ``responses=`` every route declares, so the OpenAPI document shows all it sends.

Errors are problem documents (core/errors.py). A single resource carries its ``ETag``
(core/concurrency.py) and a 201 the ``Location`` of what it created: the frontend team and
HR platforms build from the document alone, so a header the API sends is declared here,
once, and routes pick the set that fits. tests/reliability/test_declared_headers.py sends a
request to every route and fails when a header is sent but not declared, or the reverse.
"""

from typing import Any

from app.core.errors import problem_responses

Responses = dict[int | str, dict[str, Any]]

ETAG_HEADER = {
    "ETag": {
        "description": "The version of this resource; send it as `If-Match` to change or "
        "delete only this version (412 when it moved on).",
        "schema": {"type": "string"},
    }
}
LOCATION_HEADER = {
    "Location": {
        "description": "Where the created resource can be read with GET.",
        "schema": {"type": "string", "format": "uri-reference"},
    }
}

READ: Responses = problem_responses(401, 403, 404, 422)
WRITE: Responses = problem_responses(401, 403, 404, 409, 412, 413, 415, 422)


def with_headers(
    responses: Responses, status: int, description: str, *, etag: bool, location: bool
) -> Responses:
    """``responses`` plus the success ``status`` with the headers it carries."""
    headers = {**(ETAG_HEADER if etag else {}), **(LOCATION_HEADER if location else {})}
    return {**responses, status: {"description": description, "headers": headers}}


# One resource read, changed or acted on (GET, PATCH, PUT, POST .../publish): its ETag.
READ_ONE = with_headers(READ, 200, "The resource", etag=True, location=False)
WRITE_ONE = with_headers(WRITE, 200, "The resource as it is now", etag=True, location=False)
# One resource created: its ETag and where to read it.
CREATED = with_headers(WRITE, 201, "Created", etag=True, location=True)
# Several resources created at once: where to find them (a filtered list); no single ETag.
CREATED_MANY = with_headers(WRITE, 201, "Created", etag=False, location=True)
