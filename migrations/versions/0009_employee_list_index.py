"""employee list index: the first page of an organisation's employees in id order

Without it both databases sorted all of an organisation's employees for every unfiltered
page (SQLite: USE TEMP B-TREE FOR ORDER BY; PostgreSQL: a Sort node).

Revision ID: 0009
Revises: 0008
"""

from collections.abc import Sequence

from alembic import op

revision: str = '0009'
down_revision: str | None = '0008'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('employee', schema=None) as batch_op:
        batch_op.create_index('ix_employee_organisation_id_id', ['organisation_id', 'id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('employee', schema=None) as batch_op:
        batch_op.drop_index('ix_employee_organisation_id_id')
