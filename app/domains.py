"""The domains' cross-domain hooks, registered in one place.

``create_app()`` (app/main.py) and the ``veerkracht`` command both call
``register_domains()``; so can any script that uses the services directly. Nothing else
registers hooks, and importing a module never does.
"""

from app.changes.service import FeedSync
from app.core.pagination import register_sync
from app.identity import service as identity_service
from app.learning import service as learning_service
from app.organisation.hooks import HOOKS
from app.training import service as training_service


def register_domains() -> None:
    """Connect the organisation domain's hooks to the domains that react; idempotent."""
    # Assigned, not appended: calling this again (every create_app()) changes nothing.
    HOOKS.organisation_created = (learning_service.ensure_builtin_skills,)
    HOOKS.employee_team_changed = (learning_service.on_employee_team_changed,)
    HOOKS.employees_deactivated = (
        training_service.cancel_future_enrolments,
        identity_service.deactivate_users_of,
    )
    # Every list carries a sync token from the change feed (core/pagination.py).
    register_sync(FeedSync())
