"""method: what programmes practise (norms, protocol sections, practice situations),
reflections before training, evaluations after it, goal progress from completed
sessions, team discussions' participants and meeting, organisation-level goals (issue 20)

Revision ID: 0014
Revises: 0013
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import app.core.models

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "training_evaluation",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", app.core.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", app.core.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("organisation_id", sa.Uuid(), nullable=False),
        sa.Column("enrolment_id", sa.Uuid(), nullable=False),
        sa.Column("session_id", sa.Uuid(), nullable=False),
        sa.Column("program_id", sa.Uuid(), nullable=False),
        sa.Column("employee_id", sa.Uuid(), nullable=False),
        sa.Column("attendance", sa.String(length=16), nullable=False),
        sa.Column("rating", sa.Integer(), nullable=True),
        sa.Column("helped", sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=True),
        sa.Column("practise_more", sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=True),
        sa.Column("trainer_note", sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=True),
        sa.Column("achieved_goal_ids", sa.JSON(), nullable=False),
        sa.CheckConstraint(
            "rating IS NULL OR rating BETWEEN 1 AND 5",
            name=op.f("ck_training_evaluation_rating_range"),
        ),
        sa.ForeignKeyConstraint(
            ["employee_id"],
            ["employee.id"],
            name=op.f("fk_training_evaluation_employee_id_employee"),
        ),
        sa.ForeignKeyConstraint(
            ["enrolment_id"],
            ["enrolment.id"],
            name=op.f("fk_training_evaluation_enrolment_id_enrolment"),
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisation.id"],
            name=op.f("fk_training_evaluation_organisation_id_organisation"),
        ),
        sa.ForeignKeyConstraint(
            ["program_id"],
            ["training_program.id"],
            name=op.f("fk_training_evaluation_program_id_training_program"),
        ),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["training_session.id"],
            name=op.f("fk_training_evaluation_session_id_training_session"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_training_evaluation")),
        sa.UniqueConstraint("enrolment_id", name=op.f("uq_training_evaluation_enrolment_id")),
    )
    with op.batch_alter_table("training_evaluation", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_training_evaluation_employee_id"), ["employee_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_training_evaluation_organisation_id"), ["organisation_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_training_evaluation_program_id"), ["program_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_training_evaluation_session_id"), ["session_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_training_evaluation_updated_at"), ["updated_at"], unique=False
        )

    op.create_table(
        "training_reflection",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", app.core.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", app.core.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("organisation_id", sa.Uuid(), nullable=False),
        sa.Column("enrolment_id", sa.Uuid(), nullable=False),
        sa.Column("session_id", sa.Uuid(), nullable=False),
        sa.Column("employee_id", sa.Uuid(), nullable=False),
        sa.Column("personal_goal_ids", sa.JSON(), nullable=False),
        sa.Column("situation", sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=False),
        sa.Column("question", sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=True),
        sa.ForeignKeyConstraint(
            ["employee_id"],
            ["employee.id"],
            name=op.f("fk_training_reflection_employee_id_employee"),
        ),
        sa.ForeignKeyConstraint(
            ["enrolment_id"],
            ["enrolment.id"],
            name=op.f("fk_training_reflection_enrolment_id_enrolment"),
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisation.id"],
            name=op.f("fk_training_reflection_organisation_id_organisation"),
        ),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["training_session.id"],
            name=op.f("fk_training_reflection_session_id_training_session"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_training_reflection")),
        sa.UniqueConstraint("enrolment_id", name=op.f("uq_training_reflection_enrolment_id")),
    )
    with op.batch_alter_table("training_reflection", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_training_reflection_employee_id"), ["employee_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_training_reflection_organisation_id"), ["organisation_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_training_reflection_session_id"), ["session_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_training_reflection_updated_at"), ["updated_at"], unique=False
        )

    op.create_table(
        "goal_progress",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", app.core.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", app.core.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("organisation_id", sa.Uuid(), nullable=False),
        sa.Column("personal_goal_id", sa.Uuid(), nullable=False),
        sa.Column("employee_id", sa.Uuid(), nullable=False),
        sa.Column("session_id", sa.Uuid(), nullable=False),
        sa.Column("program_id", sa.Uuid(), nullable=False),
        sa.Column("skill_id", sa.Uuid(), nullable=False),
        sa.Column("practised_on", sa.Date(), nullable=False),
        sa.Column("achieved", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["employee_id"], ["employee.id"], name=op.f("fk_goal_progress_employee_id_employee")
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisation.id"],
            name=op.f("fk_goal_progress_organisation_id_organisation"),
        ),
        sa.ForeignKeyConstraint(
            ["personal_goal_id"],
            ["personal_goal.id"],
            name=op.f("fk_goal_progress_personal_goal_id_personal_goal"),
        ),
        sa.ForeignKeyConstraint(
            ["program_id"],
            ["training_program.id"],
            name=op.f("fk_goal_progress_program_id_training_program"),
        ),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["training_session.id"],
            name=op.f("fk_goal_progress_session_id_training_session"),
        ),
        sa.ForeignKeyConstraint(
            ["skill_id"], ["skill.id"], name=op.f("fk_goal_progress_skill_id_skill")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_goal_progress")),
        sa.UniqueConstraint(
            "personal_goal_id",
            "session_id",
            name=op.f("uq_goal_progress_personal_goal_id_session_id"),
        ),
    )
    with op.batch_alter_table("goal_progress", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_goal_progress_employee_id"), ["employee_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_goal_progress_organisation_id"), ["organisation_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_goal_progress_personal_goal_id"), ["personal_goal_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_goal_progress_session_id"), ["session_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_goal_progress_updated_at"), ["updated_at"], unique=False
        )
    op.create_table('practice_situation',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('created_at', app.core.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', app.core.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('organisation_id', sa.Uuid(), nullable=False),
    sa.Column('program_id', sa.Uuid(), nullable=False),
    sa.Column('function_group_id', sa.Uuid(), nullable=True),
    sa.Column('description', sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=False),
    sa.ForeignKeyConstraint(['function_group_id'], ['function_group.id'], name=op.f('fk_practice_situation_function_group_id_function_group')),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisation.id'], name=op.f('fk_practice_situation_organisation_id_organisation')),
    sa.ForeignKeyConstraint(['program_id'], ['training_program.id'], name=op.f('fk_practice_situation_program_id_training_program'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_practice_situation'))
    )
    with op.batch_alter_table('practice_situation', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_practice_situation_function_group_id'), ['function_group_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_practice_situation_organisation_id'), ['organisation_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_practice_situation_program_id'), ['program_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_practice_situation_updated_at'), ['updated_at'], unique=False)

    op.create_table('program_norm',
    sa.Column('program_id', sa.Uuid(), nullable=False),
    sa.Column('norm_id', sa.Uuid(), nullable=False),
    sa.Column('organisation_id', sa.Uuid(), nullable=False),
    sa.ForeignKeyConstraint(['norm_id'], ['norm.id'], name=op.f('fk_program_norm_norm_id_norm')),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisation.id'], name=op.f('fk_program_norm_organisation_id_organisation')),
    sa.ForeignKeyConstraint(['program_id'], ['training_program.id'], name=op.f('fk_program_norm_program_id_training_program'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('program_id', 'norm_id', name=op.f('pk_program_norm'))
    )
    with op.batch_alter_table('program_norm', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_program_norm_norm_id'), ['norm_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_program_norm_organisation_id'), ['organisation_id'], unique=False)

    op.create_table('program_protocol_section',
    sa.Column('program_id', sa.Uuid(), nullable=False),
    sa.Column('section_id', sa.Uuid(), nullable=False),
    sa.Column('organisation_id', sa.Uuid(), nullable=False),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisation.id'], name=op.f('fk_program_protocol_section_organisation_id_organisation')),
    sa.ForeignKeyConstraint(['program_id'], ['training_program.id'], name=op.f('fk_program_protocol_section_program_id_training_program'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['section_id'], ['protocol_section.id'], name=op.f('fk_program_protocol_section_section_id_protocol_section'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('program_id', 'section_id', name=op.f('pk_program_protocol_section'))
    )
    with op.batch_alter_table('program_protocol_section', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_program_protocol_section_organisation_id'), ['organisation_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_program_protocol_section_section_id'), ['section_id'], unique=False)
    op.create_table('team_discussion_participant',
    sa.Column('discussion_id', sa.Uuid(), nullable=False),
    sa.Column('employee_id', sa.Uuid(), nullable=False),
    sa.Column('organisation_id', sa.Uuid(), nullable=False),
    sa.ForeignKeyConstraint(['discussion_id'], ['team_discussion.id'], name=op.f('fk_team_discussion_participant_discussion_id_team_discussion'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['employee_id'], ['employee.id'], name=op.f('fk_team_discussion_participant_employee_id_employee')),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisation.id'], name=op.f('fk_team_discussion_participant_organisation_id_organisation')),
    sa.PrimaryKeyConstraint('discussion_id', 'employee_id', name=op.f('pk_team_discussion_participant'))
    )
    with op.batch_alter_table('team_discussion_participant', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_team_discussion_participant_employee_id'), ['employee_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_team_discussion_participant_organisation_id'), ['organisation_id'], unique=False)

    with op.batch_alter_table('team_discussion', schema=None) as batch_op:
        batch_op.add_column(sa.Column('team_meeting_id', sa.Uuid(), nullable=True))
        batch_op.create_index(batch_op.f('ix_team_discussion_team_meeting_id'), ['team_meeting_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_team_discussion_team_meeting_id_team_meeting'), 'team_meeting', ['team_meeting_id'], ['id'])
    # Discussions recorded before participants were: their team's active members took part.
    op.execute(
        "INSERT INTO team_discussion_participant (discussion_id, employee_id, organisation_id) "
        "SELECT d.id, e.id, d.organisation_id FROM team_discussion d "
        "JOIN employee e ON e.team_id = d.team_id AND e.active"
    )
    op.create_table('organisation_goal',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('created_at', app.core.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', app.core.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('organisation_id', sa.Uuid(), nullable=False),
    sa.Column('title', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('description', sqlmodel.sql.sqltypes.AutoString(length=10000), nullable=True),
    sa.Column('target_on', sa.Date(), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisation.id'], name=op.f('fk_organisation_goal_organisation_id_organisation')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_organisation_goal'))
    )
    with op.batch_alter_table('organisation_goal', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_organisation_goal_organisation_id'), ['organisation_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_organisation_goal_updated_at'), ['updated_at'], unique=False)

    with op.batch_alter_table('team_goal', schema=None) as batch_op:
        batch_op.add_column(sa.Column('organisation_goal_id', sa.Uuid(), nullable=True))
        batch_op.create_index(batch_op.f('ix_team_goal_organisation_goal_id'), ['organisation_goal_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_team_goal_organisation_goal_id_organisation_goal'), 'organisation_goal', ['organisation_goal_id'], ['id'])


def downgrade() -> None:
    with op.batch_alter_table('team_goal', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_team_goal_organisation_goal_id_organisation_goal'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_team_goal_organisation_goal_id'))
        batch_op.drop_column('organisation_goal_id')

    with op.batch_alter_table('organisation_goal', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_organisation_goal_updated_at'))
        batch_op.drop_index(batch_op.f('ix_organisation_goal_organisation_id'))

    op.drop_table('organisation_goal')
    with op.batch_alter_table('team_discussion', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_team_discussion_team_meeting_id_team_meeting'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_team_discussion_team_meeting_id'))
        batch_op.drop_column('team_meeting_id')

    with op.batch_alter_table('team_discussion_participant', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_team_discussion_participant_organisation_id'))
        batch_op.drop_index(batch_op.f('ix_team_discussion_participant_employee_id'))

    op.drop_table('team_discussion_participant')
    with op.batch_alter_table('program_protocol_section', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_program_protocol_section_section_id'))
        batch_op.drop_index(batch_op.f('ix_program_protocol_section_organisation_id'))

    op.drop_table('program_protocol_section')
    with op.batch_alter_table('program_norm', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_program_norm_organisation_id'))
        batch_op.drop_index(batch_op.f('ix_program_norm_norm_id'))

    op.drop_table('program_norm')
    with op.batch_alter_table('practice_situation', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_practice_situation_updated_at'))
        batch_op.drop_index(batch_op.f('ix_practice_situation_program_id'))
        batch_op.drop_index(batch_op.f('ix_practice_situation_organisation_id'))
        batch_op.drop_index(batch_op.f('ix_practice_situation_function_group_id'))

    op.drop_table('practice_situation')
    with op.batch_alter_table("goal_progress", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_goal_progress_updated_at"))
        batch_op.drop_index(batch_op.f("ix_goal_progress_session_id"))
        batch_op.drop_index(batch_op.f("ix_goal_progress_personal_goal_id"))
        batch_op.drop_index(batch_op.f("ix_goal_progress_organisation_id"))
        batch_op.drop_index(batch_op.f("ix_goal_progress_employee_id"))

    op.drop_table("goal_progress")
    with op.batch_alter_table("training_reflection", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_training_reflection_updated_at"))
        batch_op.drop_index(batch_op.f("ix_training_reflection_session_id"))
        batch_op.drop_index(batch_op.f("ix_training_reflection_organisation_id"))
        batch_op.drop_index(batch_op.f("ix_training_reflection_employee_id"))

    op.drop_table("training_reflection")
    with op.batch_alter_table("training_evaluation", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_training_evaluation_updated_at"))
        batch_op.drop_index(batch_op.f("ix_training_evaluation_session_id"))
        batch_op.drop_index(batch_op.f("ix_training_evaluation_program_id"))
        batch_op.drop_index(batch_op.f("ix_training_evaluation_organisation_id"))
        batch_op.drop_index(batch_op.f("ix_training_evaluation_employee_id"))

    op.drop_table("training_evaluation")
