"""organisation_pages: every tenant table's organisation index becomes (organisation_id,
id), so a list page is one range of it (docs/performance.md, "First pages of an
organisation that joined last"); the employee table has had it since 0009

The migration runs in one transaction, and its locks last until it commits. It builds
every new index first (without CONCURRENTLY: writes to a table wait from its index's build
to the commit, reads go on; about a second per million rows here), then drops the old
ones, whose brief exclusive locks also stop reads, right before the commit. On a large
database, run it in a quiet hour.

Revision ID: 0020
Revises: 0019
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0020"
down_revision: str | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The tables of app.core.models.TenantTable at this revision, but employee.
TABLES = (
    "aftercare",
    "api_key",
    "audit_event",
    "enrolment",
    "follow_up_item",
    "function_group",
    "function_group_need",
    "goal_progress",
    "hrm_conversation",
    "identity_provider",
    "import_mapping",
    "incident",
    "norm",
    "organisation_goal",
    "personal_goal",
    "practice_review",
    "practice_review_rating",
    "practice_situation",
    "protocol",
    "protocol_acknowledgement",
    "protocol_section",
    "skill",
    "team",
    "team_discussion",
    "team_goal",
    "team_meeting",
    "team_meeting_agenda_item",
    "training_completion",
    "training_evaluation",
    "training_plan",
    "training_plan_group",
    "training_program",
    "training_reflection",
    "training_session",
    "user",
    "webhook_delivery",
    "webhook_subscription",
)


def upgrade() -> None:
    for table in TABLES:
        op.create_index(f"ix_{table}_organisation_id_id", table, ["organisation_id", "id"])
    # Last: a dropped index's exclusive lock stops reads of its table until the commit.
    for table in (*TABLES, "employee"):
        op.drop_index(f"ix_{table}_organisation_id", table_name=table)


def downgrade() -> None:
    for table in (*TABLES, "employee"):
        op.create_index(f"ix_{table}_organisation_id", table, ["organisation_id"])
    for table in TABLES:
        op.drop_index(f"ix_{table}_organisation_id_id", table_name=table)
