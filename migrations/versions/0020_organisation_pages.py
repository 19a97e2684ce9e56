"""organisation_pages: every tenant table's organisation index becomes (organisation_id,
id), so a list page is one range of it (docs/performance.md, "First pages of an
organisation that joined last"); the employee table has had it since 0009

Each index is built without CONCURRENTLY, in the migration's transaction: writes to a
table wait while its index builds (about a second per million rows here), so run it
before the new version serves, as every migration.

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
        op.create_index(
            f"ix_{table}_organisation_id_id", table, ["organisation_id", "id"]
        )
        op.drop_index(f"ix_{table}_organisation_id", table_name=table)
    op.drop_index("ix_employee_organisation_id", table_name="employee")


def downgrade() -> None:
    op.create_index("ix_employee_organisation_id", "employee", ["organisation_id"])
    for table in TABLES:
        op.create_index(f"ix_{table}_organisation_id", table, ["organisation_id"])
        op.drop_index(f"ix_{table}_organisation_id_id", table_name=table)
