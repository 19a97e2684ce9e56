"""user_name_ignores_case: a SCIM userName is unique in its organisation whatever its case;
the unique constraint of 0013 compared it case by case (docs/scim.md, "userName")

Revision ID: 0019
Revises: 0018
"""

import uuid
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

NAME = "uq_employee_organisation_id_user_name"


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        # No new pair between the check and the index: writers wait for the commit.
        op.execute("LOCK TABLE employee IN SHARE MODE")
    # The service has refused a userName another employee has in any case since 0013, so
    # only two provisioning calls that raced can have left such a pair. Stop with the
    # employees' ids (not their userNames, which are often email addresses, into a log)
    # rather than choose which of them keeps the name.
    rows = bind.execute(
        sa.text(
            "SELECT organisation_id, lower(user_name), id FROM employee "
            "WHERE user_name IS NOT NULL AND (organisation_id, lower(user_name)) IN ("
            " SELECT organisation_id, lower(user_name) FROM employee"
            " WHERE user_name IS NOT NULL"
            " GROUP BY organisation_id, lower(user_name) HAVING count(*) > 1)"
            " ORDER BY organisation_id, lower(user_name), id"
        )
    ).all()
    if rows:
        pairs: dict[tuple[str, str], list[str]] = {}
        for org, folded_name, emp in rows:
            key = (str(uuid.UUID(str(org))), folded_name)
            pairs.setdefault(key, []).append(str(uuid.UUID(str(emp))))
        named = "; ".join(f"employees {', '.join(ids)}" for ids in pairs.values())
        raise RuntimeError(
            "Employees share a SCIM userName that differs only in case; give all but one "
            f"of each group another userName (SCIM PATCH) and migrate again: {named}"
        )
    with op.batch_alter_table("employee", schema=None) as batch_op:
        batch_op.drop_constraint(NAME, type_="unique")
    op.create_index(
        NAME, "employee", ["organisation_id", sa.text("lower(user_name)")], unique=True
    )


def downgrade() -> None:
    op.drop_index(NAME, table_name="employee")
    with op.batch_alter_table("employee", schema=None) as batch_op:
        batch_op.create_unique_constraint(NAME, ["organisation_id", "user_name"])
