"""Reading the audit trail, and erasing an employee's personal data (AVG/GDPR)."""

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy import or_
from sqlmodel import Session, SQLModel, col, select

from app.audit.models import AuditAction, AuditEvent
from app.audit.trail import mark_action
from app.changes import service as changes_service
from app.core.crud import apply_changes
from app.core.errors import Conflict
from app.core.idempotency import IdempotencyRecord
from app.core.models import TenantTable, utcnow
from app.core.pagination import PageEnd, PageParams, paginate
from app.core.queries import where_given, where_range
from app.incidents import service as incidents_service
from app.organisation.models import Employee
from app.training.models import Enrolment

# --- audit events -----------------------------------------------------------------------


def list_events(
    db: Session,
    *,
    params: PageParams,
    resource_type: str | None = None,
    resource_id: uuid.UUID | None = None,
    action: AuditAction | None = None,
    api_key_id: uuid.UUID | None = None,
    user_id: uuid.UUID | None = None,
    created_from: datetime | None = None,
    created_to: datetime | None = None,
    until: datetime | None = None,
) -> tuple[Sequence[AuditEvent], PageEnd]:
    """The organisation's audit events, oldest first, filtered."""
    stmt = select(AuditEvent)
    stmt = where_given(
        stmt,
        AuditEvent,
        resource_type=resource_type,
        resource_id=resource_id,
        action=action,
        api_key_id=api_key_id,
        user_id=user_id,
    )
    stmt = where_range(
        stmt, col(AuditEvent.created_at), at_least=created_from, at_most=created_to, below=until
    )
    return paginate(db, stmt, AuditEvent, params)


# --- erasure ----------------------------------------------------------------------------

ERASED = "[erased]"

# Free text ABOUT an employee kept in other tables: table -> (columns pointing at the
# employee, text columns to clear). tests/audit/test_erasure.py fails when a table with
# an employee reference and a free-text column is neither here nor in NOT_ABOUT_THE_EMPLOYEE,
# so a new notes field cannot escape erasure unnoticed.
FREE_TEXT_ABOUT_EMPLOYEE: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "personal_goal": (("employee_id",), ("description",)),
    "follow_up_item": (("owner_employee_id",), ("description",)),
    "hrm_conversation": (("employee_id",), ("notes",)),
    # The sign-in account of the employee (issue 18): its email and name are theirs.
    "user": (("employee_id",), ("email", "name")),
    # Deleted on erasure anyway (incidents/privacy.py); listed so the notes can never stay.
    "aftercare": (("employee_id",), ("notes",)),
    # What they wanted to practise and what their trainer and they wrote afterwards (issue 20).
    "training_reflection": (("employee_id",), ("situation", "question")),
    "training_evaluation": (("employee_id",), ("helped", "practise_more", "trainer_note")),
}
# Tables that reference an employee and hold long text that is not about that employee,
# each with the reason (checked by the same test).
NOT_ABOUT_THE_EMPLOYEE: dict[str, str] = {}

# The employee's own identifying fields; the row itself stays so counts of trainings,
# enrolments and completions in reports are unchanged.
_IDENTIFYING: dict[str, Any] = {
    "first_name": ERASED,
    "name_particle": None,
    "last_name": ERASED,
    "email": None,
    "external_id": None,
    # SCIM's userName (usually the email) and the identity provider's key for the person.
    "user_name": None,
    "scim_external_id": None,
}
# Employee text columns that do not identify the person (tests/audit/test_erasure.py
# fails on a new text column that is in neither).
NOT_IDENTIFYING: dict[str, str] = {"role": "the function's role, shared by many"}


def _mapped(table: str) -> type[TenantTable] | None:
    for mapper in SQLModel._sa_registry.mappers:
        cls = mapper.class_
        if getattr(cls, "__tablename__", None) == table and issubclass(cls, TenantTable):
            return cls
    return None


def _erase_free_text(db: Session, employee_id: uuid.UUID) -> None:
    for table, (refs, texts) in FREE_TEXT_ABOUT_EMPLOYEE.items():
        model = _mapped(table)
        if model is None:  # that domain has not got the table (yet)
            continue
        columns = model.__table__.columns  # type: ignore[attr-defined]
        present = [t for t in texts if t in columns]
        conditions = [col(getattr(model, r)) == employee_id for r in refs if r in columns]
        if not present or not conditions:
            continue
        for ref_condition in conditions:
            for row in db.exec(select(model).where(ref_condition)).all():
                apply_changes(row, {t: None if columns[t].nullable else ERASED for t in present})


def _scrubbed(value: Any, employee_id: str, names: Sequence[str]) -> Any:
    """``value`` (JSON) with the employee's names replaced by ``ERASED``: in text, and as
    the ``name`` of an entry that is theirs (``{"id": ..., "name": ...}``)."""
    if isinstance(value, str):
        for name in names:
            value = value.replace(name, ERASED)
        return value
    if isinstance(value, list):
        return [_scrubbed(v, employee_id, names) for v in value]
    if isinstance(value, dict):
        out = {k: _scrubbed(v, employee_id, names) for k, v in value.items()}
        if out.get("id") == employee_id and "name" in out:
            out["name"] = ERASED
        return out
    return value


def _erase_from_rule_results(db: Session, employee: Employee) -> None:
    # An enrolment keeps the findings of the rules it was checked against, written as
    # text that names people: the employee's own ("Sanne Visser has not yet read ...") and,
    # in managers first, the managers still missing. Their earlier change events are
    # scrubbed with them (changes/outbox.py: every row an erasure changes).
    ref = str(employee.id)
    names = sorted({employee.full_name, f"{employee.first_name} {employee.last_name}"}, key=len)
    rows = db.exec(
        select(Enrolment).where(
            or_(
                col(Enrolment.employee_id) == employee.id,
                sa.cast(col(Enrolment.warnings), sa.Text).contains(ref),
            )
        )
    ).all()
    for row in rows:
        scrubbed = _scrubbed(row.warnings, ref, names[::-1])
        if scrubbed != row.warnings:
            apply_changes(row, {"warnings": scrubbed})


def _forget_stored_answers(db: Session, employee: Employee) -> None:
    # A POST retried with its Idempotency-Key is answered from the stored response for a
    # day: one naming the employee would show them after the erasure. Forgotten, a retry
    # runs again and meets the erased record.
    table: sa.Table = IdempotencyRecord.__table__  # type: ignore[attr-defined]
    needle = str(employee.id)  # ASCII: found alike in the bytes, escaped or not
    body = table.c.response_body
    if db.get_bind().dialect.name == "postgresql":
        names_them = sa.func.strpos(sa.func.encode(body, "escape"), needle) > 0
    else:
        names_them = sa.func.instr(body, needle.encode()) > 0
    db.connection().execute(
        sa.delete(table).where(
            table.c.organisation_id == employee.organisation_id, body.is_not(None), names_them
        )
    )


def erase_employee(db: Session, *, employee: Employee) -> Employee:
    """Anonymise a deactivated employee: names, email, external id and notes about them;
    their part in incidents is removed and those incidents' descriptions cleared.

    Refused (409) while the employee is active. Erasing twice changes nothing.
    """
    if employee.active:
        raise Conflict(
            "Only a deactivated employee can be erased; set active=false first.",
            code="employee-active",
        )
    if employee.erased_at is not None:
        return employee
    mark_action(db, employee, AuditAction.erase)
    _erase_from_rule_results(db, employee)  # before the names below are gone
    apply_changes(employee, {**_IDENTIFYING, "erased_at": utcnow()})
    _erase_free_text(db, employee.id)
    # The feed's events of rows about them this erasure cannot reach (deleted since, or
    # their text cleared before): the outbox scrubs only the rows it changes.
    changes_service.scrub_mentions(
        db, resource_types=[*FREE_TEXT_ABOUT_EMPLOYEE, "enrolment"], mentioned=employee.id
    )
    _forget_stored_answers(db, employee)
    # Incidents (sensitive data): their involvement and aftercare go, descriptions cleared.
    incidents_service.erase_employee_part(db, employee_id=employee.id)
    db.flush()
    return employee
