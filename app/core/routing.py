"""What a path answers to, from the app's own route table (issue 19).

Starlette answers ``405`` with the methods of the first route whose path matched, so a
resource served by several routes (``GET`` and ``PATCH`` declared apart) advertised only
one of them in ``Allow``. And a literal path next to a parameterised one
(``/v1/personal-goals/check`` beside ``/v1/personal-goals/{goal_id}``) matched the
parameterised route for any other method, which then refused ``check`` as an id (``422``)
instead of saying the method is not allowed there. Both are answered here, for every route.
"""

from typing import Any

from fastapi.routing import iter_route_contexts
from starlette.types import ASGIApp

# The order methods are listed in (Allow headers read like the OpenAPI document).
_ORDER = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")


def _routes(app: ASGIApp) -> list[Any]:
    # Every route, those of included routers too (FastAPI keeps them per router).
    routes = getattr(app, "routes", ())
    return [r for r in iter_route_contexts(routes) if getattr(r, "path_regex", None)]


def _param_count(route: Any) -> int:
    return len(getattr(route, "param_convertors", None) or ())


def resource_methods(app: ASGIApp, path: str) -> tuple[list[str], int] | None:
    """The methods of the resource at ``path`` and how many path parameters it has.

    The resource is the most literal one: of the routes whose pattern matches ``path``,
    those with the fewest path parameters (``/check`` before ``/{goal_id}``). None when no
    route matches.
    """
    best: int | None = None
    methods: set[str] = set()
    for route in _routes(app):
        if route.path_regex.match(path) is None:
            continue
        params = _param_count(route)
        if best is None or params < best:
            best, methods = params, set(route.methods or ())
        elif params == best:
            methods |= set(route.methods or ())
    if best is None:
        return None
    if "GET" in methods:
        methods.add("HEAD")  # answered for every GET route (core/middleware.py)
    ordered = [m for m in _ORDER if m in methods] + sorted(methods - set(_ORDER))
    return ordered, best


def allow_header(app: ASGIApp, path: str) -> str | None:
    """The ``Allow`` value for ``path``: every method of its resource."""
    found = resource_methods(app, path)
    return ", ".join(found[0]) if found else None


def shadowed_method(app: ASGIApp, path: str, method: str, matched_params: int) -> str | None:
    """``Allow`` for a request a route with ``matched_params`` path parameters took although
    a more literal resource owns the path and does not take ``method``; None otherwise."""
    found = resource_methods(app, path)
    if found is None:
        return None
    methods, params = found
    if params < matched_params and method.upper() not in methods:
        return ", ".join(methods)
    return None
