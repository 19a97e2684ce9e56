"""hr mappings: the organisation's `Functie` and role words mapped to function groups and
roles; an employee's end date (datum uit dienst) (issue 19)

Revision ID: 0015
Revises: 0014
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import app.core.models

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "import_mapping",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", app.core.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", app.core.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("organisation_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("value", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("match_key", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("function_group_id", sa.Uuid(), nullable=True),
        sa.Column("role", sa.String(length=32), nullable=True),
        sa.ForeignKeyConstraint(
            ["function_group_id"],
            ["function_group.id"],
            name=op.f("fk_import_mapping_function_group_id_function_group"),
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisation.id"],
            name=op.f("fk_import_mapping_organisation_id_organisation"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_import_mapping")),
        sa.UniqueConstraint(
            "organisation_id",
            "kind",
            "match_key",
            name=op.f("uq_import_mapping_organisation_id_kind_match_key"),
        ),
    )
    with op.batch_alter_table("import_mapping", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_import_mapping_function_group_id"), ["function_group_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_import_mapping_organisation_id"), ["organisation_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_import_mapping_updated_at"), ["updated_at"], unique=False
        )

    with op.batch_alter_table("employee", schema=None) as batch_op:
        batch_op.add_column(sa.Column("ended_on", sa.Date(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("employee", schema=None) as batch_op:
        batch_op.drop_column("ended_on")

    with op.batch_alter_table("import_mapping", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_import_mapping_updated_at"))
        batch_op.drop_index(batch_op.f("ix_import_mapping_organisation_id"))
        batch_op.drop_index(batch_op.f("ix_import_mapping_function_group_id"))

    op.drop_table("import_mapping")
