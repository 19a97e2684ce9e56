"""What each role reaches, applied to the request's session by construction (issue 18).

The rules are one table (``VISIBLE``, ``WRITABLE``): per role, per table, the conditions
under which a row is in reach, each naming a column and the set of the caller's ids it must
be in (``"managed_people"``: the employees of the teams the caller manages). A row is in
reach when any condition of any of the caller's roles holds.

- Reading: a ``do_orm_execute`` listener adds the conditions to every ORM statement of a
  signed-in person's session, next to the organisation (core/tenancy.py). A row out of
  reach is not found: 404, exactly like another organisation's.
- Writing: a ``before_flush`` listener checks every new, changed and deleted row against
  ``WRITABLE``; a change the role may not make is refused with 403. A row must be visible
  to be changed at all, so "not yours" stays 404 and "not allowed" is 403.

hr_admin reaches and writes everything; hr_viewer reaches everything (its scope is read).
API keys have no reach: their scope decides alone.
"""

import dataclasses
import uuid
from collections.abc import Iterable, Mapping
from functools import cache
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.orm import ORMExecuteState, Session, with_loader_criteria

from app.core.errors import Forbidden
from app.core.models import LINK_OWNER, TenantTable
from app.core.roles import REACH_KEY, REACH_OPTIONS_KEY, Reach, UserRole

ALL = "all"
# A link row (core/models.link_owner) is in reach when the row it belongs to is: who may
# change an HRM conversation may change the goals it records, and no one else.
OWNER = "owner"
# (column, the caller's id set it must be in; None: the column is null)
Condition = tuple[str, str | None]
Rule = tuple[Condition, ...] | str


def _ids(reach: Reach, name: str) -> frozenset[uuid.UUID]:
    one = {"me": reach.employee_id, "my_team": reach.team_id}
    if name in one:
        value = one[name]
        return frozenset({value}) if value is not None else frozenset()
    sets: dict[str, frozenset[uuid.UUID]] = {
        "managed_teams": reach.managed_team_ids,
        "managed_people": reach.managed_employee_ids,
        "my_sessions": reach.trained_session_ids,
        "participants": reach.participant_ids,
        "participant_teams": reach.participant_team_ids,
    }
    return sets[name]


# Reference data every signed-in person may read: the catalogue, skills, protocols, and the
# children of rows that are only ever reached through their (checked) parent.
_REFERENCE: dict[str, Rule] = dict.fromkeys(
    (
        "skill",
        "protocol",
        "protocol_section",
        "function_group",
        "function_group_need",
        "training_program",
        "training_session",
        "practice_review_rating",
        "team_meeting_agenda_item",
        "training_plan_group",
        "organisation_goal",
    ),
    ALL,
)
_OWN: Rule = (("employee_id", "me"),)

VISIBLE: dict[UserRole, dict[str, Rule]] = {
    UserRole.team_manager: {
        **_REFERENCE,
        "employee": (("id", "managed_people"), ("id", "me")),
        "team": (("id", "managed_teams"), ("id", "my_team")),
        "team_goal": (("team_id", "managed_teams"), ("team_id", "my_team")),
        "norm": (("team_id", None), ("team_id", "managed_teams"), ("team_id", "my_team")),
        "practice_review": (("team_id", "managed_teams"),),
        "team_meeting": (("team_id", "managed_teams"),),
        "team_discussion": (("team_id", "managed_teams"),),
        "training_plan": (("team_id", "managed_teams"),),
        "enrolment": (("employee_id", "managed_people"), ("employee_id", "me")),
        "training_completion": (("employee_id", "managed_people"), ("employee_id", "me")),
        "personal_goal": (("employee_id", "managed_people"), ("employee_id", "me")),
        "protocol_acknowledgement": (("employee_id", "managed_people"), ("employee_id", "me")),
        "hrm_conversation": (
            ("employee_id", "managed_people"),
            ("manager_id", "me"),
            ("employee_id", "me"),
        ),
        "training_reflection": (("employee_id", "managed_people"), ("employee_id", "me")),
        "training_evaluation": (("employee_id", "managed_people"), ("employee_id", "me")),
        "goal_progress": (("employee_id", "managed_people"), ("employee_id", "me")),
        "follow_up_item": (
            ("owner_team_id", "managed_teams"),
            ("owner_employee_id", "managed_people"),
            ("owner_employee_id", "me"),
        ),
    },
    UserRole.trainer: {
        **_REFERENCE,
        "employee": (("id", "participants"), ("id", "me")),
        "team": (("id", "my_team"), ("id", "participant_teams")),
        "team_goal": (("team_id", "participant_teams"),),
        "practice_review": (("team_id", "participant_teams"),),
        "enrolment": (("session_id", "my_sessions"), ("employee_id", "me")),
        "training_completion": (("session_id", "my_sessions"), ("employee_id", "me")),
        "follow_up_item": (("training_session_id", "my_sessions"), ("owner_employee_id", "me")),
        # The method around their sessions (issue 20): preparation, evaluation, progress
        # and, for the briefing and marking goals achieved, the participants' goals.
        "training_reflection": (("session_id", "my_sessions"), ("employee_id", "me")),
        "training_evaluation": (("session_id", "my_sessions"), ("employee_id", "me")),
        "goal_progress": (("session_id", "my_sessions"), ("employee_id", "me")),
        "personal_goal": (("employee_id", "participants"), ("employee_id", "me")),
    },
    UserRole.employee: {
        **_REFERENCE,
        "employee": (("id", "me"),),
        "team": (("id", "my_team"),),
        "team_goal": (("team_id", "my_team"),),
        "norm": (("team_id", None), ("team_id", "my_team")),
        "personal_goal": _OWN,
        "enrolment": _OWN,
        "training_completion": _OWN,
        "protocol_acknowledgement": _OWN,
        "hrm_conversation": _OWN,
        "follow_up_item": (("owner_employee_id", "me"),),
        "training_reflection": _OWN,
        "training_evaluation": _OWN,
        "goal_progress": _OWN,
    },
}

# A manager changes their people's rows and their own (enrolments, goals, acknowledgements,
# reflections, as an employee does; follow-up items they own, as before), but never their
# own HRM conversations: those their own manager holds with them.
_MANAGED_AND_OWN: Rule = (("employee_id", "managed_people"), ("employee_id", "me"))
_MANAGED_TEAM: Rule = (("team_id", "managed_teams"),)
WRITABLE: dict[UserRole, dict[str, Rule]] = {
    UserRole.team_manager: {
        "enrolment": _MANAGED_AND_OWN,
        "personal_goal": _MANAGED_AND_OWN,
        "hrm_conversation": (("employee_id", "managed_people"),),
        "training_reflection": _MANAGED_AND_OWN,
        "protocol_acknowledgement": _MANAGED_AND_OWN,
        "team_goal": _MANAGED_TEAM,
        "practice_review": _MANAGED_TEAM,
        "team_meeting": _MANAGED_TEAM,
        "team_discussion": _MANAGED_TEAM,
        "follow_up_item": VISIBLE[UserRole.team_manager]["follow_up_item"],
        # Children written with a parent the rules above already checked (a parent whose
        # children change is only touched, which is no change of its own: _BOOKKEEPING),
        # and links, checked against the row they belong to.
        "practice_review_rating": ALL,
        "team_meeting_agenda_item": ALL,
        "practice_review_participant": OWNER,
        "team_discussion_participant": OWNER,
        "hrm_conversation_goal": OWNER,
        "team_goal_norm": OWNER,
    },
    UserRole.trainer: {
        "training_session": (("id", "my_sessions"),),
        "enrolment": (("session_id", "my_sessions"),),
        "training_completion": (("session_id", "my_sessions"),),
        "follow_up_item": (("training_session_id", "my_sessions"),),
        "training_evaluation": (("session_id", "my_sessions"),),
        "goal_progress": (("session_id", "my_sessions"),),
        "personal_goal": (("employee_id", "participants"),),
    },
    UserRole.employee: {
        "personal_goal": _OWN,
        "enrolment": _OWN,
        "protocol_acknowledgement": _OWN,
        "training_reflection": _OWN,
    },
}


@cache
def _tenant_classes() -> dict[str, Any]:
    # Built at first use, when app/models.py has mapped every table.
    out: dict[str, Any] = {}
    pending: list[type] = [TenantTable]
    while pending:
        cls = pending.pop()
        pending.extend(cls.__subclasses__())
        table = getattr(cls, "__table__", None)
        if table is not None:
            out[table.name] = cls
    return out


def _rules(reach: Reach, table: Mapping[UserRole, dict[str, Rule]], name: str) -> list[Rule]:
    return [table[r][name] for r in reach.roles if r in table and name in table[r]]


def _criterion(cls: Any, reach: Reach, rules: Iterable[Rule]) -> Any:
    conditions: list[Any] = []
    for rule in rules:
        if isinstance(rule, str):
            return sa.true()
        for column, ids in rule:
            attr = getattr(cls, column)
            if ids is None:
                conditions.append(attr.is_(None))
            else:
                values = _ids(reach, ids)
                if values:
                    conditions.append(attr.in_(sorted(values)))
    return sa.or_(*conditions) if conditions else sa.false()


def visibility_options(reach: Reach) -> list[Any]:
    """The loader criteria that keep a session to ``reach`` (none for hr_admin/hr_viewer)."""
    if reach.sees_everything:
        return []
    options = []
    for name, cls in _tenant_classes().items():
        if name == "idempotency_key":
            continue  # the middleware's own bookkeeping, never read through a request session
        rules = _rules(reach, VISIBLE, name)
        if rules and ALL in rules:
            continue
        options.append(
            with_loader_criteria(cls, _criterion(cls, reach, rules), include_aliases=True)
        )
    return options


# The criteria of a bulk UPDATE or DELETE when they differ from the reads' (below).
_BULK_OPTIONS_KEY = "reach_bulk_options"


def bind_reach(db: Session, reach: Reach | None) -> None:
    """Keep every later statement and change of this session to ``reach``."""
    if reach is None:
        return
    db.info[REACH_KEY] = reach
    db.info[REACH_OPTIONS_KEY] = visibility_options(reach)
    writing = dataclasses.replace(reach, roles=reach.roles - {UserRole.hr_viewer})
    if reach.sees_everything and not reach.writes_everything and writing.roles:
        # hr_viewer beside a role that writes (a team manager): they read everyone, but a
        # bulk UPDATE or DELETE reaches only what the writing roles reach without it.
        db.info[_BULK_OPTIONS_KEY] = visibility_options(writing)


@event.listens_for(Session, "do_orm_execute")
def _keep_to_reach(state: ORMExecuteState) -> None:
    info = state.session.info
    reach = info.get(REACH_KEY)
    if (state.is_insert or state.is_update or state.is_delete) and isinstance(reach, Reach):
        _refuse_bulk_out_of_role(reach, state)
    options = info.get(REACH_OPTIONS_KEY)
    if state.is_update or state.is_delete:
        options = info.get(_BULK_OPTIONS_KEY, options)
    if not options or state.is_column_load or state.is_relationship_load:
        return
    if state.is_select or state.is_update or state.is_delete:
        state.statement = state.statement.options(*options)


def _allowed(reach: Reach, obj: Any) -> bool:
    name = sa.inspect(obj).mapper.local_table.name
    for rule in _rules(reach, WRITABLE, name):
        if rule == OWNER:
            owner = _owner_of(obj)
            if owner is not None and _allowed(reach, owner):
                return True
            continue
        if isinstance(rule, str):
            return True
        for column, ids in rule:
            value = getattr(obj, column)
            if (value is None and ids is None) or (ids and value in _ids(reach, ids)):
                return True
    return False


def _owner_of(link: Any) -> Any:
    """The row a link row belongs to, as the caller's session sees it (None: out of reach)."""
    state = sa.inspect(link)
    column = next(c for c in state.mapper.local_table.columns if c.info.get(LINK_OWNER))
    owner_table = next(iter(column.foreign_keys)).column.table.name
    return state.session.get(_tenant_classes()[owner_table], getattr(link, column.key))


def _refuse_bulk_out_of_role(reach: Reach, state: ORMExecuteState) -> None:
    # Bulk statements bypass the unit of work: a role writes a table with them only when
    # some rule lets it write that table (the rows an UPDATE/DELETE hits are kept in reach
    # by the criteria above). The rows of a bulk INSERT meet no check at all, so only who
    # writes everything makes one (imports: OrganisationWideWrite).
    if reach.writes_everything:
        return
    table = getattr(state.statement, "table", None)
    name = getattr(table, "name", None)
    if name is None or name == "idempotency_key":
        return
    if state.is_insert:
        raise Forbidden(
            f"Your role may not add {name.replace('_', ' ')}s in bulk.", code="role-forbids"
        )
    rules = _rules(reach, WRITABLE, name)
    # A link row is checked against its owner, which a bulk statement does not name.
    if rules and any(rule != OWNER for rule in rules):
        return
    values = getattr(state.statement, "_values", None) or {}
    names = {str(getattr(k, "key", getattr(k, "name", k))) for k in values}
    if state.is_update and names and names <= _BOOKKEEPING:
        return
    raise Forbidden(f"Your role may not change {name.replace('_', ' ')}s.", code="role-forbids")


# Columns the service keeps for a parent when its children change (touch(), a session's
# enrolment count): changing only these is not a change of the parent itself.
_BOOKKEEPING = frozenset({"updated_at", "enrolled_count"})


def _only_touched(obj: Any) -> bool:
    state = sa.inspect(obj)
    return {a.key for a in state.attrs if a.history.has_changes()} <= _BOOKKEEPING


# What nobody records about themselves, whatever their roles let them write: their own
# attendance. The trainer, a manager or HR records it (docs/identity.md); the person
# enrolled may still cancel. A manager is trained first, in a session like any other.
RECORDED_BY_OTHERS: dict[str, tuple[str, frozenset[str]]] = {
    "enrolment": ("status", frozenset({"attended", "no_show"})),
}


def _records_own(reach: Reach, obj: Any) -> bool:
    rule = RECORDED_BY_OTHERS.get(sa.inspect(obj).mapper.local_table.name)
    if rule is None or reach.employee_id is None:
        return False
    column, values = rule
    own = getattr(obj, "employee_id", None) == reach.employee_id
    changed = sa.inspect(obj).attrs[column].history.has_changes()
    return own and changed and getattr(obj, column) in values


@event.listens_for(Session, "before_flush")
def _refuse_out_of_role(db: Session, _ctx: Any, _instances: Any) -> None:
    reach = db.info.get(REACH_KEY)
    if not isinstance(reach, Reach) or reach.writes_everything:
        return
    for obj in (*db.new, *db.dirty, *db.deleted):
        if obj in db.dirty and obj not in db.deleted and _only_touched(obj):
            continue
        if not _allowed(reach, obj):
            name = sa.inspect(obj).mapper.local_table.name
            raise Forbidden(
                f"Your role may not change this {name.replace('_', ' ')}.", code="role-forbids"
            )
        if _records_own(reach, obj):
            raise Forbidden(
                "Attendance is recorded by the trainer, a manager or HR, not by the person "
                "enrolled; you may cancel your own enrolment.",
                code="role-forbids",
            )


def may(reach: Reach | None) -> dict[str, list[str]]:
    """Per table, what the caller may do with the rows it reaches (for GET /v1/me)."""
    names = sorted({*_tenant_classes(), "organisation"} - {"idempotency_key"})
    if reach is None or reach.writes_everything:
        return {n: ["read", "write"] for n in names}
    out: dict[str, list[str]] = {}
    for name in names:
        actions = []
        if reach.sees_everything or _rules(reach, VISIBLE, name) or name == "organisation":
            actions.append("read")
        if _rules(reach, WRITABLE, name):
            actions.append("write")
        if actions:
            out[name] = actions
    return out
