"""Domain routers are included by the app itself, one level deep (app/api.py include_v1).

FastAPI walks included routers level by level on every request; the extra /v1 level cost a
read about 0.6 ms. A nested router slipping back in would bring that cost back silently.
"""

from fastapi.routing import APIRoute
from fastapi.routing import _IncludedRouter as IncludedRouter  # the router's own type

from app.api import DOMAIN_ROUTERS
from app.main import create_app
from app.scim.router import router as scim_router


def test_domain_routers_are_included_directly_under_v1() -> None:
    app = create_app()
    included = [r for r in app.router.routes if isinstance(r, IncludedRouter)]
    # SCIM (app/scim) has its own base path and protocol, outside /v1.
    assert {id(r.original_router) for r in included} == {id(d) for d in DOMAIN_ROUTERS} | {
        id(scim_router)
    }
    for branch in included:
        nested = [r for r in branch.original_router.routes if isinstance(r, IncludedRouter)]
        assert nested == [], "a domain router includes another router"
        assert all(isinstance(r, APIRoute) for r in branch.original_router.routes)
    v1 = {r.path for d in DOMAIN_ROUTERS for r in d.routes if isinstance(r, APIRoute)}
    served = {p for p in app.openapi()["paths"] if p.startswith("/v1/")}
    assert {"/v1" + p for p in v1} == served
