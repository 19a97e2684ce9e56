"""The learning domain's public API, for its router and for other domains.

One module per resource or rule: ``skills`` (the catalogue of skills and the nine seed
skills), ``needs`` (function-group needs), ``goals`` (team and personal goals) and
``alignment`` (the alignment rule and re-evaluation). Other domains use
``BUILTIN_SKILLS``, ``ensure_builtin_skills``, ``skill_ids_by_code``, ``default_needs``,
``needs_by_function_group``, ``check_alignment``, ``create_personal_goal`` and
``reevaluate_personal_goals``.
"""

from app.learning.alignment import (
    AlignmentResult,
    check_alignment,
    create_personal_goal,
    on_employee_team_changed,
    open_goals_touching,
    reevaluate_personal_goals,
    refuse_unaligned,
)
from app.learning.goals import (
    PERSONAL_GOAL_LIST,
    TEAM_GOAL_LIST,
    create_team_goal,
    delete_personal_goal,
    delete_team_goal,
    team_goals_public,
    team_learning_needs,
    update_personal_goal,
    update_team_goal,
)
from app.learning.needs import (
    default_needs,
    function_group_needs,
    needs_by_function_group,
    reset_function_group_needs,
    set_function_group_needs,
)
from app.learning.skills import (
    BUILTIN_CODES,
    BUILTIN_SKILLS,
    SKILL_LIST,
    BuiltinSkill,
    body_ref,
    create_skill,
    delete_skill,
    ensure_builtin_skills,
    skill_ids_by_code,
    sort_key,
    update_skill,
    usable_skill,
)

__all__ = [
    "BUILTIN_CODES",
    "BUILTIN_SKILLS",
    "PERSONAL_GOAL_LIST",
    "SKILL_LIST",
    "TEAM_GOAL_LIST",
    "AlignmentResult",
    "BuiltinSkill",
    "body_ref",
    "check_alignment",
    "create_personal_goal",
    "create_skill",
    "create_team_goal",
    "default_needs",
    "delete_personal_goal",
    "delete_skill",
    "delete_team_goal",
    "ensure_builtin_skills",
    "function_group_needs",
    "needs_by_function_group",
    "on_employee_team_changed",
    "open_goals_touching",
    "reevaluate_personal_goals",
    "refuse_unaligned",
    "reset_function_group_needs",
    "set_function_group_needs",
    "skill_ids_by_code",
    "sort_key",
    "team_goals_public",
    "team_learning_needs",
    "update_personal_goal",
    "update_skill",
    "update_team_goal",
    "usable_skill",
]
