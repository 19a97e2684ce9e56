"""The four routes every resource has the same way: create, read one, change, delete.

A domain describes a resource once (``Resource``: its table, path, schemas and the service
functions that do the work) and ``add_routes`` puts the routes on its router. They behave
as a hand-written route would, and the same for every resource:

- ``POST {path}``: 201 with the resource, its ``ETag`` and ``Location``;
- ``GET {path}/{id}``: the resource and its ``ETag`` (404 outside the organisation);
- ``PATCH {path}/{id}``: ``If-Match`` checked against the locked row (412), the change
  made by the service, the resource as it is now with its new ``ETag``;
- ``DELETE {path}/{id}``: ``If-Match`` checked, the service deletes (or refuses with 409), 204.

Resources an HR platform feeds (teams, function groups, employees) are also addressed by
the platform's own key, ``add_external_id_routes``:

- ``GET /by-external-id{path}/{external_id}``: as ``GET {path}/{id}``;
- ``PUT /by-external-id{path}/{external_id}``: an upsert with the create schema: 201 with
  ``Location`` when new, 200 when it replaced the stored one (``If-Match`` checked);
- ``PATCH /by-external-id{path}/{external_id}``: as ``PATCH {path}/{id}``.

Lists (each has its own filters) and actions (``/publish``, ``/complete``) stay written out
in the router. The OpenAPI document is the same as for hand-written routes: operation names
are ``create_<noun>``, ``get_<noun>``, ``update_<noun>`` and ``delete_<noun>``, the docstrings
given here are their descriptions, and the route registry checks them like any other.

Why a signature is built here instead of written: FastAPI reads a route's parameters from
its signature, and the resource's schemas are only known when the domain describes it.
"""

import inspect
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import Enum
from typing import Annotated, Any, Generic, TypeVar

from fastapi import APIRouter, Depends, Path, Response
from pydantic import BaseModel, create_model
from pydantic.json_schema import SkipJsonSchema
from sqlmodel import Session, select

from app.core.auth import Principal
from app.core.concurrency import IfMatch, IfNoneMatch, check_if_match, check_if_none_match, set_etag
from app.core.db import READ_ONLY
from app.core.errors import InvalidInput, NotFound
from app.core.models import TenantTable
from app.core.responses import CREATED, READ_ONE, WRITE, WRITE_ONE
from app.core.sessions import ReadScope, ReadSession, WriteScope, WriteSession, reader, writer

Row = TypeVar("Row", bound=TenantTable)
Create = TypeVar("Create", bound=BaseModel)
Update = TypeVar("Update", bound=BaseModel)
Public = TypeVar("Public", bound=BaseModel)

_KEYWORD = inspect.Parameter.KEYWORD_ONLY


@dataclass(frozen=True, kw_only=True)
class Docs:
    """What each operation says to the frontend team (its OpenAPI description)."""

    create: str
    read: str
    update: str
    delete: str


@dataclass(frozen=True, kw_only=True)
class Resource(Generic[Row, Create, Update, Public]):
    """One resource of a domain, described once.

    ``public`` renders one row in the request's session; it, ``create`` and ``update``
    receive the caller's principal for the organisation's settings.
    """

    model: type[Row]
    id_param: str  # "meeting_id": the path parameter
    schemas: tuple[type[Create], type[Update], type[Public]]
    public: Callable[[Session, Row, Principal], Public]
    create: Callable[[Session, Create, Principal], Row]
    update: Callable[[Session, Row, Update, Principal], Row]
    delete: Callable[[Session, Row], None]
    docs: Docs
    name: str = ""  # in the 404 problem's detail; default: the table's name in words

    # Named after the table (team_meeting): operations create_team_meeting, ...,
    # the path /team-meetings and its tag.
    @property
    def noun(self) -> str:
        return str(self.model.__tablename__)

    @property
    def path(self) -> str:
        return "/" + self.noun.replace("_", "-") + "s"

    @property
    def tag(self) -> str:
        return self.path.removeprefix("/")

    @property
    def title(self) -> str:
        return self.name or self.noun.replace("_", " ")

    @property
    def read_dependency(self) -> Any:
        """The fetch-or-404 parameter type in a read session (``TeamMeetingDep``)."""
        return Annotated[self.model, Depends(reader(self.model, self.id_param, name=self.title))]

    @property
    def write_dependency(self) -> Any:
        """The same in a write session, the row locked (``TeamMeetingForUpdate``)."""
        return Annotated[self.model, Depends(writer(self.model, self.id_param, name=self.title))]

    def add_routes(self, router: APIRouter) -> None:
        """Put create, read, change and delete on ``router``, in that order."""
        item = f"{self.path}/{{{self.id_param}}}"
        tags: list[str | Enum] = [self.tag]
        public = self.schemas[2]
        routes: list[tuple[str, str, Callable[..., Any], str, dict[str, Any]]] = [
            ("POST", self.path, self._create_endpoint(), "create",
             {"status_code": 201, "responses": CREATED, "response_model": public}),
            ("GET", item, self._read_endpoint(), "get",
             {"responses": READ_ONE, "response_model": public}),
            ("PATCH", item, self._update_endpoint(), "update",
             {"responses": WRITE_ONE, "response_model": public}),
            ("DELETE", item, self._delete_endpoint(), "delete",
             {"status_code": 204, "responses": WRITE, "response_class": Response}),
        ]  # fmt: skip
        for method, path, endpoint, verb, options in routes:
            router.add_api_route(
                path, endpoint, methods=[method], name=f"{verb}_{self.noun}", tags=tags, **options
            )

    def _create_endpoint(self) -> Callable[..., Any]:
        def create(data: Create, principal: Principal, db: Session, response: Response) -> Public:
            row = self.create(db, data, principal)
            set_etag(response, row)
            response.headers["Location"] = f"/v1{self.path}/{row.id}"
            return self.public(db, row, principal)

        return _signed(
            create,
            f"create_{self.noun}",
            self.docs.create,
            data=self.schemas[0],
            principal=WriteScope,
            db=WriteSession,
            response=Response,
        )

    def _read_endpoint(self) -> Callable[..., Any]:
        def read(row: Row, principal: Principal, db: Session, response: Response) -> Public:
            set_etag(response, row)
            return self.public(db, row, principal)

        return _signed(
            read,
            f"get_{self.noun}",
            self.docs.read,
            row=self.read_dependency,
            principal=ReadScope,
            db=ReadSession,
            response=Response,
        )

    def _update_endpoint(self) -> Callable[..., Any]:
        def update(
            row: Row,
            data: Update,
            principal: Principal,
            db: Session,
            response: Response,
            if_match: str | None = None,
        ) -> Public:
            check_if_match(if_match, row)
            row = self.update(db, row, data, principal)
            set_etag(response, row)
            return self.public(db, row, principal)

        return _signed(
            update,
            f"update_{self.noun}",
            self.docs.update,
            row=self.write_dependency,
            data=self.schemas[1],
            principal=WriteScope,
            db=WriteSession,
            response=Response,
            if_match=IfMatch,
        )

    def _delete_endpoint(self) -> Callable[..., Any]:
        def delete(row: Row, db: Session, if_match: str | None = None) -> Response:
            check_if_match(if_match, row)
            self.delete(db, row)
            return Response(status_code=204)

        return _signed(
            delete,
            f"delete_{self.noun}",
            self.docs.delete,
            row=self.write_dependency,
            db=WriteSession,
            if_match=IfMatch,
        )


ExternalIdPath = Annotated[
    str, Path(min_length=1, max_length=100, description="The HR platform's own id.")
]


def _by_external_id(db: Session, model: Any, external_id: str, title: str) -> Any:
    """The organisation's row with this external id (locked in a write), or 404."""
    stmt = select(model).where(model.external_id == external_id)
    if db.info.get(READ_ONLY) is False:
        stmt = stmt.with_for_update()
    row = db.exec(stmt).first()
    if row is None:
        raise NotFound(f"No {title} with external id {external_id!r}.")
    return row


# A field that takes only null and is left out of the JSON schema (keyed_by_path).
_HIDDEN_NULL: Any = SkipJsonSchema[None]  # type: ignore[misc]  # pydantic: Annotated behind it


def keyed_by_path(schema: type[BaseModel]) -> type[BaseModel]:
    """``schema`` without ``external_id``, for a body addressed by its key in the path.

    The key cannot differ from the path's, so the body does not carry it: a schema that
    offered the field would promise bodies the route must refuse (issue 19, schemathesis).
    The field stays only as an always-null placeholder hidden from the schema, so the
    schema's validators still run; a value for it is a 422 like any unknown field.
    """
    return create_model(
        f"{schema.__name__}ByExternalId",
        __base__=schema,
        __doc__=schema.__doc__,
        external_id=(_HIDDEN_NULL, None),
    )


def _keeps_the_path_key(data: BaseModel, path: str) -> None:
    # Only null gets this far (keyed_by_path); addressed by its key, a row keeps it.
    if "external_id" in data.model_fields_set:
        raise InvalidInput(
            f"external_id is the key in the path; to change it, PATCH {path}/{{id}}.",
            errors=[{"pointer": "/external_id", "detail": "is the path's key"}],
        )


def add_external_id_routes(resource: "Resource[Any, Any, Any, Any]", router: APIRouter) -> None:
    """Put GET, PUT (upsert) and PATCH by the HR platform's key on ``router``."""
    # Under one prefix, not below the collection: ``{path}/by-external-id/{x}`` and
    # ``{path}/{id}/erase`` could name the same URL (an id "by-external-id"), which the
    # contract linters rightly call ambiguous.
    item = f"/by-external-id{resource.path}/{{external_id}}"
    noun, title = resource.noun, resource.title
    create_schema, update_schema, public_schema = resource.schemas
    tags: list[str | Enum] = [resource.tag]

    def read(external_id: str, principal: Principal, db: Session, response: Response) -> Any:
        row = _by_external_id(db, resource.model, external_id, title)
        set_etag(response, row)
        return resource.public(db, row, principal)

    def put(
        external_id: str,
        data: Any,
        principal: Principal,
        db: Session,
        response: Response,
        if_match: str | None = None,
        if_none_match: str | None = None,
    ) -> Any:
        _keeps_the_path_key(data, resource.path)
        # Into the create schema proper, whose external_id takes a string: a copy of the
        # path-keyed body (external_id: None only) would serialise with a type mismatch.
        data = create_schema.model_validate(
            {**data.model_dump(mode="json", exclude={"external_id"}), "external_id": external_id}
        )
        stmt = select(resource.model).where(resource.model.external_id == external_id)
        row = db.exec(stmt.with_for_update()).first()
        # Both preconditions before anything is written (RFC 9110 13.2.2), on create too.
        check_if_match(if_match, row)
        check_if_none_match(if_none_match, row)
        if row is None:
            row = resource.create(db, data, principal)
            response.status_code = 201
            response.headers["Location"] = f"/v1{resource.path}/{row.id}"
        else:
            # A replacement: every field as the body gives it, omitted ones at their default.
            full = update_schema.model_validate(data.model_dump())
            row = resource.update(db, row, full, principal)
        set_etag(response, row)
        return resource.public(db, row, principal)

    def patch(
        external_id: str,
        data: Any,
        principal: Principal,
        db: Session,
        response: Response,
        if_match: str | None = None,
    ) -> Any:
        _keeps_the_path_key(data, resource.path)
        row = _by_external_id(db, resource.model, external_id, title)
        check_if_match(if_match, row)
        row = resource.update(db, row, data, principal)
        set_etag(response, row)
        return resource.public(db, row, principal)

    key: dict[str, Any] = {"external_id": ExternalIdPath}
    read_with: dict[str, Any] = {"principal": ReadScope, "db": ReadSession, "response": Response}
    write_with: dict[str, Any] = {
        "principal": WriteScope,
        "db": WriteSession,
        "response": Response,
        "if_match": IfMatch,
    }
    routes: list[tuple[str, Callable[..., Any], str, str, dict[str, Any], Any]] = [
        ("GET", read, f"get_{noun}_by_external_id",
         f"One {title} by the HR platform's key (`external_id`).",
         {**key, **read_with}, READ_ONE),
        ("PUT", put, f"put_{noun}_by_external_id",
         f"Create or replace the {title} with this HR key (an upsert): 201 with `Location` "
         "when it is new, 200 when the stored one was replaced (omitted fields take their "
         "defaults; `If-Match` is checked when given). The key is the path's: the body "
         "has no `external_id`. `If-None-Match: *` creates only (412 when it exists); "
         "`If-Match` on a key with no current row is 412, never a create.",
         {**key, "data": keyed_by_path(create_schema), **write_with,
          "if_none_match": IfNoneMatch},
         {**WRITE_ONE, 201: {**CREATED[201], "model": public_schema}}),
        ("PATCH", patch, f"update_{noun}_by_external_id",
         f"Change the {title} with this HR key, as the PATCH by id does; its `external_id` "
         f"stays (a new key is a PATCH of {resource.path}/{{id}}).",
         {**key, "data": keyed_by_path(update_schema), **write_with}, WRITE_ONE),
    ]  # fmt: skip
    for method, func, name, doc, annotations, responses in routes:
        router.add_api_route(
            item,
            _signed(func, name, doc, **annotations),
            methods=[method],
            name=name,
            tags=tags,
            responses=responses,
            response_model=public_schema,
        )


def validated(schema: type[Public]) -> Callable[[Session, Any, Principal], Public]:
    """A ``public`` for a resource whose schema reads straight from the row's attributes."""

    def render(db: Session, row: Any, principal: Principal) -> Public:
        return schema.model_validate(row, from_attributes=True)

    return render


def _signed(
    func: Callable[..., Any],
    name: str,
    doc: str,
    *,
    renamed: Mapping[str, str] | None = None,
    **annotations: Any,
) -> Callable[..., Any]:
    """``func`` named ``name`` (the operation id), with the signature FastAPI reads;
    ``renamed`` gives a parameter another name in that signature (``row_id``: ``user_id``)."""
    renamed = renamed or {}
    back = {new: old for old, new in renamed.items()}
    parameters = [
        inspect.Parameter(
            renamed.get(name, name),
            _KEYWORD,
            annotation=annotations[name],
            default=parameter.default,
        )
        for name, parameter in inspect.signature(func).parameters.items()
    ]
    endpoint: Callable[..., Any]
    if inspect.iscoroutinefunction(func):

        async def endpoint(**kwargs: Any) -> Any:
            return await func(**{back.get(k, k): v for k, v in kwargs.items()})

    else:

        def endpoint(**kwargs: Any) -> Any:
            return func(**{back.get(k, k): v for k, v in kwargs.items()})

    endpoint.__name__ = endpoint.__qualname__ = name
    endpoint.__doc__ = doc
    endpoint.__signature__ = inspect.Signature(parameters)  # type: ignore[union-attr]
    return endpoint


# The signature builder, for the other generated routes (core/listing.py).
signed = _signed
