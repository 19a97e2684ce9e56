"""change feed: the transactional outbox `change_event` (issue 17)

Revision ID: 0010
Revises: 0009
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import app.core.models

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "change_event",
        sa.Column(
            "seq",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("txid", sa.BigInteger(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("organisation_id", sa.Uuid(), nullable=False),
        sa.Column("type", sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
        sa.Column("resource_type", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("resource_id", sa.Uuid(), nullable=False),
        sa.Column("external_id", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True),
        sa.Column("occurred_at", app.core.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("data", sa.JSON(), nullable=True),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisation.id"],
            name=op.f("fk_change_event_organisation_id_organisation"),
        ),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_change_event")),
        sa.UniqueConstraint("id", name=op.f("uq_change_event_id")),
        sqlite_autoincrement=True,
    )
    with op.batch_alter_table("change_event", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_change_event_occurred_at"), ["occurred_at"], unique=False
        )
        batch_op.create_index(
            "ix_change_event_organisation_id_resource_type_resource_id",
            ["organisation_id", "resource_type", "resource_id"],
            unique=False,
        )
        batch_op.create_index(
            "ix_change_event_organisation_id_txid_seq",
            ["organisation_id", "txid", "seq"],
            unique=False,
        )


def downgrade() -> None:
    with op.batch_alter_table("change_event", schema=None) as batch_op:
        batch_op.drop_index("ix_change_event_organisation_id_txid_seq")
        batch_op.drop_index("ix_change_event_organisation_id_resource_type_resource_id")
        batch_op.drop_index(batch_op.f("ix_change_event_occurred_at"))

    op.drop_table("change_event")
