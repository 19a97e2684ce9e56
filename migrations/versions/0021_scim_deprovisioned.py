"""a SCIM DELETE of someone with history hides them from the identity provider (RFC 7644
section 3.6: 404 afterwards, in no list) while the employee stays for that history

A plain ADD COLUMN on both databases: SQLite adds a nullable column in place, so the
table is not rebuilt and its expression index on lower(user_name) stays (0019).

Revision ID: 0021
Revises: 0020
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from app.core.models import UTCDateTime

revision: str = "0021"
down_revision: str | None = "0020"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "employee", sa.Column("deprovisioned_at", UTCDateTime(timezone=True), nullable=True)
    )


def downgrade() -> None:
    # SQLite (3.35+) drops a column in place unless an index or constraint names it.
    op.drop_column("employee", "deprovisioned_at")
