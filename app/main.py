"""The ASGI application: middleware, error handlers, routers, health and OpenAPI."""

from typing import Any

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from fastapi.openapi.utils import get_openapi
from fastapi.routing import APIRoute
from sqlalchemy import text
from starlette.responses import JSONResponse, Response

from app import models as _models  # noqa: F401  (every table mapped before the first query)
from app.api import api_router
from app.core.config import Settings, get_settings
from app.core.db import get_engine
from app.core.errors import PROBLEM_JSON, Problem, install_error_handlers, problem_response
from app.core.logging import configure_logging
from app.core.middleware import RequestContextMiddleware

DESCRIPTION = """\
Veerkracht helps Dutch social-work organisations select and run the right aggression
training for their staff, following the *Complete agressie-aanpak* (Sociaal Werk werkt!):
norms, the aggression protocol, learning goals, function groups, trainings (managers
first) and follow-up.

Authenticate with `Authorization: Bearer <api key>`. Errors are RFC 9457
`application/problem+json` documents with a stable `code`.
"""


def _operation_id(route: APIRoute) -> str:
    return route.name


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the application."""
    settings = settings or get_settings()
    configure_logging(settings.log_level)
    app = FastAPI(
        title="Veerkracht API",
        version="1.0.0",
        description=DESCRIPTION,
        generate_unique_id_function=_operation_id,
    )
    install_error_handlers(app)
    app.include_router(api_router)

    @app.get("/healthz", tags=["operations"], include_in_schema=True)
    def healthz() -> dict[str, str]:
        """Liveness: the process answers."""
        return {"status": "ok"}

    @app.get(
        "/readyz",
        tags=["operations"],
        responses={503: {"model": Problem, "description": "Database unavailable"}},
    )
    def readyz() -> Response:
        """Readiness: the database answers."""
        try:
            with get_engine().connect() as conn:
                conn.execute(text("SELECT 1"))
        except Exception:
            return problem_response(503, "not-ready", detail="The database is not reachable.")
        return JSONResponse({"status": "ready"})

    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_credentials=False,
            allow_methods=["GET", "POST", "PATCH", "PUT", "DELETE"],
            allow_headers=[
                "Authorization",
                "Content-Type",
                "If-Match",
                "Idempotency-Key",
                "X-Request-ID",
            ],
            expose_headers=["ETag", "Location", "X-Request-ID"],
        )
    app.add_middleware(
        RequestContextMiddleware,
        max_body_bytes=settings.max_body_bytes,
        max_import_bytes=settings.max_import_bytes,
    )
    app.openapi = lambda: _openapi(app)  # type: ignore[method-assign]
    return app


def _openapi(app: FastAPI) -> dict[str, Any]:
    """The OpenAPI document, with every error response as a problem document."""
    if app.openapi_schema:
        return app.openapi_schema
    schema = get_openapi(
        title=app.title,
        version=app.version,
        description=app.description,
        routes=app.routes,
        tags=app.openapi_tags,
    )
    problem_ref = {"$ref": "#/components/schemas/Problem"}
    for path_item in schema.get("paths", {}).values():
        for op in path_item.values():
            for status, resp in op.get("responses", {}).items():
                if status[0] in "45":
                    resp["content"] = {PROBLEM_JSON: {"schema": problem_ref}}
                    if status == "422":
                        resp["description"] = "Invalid input"
    comps = schema.setdefault("components", {}).setdefault("schemas", {})
    for name in ("HTTPValidationError", "ValidationError"):
        comps.pop(name, None)
    comps.setdefault(
        "Problem", Problem.model_json_schema(ref_template="#/components/schemas/{model}")
    )
    for sub in ("FieldError", "Violation"):
        defs = comps["Problem"].pop("$defs", {})
        for k, v in defs.items():
            comps.setdefault(k, v)
        del sub
    app.openapi_schema = schema
    return schema


app = create_app()
