"""scim: SCIM 2.0 provisioning keeps the identity provider's userName and externalId of
employees and the externalId of teams (issue 22)

Revision ID: 0013
Revises: 0012
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("employee", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("user_name", sqlmodel.sql.sqltypes.AutoString(length=320), nullable=True)
        )
        batch_op.add_column(
            sa.Column(
                "scim_external_id", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True
            )
        )
        batch_op.create_unique_constraint(
            batch_op.f("uq_employee_organisation_id_user_name"), ["organisation_id", "user_name"]
        )
    with op.batch_alter_table("team", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "scim_external_id", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("team", schema=None) as batch_op:
        batch_op.drop_column("scim_external_id")
    with op.batch_alter_table("employee", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("uq_employee_organisation_id_user_name"), type_="unique"
        )
        batch_op.drop_column("scim_external_id")
        batch_op.drop_column("user_name")
