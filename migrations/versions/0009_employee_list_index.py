"""employee indexes: the first page in id order; no index on `active`

Without (organisation_id, id) both databases sorted all of an organisation's employees for
every unfiltered page (SQLite: USE TEMP B-TREE FOR ORDER BY; PostgreSQL: a Sort node).
The index on `active` never narrows a search (nearly everyone is active), and SQLite,
without statistics, used it to join employees: every active employee read per joined row.

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
        batch_op.drop_index('ix_employee_active')


def downgrade() -> None:
    with op.batch_alter_table('employee', schema=None) as batch_op:
        batch_op.create_index('ix_employee_active', ['active'], unique=False)
        batch_op.drop_index('ix_employee_organisation_id_id')
