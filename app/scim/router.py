"""HTTP routes of /scim/v2 (RFC 7644): discovery, Users and Groups.

Only keys with the `scim` scope are accepted here (core/sessions.py ``ScimReadSession``,
``ScimWriteSession``), and that scope is refused on /v1 (SCOPE_RANK puts it below `read`).
Bodies are parsed by scim2-models (service.py), not by FastAPI, so a malformed one gets a
SCIM error with its scimType; every error leaves as a SCIM error body (errors.py).
"""

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response
from scim2_models import Context, ResponseParameters
from sqlmodel import Session, col, select
from starlette.concurrency import run_in_threadpool

from app.core.concurrency import IfMatch, check_if_match, etag_of
from app.core.errors import NotFound
from app.core.input_guard import reject_unstorable_input
from app.core.resource import signed
from app.core.sessions import ScimReadSession, ScimWriteSession
from app.organisation.models import Employee, FunctionGroup, Team
from app.scim import discovery, queries, service
from app.scim.errors import SCIM_JSON, SCIM_PREFIX, ScimError
from app.scim.mapping import group_of

LIST_URN = "urn:ietf:params:scim:api:messages:2.0:ListResponse"


router = APIRouter(
    prefix=SCIM_PREFIX,
    tags=["scim"],
    include_in_schema=False,
    dependencies=[Depends(reject_unstorable_input)],
)


class ScimResponse(Response):
    """A SCIM document (``application/scim+json``)."""

    media_type = SCIM_JSON

    def render(self, content: Any) -> bytes:
        return json.dumps(content, default=str).encode()


def base_url(request: Request) -> str:
    """The absolute /scim/v2 URL, for `meta.location` and `$ref`."""
    return str(request.base_url).rstrip("/") + SCIM_PREFIX


async def _body(request: Request) -> Any:
    raw = await request.body()
    try:
        return json.loads(raw or b"null")
    except ValueError:
        raise ScimError("The body is not valid JSON.", scim_type="invalidSyntax") from None


def _split(names: str | None) -> list[str] | None:
    return [a.strip() for a in names.split(",") if a.strip()] if names else None


def _selection(attributes: str | None, excluded: str | None) -> ResponseParameters[Any] | None:
    if not attributes and not excluded:
        return None
    try:
        return ResponseParameters(
            attributes=_split(attributes), excluded_attributes=_split(excluded)
        )
    except Exception as exc:
        raise ScimError(
            f"Invalid attribute list: {str(exc)[:300]}", scim_type="invalidPath"
        ) from None


Attributes = Annotated[str | None, Query(max_length=2000)]
Excluded = Annotated[str | None, Query(alias="excludedAttributes", max_length=2000)]


def _dump(resource: Any, selection: ResponseParameters[Any] | None) -> dict[str, Any]:
    out: dict[str, Any] = resource.model_dump(
        scim_ctx=Context.RESOURCE_QUERY_RESPONSE, response_parameters=selection
    )
    return out


def _one(resource: Any, obj: Employee | Team, status: int = 200) -> ScimResponse:
    headers = {"ETag": etag_of(obj)}
    if status == 201 and resource.meta is not None:
        headers["Location"] = str(resource.meta.location)
    return ScimResponse(_dump(resource, None), status_code=status, headers=headers)


def _list(total: int, items: list[dict[str, Any]], start: int) -> ScimResponse:
    body = {"schemas": [LIST_URN], "totalResults": total, "startIndex": max(start, 1),
            "itemsPerPage": len(items), "Resources": items}  # fmt: skip
    return ScimResponse(body)


def _list_params(
    filter: str | None, start_index: int, count: int, sort_by: str | None, sort_order: str | None
) -> queries.ListParams:
    descending = (sort_order or "ascending").lower() == "descending"
    return queries.ListParams(filter, start_index, count, sort_by, descending)


async def _params(
    filter: Annotated[str | None, Query(max_length=2000)] = None,
    start_index: Annotated[int, Query(alias="startIndex", ge=-(2**31), le=2**31 - 1)] = 1,
    count: Annotated[int, Query(ge=-(2**31), le=2**31 - 1)] = queries.COUNT_DEFAULT,
    sort_by: Annotated[str | None, Query(alias="sortBy", max_length=200)] = None,
    sort_order: Annotated[str | None, Query(alias="sortOrder", max_length=20)] = None,
) -> queries.ListParams:
    return _list_params(filter, start_index, count, sort_by, sort_order)


Params = Annotated[queries.ListParams, Depends(_params)]


# --- discovery --------------------------------------------------------------------------


@router.get("/ServiceProviderConfig")
def get_service_provider_config(request: Request, _db: ScimReadSession) -> ScimResponse:
    """What this SCIM service supports."""
    return ScimResponse(discovery.service_provider_config(base_url(request)))


@router.get("/ResourceTypes")
def list_resource_types(request: Request, _db: ScimReadSession) -> ScimResponse:
    """User and Group."""
    items = discovery.resource_types(base_url(request))
    return _list(len(items), items, 1)


@router.get("/ResourceTypes/{name}")
def get_resource_type(name: str, request: Request, _db: ScimReadSession) -> ScimResponse:
    """One resource type."""
    for item in discovery.resource_types(base_url(request)):
        if item["id"] == name:
            return ScimResponse(item)
    raise NotFound(resource="resource type", id_=name)


def _schemas(db: Session, request: Request) -> list[dict[str, Any]]:
    names = db.exec(select(FunctionGroup).order_by(col(FunctionGroup.name))).all()
    return discovery.schemas(base_url(request), [f.external_id or f.name for f in names])


@router.get("/Schemas")
def list_schemas(request: Request, db: ScimReadSession) -> ScimResponse:
    """The User, Group, enterprise and Veerkracht employee schemas."""
    items = _schemas(db, request)
    return _list(len(items), items, 1)


@router.get("/Schemas/{urn}")
def get_schema(urn: str, request: Request, db: ScimReadSession) -> ScimResponse:
    """One schema, by its URN."""
    for item in _schemas(db, request):
        if item["id"] == urn:
            return ScimResponse(item)
    raise NotFound(resource="schema", id_=urn)


# --- searches (POST .search, RFC 7644 section 3.4.3) -----------------------------------


async def _search_request(request: Request) -> tuple[queries.ListParams, Any]:
    body = await _body(request)
    if not isinstance(body, dict):
        raise ScimError("The body must be a SearchRequest object.", scim_type="invalidSyntax")
    fields = {k.lower(): v for k, v in body.items() if k != "schemas"}
    texts = ("filter", "sortby", "sortorder")
    numbers = ("startindex", "count")
    if any(not isinstance(fields.get(k), str | None) for k in texts) or any(
        not isinstance(fields.get(k), int | None) or isinstance(fields.get(k), bool)
        for k in numbers
    ):
        raise ScimError("SearchRequest fields have the wrong type.", scim_type="invalidValue")
    lists = [",".join(v) if isinstance(v, list) and all(isinstance(a, str) for a in v) else v
             for v in (fields.get("attributes"), fields.get("excludedattributes"))]  # fmt: skip
    if any(v is not None and not isinstance(v, str) for v in lists):
        raise ScimError("attributes are a list of strings.", scim_type="invalidValue")
    params = _list_params(
        fields.get("filter"),
        fields.get("startindex") or 1,
        queries.COUNT_DEFAULT if fields.get("count") is None else fields["count"],
        fields.get("sortby"),
        fields.get("sortorder"),
    )
    return params, _selection(lists[0], lists[1])


def _users(db: Session, request: Request, params: queries.ListParams, selection: Any) -> Any:
    total, emps = queries.list_employees(db, params)
    return total, [_dump(u, selection) for u in service.users(db, emps, base_url(request))]


def _groups(db: Session, request: Request, params: queries.ListParams, selection: Any) -> Any:
    total, teams = queries.list_teams(db, params)
    members = service.members_of(db, [t.id for t in teams])
    base = base_url(request)
    return total, [_dump(group_of(t, members[t.id], base), selection) for t in teams]


@router.post("/Users/.search")
async def search_users(request: Request, db: ScimReadSession) -> ScimResponse:
    """Users, with the query in the body."""
    params, selection = await _search_request(request)
    total, items = await run_in_threadpool(_users, db, request, params, selection)
    return _list(total, items, params.start_index)


@router.post("/Groups/.search")
async def search_groups(request: Request, db: ScimReadSession) -> ScimResponse:
    """Groups, with the query in the body."""
    params, selection = await _search_request(request)
    total, items = await run_in_threadpool(_groups, db, request, params, selection)
    return _list(total, items, params.start_index)


@router.post("/.search")
async def search_all(request: Request, db: ScimReadSession) -> ScimResponse:
    """Users then Groups, with the query in the body; a filter names attributes of both."""
    params, selection = await _search_request(request)
    # Enough of each to cut the requested page from Users followed by Groups.
    wide = queries.ListParams(params.filter, 1, max(params.start_index, 1) - 1 + params.count,
                              params.sort_by, params.descending)  # fmt: skip
    (users_total, users), (groups_total, groups) = await run_in_threadpool(
        lambda: (_users(db, request, wide, selection), _groups(db, request, wide, selection))
    )
    start = max(params.start_index, 1) - 1
    page = (users + groups)[start : start + max(params.count, 0)]
    return _list(users_total + groups_total, page, params.start_index)


# --- users and groups: the same six routes each ---------------------------------------


@dataclass(frozen=True, kw_only=True)
class _Kind:
    """A SCIM resource type and the service functions behind its routes."""

    name: str  # "User": the path /Users/{user_id} and the operations list_users, ...
    page: Callable[[Session, Request, queries.ListParams, Any], Any]
    fetch: Callable[[Session, str], Employee | Team]
    render: Callable[[Session, Any, str], Any]
    create: Callable[[Session, Any], Employee | Team]
    replace: Callable[[Session, Any, Any], Employee | Team]
    patch: Callable[[Session, Any, Any, str], Employee | Team]
    delete: Callable[[Session, Any], None]
    docs: tuple[str, str, str, str, str, str]  # list, create, get, replace, patch, delete

    def add_routes(self, router: APIRouter) -> None:
        """Put list, create, get, replace, patch and delete on ``router``, in that order."""
        noun = self.name.lower()
        path, id_param = f"/{self.name}s", f"{noun}_id"
        item = f"{path}/{{{id_param}}}"

        def listed(
            request: Request, db: Session, params: Any, attributes: Any = None, excluded: Any = None
        ) -> ScimResponse:
            total, items = self.page(db, request, params, _selection(attributes, excluded))
            return _list(total, items, params.start_index)

        # The body is read on the event loop; the database work of each write runs in the
        # thread pool, as in every sync route (a lock wait must not stall the loop).
        async def create(request: Request, db: Session) -> ScimResponse:
            body = await _body(request)

            def work() -> ScimResponse:
                row = self.create(db, body)
                return _one(self.render(db, row, base_url(request)), row, 201)

            return await run_in_threadpool(work)

        def get(
            row_id: str, request: Request, db: Session, attributes: Any = None, excluded: Any = None
        ) -> ScimResponse:
            row = self.fetch(db, row_id)
            resource = self.render(db, row, base_url(request))
            return ScimResponse(
                _dump(resource, _selection(attributes, excluded)), headers={"ETag": etag_of(row)}
            )

        def changed(
            row_id: str, request: Request, db: Session, if_match: str | None, change: Any
        ) -> ScimResponse:
            row = self.fetch(db, row_id)
            check_if_match(if_match, row)
            row = change(row)
            return _one(self.render(db, row, base_url(request)), row)

        async def replace(
            row_id: str, request: Request, db: Session, if_match: str | None = None
        ) -> ScimResponse:
            body = await _body(request)
            return await run_in_threadpool(
                changed, row_id, request, db, if_match, lambda row: self.replace(db, row, body)
            )

        async def patch(
            row_id: str, request: Request, db: Session, if_match: str | None = None
        ) -> ScimResponse:
            body = await _body(request)
            base = base_url(request)
            return await run_in_threadpool(
                changed, row_id, request, db, if_match, lambda row: self.patch(db, row, body, base)
            )

        def delete(row_id: str, db: Session, if_match: str | None = None) -> Response:
            row = self.fetch(db, row_id)
            check_if_match(if_match, row)
            self.delete(db, row)
            return Response(status_code=204)

        read: dict[str, Any] = {"request": Request, "db": ScimReadSession}
        write: dict[str, Any] = {"request": Request, "db": ScimWriteSession}
        shown = {"attributes": Attributes, "excluded": Excluded}
        one, written = {"row_id": str}, {"if_match": IfMatch}
        routes: list[tuple[str, str, Callable[..., Any], str, dict[str, Any]]] = [
            ("GET", path, listed, f"list_{noun}s", {**read, "params": Params, **shown}),
            ("POST", path, create, f"create_{noun}", write),
            ("GET", item, get, f"get_{noun}", {**one, **read, **shown}),
            ("PUT", item, replace, f"replace_{noun}", {**one, **write, **written}),
            ("PATCH", item, patch, f"patch_{noun}", {**one, **write, **written}),
            ("DELETE", item, delete, f"delete_{noun}", {**one, "db": ScimWriteSession, **written}),
        ]
        for (method, route_path, func, name, annotations), doc in zip(
            routes, self.docs, strict=True
        ):
            endpoint = signed(func, name, doc, **annotations, renamed={"row_id": id_param})
            status = {"POST": 201, "DELETE": 204}.get(method)
            router.add_api_route(
                route_path, endpoint, methods=[method], name=name, status_code=status
            )


_Kind(
    name="User",
    page=_users,
    fetch=service.get_employee,
    render=service.user,
    create=lambda db, body: service.create_user(db, body=body),
    replace=lambda db, emp, body: service.replace_user(db, emp=emp, body=body),
    patch=lambda db, emp, body, base: service.patch_user(db, emp=emp, body=body, base=base),
    delete=lambda db, emp: service.delete_user(db, emp=emp),
    docs=(
        "Users (employees), filtered in SQL, paged with startIndex/count.",
        "Create an employee from a User (or bring back the deleted one of its employee number).",
        "One User.",
        "Replace a User (read-only attributes are ignored).",
        "Change a User with add/remove/replace operations.",
        "Delete a User without history; one with training history is deactivated and kept "
        "for it, but answers 404 from then on (a POST of its employee number brings it "
        "back).",
    ),
).add_routes(router)
_Kind(
    name="Group",
    page=_groups,
    fetch=service.get_team,
    render=service.group,
    create=lambda db, body: service.create_group(db, body=body),
    replace=lambda db, team, body: service.replace_group(db, team=team, body=body),
    patch=lambda db, team, body, base: service.patch_group(db, team=team, body=body, base=base),
    delete=lambda db, team: service.delete_group(db, team=team),
    docs=(
        "Groups (teams) with their members.",
        "Create a team from a Group; its members move into it.",
        "One Group with its members.",
        "Replace a Group's name, externalId and members (managers stay as they are).",
        "Change a Group: rename, add or remove members.",
        "Delete a team: its members leave it first; 409 when the team has history.",
    ),
).add_routes(router)
