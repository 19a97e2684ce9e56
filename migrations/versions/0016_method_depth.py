"""method depth: sets of comparable function groups and the grouping basis of a plan's
sessions (issue 20, item 6); management programmes by level (item 8)

Revision ID: 0016
Revises: 0015
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("function_group", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "comparable_group", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True
            )
        )
    # Existing management programmes stay for all management.
    with op.batch_alter_table("training_program", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "management_level", sa.String(length=32), server_default="all", nullable=False
            )
        )
    # Plans stored before: their basis is unknown (null), not guessed.
    with op.batch_alter_table("training_plan_group", schema=None) as batch_op:
        batch_op.add_column(sa.Column("grouping", sa.String(length=16), nullable=True))
        batch_op.add_column(
            sa.Column(
                "comparable_group", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True
            )
        )
        batch_op.add_column(sa.Column("management_level", sa.String(length=32), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("training_plan_group", schema=None) as batch_op:
        batch_op.drop_column("management_level")
        batch_op.drop_column("comparable_group")
        batch_op.drop_column("grouping")
    with op.batch_alter_table("training_program", schema=None) as batch_op:
        batch_op.drop_column("management_level")
    with op.batch_alter_table("function_group", schema=None) as batch_op:
        batch_op.drop_column("comparable_group")
