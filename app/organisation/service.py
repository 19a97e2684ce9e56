"""The organisation domain's public API, for its router and for other domains.

One module per resource: ``organisations`` (the organisation and its API keys),
``teams``, ``function_groups`` and ``employees`` (with the still-manages-teams rule
and the deactivation rule; other domains react through hooks.py).
"""

from app.organisation.employees import (
    STILL_MANAGES_TEAMS,
    ManagedTeams,
    create_employee,
    deactivate_ended,
    delete_employee,
    employee_json,
    employee_public_json,
    employees_deactivated,
    list_employees,
    managed_teams,
    still_manages_teams,
    update_employee,
)
from app.organisation.function_groups import (
    create_function_group,
    delete_function_group,
    function_group_public,
    list_function_groups,
    update_function_group,
)
from app.organisation.organisations import (
    API_KEY_LIST,
    create_api_key,
    create_organisation,
    lock_organisation,
    organisation_public,
    revoke_api_key,
    update_organisation,
)
from app.organisation.teams import (
    TEAM_LIST,
    create_team,
    delete_team,
    manager_ids_by_team,
    team_public,
    teams_public,
    update_team,
)

__all__ = [
    "API_KEY_LIST",
    "STILL_MANAGES_TEAMS",
    "TEAM_LIST",
    "ManagedTeams",
    "create_api_key",
    "create_employee",
    "create_function_group",
    "create_organisation",
    "create_team",
    "deactivate_ended",
    "delete_employee",
    "delete_function_group",
    "delete_team",
    "employee_json",
    "employee_public_json",
    "employees_deactivated",
    "function_group_public",
    "list_employees",
    "list_function_groups",
    "lock_organisation",
    "managed_teams",
    "manager_ids_by_team",
    "organisation_public",
    "revoke_api_key",
    "still_manages_teams",
    "team_public",
    "teams_public",
    "update_employee",
    "update_function_group",
    "update_organisation",
    "update_team",
]
