"""Every domain router, served under /v1: its routes registered on the app itself, flat.

Since 0.137, ``include_router`` keeps an included router as one node, and on every request
FastAPI asks each node in turn whether one of its routes matches: it tries every route of
every earlier domain, then that of the matching one twice (once to choose the node, once to
choose the route), with per-route bookkeeping each time. A request's routing grew with its
route's place in the list: in-process, a refused `/v1/employees/{id}` (the first routes)
cost 0.19 ms, `/v1/reports/overview` 0.62 ms, a 404 0.72 ms (docs/performance.md). So the app
registers each domain's routes itself (``add_routes``), as ``include_router`` did before:
plain routes, each matched once by its path pattern. (An upstream change that lets FastAPI
skip a node whose prefix cannot match, fastapi/fastapi#16159, is not released.)
"""

from collections.abc import Sequence
from typing import Any

from fastapi import APIRouter, Depends, FastAPI, params
from fastapi.routing import APIRoute
from starlette.routing import Match
from starlette.types import Scope

from app.audit.router import router as audit_router
from app.changes.router import router as changes_router
from app.core.input_guard import reject_unstorable_input
from app.followup.router import router as followup_router
from app.identity.router import admin_router as identity_admin_router
from app.identity.router import router as identity_router
from app.imports.router import mappings_router as import_mappings_router
from app.imports.router import router as imports_router
from app.incidents.router import router as incidents_router
from app.learning.router import router as learning_router
from app.organisation.router import router as organisation_router
from app.policy.router import router as policy_router
from app.reports.router import router as reports_router
from app.selection.router import router as selection_router
from app.training.method_router import router as training_method_router
from app.training.router import router as training_router
from app.webhooks.router import router as webhooks_router

DOMAIN_ROUTERS: tuple[APIRouter, ...] = (
    organisation_router,
    policy_router,
    learning_router,
    training_router,
    training_method_router,
    incidents_router,
    selection_router,
    followup_router,
    reports_router,
    imports_router,
    import_mappings_router,
    audit_router,
    changes_router,
    webhooks_router,
    identity_router,
    identity_admin_router,
)
# Every /v1 route refuses NUL bytes, lone surrogates and unstorable numbers (core/input_guard).
V1_DEPENDENCIES = [Depends(reject_unstorable_input)]


def include_v1(app: FastAPI) -> None:
    """Serve every domain router under /v1, in this order (routes match in order)."""
    for domain_router in DOMAIN_ROUTERS:
        add_routes(app, domain_router, prefix="/v1", dependencies=V1_DEPENDENCIES)


# What a route keeps as it is when add_routes registers it on the app: every setting of
# add_api_route but those it combines with the inclusion's (path, tags, dependencies,
# responses) and the route class.
_ROUTE_SETTINGS = (
    "response_model",
    "status_code",
    "summary",
    "description",
    "response_description",
    "deprecated",
    "methods",
    "operation_id",
    "response_model_include",
    "response_model_exclude",
    "response_model_by_alias",
    "response_model_exclude_unset",
    "response_model_exclude_defaults",
    "response_model_exclude_none",
    "include_in_schema",
    "response_class",
    "name",
    "callbacks",
    "openapi_extra",
    "generate_unique_id_function",
    "strict_content_type",
    "max_body_size",
    "form_limits",
)


def add_routes(
    app: FastAPI,
    router: APIRouter,
    *,
    prefix: str = "",
    dependencies: Sequence[params.Depends] = (),
) -> None:
    """Register ``router``'s routes on the app's own router under ``prefix`` (module doc).

    What ``include_router`` would give each route, it gets here: the prefix, the
    inclusion's dependencies before its own, and the app's defaults (operation ids, response
    class) where the route has none. A domain router holds API routes only.
    """
    for route in router.routes:
        if not isinstance(route, APIRoute):
            raise TypeError(f"{route!r}: a domain router holds API routes only")
        app.router.add_api_route(
            prefix + route.path,
            route.endpoint,
            tags=list(route.tags),
            dependencies=[*dependencies, *route.dependencies],
            responses=dict(route.responses),
            route_class_override=LiteralPrefixRoute,
            **{name: getattr(route, name) for name in _ROUTE_SETTINGS},
        )


class LiteralPrefixRoute(APIRoute):
    """An API route that turns away, before its pattern, a path not under its literal start.

    Routes are tried one by one (module doc); most of them fail for any given request, and
    the pattern's failure costs FastAPI's per-route bookkeeping first. Every path the
    pattern matches begins with the route's path up to its first parameter (the pattern is
    built from that same text), so the check refuses nothing the pattern would take. Behind
    a ``root_path`` the path starts with that prefix instead, and the pattern decides alone.
    """

    def __init__(self, path: str, endpoint: Any, **kwargs: Any) -> None:
        super().__init__(path, endpoint, **kwargs)
        self.literal_start = path.split("{", 1)[0]

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        if (
            scope["type"] == "http"
            and not scope.get("root_path")
            and not scope["path"].startswith(self.literal_start)
        ):
            return Match.NONE, {}
        return super().matches(scope)
