"""Small helpers every domain service uses for changes and references."""

import uuid
from collections.abc import Iterable, Sequence
from typing import Any, TypeVar

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from app.core.errors import Conflict, InvalidInput, NotFound
from app.core.models import NOT_NULLABLE, TenantTable
from app.core.problems import ProblemCode
from app.core.tenancy import get_scoped

T = TypeVar("T", bound=TenantTable)


def apply_changes(obj: Any, changes: dict[str, Any]) -> list[str]:
    """Set the fields whose value differs; returns their names (``updated_at`` follows).

    ``None`` for a column that cannot be null is the PATCH rule's 422 naming the field
    (core/models.py ``PatchModel``), never a database error: a PATCH body that let it
    through is refused here with the same problem.
    """
    columns = obj.__table__.columns if hasattr(obj, "__table__") else {}
    for key, value in changes.items():
        if value is None and key in columns and not columns[key].nullable:
            raise InvalidInput(
                f"{key} may not be null.",
                code="validation-error",
                errors=[{"pointer": f"/{key}", "detail": NOT_NULLABLE}],
            )
    changed = [k for k, v in changes.items() if getattr(obj, k) != v]
    for key in changed:
        setattr(obj, key, changes[key])
    return changed


def loaded_fields(obj: Any) -> dict[str, Any]:
    """A row's field values as loaded, for building its Public schema with extra fields."""
    # Not model_dump(): on a table model it would re-serialise enums.
    return {name: getattr(obj, name) for name in type(obj).model_fields}


def unknown_reference(pointer: str, what: str, id_: Any) -> InvalidInput:
    """422 for an id in the body that names nothing of this organisation."""
    return InvalidInput(
        f"No {what} with id {id_} in this organisation.",
        code="unknown-reference",
        errors=[{"pointer": pointer, "detail": f"unknown {what}"}],
    )


def resolve_refs(
    db: Session, model: type[T], ids: Sequence[uuid.UUID], *, pointer: str, what: str
) -> dict[uuid.UUID, T]:
    """Resolve many body ids in one query; the first unknown one is a 422 naming its place.

    ``pointer`` is a format string with ``{i}``, the index of the id in ``ids``.
    """
    unique = list(dict.fromkeys(ids))
    found: dict[uuid.UUID, T] = {}
    if unique:
        rows = db.exec(select(model).where(col(model.id).in_(unique)))
        found = {row.id: row for row in rows}
    for i, id_ in enumerate(ids):
        if id_ not in found:
            raise unknown_reference(pointer.format(i=i), what, id_)
    return found


def no_duplicate_ids(ids: Sequence[uuid.UUID], *, pointer: str, what: str) -> None:
    """422 naming the second place an id is given in a body list (``pointer`` has ``{i}``)."""
    seen: set[uuid.UUID] = set()
    for i, id_ in enumerate(ids):
        if id_ in seen:
            raise InvalidInput(
                f"The same {what} is given twice.",
                code="duplicate-reference",
                errors=[{"pointer": pointer.format(i=i), "detail": f"duplicate {what}"}],
            )
        seen.add(id_)


def resolve_ref(db: Session, model: type[T], id_: uuid.UUID, *, pointer: str, what: str) -> T:
    """Resolve an id given in a request body, or raise a 422 naming the field.

    Another organisation's id is treated exactly like a missing one.
    """
    try:
        return get_scoped(db, model, id_)
    except NotFound:
        raise unknown_reference(pointer, what, id_) from None


def set_links(
    db: Session,
    parent: Any,
    child: Any,
    owner: TenantTable,
    child_ids: Iterable[uuid.UUID],
    *,
    current: Iterable[uuid.UUID] | None = None,
) -> bool:
    """Make a link table name exactly ``child_ids`` for ``owner`` (a team's managers);
    whether that changed anything.

    ``parent`` and ``child`` are the link table's columns, as ``core/queries.linked_ids``
    reads them; an id given twice is linked once, and the links carry the owner's
    organisation (link tables are not tenant tables: nothing stamps them). The links are a
    set (read in id order): the same ids again write nothing, so the owner's caller leaves
    its version alone and an HR platform's unchanged nightly PUT is no change.
    ``current``: the ids linked now, when the caller has read them already (in the same
    transaction, under the owner's row lock), so they are not read again.
    """
    link = parent.class_
    org_id = owner.organisation_id
    wanted = list(dict.fromkeys(child_ids))
    mine = (parent == owner.id, link.organisation_id == org_id)
    # Read without flushing the owner's own pending changes: they go in one flush with
    # its links, so the audit trail has one event for the write.
    with db.no_autoflush:
        linked = set(db.scalars(select(child).where(*mine)) if current is None else current)
        if linked == set(wanted):
            return False
        gone = linked.difference(wanted)
        # Row by row rather than one bulk DELETE: each link removed, like each one added,
        # meets the unit of work's check of the caller's role (identity/reach.py). (The
        # unit of work knows no relationship between a link and its owner: a caller that
        # deletes the owner next flushes these first, or they would come after it.)
        for row in db.scalars(select(link).where(*mine, child.in_(gone))) if gone else ():
            db.delete(row)
    db.add_all(
        link(**{parent.key: owner.id, child.key: child_id, "organisation_id": org_id})
        for child_id in wanted
        if child_id not in linked
    )
    return True


def delete_or_conflict(
    db: Session, obj: object, message: str, *, code: ProblemCode = "still-referenced"
) -> None:
    """Delete ``obj``, or raise ``Conflict(message, code)`` when rows still refer to it."""
    # Foreign keys are the authority on "still referenced": the database refuses, we explain.
    # The savepoint keeps the request's transaction usable after the refusal.
    try:
        with db.begin_nested():
            db.delete(obj)
            db.flush()
    except IntegrityError:
        raise Conflict(message, code=code) from None


def refuse_existing(
    db: Session,
    model: type[T],
    path: str,
    *,
    exclude: uuid.UUID | None = None,
    **values: Any,
) -> None:
    """409 ``already-exists`` when another row of the organisation has these values.

    The problem names the row that exists, ``existing: {id, url}``, so a client (an HR
    sync) can read or change it rather than guess. ``path`` is its collection
    (``/v1/employees``). A value of ``None`` is never a clash: nothing is checked.
    """
    for field_name, value in values.items():
        if value is None:
            continue
        stmt = select(col(model.id)).where(getattr(model, field_name) == value)
        if exclude is not None:
            stmt = stmt.where(col(model.id) != exclude)
        found = db.exec(stmt.limit(1)).first()
        if found is not None:
            raise already_exists(model, path, found, field_name)


def already_exists(model: type[T], path: str, found: uuid.UUID, field_name: str) -> Conflict:
    """The 409 ``already-exists`` for a value ``found`` (a row's id) already has."""
    return Conflict(
        f"Another {str(model.__tablename__).replace('_', ' ')} of this organisation already "
        f"has this {field_name}: {found}.",
        code="already-exists",
        errors=[{"pointer": f"/{field_name}", "detail": f"{field_name} is already in use."}],
        existing={"id": str(found), "url": f"{path}/{found}"},
    )
