"""Small helpers every domain service uses for changes and references."""

import uuid
from typing import Any, TypeVar

from sqlmodel import Session

from app.core.errors import InvalidInput, NotFound
from app.core.models import TenantTable, utcnow
from app.core.tenancy import get_scoped

T = TypeVar("T", bound=TenantTable)


def apply_changes(obj: Any, changes: dict[str, Any]) -> list[str]:
    """Set the fields whose value differs and bump ``updated_at``; returns their names."""
    changed = [k for k, v in changes.items() if getattr(obj, k) != v]
    for key in changed:
        setattr(obj, key, changes[key])
    if changed and hasattr(obj, "updated_at"):
        obj.updated_at = utcnow()
    return changed


def unknown_reference(pointer: str, what: str, id_: Any) -> InvalidInput:
    """422 for an id in the body that names nothing of this organisation."""
    return InvalidInput(
        f"No {what} with id {id_} in this organisation.",
        code="unknown-reference",
        errors=[{"pointer": pointer, "detail": f"unknown {what}"}],
    )


def resolve_ref(session: Session, model: type[T], id_: uuid.UUID, *, pointer: str, what: str) -> T:
    """Resolve an id given in a request body, or raise a 422 naming the field.

    Another organisation's id is treated exactly like a missing one.
    """
    try:
        return get_scoped(session, model, id_)
    except NotFound:
        raise unknown_reference(pointer, what, id_) from None
