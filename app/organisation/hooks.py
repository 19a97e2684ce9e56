"""What other domains do when the organisation domain changes, as typed hooks.

The organisation domain cannot import the domains that react to it (they import it), so
it calls these hooks instead. They are filled in one place, ``app/domains.py``
``register_domains()``, which ``create_app()`` and the CLI call: importing a module never
registers anything, so a script gets the same behaviour as the app by calling it too.
"""

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from sqlmodel import Session

from app.organisation.models import Employee, Organisation


class OrganisationCreated(Protocol):
    """Set up a new organisation (e.g. its nine seed skills), in its creating transaction."""

    def __call__(self, db: Session, org: Organisation, /) -> None: ...


class EmployeeTeamChanged(Protocol):
    """React to an employee having moved from ``old_team_id`` to their current team."""

    def __call__(
        self, db: Session, employee: Employee, old_team_id: uuid.UUID | None, /
    ) -> None: ...


class EmployeesDeactivated(Protocol):
    """React to employees who were active and no longer are; ``dry_run`` changes nothing.

    Returns what it did (or would do) in sentences, which an import reports.
    """

    def __call__(
        self, db: Session, employee_ids: Sequence[uuid.UUID], /, *, dry_run: bool = False
    ) -> list[str]: ...


@dataclass
class Hooks:
    """The hooks of each kind, in the order they run."""

    organisation_created: tuple[OrganisationCreated, ...] = ()
    employee_team_changed: tuple[EmployeeTeamChanged, ...] = ()
    employees_deactivated: tuple[EmployeesDeactivated, ...] = ()


# Empty until register_domains() fills it.
HOOKS = Hooks()
