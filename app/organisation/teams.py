"""Teams and their managers."""

import uuid
from collections.abc import Iterable, Sequence
from typing import ClassVar

from pydantic import Field
from sqlmodel import Session, col, select

from app.core.crud import (
    apply_changes,
    delete_or_conflict,
    refuse_existing,
    set_links,
    unknown_reference,
)
from app.core.dates import today
from app.core.errors import Conflict
from app.core.listing import Clauses, ListFilters, Listing
from app.core.models import render, touch
from app.core.queries import linked_ids
from app.organisation.models import (
    MANAGER_ROLES,
    Employee,
    Team,
    TeamCreate,
    TeamManager,
    TeamPublic,
    TeamUpdate,
    employment_ended,
)

PATH = "/v1/teams"


def _check_managers(
    db: Session, manager_ids: Sequence[uuid.UUID], *, kept: Iterable[uuid.UUID] = ()
) -> None:
    """Managers are employees with a manager role, and a new one is still employed (as in
    the imports: app/imports/leaders.py); one the team already has (``kept``) may stay,
    so a sync that sends the team unchanged is not refused the day its manager leaves
    (and managers first passes over a manager no longer employed)."""
    unique = list(dict.fromkeys(manager_ids))
    if not unique:
        return
    found = {e.id: e for e in db.exec(select(Employee).where(col(Employee.id).in_(unique)))}
    already, on = set(kept), today()
    for i, mid in enumerate(manager_ids):
        emp = found.get(mid)
        if emp is None:
            raise unknown_reference(f"/manager_ids/{i}", "employee", mid)
        if emp.role not in MANAGER_ROLES:
            raise Conflict(
                f"{emp.full_name} has role '{emp.role}'; team managers must have role "
                "'team_manager' or 'senior_management'.",
                code="not-a-manager",
                errors=[{"pointer": f"/manager_ids/{i}", "detail": "not a manager"}],
            )
        reason = employment_ended(emp.active, emp.ended_on, on)
        if mid not in already and reason is not None:
            raise Conflict(
                f"{emp.full_name} is no longer employed ({reason}); someone no longer "
                "employed cannot become a team's manager.",
                code="not-a-manager",
                errors=[{"pointer": f"/manager_ids/{i}", "detail": "no longer employed"}],
            )


def _set_managers(
    db: Session,
    team: Team,
    manager_ids: Sequence[uuid.UUID],
    current: Sequence[uuid.UUID] | None = None,
) -> bool:
    return set_links(
        db,
        col(TeamManager.team_id),
        col(TeamManager.employee_id),
        team,
        manager_ids,
        current=current,
    )


def manager_ids_by_team(
    db: Session, team_ids: Iterable[uuid.UUID]
) -> dict[uuid.UUID, list[uuid.UUID]]:
    """Managers of many teams in one query."""
    return linked_ids(db, col(TeamManager.team_id), col(TeamManager.employee_id), team_ids)


def team_public(team: Team, manager_ids: list[uuid.UUID]) -> TeamPublic:
    """The API shape of a team."""
    return render(TeamPublic, team, manager_ids=manager_ids)


def teams_public(db: Session, teams: Sequence[Team]) -> list[TeamPublic]:
    """Teams with their managers, in two queries whatever the count."""
    managers = manager_ids_by_team(db, (t.id for t in teams))
    return [team_public(t, managers.get(t.id, [])) for t in teams]


class TeamFilters(ListFilters):
    clauses: ClassVar[Clauses] = {
        "manager_id": lambda manager_id: col(Team.id).in_(
            select(col(TeamManager.team_id)).where(col(TeamManager.employee_id) == manager_id)
        )
    }

    external_id: str | None = Field(
        default=None, max_length=100, description="The HR platform's own id."
    )
    manager_id: uuid.UUID | None = None


TEAM_LIST = Listing(
    model=Team,
    filters=TeamFilters,
    public=TeamPublic,
    render=teams_public,
    doc="Teams with their managers; filter by `external_id` or `manager_id`.",
)


def create_team(db: Session, *, data: TeamCreate) -> Team:
    """A new team; its managers must be employees with a manager role."""
    _check_managers(db, data.manager_ids)
    refuse_existing(db, Team, PATH, external_id=data.external_id)
    team = Team(name=data.name, external_id=data.external_id)
    db.add(team)
    db.flush()
    _set_managers(db, team, data.manager_ids)
    db.flush()
    return team


def update_team(db: Session, *, team: Team, data: TeamUpdate) -> Team:
    """Change a team's name, external id or managers."""
    changes = data.model_dump(exclude_unset=True, exclude={"manager_ids"})
    refuse_existing(db, Team, PATH, exclude=team.id, external_id=changes.get("external_id"))
    kept: list[uuid.UUID] = []
    if data.manager_ids is not None:
        kept = manager_ids_by_team(db, [team.id]).get(team.id, [])
        _check_managers(db, data.manager_ids, kept=kept)
    # Checked first, written after: the team and its managers in one flush (one event).
    apply_changes(team, changes)
    if data.manager_ids is not None and _set_managers(db, team, data.manager_ids, current=kept):
        touch(team)
    db.flush()
    return team


def delete_team(db: Session, *, team: Team) -> None:
    """Delete a team that has no employees (move or deactivate them first)."""
    members = db.scalar(select(col(Employee.id)).where(col(Employee.team_id) == team.id).limit(1))
    if members is not None:
        raise Conflict(
            "The team still has employees; move them to another team first.",
            code="team-has-employees",
        )
    delete_or_conflict(db, team, "The team is referenced by goals, norms or history.")
