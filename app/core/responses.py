"""Lean JSON responses for the hottest read paths.

FastAPI validates a returned model against the response model and then serialises it,
which for a page of 100 employees costs more than the query. Where the rows come straight
from our own columns (already valid), routes build the JSON with pydantic-core's
serialiser instead and declare ``response_model=`` so the OpenAPI document is unchanged.
"""

from collections.abc import Mapping
from typing import Any

from pydantic_core import to_json
from starlette.responses import Response


def json_response(
    content: Any, *, status_code: int = 200, headers: Mapping[str, str] | None = None
) -> Response:
    """``content`` (dicts, lists, UUIDs, datetimes, dates) as an application/json response."""
    return Response(
        to_json(content), status_code=status_code, headers=headers, media_type="application/json"
    )
