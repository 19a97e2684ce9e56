"""incidents: incidents, the employees involved, aftercare; the `sensitive` key permission;
follow-up items from an incident (issue 21)

Revision ID: 0012
Revises: 0011
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import app.core.models

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "incident",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", app.core.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", app.core.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("organisation_id", sa.Uuid(), nullable=False),
        sa.Column("external_id", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True),
        sa.Column("occurred_at", app.core.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("team_id", sa.Uuid(), nullable=False),
        sa.Column("function_group_id", sa.Uuid(), nullable=False),
        sa.Column("norm_id", sa.Uuid(), nullable=False),
        sa.Column("norm_level", sa.String(length=16), nullable=False),
        sa.Column("category", sa.String(length=32), nullable=False),
        sa.Column("severity", sa.Integer(), nullable=False),
        sa.Column("police_informed", sa.Boolean(), nullable=False),
        sa.Column("description", sqlmodel.sql.sqltypes.AutoString(length=10000), nullable=True),
        sa.CheckConstraint("severity BETWEEN 1 AND 5", name=op.f("ck_incident_severity_range")),
        sa.ForeignKeyConstraint(
            ["function_group_id"],
            ["function_group.id"],
            name=op.f("fk_incident_function_group_id_function_group"),
        ),
        sa.ForeignKeyConstraint(
            ["norm_id"], ["norm.id"], name=op.f("fk_incident_norm_id_norm")
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisation.id"],
            name=op.f("fk_incident_organisation_id_organisation"),
        ),
        sa.ForeignKeyConstraint(["team_id"], ["team.id"], name=op.f("fk_incident_team_id_team")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_incident")),
        sa.UniqueConstraint(
            "organisation_id", "external_id", name=op.f("uq_incident_organisation_id_external_id")
        ),
    )
    with op.batch_alter_table("incident", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_incident_function_group_id"), ["function_group_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_incident_norm_id"), ["norm_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_incident_organisation_id"), ["organisation_id"], unique=False
        )
        batch_op.create_index(
            "ix_incident_organisation_id_occurred_at",
            ["organisation_id", "occurred_at"],
            unique=False,
        )
        batch_op.create_index(batch_op.f("ix_incident_team_id"), ["team_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_incident_updated_at"), ["updated_at"], unique=False)

    op.create_table(
        "aftercare",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", app.core.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", app.core.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("organisation_id", sa.Uuid(), nullable=False),
        sa.Column("incident_id", sa.Uuid(), nullable=False),
        sa.Column("employee_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("recorded_on", sa.Date(), nullable=True),
        sa.Column("notes", sqlmodel.sql.sqltypes.AutoString(length=10000), nullable=True),
        sa.ForeignKeyConstraint(
            ["employee_id"], ["employee.id"], name=op.f("fk_aftercare_employee_id_employee")
        ),
        sa.ForeignKeyConstraint(
            ["incident_id"],
            ["incident.id"],
            name=op.f("fk_aftercare_incident_id_incident"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisation.id"],
            name=op.f("fk_aftercare_organisation_id_organisation"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_aftercare")),
        sa.UniqueConstraint(
            "incident_id",
            "employee_id",
            "kind",
            name=op.f("uq_aftercare_incident_id_employee_id_kind"),
        ),
    )
    with op.batch_alter_table("aftercare", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_aftercare_employee_id"), ["employee_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_aftercare_organisation_id"), ["organisation_id"], unique=False
        )
        batch_op.create_index(
            "ix_aftercare_organisation_id_status_due_on",
            ["organisation_id", "status", "due_on"],
            unique=False,
        )
        batch_op.create_index(batch_op.f("ix_aftercare_updated_at"), ["updated_at"], unique=False)

    op.create_table(
        "incident_employee",
        sa.Column("incident_id", sa.Uuid(), nullable=False),
        sa.Column("employee_id", sa.Uuid(), nullable=False),
        sa.Column("organisation_id", sa.Uuid(), nullable=False),
        sa.Column("involvement", sa.String(length=16), nullable=False),
        sa.ForeignKeyConstraint(
            ["employee_id"], ["employee.id"], name=op.f("fk_incident_employee_employee_id_employee")
        ),
        sa.ForeignKeyConstraint(
            ["incident_id"],
            ["incident.id"],
            name=op.f("fk_incident_employee_incident_id_incident"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisation.id"],
            name=op.f("fk_incident_employee_organisation_id_organisation"),
        ),
        sa.PrimaryKeyConstraint("incident_id", "employee_id", name=op.f("pk_incident_employee")),
    )
    with op.batch_alter_table("incident_employee", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_incident_employee_employee_id"), ["employee_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_incident_employee_organisation_id"), ["organisation_id"], unique=False
        )

    with op.batch_alter_table("api_key", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("sensitive", sa.Boolean(), server_default=sa.false(), nullable=False)
        )

    with op.batch_alter_table("follow_up_item", schema=None) as batch_op:
        batch_op.add_column(sa.Column("incident_id", sa.Uuid(), nullable=True))
        batch_op.create_index(
            batch_op.f("ix_follow_up_item_incident_id"), ["incident_id"], unique=False
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_follow_up_item_incident_id_incident"),
            "incident",
            ["incident_id"],
            ["id"],
            ondelete="SET NULL",
        )
        batch_op.create_check_constraint(
            batch_op.f("ck_follow_up_item_one_source_incident"),
            "incident_id IS NULL OR (training_session_id IS NULL AND practice_review_id IS NULL)",
        )


def downgrade() -> None:
    with op.batch_alter_table("follow_up_item", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("ck_follow_up_item_one_source_incident"), type_="check")
        batch_op.drop_constraint(
            batch_op.f("fk_follow_up_item_incident_id_incident"), type_="foreignkey"
        )
        batch_op.drop_index(batch_op.f("ix_follow_up_item_incident_id"))
        batch_op.drop_column("incident_id")

    with op.batch_alter_table("api_key", schema=None) as batch_op:
        batch_op.drop_column("sensitive")

    with op.batch_alter_table("incident_employee", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_incident_employee_organisation_id"))
        batch_op.drop_index(batch_op.f("ix_incident_employee_employee_id"))

    op.drop_table("incident_employee")
    with op.batch_alter_table("aftercare", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_aftercare_updated_at"))
        batch_op.drop_index("ix_aftercare_organisation_id_status_due_on")
        batch_op.drop_index(batch_op.f("ix_aftercare_organisation_id"))
        batch_op.drop_index(batch_op.f("ix_aftercare_employee_id"))

    op.drop_table("aftercare")
    with op.batch_alter_table("incident", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_incident_updated_at"))
        batch_op.drop_index(batch_op.f("ix_incident_team_id"))
        batch_op.drop_index("ix_incident_organisation_id_occurred_at")
        batch_op.drop_index(batch_op.f("ix_incident_organisation_id"))
        batch_op.drop_index(batch_op.f("ix_incident_norm_id"))
        batch_op.drop_index(batch_op.f("ix_incident_function_group_id"))

    op.drop_table("incident")
