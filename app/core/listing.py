"""A list route described once: its filters as a model, its rows' rendering, its page.

Most lists differ only in their filters. ``Listing`` builds the route from a
``ListFilters`` model (FastAPI reads its fields as the query parameters, with their
descriptions) and the domain's bulk rendering; the route behaves as every list does:
``limit``/``cursor``/``updated_from``/``updated_to``/``sync_token`` (core/pagination.py),
the filters, a ``Page``. The rules of a filter model:

- a field is ``column == value`` on the column of its name, when given;
- ``<stem>_from`` / ``<stem>_to`` bound the column ``ranges[stem]``, both inclusive (the
  one naming of range filters, issue 19);
- a field in ``clauses`` is the condition its function makes of the value given (a
  subquery: "teams this employee manages"); a function may answer ``None``, no condition;
- a field in ``special`` is left to the model's ``where``, which a subclass extends for
  filters that need more than their own value ("overdue" needs the day).

``render`` defaults to validating each row with ``public`` (from its attributes).
"""

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from enum import Enum
from typing import Annotated, Any, ClassVar, Generic, TypeVar

from fastapi import APIRouter, Query
from pydantic import BaseModel
from sqlmodel import Session, select

from app.core.models import TenantTable, render
from app.core.pagination import Page, PageEnd, PageParams, PageQuery, paginate
from app.core.queries import linked_ids, where_given, where_range
from app.core.resource import signed
from app.core.responses import READ
from app.core.sessions import ReadSession

Row = TypeVar("Row", bound=TenantTable)
# A filter's condition made from the value given (``ListFilters.clauses``).
Clauses = Mapping[str, Callable[[Any], Any]]
Filters = TypeVar("Filters", bound="ListFilters")
Public = TypeVar("Public", bound=BaseModel)


class ListFilters(BaseModel):
    """A list's filters (module doc). Unknown query parameters are refused by
    core/input_guard.py for every route, so the model itself need not forbid extras."""

    ranges: ClassVar[Mapping[str, str]] = {}
    clauses: ClassVar[Clauses] = {}
    special: ClassVar[frozenset[str]] = frozenset()

    def where(self, stmt: Any, model: type[Any]) -> Any:
        """``stmt`` filtered by every field given: equality, then the ranges."""
        bounds = {f"{stem}_{end}" for stem in self.ranges for end in ("from", "to")}
        given = self.model_dump(exclude=bounds | self.clauses.keys() | self.special)
        stmt = where_given(stmt, model, **given)
        for name, clause in self.clauses.items():
            value = getattr(self, name)
            condition = None if value is None else clause(value)
            if condition is not None:
                stmt = stmt.where(condition)
        for stem, column in self.ranges.items():
            stmt = where_range(
                stmt,
                getattr(model, column),
                at_least=getattr(self, f"{stem}_from"),
                at_most=getattr(self, f"{stem}_to"),
            )
        return stmt


@dataclass(frozen=True, kw_only=True)
class Listing(Generic[Row, Filters, Public]):
    """One list of a domain, described once (see the module doc)."""

    model: type[Row]
    filters: type[Filters]
    public: type[Public]
    doc: str
    render: Callable[[Session, Sequence[Row]], list[Public]] | None = None

    def rows(
        self,
        db: Session,
        *,
        params: PageParams,
        filters: Filters,
        within: tuple[str, Any] | None = None,
    ) -> tuple[Sequence[Row], PageEnd]:
        """One page of the rows the filters select (what the route and other callers use);
        ``within`` (column, value): only the rows of one parent."""
        stmt = select(self.model)
        if within is not None:
            stmt = stmt.where(getattr(self.model, within[0]) == within[1])
        return paginate(db, filters.where(stmt, self.model), self.model, params)

    def add_route(
        self,
        router: APIRouter,
        path: str = "",
        *,
        name: str = "",
        tags: Sequence[str | Enum] = (),
        dependencies: Sequence[Any] = (),
        within: tuple[Any, str] | None = None,
    ) -> None:
        """Put ``GET path`` on ``router`` as the operation ``name``.

        By default named after the table as ``Resource`` names its routes (team_meeting:
        ``GET /team-meetings``, ``list_team_meetings``, tag ``team-meetings``). A list under
        its parent (``/protocols/{protocol_id}/acknowledgements``) names ``within`` the
        parent's fetch-or-404 type and the column that points at it.
        """
        noun = str(self.model.__tablename__)
        path = path or "/" + noun.replace("_", "-") + "s"
        name = name or f"list_{noun}s"
        parent_type, column = within or (None, "")
        render = self.render or rendered_each(self.public)

        def endpoint(db: Session, params: PageParams, filters: Filters) -> Page[Public]:
            rows, end = self.rows(db, params=params, filters=filters)
            return Page.of(render(db, rows), end)

        # The parent first, as a written route takes it (its path parameter leads).
        def nested(parent: Any, db: Session, params: PageParams, filters: Filters) -> Page[Public]:
            rows, end = self.rows(db, params=params, filters=filters, within=(column, parent.id))
            return Page.of(render(db, rows), end)

        route = signed(
            nested if within else endpoint,
            name,
            self.doc,
            parent=parent_type,
            db=ReadSession,
            params=PageQuery,
            filters=Annotated[self.filters, Query()],
        )
        # The contract groups operations by the domain package of their function.
        route.__module__ = self.model.__module__
        router.add_api_route(
            path,
            route,
            methods=["GET"],
            name=name,
            tags=list(tags) or [path.removeprefix("/")],
            responses=READ,
            response_model=Page[self.public],  # type: ignore[name-defined]
            dependencies=list(dependencies),
        )


def rendered_each(
    schema: type[Public],
) -> Callable[[Session, Sequence[Any]], list[Public]]:
    """A ``render`` for rows whose schema reads straight from their attributes."""

    def render_rows(db: Session, rows: Sequence[Any]) -> list[Public]:
        return [schema.model_validate(r, from_attributes=True) for r in rows]

    return render_rows


def rendered_with_links(
    schema: type[Public], field: str, parent: Any, child: Any
) -> Callable[[Session, Sequence[Any]], list[Public]]:
    """A ``render`` for rows whose schema also lists, as ``field``, the ids a link table
    names for each row (``parent`` -> ``child`` columns, as ``linked_ids``): one more
    query for a whole page."""

    def render_rows(db: Session, rows: Sequence[Any]) -> list[Public]:
        links = linked_ids(db, parent, child, [r.id for r in rows])
        return [render(schema, r, **{field: links.get(r.id, [])}) for r in rows]

    return render_rows
