"""The ASGI application: middleware, error handlers, routers, health and OpenAPI."""

import gc
import json
import logging
import os
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import Any

from anyio import to_thread
from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from fastapi.openapi.utils import get_openapi
from fastapi.routing import APIRoute, iter_route_contexts
from sqlalchemy import text
from sqlmodel import Session
from starlette.routing import BaseRoute

from app import models as _models  # noqa: F401  (every table mapped before the first query)
from app.api import add_routes, include_v1
from app.core.concurrency import NotModifiedMiddleware
from app.core.config import Settings, get_settings
from app.core.db import Database, DatabaseBusy
from app.core.docs import install_docs
from app.core.errors import (
    PROBLEM_JSON,
    PROBLEM_SCHEMAS,
    Problem,
    ServiceUnavailable,
    install_error_handlers,
    problem_responses,
)
from app.core.idempotency import IdempotencyMiddleware, document_idempotency
from app.core.logging import configure_logging
from app.core.middleware import RequestContextMiddleware
from app.core.openapi_examples import add_examples
from app.core.problems import install_problem_pages
from app.domains import register_domains
from app.scim.errors import ScimErrorMiddleware
from app.scim.router import router as scim_router

log = logging.getLogger("veerkracht.health")
# After the grace period, how long cancelled requests may take to leave the database.
STUCK_AFTER_SHUTDOWN_SECONDS = 2.0

DESCRIPTION = """\
Veerkracht helps Dutch social-work organisations select and run the right aggression
training for their staff, following the *Complete agressie-aanpak* (Sociaal Werk werkt!):
norms, the aggression protocol, learning goals, function groups, trainings (managers
first) and follow-up.

Authenticate with `Authorization: Bearer <api key>`. Errors are RFC 9457
`application/problem+json` documents with a stable `code`.
"""


def _ping(db: Session) -> None:
    db.execute(text("SELECT 1"))


def _operation_id(route: APIRoute) -> str:
    # The route function's name is the operationId (`list_employees`): stable and readable.
    return route.name


# Set once the startup objects are frozen (_lifespan).
_startup_frozen = False


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    # All database work runs in this loop's worker threads (core/db.py); the pool of them is
    # sized from the settings, larger than the connection pool (checked by Settings).
    to_thread.current_default_thread_limiter().total_tokens = app.state.settings.threads
    # What exists at startup (routes, models, compiled validators, mappers) lives as long as
    # the process. Freezing it takes it out of the cyclic collector's reach: its full
    # collections, triggered by the garbage every request leaves, no longer walk those
    # hundreds of thousands of objects each time (figures: docs/performance.md). Once per
    # process: a second app in the same process (tests) finds the startup objects frozen
    # already. The process remembers that it froze them: gc.get_freeze_count() walks every
    # frozen object.
    global _startup_frozen
    if not _startup_frozen:
        gc.collect()
        gc.freeze()
        _startup_frozen = True
    yield
    # Shutting down: uvicorn has let requests in flight finish for shutdown_grace_seconds
    # and cancelled the rest. A request whose thread waits in the database (for a lock held
    # elsewhere) cannot be cancelled, and the process would live until that lock is gone.
    # Its transaction was never committed; the database rolls it back when we are gone.
    database: Database = app.state.database
    if not await database.drained(timeout=STUCK_AFTER_SHUTDOWN_SECONDS):
        log.warning(
            "exiting with database work still in flight", extra={"units": database.in_flight}
        )
        logging.shutdown()
        os._exit(0)
    await database.dispose()


def create_app(settings: Settings | None = None, database: Database | None = None) -> FastAPI:
    """Build the application; ``database`` defaults to the configured one (core/db.py)."""
    settings = settings or get_settings()
    database = database or Database.from_settings(settings)
    configure_logging(settings.log_level)
    app = FastAPI(
        title="Veerkracht API",
        version="1.0.0",
        description=DESCRIPTION,
        generate_unique_id_function=_operation_id,
        lifespan=_lifespan,
        # Served from the assets the app ships (core/docs.py), not from a CDN.
        docs_url=None,
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.database = database
    install_error_handlers(app)
    register_domains()

    # Routes are matched in order, one by one: the probes come first so a load balancer's
    # checks do not walk every API route.
    @app.get("/healthz", tags=["operations"])
    async def healthz() -> dict[str, str]:
        """Liveness: the process answers."""
        return {"status": "ok"}

    @app.get("/readyz", tags=["operations"], responses=problem_responses(503))
    async def readyz() -> dict[str, str]:
        """Readiness: the database answers (503 problem when it does not)."""
        try:
            await database.read(_ping)
        except DatabaseBusy:
            raise
        except Exception as exc:
            log.warning("database not reachable", extra={"error": str(exc)[:300]})
            raise ServiceUnavailable(
                "The database is not reachable.", code="not-ready", headers={"Retry-After": "5"}
            ) from None
        return {"status": "ready"}

    install_problem_pages(app)
    include_v1(app)
    # SCIM 2.0 provisioning (app/scim): its own base path and protocol, outside /v1.
    add_routes(app, scim_router)
    install_docs(app)

    # Innermost: replays or runs POSTs with an Idempotency-Key (core/idempotency.py), after
    # the size and content-type checks of the middleware below.
    app.add_middleware(NotModifiedMiddleware)
    app.add_middleware(IdempotencyMiddleware, database=database)
    # Added first, so it runs inside CORS: the request id, limits and last-resort 500.
    app.add_middleware(
        RequestContextMiddleware,
        max_body_bytes=settings.max_body_bytes,
        max_import_bytes=settings.max_import_bytes,
    )
    # Around it, so its refusals (413, 415) under /scim/v2 are SCIM errors too.
    app.add_middleware(ScimErrorMiddleware)
    if settings.cors_origins:
        # Outermost, so every answer (413/415/500 from the middleware above included)
        # carries the CORS headers the frontend needs to read it.
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_credentials=False,
            allow_methods=["GET", "POST", "PATCH", "PUT", "DELETE"],
            allow_headers=[
                "Authorization",
                "Content-Type",
                "If-Match",
                "If-None-Match",
                "Idempotency-Key",
                "X-Request-ID",
            ],
            expose_headers=[
                "ETag",
                "Location",
                "X-Request-ID",
                "Retry-After",
                "Idempotent-Replayed",
                "Content-Disposition",
            ],
        )
    app.openapi = lambda: _openapi(app)  # type: ignore[method-assign]
    return app


DOMAIN_NAMES = {"followup": "Follow-up"}
HTTP_METHODS = frozenset({"get", "put", "post", "delete", "options", "head", "patch", "trace"})
TAG_DESCRIPTIONS = {
    "organisation": "The caller's organisation and its settings.",
    "api-keys": "API keys of the organisation (admin).",
    "teams": "Teams and their managers.",
    "function-groups": "Function groups and their exposure to aggression.",
    "employees": "Employees, synchronised from HR platforms by `external_id`.",
    "norms": "Step 1: the organisation's and teams' norms for client behaviour (green, orange, "
    "red) with how to respond.",
    "protocols": "Step 1: the versioned aggression protocol; publishing makes a version current.",
    "acknowledgements": "Step 2: who read the protocol in force (protocol readiness).",
    "team-discussions": "Step 2: teams that discussed the protocol together.",
    "skills": "The nine skills of the method, and the organisation's own.",
    "organisation-goals": "Step 3: objectives of the organisation as a whole, which team "
    "goals serve.",
    "team-goals": "Step 3: a team's objectives over the skills.",
    "personal-goals": "Step 3: personal goals; each must serve an active objective of the "
    "employee's team.",
    "training-programs": "Step 4: the catalogue of trainings, per skill and audience.",
    "training-sessions": "Step 4: scheduled sessions of a programme, completed after they ran.",
    "training-reflections": "Step 4: each participant's preparation before a session: the "
    "personal goals they bring and the situation they want to practise.",
    "training-evaluations": "Step 4: after a session, per participant: attendance, their "
    "feedback, the trainer's note and the personal goals reached.",
    "enrolments": "Step 4: people in sessions, under the rules (managers first, protocol read).",
    "training-records": "What each employee was trained in, and until when it is current.",
    "reports": "Read-only figures and CSV exports over the whole method.",
    "training-recommendations": "Selecting the training: programmes ranked by the open need, "
    "with their reasons.",
    "training-plans": "Phased plans for groups of comparable functions, managers first, and "
    "their scheduling.",
    "follow-up-items": "Step 5: action points after training, owned by an employee or a team.",
    "practice-reviews": "Step 5: periodic reviews of how the skills hold up in practice.",
    "team-meetings": "Step 5: team meetings with 'Veilig en veerkrachtig werken' on the agenda.",
    "hrm-conversations": "Step 5: HRM conversations that discuss the theme and personal goals.",
    "imports": "Bulk CSV (Dutch Excel) and JSON imports, with dry runs.",
    "import-mappings": "The organisation's mappings of HR export values: `Functie` to "
    "function group, role words (`Coördinator`) to roles.",
    "audit-events": "The audit trail of every write (admin), and erasure.",
    "changes": "The change feed: every create, update and delete, and the derived status "
    "events, in commit order; and the employee status in bulk.",
    "webhook-subscriptions": "Signed webhooks (Standard Webhooks) for change events (admin).",
    "users": "People who sign in with the organisation's identity provider, and their roles "
    "(admin).",
    "identity-providers": "The organisation's OpenID Connect identity providers (admin).",
    "me": "The signed-in user or key: roles, employee, teams and what they may do.",
    "incidents": "Aggression incidents: who was involved, which norm was crossed.",
    "aftercare": "Aftercare of the people affected by an incident (sensitive).",
    "risk-analysis": "Incidents beside the entered risk assessment, per function group.",
    "operations": "Liveness and readiness.",
    "problems": "What each problem `code` means: a problem document's `type` URI resolves here.",
}


def _openapi(app: FastAPI) -> dict[str, Any]:
    """The OpenAPI document: every 4xx/5xx a problem document, tags grouped per domain."""
    if app.openapi_schema:
        return app.openapi_schema
    schema = get_openapi(
        title=app.title, version=app.version, description=app.description, routes=app.routes
    )
    document_idempotency(schema)
    _sync_token_expiry(schema)
    _problem_responses(schema)
    _common_headers(schema)
    _public_operations(schema)
    # Relative: the document describes whichever instance serves it.
    schema["servers"] = [{"url": "/", "description": "The instance serving this document"}]
    schema["info"]["license"] = {"name": "Proprietary", "identifier": "LicenseRef-Proprietary"}
    schema["info"]["contact"] = {"name": "The Veerkracht team"}
    schema["tags"], schema["x-tagGroups"] = _tags(app.routes)
    add_examples(schema)
    app.openapi_schema = schema
    return schema


# The bearer challenges (RFC 6750, section 3) a client reads to know what to do next.
_CHALLENGES = {
    "401": 'Always: `Bearer realm="veerkracht"`, with `error="invalid_token"` when a sign-in '
    "token was sent and refused.",
    "403": 'With the code `insufficient-scope`: `Bearer ... error="insufficient_scope", '
    'scope="..."` naming what the operation needs (`write`, `admin`, `scim`, `sensitive`).',
}


def _problem_responses(schema: dict[str, Any]) -> None:
    # FastAPI declares its own 422 shape (HTTPValidationError); the API answers every error,
    # declared or not, with a Problem. Every operation may also fail unexpectedly (500).
    # A 409 always carries `violations` and a 422 always `errors` (docs/errors.md): their
    # answers refer to the schemas that say so, so a typed client may rely on them.
    schemas = schema.setdefault("components", {}).setdefault("schemas", {})
    models: list[type[Problem]] = [Problem, *PROBLEM_SCHEMAS.values()]
    for model in models:
        definition = model.model_json_schema(ref_template="#/components/schemas/{model}")
        for name, nested in definition.pop("$defs", {}).items():
            schemas.setdefault(name, nested)
        schemas[model.__name__] = definition
    for path, path_item in schema.get("paths", {}).items():
        for method, operation in path_item.items():
            if method not in HTTP_METHODS:
                continue
            responses = operation.setdefault("responses", {})
            # Any request can be unreadable (a Content-Length that is not a number: refused
            # by the middleware before routing) or fail unexpectedly.
            responses.setdefault("400", {"description": "Unreadable request"})
            responses.setdefault("500", {"description": "Unexpected error"})
            if path.startswith(("/v1/", "/scim/v2/")):
                # Every API request reads the database (its key, at least): busy or
                # unreachable, it is answered 503 with Retry-After (database-busy,
                # database-unavailable), and a client should retry then.
                responses.setdefault(
                    "503",
                    {
                        "description": "The database is busy or unreachable; retry after "
                        "`Retry-After` seconds."
                    },
                )
            for status, response in responses.items():
                if status[:1] in ("4", "5"):
                    model = PROBLEM_SCHEMAS.get(int(status), Problem)
                    ref = f"#/components/schemas/{model.__name__}"
                    response["content"] = {PROBLEM_JSON: {"schema": {"$ref": ref}}}
                    if status in _CHALLENGES:
                        response.setdefault("headers", {})["WWW-Authenticate"] = {
                            "description": _CHALLENGES[status],
                            "schema": {"type": "string"},
                        }
                    if status == "422":
                        response["description"] = "Invalid input"
    schemas.pop("HTTPValidationError", None)
    if "#/components/schemas/ValidationError" not in json.dumps(schema):
        schemas.pop("ValidationError", None)


_HEADERS = {
    "RequestId": {
        "description": "The request's id: the `X-Request-ID` sent (up to 128 letters, digits "
        "and `._:-`) or a new one; the access log carries it, so quote it when reporting.",
        "schema": {"type": "string"},
    },
    "IdempotentReplayed": {
        "description": "`true` when this is the stored answer (any status below 500) of an "
        "earlier request with the same `Idempotency-Key`: nothing ran again.",
        "schema": {"type": "string", "enum": ["true"]},
    },
    "RetryAfter": {
        "description": "Seconds to wait before retrying: on a 503, until the database (or the "
        "identity provider) should answer again; on a POST's 409 `idempotency-key-in-use`, "
        "until the first request with this key should have finished.",
        "schema": {"type": "integer", "minimum": 1},
    },
}


def _common_headers(schema: dict[str, Any]) -> None:
    # Headers the middleware and the idempotency layer add to answers of every route: the
    # frontend team builds from the document alone, so they are declared once, as
    # components, and referred to (tests/reliability/test_declared_headers.py).
    schema.setdefault("components", {})["headers"] = _HEADERS
    for path_item in schema.get("paths", {}).values():
        for method, operation in path_item.items():
            if method not in HTTP_METHODS:
                continue
            for status, response in operation.get("responses", {}).items():
                headers = response.setdefault("headers", {})
                headers["X-Request-ID"] = {"$ref": "#/components/headers/RequestId"}
                if status == "503" or (method == "post" and status == "409"):
                    headers["Retry-After"] = {"$ref": "#/components/headers/RetryAfter"}
                # Every answer below 500 is stored and replayed (core/idempotency.py).
                if method == "post" and status[:1] in "1234":
                    headers["Idempotent-Replayed"] = {
                        "$ref": "#/components/headers/IdempotentReplayed"
                    }


def _sync_token_expiry(schema: dict[str, Any]) -> None:
    # A list that takes `sync_token` answers 410 cursor-expired when the token is older than
    # the change feed's retention (core/pagination.py): declared where the parameter is, so
    # a client generated from the document knows to start a full scan again.
    for path_item in schema.get("paths", {}).values():
        for method, operation in path_item.items():
            names = {p.get("name") for p in operation.get("parameters", [])}
            if method in HTTP_METHODS and "sync_token" in names:
                operation["responses"].setdefault(
                    "410",
                    {
                        "description": "The sync_token is older than the change feed's "
                        "retention: scan the list again without it (code cursor-expired)."
                    },
                )


def _public_operations(schema: dict[str, Any]) -> None:
    # Operations no key guards (probes, problem pages) say so, instead of leaving a reader to
    # guess whether a document-wide requirement applies.
    for path_item in schema.get("paths", {}).values():
        for method, operation in path_item.items():
            if method in HTTP_METHODS:
                operation.setdefault("security", [])


def _tags(routes: Sequence[BaseRoute]) -> tuple[list[dict[str, str]], list[dict[str, Any]]]:
    # Tags are per resource; x-tagGroups (ReDoc) gathers them per domain package, taken from
    # the module of the route function (app/<domain>/router.py).
    groups: dict[str, list[str]] = {}
    for route in iter_route_contexts(routes):
        if not isinstance(route.original_route, APIRoute) or not route.include_in_schema:
            continue
        parts = route.original_route.endpoint.__module__.split(".")
        domain = parts[1] if len(parts) > 2 and parts[0] == "app" else "operations"
        group = groups.setdefault(domain, [])
        for tag in route.tags:
            name = str(tag)
            if not any(name in g for g in groups.values()):
                group.append(name)
    tags = [
        # A new tag without a description fails here, so the contract never lacks one.
        {"name": t, "description": TAG_DESCRIPTIONS[t]}
        for group in groups.values()
        for t in group
    ]
    tag_groups = [
        {"name": DOMAIN_NAMES.get(domain, domain.capitalize()), "tags": group}
        for domain, group in groups.items()
        if group
    ]
    return tags, tag_groups


app = create_app()
