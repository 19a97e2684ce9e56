"""SCIM filters (RFC 7644 section 3.4.2.2) translated into SQL, never evaluated in Python.

scim2-models parses the filter into a tree; this module walks it and builds one SQLAlchemy
condition, which the list query adds to the statement that core/tenancy.py already scopes
to the caller's organisation. Every attribute a filter may name is listed in ``UserColumns``
and ``GroupColumns``; anything else (an unknown attribute, an operator the attribute does
not take, a value of the wrong type) is ``400 invalidFilter``, never a 500.
"""

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from scim2_models import ScimFilter
from scim2_models.path import (
    AttrPath,
    CompareOperator,
    Comparison,
    FilterVisitor,
    LogicalExpr,
    LogicalOperator,
    Not,
    Present,
    ValuePath,
)
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import col

from app.core.queries import escape_like, folded
from app.core.sqljson import joined_words
from app.organisation.models import Employee, Team
from app.scim.errors import ScimError
from app.scim.mapping import PROVISIONED, USER_NAME
from app.scim.schemas import ENTERPRISE_URN, GROUP_URN, USER_URN

FILTER_MAX = 2000
Condition = ColumnElement[bool]


@dataclass(frozen=True)
class Attr:
    """A filterable attribute: its SQL expression and the kind of value it holds."""

    expr: Any
    kind: str  # "text" (case-insensitive), "exact" (case-sensitive), "bool", "time", "id"


def _user_attrs() -> dict[str, Attr]:
    name = joined_words(
        [col(Employee.first_name), col(Employee.name_particle), col(Employee.last_name)]
    )
    return {
        "id": Attr(col(Employee.id), "id"),
        "username": Attr(USER_NAME, "text"),
        "externalid": Attr(col(Employee.scim_external_id), "exact"),
        "displayname": Attr(name, "text"),
        "name.givenname": Attr(col(Employee.first_name), "text"),
        "name.familyname": Attr(col(Employee.last_name), "text"),
        "name.middlename": Attr(col(Employee.name_particle), "text"),
        "emails": Attr(col(Employee.email), "text"),
        "emails.value": Attr(col(Employee.email), "text"),
        "active": Attr(col(Employee.active), "bool"),
        "meta.lastmodified": Attr(col(Employee.updated_at), "time"),
        "meta.created": Attr(col(Employee.created_at), "time"),
        "employeenumber": Attr(col(Employee.external_id), "exact"),
    }


def _group_attrs() -> dict[str, Attr]:
    return {
        "id": Attr(col(Team.id), "id"),
        "displayname": Attr(col(Team.name), "text"),
        "externalid": Attr(col(Team.scim_external_id), "exact"),
        "meta.lastmodified": Attr(col(Team.updated_at), "time"),
        "meta.created": Attr(col(Team.created_at), "time"),
    }


def _invalid(detail: str) -> ScimError:
    return ScimError(detail, scim_type="invalidFilter")


class _ToSql(FilterVisitor[Condition]):
    def __init__(
        self,
        attrs: dict[str, Attr],
        urns: tuple[str, ...],
        members: Callable[[ValuePath | Comparison | Present], Condition] | None,
    ) -> None:
        self.attrs = attrs
        self.urns = urns
        self.members = members

    def _key(self, path: AttrPath) -> str:
        if path.uri is not None and path.uri.lower() not in self.urns:
            raise _invalid(f"The schema {path.uri} is not filterable here.")
        key = path.attr.lower() + (f".{path.sub_attr.lower()}" if path.sub_attr else "")
        return key

    def _attr(self, path: AttrPath) -> Attr:
        found = self.attrs.get(self._key(path))
        if found is None:
            raise _invalid(
                f"Filtering on '{path}' is not supported; filterable attributes: "
                + ", ".join(sorted(k for k in self.attrs if k != "emails"))
                + "."
            )
        return found

    def _is_members(self, path: AttrPath) -> bool:
        return self.members is not None and path.attr.lower() == "members"

    def visit_logical_expr(self, node: LogicalExpr) -> Condition:
        terms = [self.visit(t) for t in node.terms]
        return sa.and_(*terms) if node.op == LogicalOperator.and_ else sa.or_(*terms)

    def visit_not(self, node: Not) -> Condition:
        return sa.not_(self.visit(node.expr))

    def visit_present(self, node: Present) -> Condition:
        if self._is_members(node.attr_path) and self.members is not None:
            return self.members(node)
        attr = self._attr(node.attr_path)
        if attr.kind in ("text", "exact"):
            return sa.and_(attr.expr.is_not(None), attr.expr != "")
        return attr.expr.is_not(None)  # type: ignore[no-any-return]

    def visit_value_path(self, node: ValuePath) -> Condition:
        if self._is_members(node.attr_path) and self.members is not None:
            return self.members(node)
        if node.attr_path.attr.lower() == "emails":
            # The one address kept is the primary work address.
            email = {
                "value": Attr(col(Employee.email), "text"),
                "type": Attr(sa.literal("work"), "text"),
            }
            return _ToSql(email, (), None).visit(node.val_filter)
        raise _invalid(f"The value filter '{node}' is not supported.")

    def visit_comparison(self, node: Comparison) -> Condition:
        if self._is_members(node.attr_path) and self.members is not None:
            return self.members(node)
        attr = self._attr(node.attr_path)
        op, value = node.op, node.value
        if value is None:
            raise _invalid("Compare with a value; use 'pr' to test for presence.")
        if attr.kind == "bool":
            if op not in (CompareOperator.eq, CompareOperator.ne) or not isinstance(value, bool):
                raise _invalid(f"'{node.attr_path}' takes eq or ne with true or false.")
            return attr.expr == value if op == CompareOperator.eq else attr.expr != value  # type: ignore[no-any-return]
        if attr.kind == "time":
            return _compare_time(attr.expr, op, value, str(node.attr_path))
        if attr.kind == "id":
            if op not in (CompareOperator.eq, CompareOperator.ne) or not isinstance(value, str):
                raise _invalid("'id' takes eq or ne with a string.")
            try:
                wanted = uuid.UUID(value)
            except ValueError:
                return sa.false() if op == CompareOperator.eq else sa.true()
            return attr.expr == wanted if op == CompareOperator.eq else attr.expr != wanted  # type: ignore[no-any-return]
        if not isinstance(value, str):
            raise _invalid(f"'{node.attr_path}' is compared with a string.")
        return _compare_text(attr.expr, op, value, exact=attr.kind == "exact")


def _compare_text(expr: Any, op: CompareOperator, value: str, *, exact: bool) -> Condition:
    # Case-insensitive attributes (RFC 7643 2.2, caseExact false) compare both sides folded
    # in the database, in every script: "ÖZDEMIR" finds "Özdemir" on SQLite too.
    fold: Any = (lambda x: x) if exact else folded
    patterns = {
        CompareOperator.co: f"%{escape_like(value)}%",
        CompareOperator.sw: f"{escape_like(value)}%",
        CompareOperator.ew: f"%{escape_like(value)}",
    }
    if op in patterns:
        return fold(expr).like(fold(sa.literal(patterns[op])), escape="\\")  # type: ignore[no-any-return]
    expr, value = fold(expr), fold(sa.literal(value))
    if op == CompareOperator.eq:
        return expr == value  # type: ignore[no-any-return]
    if op == CompareOperator.ne:
        return sa.or_(expr != value, expr.is_(None))
    if op == CompareOperator.gt:
        return expr > value  # type: ignore[no-any-return]
    if op == CompareOperator.ge:
        return expr >= value  # type: ignore[no-any-return]
    if op == CompareOperator.lt:
        return expr < value  # type: ignore[no-any-return]
    return expr <= value  # type: ignore[no-any-return]


def _compare_time(expr: Any, op: CompareOperator, value: Any, name: str) -> Condition:
    if op in (CompareOperator.co, CompareOperator.sw, CompareOperator.ew, CompareOperator.ne):
        raise _invalid(f"'{name}' takes eq, gt, ge, lt or le.")
    try:
        moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        raise _invalid(f"'{value}' is not an RFC 3339 date-time.") from None
    if moment.tzinfo is None:
        raise _invalid(f"'{value}' needs a time zone (e.g. 'Z').")
    ops: dict[CompareOperator, Condition] = {
        CompareOperator.eq: expr == moment,
        CompareOperator.gt: expr > moment,
        CompareOperator.ge: expr >= moment,
        CompareOperator.lt: expr < moment,
        CompareOperator.le: expr <= moment,
    }
    return ops[op]


def parse(expression: str) -> Any:
    """The filter's syntax tree; ``400 invalidFilter`` when it is not a SCIM filter."""
    if len(expression) > FILTER_MAX:
        raise _invalid(f"The filter is longer than {FILTER_MAX} characters.")
    try:
        return ScimFilter(expression).ast
    except Exception as exc:  # the parser's own errors, whatever their class
        raise _invalid(f"The filter cannot be parsed: {str(exc)[:300]}") from None


def user_condition(expression: str) -> Condition:
    """SQL for a filter over Users."""
    return _ToSql(_user_attrs(), (USER_URN.lower(), ENTERPRISE_URN.lower()), None).visit(
        parse(expression)
    )


def group_condition(expression: str) -> Condition:
    """SQL for a filter over Groups; ``members`` tests go through an EXISTS on employees."""
    return _ToSql(_group_attrs(), (GROUP_URN.lower(),), _members_condition).visit(parse(expression))


def _members_condition(node: ValuePath | Comparison | Present) -> Condition:
    team_has = (
        sa.select(col(Employee.id))
        .where(col(Employee.team_id) == col(Team.id), PROVISIONED)
        .correlate(Team)
    )
    if isinstance(node, Present):
        return team_has.exists()
    inner = node.val_filter if isinstance(node, ValuePath) else node
    if not isinstance(inner, Comparison):
        raise _invalid('Members are filtered as members[value eq "<user id>"].')
    sub = inner.attr_path.sub_attr if isinstance(node, Comparison) else inner.attr_path.attr
    if not (
        inner.op == CompareOperator.eq
        and (sub or "").lower() == "value"
        and isinstance(inner.value, str)
    ):
        raise _invalid('Members are filtered as members[value eq "<user id>"].')
    try:
        member = uuid.UUID(inner.value)
    except ValueError:
        return sa.false()
    return team_has.where(col(Employee.id) == member).exists()


# What sortBy may name, and the SQL it sorts on. An attribute that is not caseExact sorts
# without regard to case (RFC 7644 section 3.4.2.3), folded as its filters compare it.
SORTABLE_USERS: dict[str, Any] = {
    "username": folded(USER_NAME),
    "externalid": col(Employee.scim_external_id),
    "emails.value": folded(col(Employee.email)),
    "name.familyname": folded(col(Employee.last_name)),
    "name.givenname": folded(col(Employee.first_name)),
    "meta.lastmodified": col(Employee.updated_at),
    "meta.created": col(Employee.created_at),
    "id": col(Employee.id),
}
SORTABLE_GROUPS: dict[str, Any] = {
    "displayname": folded(col(Team.name)),
    "externalid": col(Team.scim_external_id),
    "meta.lastmodified": col(Team.updated_at),
    "meta.created": col(Team.created_at),
    "id": col(Team.id),
}
