"""programmes that practise physical safety skills, whose refreshers default to 12 months
(issue 20, item 12; DOMAIN.md, Refreshers)

Revision ID: 0017
Revises: 0016
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Existing programmes are not physical until someone says so: their refresher months
    # were set when they were created and stay as they are.
    with op.batch_alter_table("training_program", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("physical_safety", sa.Boolean(), server_default=sa.false(), nullable=False)
        )


def downgrade() -> None:
    with op.batch_alter_table("training_program", schema=None) as batch_op:
        batch_op.drop_column("physical_safety")
