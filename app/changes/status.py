"""``GET /v1/employee-status``: what an HR platform needs per employee, a page at a time.

Per employee: protocol readiness (the version in force and whether they read or discussed
it), each skill their function group needs with whether it is current and until when, the
needed skills that are not current (trainings due), and their open follow-up items. One
request per page, a bounded number of queries per page whatever its size (the domains'
own bulk queries). Like every list it carries a ``sync_token`` and takes one back
(core/pagination.py): then only the employees whose status may have changed since
(``_changed_since``). ``feed_cursor`` and ``changed_after`` are the same token under the
names this page had before every list had one (deprecated).
"""

import uuid
from collections import Counter
from collections.abc import Sequence
from datetime import date
from typing import Any

import sqlalchemy as sa
from pydantic import BaseModel, Field
from sqlmodel import Session, col, select

from app.changes.models import ChangeEvent
from app.changes.service import Position
from app.core.models import utcnow
from app.core.pagination import Page, PageParams, paginate
from app.core.queries import chunks, where_given
from app.core.tenancy import current_organisation_id
from app.followup.models import FollowUpItem, FollowUpStatus
from app.learning import service as learning_service
from app.learning.models import Skill
from app.organisation.models import Employee
from app.policy import readiness as policy_readiness
from app.training import service as training_service


class SkillStatus(BaseModel):
    skill_id: uuid.UUID
    code: str = Field(max_length=64)
    priority: str = Field(max_length=16)
    current: bool
    current_until: date | None = Field(description="The day the skill lapses; null if not current.")


class EmployeeStatus(BaseModel):
    employee_id: uuid.UUID
    external_id: str | None = Field(max_length=100)
    team_id: uuid.UUID | None
    function_group_id: uuid.UUID | None
    active: bool
    protocol_version: int | None = Field(description="The version in force; null if none is.")
    protocol_ready: bool = Field(description="Read or discussed in a team meeting.")
    skills: list[SkillStatus] = Field(description="The skills the function group needs.")
    trainings_due: list[str] = Field(description="Codes of needed skills that are not current.")
    open_follow_up_items: int


class EmployeeStatusPage(Page[EmployeeStatus]):
    """One page of employee statuses, and the feed position it was read at."""

    feed_cursor: str | None = Field(
        max_length=100,
        deprecated=True,
        description="Deprecated: the same as `sync_token`.",
    )


def employee_status(
    db: Session,
    *,
    params: PageParams,
    organisation_id: uuid.UUID,
    team_id: uuid.UUID | None,
    function_group_id: uuid.UUID | None,
    changed_after: str | None,
    on: date,
) -> EmployeeStatusPage:
    """One page of employee statuses (see module doc)."""
    if changed_after is not None and params.sync_token is None:
        params = params.model_copy(update={"sync_token": changed_after})
    stmt = where_given(
        select(Employee), Employee, team_id=team_id, function_group_id=function_group_id
    )
    rows, end = paginate(db, stmt, Employee, params, changed_since=_changed_since)
    return EmployeeStatusPage(
        items=_statuses(db, rows, on=on),
        next_cursor=end.next_cursor,
        sync_token=end.sync_token,
        feed_cursor=end.sync_token,
    )


# A change of one of these may change every employee's status: skill codes, refresher
# months, the protocol in force, the organisation's settings (exposure bands, refreshers).
_EVERYONE = ("organisation", "skill", "training_program", "protocol")
# Past this many changed follow-up items, the page is not narrowed by their owners.
_ITEMS_MAX = 5000


def _changed_since(db: Session, token: str) -> sa.ColumnElement[bool]:
    """The employees whose status may differ from what a scan at ``token`` showed: with an
    employee event (their own change, readiness, training record, a lapsed skill), in a
    function group that changed (its needs, its exposure), or owning (now or before) a
    follow-up item that changed. Everyone after a change of what all statuses derive from.
    Wider, never narrower: an employee that comes once more costs a row, a missed one a
    wrong status at the HR platform."""
    position = Position.decode(token, pointer="/query/sync_token")
    position.check_retention(utcnow())
    after = sa.tuple_(col(ChangeEvent.txid), col(ChangeEvent.seq)) > sa.tuple_(
        sa.literal(position.txid), sa.literal(position.seq)
    )
    org = current_organisation_id(db)

    def changed(*types: str) -> Any:
        return select(col(ChangeEvent.resource_id)).where(
            col(ChangeEvent.organisation_id) == org,
            col(ChangeEvent.resource_type).in_(types),
            after,
        )

    if db.exec(changed(*_EVERYONE).limit(1)).first() is not None:
        return sa.true()
    items = list(db.exec(changed("follow_up_item").distinct().limit(_ITEMS_MAX + 1)).all())
    if len(items) > _ITEMS_MAX:
        return sa.true()
    owners: set[uuid.UUID] = set()
    placed: set[uuid.UUID] = set()  # items some event of which says who or what owns them
    for part in chunks(items, 500):
        for item_id, data in db.exec(
            select(col(ChangeEvent.resource_id), col(ChangeEvent.data)).where(
                col(ChangeEvent.organisation_id) == org,
                col(ChangeEvent.resource_type) == "follow_up_item",
                col(ChangeEvent.resource_id).in_(part),
            )
        ):
            if data:
                placed.add(item_id)
                if owner := data.get("owner_employee_id"):
                    owners.add(uuid.UUID(str(owner)))
    if len(placed) < len(items):
        return sa.true()  # an item whose owner no event still tells (deleted, events purged)
    return sa.or_(
        col(Employee.id).in_(changed("employee").scalar_subquery()),
        col(Employee.function_group_id).in_(changed("function_group").scalar_subquery()),
        col(Employee.id).in_(owners),
    )


def _statuses(db: Session, employees: Sequence[Employee], *, on: date) -> list[EmployeeStatus]:
    if not employees:
        return []
    ids = [e.id for e in employees]
    groups = {e.function_group_id for e in employees if e.function_group_id is not None}
    needs = learning_service.needs_by_function_group(db, function_group_ids=groups)
    codes = dict(db.exec(select(col(Skill.id), col(Skill.code))).all())
    current = training_service.skills_current_until(db, employee_ids=ids, on=on)
    version, ready = policy_readiness.ready_ids_at(db, employee_ids=ids)
    open_items = Counter(
        db.exec(
            select(col(FollowUpItem.owner_employee_id)).where(
                col(FollowUpItem.owner_employee_id).in_(ids),
                col(FollowUpItem.status) == FollowUpStatus.open,
            )
        ).all()
    )
    out = []
    for e in employees:
        mine = current.get(e.id, {})
        skills = [
            SkillStatus(
                skill_id=skill_id,
                code=codes.get(skill_id, ""),
                priority=str(priority.value),
                current=skill_id in mine,
                current_until=mine.get(skill_id),
            )
            for skill_id, priority in needs.get(e.function_group_id, [])  # type: ignore[arg-type]
        ]
        out.append(
            EmployeeStatus(
                employee_id=e.id,
                external_id=e.external_id,
                team_id=e.team_id,
                function_group_id=e.function_group_id,
                active=e.active,
                protocol_version=version,
                protocol_ready=e.id in ready,
                skills=skills,
                trainings_due=[s.code for s in skills if not s.current],
                open_follow_up_items=open_items.get(e.id, 0),
            )
        )
    return out
