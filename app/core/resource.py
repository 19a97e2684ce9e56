"""The four routes every resource has the same way: create, read one, change, delete.

A domain describes a resource once (``Resource``: its table, path, schemas and the service
functions that do the work) and ``add_routes`` puts the routes on its router. They behave
as a hand-written route would, and the same for every resource:

- ``POST {path}``: 201 with the resource, its ``ETag`` and ``Location``;
- ``GET {path}/{id}``: the resource and its ``ETag`` (404 outside the organisation);
- ``PATCH {path}/{id}``: ``If-Match`` checked against the locked row (412), the change
  made by the service, the resource as it is now with its new ``ETag``;
- ``DELETE {path}/{id}``: ``If-Match`` checked, the service deletes (or refuses with 409), 204.

Lists (each has its own filters) and actions (``/publish``, ``/complete``) stay written out
in the router. The OpenAPI document is the same as for hand-written routes: operation names
are ``create_<noun>``, ``get_<noun>``, ``update_<noun>`` and ``delete_<noun>``, the docstrings
given here are their descriptions, and the route registry checks them like any other.

Why a signature is built here instead of written: FastAPI reads a route's parameters from
its signature, and the resource's schemas are only known when the domain describes it.
"""

import inspect
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum
from typing import Annotated, Any, Generic, TypeVar

from fastapi import APIRouter, Depends, Response
from pydantic import BaseModel
from sqlmodel import Session

from app.core.auth import Principal
from app.core.concurrency import IfMatch, check_if_match, set_etag
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
        router.add_api_route(
            self.path,
            self._create_endpoint(),
            methods=["POST"],
            name=f"create_{self.noun}",
            tags=tags,
            status_code=201,
            responses=CREATED,
            response_model=self.schemas[2],
        )
        router.add_api_route(
            item,
            self._read_endpoint(),
            methods=["GET"],
            name=f"get_{self.noun}",
            tags=tags,
            responses=READ_ONE,
            response_model=self.schemas[2],
        )
        router.add_api_route(
            item,
            self._update_endpoint(),
            methods=["PATCH"],
            name=f"update_{self.noun}",
            tags=tags,
            responses=WRITE_ONE,
            response_model=self.schemas[2],
        )
        router.add_api_route(
            item,
            self._delete_endpoint(),
            methods=["DELETE"],
            name=f"delete_{self.noun}",
            tags=tags,
            status_code=204,
            responses=WRITE,
            response_class=Response,
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


def validated(schema: type[Public]) -> Callable[[Session, Any, Principal], Public]:
    """A ``public`` for a resource whose schema reads straight from the row's attributes."""

    def render(db: Session, row: Any, principal: Principal) -> Public:
        return schema.model_validate(row, from_attributes=True)

    return render


def _signed(
    func: Callable[..., Any], name: str, doc: str, **annotations: Any
) -> Callable[..., Any]:
    """``func`` named ``name`` (the operation id), with the signature FastAPI reads."""
    original = inspect.signature(func)
    parameters = [
        inspect.Parameter(
            name,
            _KEYWORD,
            annotation=annotations[name],
            default=parameter.default,
        )
        for name, parameter in original.parameters.items()
    ]

    def endpoint(**kwargs: Any) -> Any:
        return func(**kwargs)

    endpoint.__name__ = endpoint.__qualname__ = name
    endpoint.__doc__ = doc
    endpoint.__signature__ = inspect.Signature(parameters)  # type: ignore[attr-defined]
    return endpoint
