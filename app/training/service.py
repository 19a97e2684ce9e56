"""The training domain's public API, for its router and for other domains.

The code lives one module per resource: ``programmes`` (the catalogue), ``sessions``,
``enrolments`` (with the enrolment rules of ``rules.py``) and ``record`` (current
skills and refreshers). Selection uses ``create_session``, ``current_skills``,
``skill_ids_by_program`` and ``take_turns_on_managers_first``; deactivating an employee
uses ``cancel_future_enrolments``.
"""

from app.training.deactivation import cancel_future_enrolments
from app.training.enrolments import ENROLMENT_LIST, check, enrol, get_enrolment, update_enrolment
from app.training.programmes import (
    TRAINING_PROGRAM_LIST,
    create_program,
    delete_program,
    programs_in_use,
    programs_public,
    skill_ids_by_program,
    update_program,
)
from app.training.record import (
    current_skills,
    refreshers_due,
    skills_current_until,
    training_record,
)
from app.training.sessions import (
    cancel_session,
    complete_session,
    create_session,
    delete_session,
    list_sessions,
    record_completion,
    session_public,
    take_turns_on_managers_first,
    update_session,
)

__all__ = [
    "ENROLMENT_LIST",
    "TRAINING_PROGRAM_LIST",
    "cancel_future_enrolments",
    "cancel_session",
    "check",
    "complete_session",
    "create_program",
    "create_session",
    "current_skills",
    "delete_program",
    "delete_session",
    "enrol",
    "get_enrolment",
    "list_sessions",
    "programs_in_use",
    "programs_public",
    "record_completion",
    "refreshers_due",
    "session_public",
    "skill_ids_by_program",
    "skills_current_until",
    "take_turns_on_managers_first",
    "training_record",
    "update_enrolment",
    "update_program",
    "update_session",
]
