"""followup: follow-up items, practice reviews, team meetings, HRM conversations

Revision ID: 0006
Revises: 0005
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import app.core.models

revision: str = '0006'
down_revision: str | None = '0005'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('practice_review',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('created_at', app.core.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', app.core.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('organisation_id', sa.Uuid(), nullable=False),
    sa.Column('team_id', sa.Uuid(), nullable=False),
    sa.Column('held_on', sa.Date(), nullable=False),
    sa.Column('next_review_on', sa.Date(), nullable=False),
    sa.Column('summary', sqlmodel.sql.sqltypes.AutoString(length=10000), nullable=True),
    sa.CheckConstraint('next_review_on > held_on', name=op.f('ck_practice_review_next_after_held')),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisation.id'], name=op.f('fk_practice_review_organisation_id_organisation')),
    sa.ForeignKeyConstraint(['team_id'], ['team.id'], name=op.f('fk_practice_review_team_id_team')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_practice_review'))
    )
    op.create_index(op.f('ix_practice_review_organisation_id'), 'practice_review', ['organisation_id'], unique=False)
    op.create_index('ix_practice_review_team_id_held_on', 'practice_review', ['team_id', 'held_on'], unique=False)
    op.create_index(op.f('ix_practice_review_updated_at'), 'practice_review', ['updated_at'], unique=False)
    op.create_table('team_meeting',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('created_at', app.core.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', app.core.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('organisation_id', sa.Uuid(), nullable=False),
    sa.Column('team_id', sa.Uuid(), nullable=False),
    sa.Column('held_on', sa.Date(), nullable=False),
    sa.Column('notes', sqlmodel.sql.sqltypes.AutoString(length=10000), nullable=True),
    sa.Column('safe_resilient_work_on_agenda', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisation.id'], name=op.f('fk_team_meeting_organisation_id_organisation')),
    sa.ForeignKeyConstraint(['team_id'], ['team.id'], name=op.f('fk_team_meeting_team_id_team')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_team_meeting'))
    )
    op.create_index(op.f('ix_team_meeting_organisation_id'), 'team_meeting', ['organisation_id'], unique=False)
    op.create_index('ix_team_meeting_team_id_held_on', 'team_meeting', ['team_id', 'held_on'], unique=False)
    op.create_index(op.f('ix_team_meeting_updated_at'), 'team_meeting', ['updated_at'], unique=False)
    op.create_table('follow_up_item',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('created_at', app.core.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', app.core.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('organisation_id', sa.Uuid(), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('description', sqlmodel.sql.sqltypes.AutoString(length=10000), nullable=False),
    sa.Column('training_session_id', sa.Uuid(), nullable=True),
    sa.Column('practice_review_id', sa.Uuid(), nullable=True),
    sa.Column('owner_employee_id', sa.Uuid(), nullable=True),
    sa.Column('owner_team_id', sa.Uuid(), nullable=True),
    sa.Column('due_on', sa.Date(), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('done_at', app.core.models.UTCDateTime(timezone=True), nullable=True),
    sa.CheckConstraint('(owner_employee_id IS NULL) <> (owner_team_id IS NULL)', name=op.f('ck_follow_up_item_one_owner')),
    sa.CheckConstraint('training_session_id IS NULL OR practice_review_id IS NULL', name=op.f('ck_follow_up_item_one_source')),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisation.id'], name=op.f('fk_follow_up_item_organisation_id_organisation')),
    sa.ForeignKeyConstraint(['owner_employee_id'], ['employee.id'], name=op.f('fk_follow_up_item_owner_employee_id_employee')),
    sa.ForeignKeyConstraint(['owner_team_id'], ['team.id'], name=op.f('fk_follow_up_item_owner_team_id_team')),
    sa.ForeignKeyConstraint(['practice_review_id'], ['practice_review.id'], name=op.f('fk_follow_up_item_practice_review_id_practice_review'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['training_session_id'], ['training_session.id'], name=op.f('fk_follow_up_item_training_session_id_training_session')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_follow_up_item'))
    )
    op.create_index(op.f('ix_follow_up_item_organisation_id'), 'follow_up_item', ['organisation_id'], unique=False)
    op.create_index('ix_follow_up_item_organisation_id_status_due_on_owner', 'follow_up_item', ['organisation_id', 'status', 'due_on', 'owner_team_id', 'owner_employee_id'], unique=False)
    op.create_index(op.f('ix_follow_up_item_owner_employee_id'), 'follow_up_item', ['owner_employee_id'], unique=False)
    op.create_index(op.f('ix_follow_up_item_owner_team_id'), 'follow_up_item', ['owner_team_id'], unique=False)
    op.create_index(op.f('ix_follow_up_item_practice_review_id'), 'follow_up_item', ['practice_review_id'], unique=False)
    op.create_index(op.f('ix_follow_up_item_training_session_id'), 'follow_up_item', ['training_session_id'], unique=False)
    op.create_index(op.f('ix_follow_up_item_updated_at'), 'follow_up_item', ['updated_at'], unique=False)
    op.create_table('hrm_conversation',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('created_at', app.core.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', app.core.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('organisation_id', sa.Uuid(), nullable=False),
    sa.Column('employee_id', sa.Uuid(), nullable=False),
    sa.Column('manager_id', sa.Uuid(), nullable=False),
    sa.Column('held_on', sa.Date(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('theme_discussed', sa.Boolean(), nullable=False),
    sa.Column('notes', sqlmodel.sql.sqltypes.AutoString(length=10000), nullable=True),
    sa.ForeignKeyConstraint(['employee_id'], ['employee.id'], name=op.f('fk_hrm_conversation_employee_id_employee')),
    sa.ForeignKeyConstraint(['manager_id'], ['employee.id'], name=op.f('fk_hrm_conversation_manager_id_employee')),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisation.id'], name=op.f('fk_hrm_conversation_organisation_id_organisation')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_hrm_conversation'))
    )
    op.create_index('ix_hrm_conversation_employee_id_held_on', 'hrm_conversation', ['employee_id', 'held_on'], unique=False)
    op.create_index(op.f('ix_hrm_conversation_manager_id'), 'hrm_conversation', ['manager_id'], unique=False)
    op.create_index(op.f('ix_hrm_conversation_organisation_id'), 'hrm_conversation', ['organisation_id'], unique=False)
    op.create_index(op.f('ix_hrm_conversation_updated_at'), 'hrm_conversation', ['updated_at'], unique=False)
    op.create_table('practice_review_participant',
    sa.Column('review_id', sa.Uuid(), nullable=False),
    sa.Column('employee_id', sa.Uuid(), nullable=False),
    sa.Column('organisation_id', sa.Uuid(), nullable=False),
    sa.ForeignKeyConstraint(['employee_id'], ['employee.id'], name=op.f('fk_practice_review_participant_employee_id_employee')),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisation.id'], name=op.f('fk_practice_review_participant_organisation_id_organisation')),
    sa.ForeignKeyConstraint(['review_id'], ['practice_review.id'], name=op.f('fk_practice_review_participant_review_id_practice_review'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('review_id', 'employee_id', name=op.f('pk_practice_review_participant'))
    )
    op.create_index(op.f('ix_practice_review_participant_employee_id'), 'practice_review_participant', ['employee_id'], unique=False)
    op.create_index(op.f('ix_practice_review_participant_organisation_id'), 'practice_review_participant', ['organisation_id'], unique=False)
    op.create_table('practice_review_rating',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('created_at', app.core.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', app.core.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('organisation_id', sa.Uuid(), nullable=False),
    sa.Column('review_id', sa.Uuid(), nullable=False),
    sa.Column('skill_id', sa.Uuid(), nullable=False),
    sa.Column('rating', sa.Integer(), nullable=False),
    sa.Column('notes', sqlmodel.sql.sqltypes.AutoString(length=10000), nullable=True),
    sa.CheckConstraint('rating BETWEEN 1 AND 5', name=op.f('ck_practice_review_rating_rating_range')),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisation.id'], name=op.f('fk_practice_review_rating_organisation_id_organisation')),
    sa.ForeignKeyConstraint(['review_id'], ['practice_review.id'], name=op.f('fk_practice_review_rating_review_id_practice_review'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['skill_id'], ['skill.id'], name=op.f('fk_practice_review_rating_skill_id_skill')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_practice_review_rating')),
    sa.UniqueConstraint('review_id', 'skill_id', name=op.f('uq_practice_review_rating_review_id_skill_id'))
    )
    op.create_index(op.f('ix_practice_review_rating_organisation_id'), 'practice_review_rating', ['organisation_id'], unique=False)
    op.create_index(op.f('ix_practice_review_rating_skill_id'), 'practice_review_rating', ['skill_id'], unique=False)
    op.create_index(op.f('ix_practice_review_rating_updated_at'), 'practice_review_rating', ['updated_at'], unique=False)
    op.create_table('team_meeting_agenda_item',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('created_at', app.core.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', app.core.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('organisation_id', sa.Uuid(), nullable=False),
    sa.Column('meeting_id', sa.Uuid(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('title', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('notes', sqlmodel.sql.sqltypes.AutoString(length=10000), nullable=True),
    sa.ForeignKeyConstraint(['meeting_id'], ['team_meeting.id'], name=op.f('fk_team_meeting_agenda_item_meeting_id_team_meeting'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisation.id'], name=op.f('fk_team_meeting_agenda_item_organisation_id_organisation')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_team_meeting_agenda_item')),
    sa.UniqueConstraint('meeting_id', 'position', name=op.f('uq_team_meeting_agenda_item_meeting_id_position'))
    )
    op.create_index(op.f('ix_team_meeting_agenda_item_organisation_id'), 'team_meeting_agenda_item', ['organisation_id'], unique=False)
    op.create_index(op.f('ix_team_meeting_agenda_item_updated_at'), 'team_meeting_agenda_item', ['updated_at'], unique=False)
    op.create_table('hrm_conversation_goal',
    sa.Column('conversation_id', sa.Uuid(), nullable=False),
    sa.Column('personal_goal_id', sa.Uuid(), nullable=False),
    sa.Column('organisation_id', sa.Uuid(), nullable=False),
    sa.ForeignKeyConstraint(['conversation_id'], ['hrm_conversation.id'], name=op.f('fk_hrm_conversation_goal_conversation_id_hrm_conversation'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisation.id'], name=op.f('fk_hrm_conversation_goal_organisation_id_organisation')),
    sa.ForeignKeyConstraint(['personal_goal_id'], ['personal_goal.id'], name=op.f('fk_hrm_conversation_goal_personal_goal_id_personal_goal')),
    sa.PrimaryKeyConstraint('conversation_id', 'personal_goal_id', name=op.f('pk_hrm_conversation_goal'))
    )
    op.create_index(op.f('ix_hrm_conversation_goal_organisation_id'), 'hrm_conversation_goal', ['organisation_id'], unique=False)
    op.create_index(op.f('ix_hrm_conversation_goal_personal_goal_id'), 'hrm_conversation_goal', ['personal_goal_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_hrm_conversation_goal_personal_goal_id'), table_name='hrm_conversation_goal')
    op.drop_index(op.f('ix_hrm_conversation_goal_organisation_id'), table_name='hrm_conversation_goal')
    op.drop_table('hrm_conversation_goal')
    op.drop_index(op.f('ix_team_meeting_agenda_item_updated_at'), table_name='team_meeting_agenda_item')
    op.drop_index(op.f('ix_team_meeting_agenda_item_organisation_id'), table_name='team_meeting_agenda_item')
    op.drop_table('team_meeting_agenda_item')
    op.drop_index(op.f('ix_practice_review_rating_updated_at'), table_name='practice_review_rating')
    op.drop_index(op.f('ix_practice_review_rating_skill_id'), table_name='practice_review_rating')
    op.drop_index(op.f('ix_practice_review_rating_organisation_id'), table_name='practice_review_rating')
    op.drop_table('practice_review_rating')
    op.drop_index(op.f('ix_practice_review_participant_organisation_id'), table_name='practice_review_participant')
    op.drop_index(op.f('ix_practice_review_participant_employee_id'), table_name='practice_review_participant')
    op.drop_table('practice_review_participant')
    op.drop_index(op.f('ix_hrm_conversation_updated_at'), table_name='hrm_conversation')
    op.drop_index(op.f('ix_hrm_conversation_organisation_id'), table_name='hrm_conversation')
    op.drop_index(op.f('ix_hrm_conversation_manager_id'), table_name='hrm_conversation')
    op.drop_index('ix_hrm_conversation_employee_id_held_on', table_name='hrm_conversation')
    op.drop_table('hrm_conversation')
    op.drop_index(op.f('ix_follow_up_item_updated_at'), table_name='follow_up_item')
    op.drop_index(op.f('ix_follow_up_item_training_session_id'), table_name='follow_up_item')
    op.drop_index(op.f('ix_follow_up_item_practice_review_id'), table_name='follow_up_item')
    op.drop_index(op.f('ix_follow_up_item_owner_team_id'), table_name='follow_up_item')
    op.drop_index(op.f('ix_follow_up_item_owner_employee_id'), table_name='follow_up_item')
    op.drop_index('ix_follow_up_item_organisation_id_status_due_on_owner', table_name='follow_up_item')
    op.drop_index(op.f('ix_follow_up_item_organisation_id'), table_name='follow_up_item')
    op.drop_table('follow_up_item')
    op.drop_index(op.f('ix_team_meeting_updated_at'), table_name='team_meeting')
    op.drop_index('ix_team_meeting_team_id_held_on', table_name='team_meeting')
    op.drop_index(op.f('ix_team_meeting_organisation_id'), table_name='team_meeting')
    op.drop_table('team_meeting')
    op.drop_index(op.f('ix_practice_review_updated_at'), table_name='practice_review')
    op.drop_index('ix_practice_review_team_id_held_on', table_name='practice_review')
    op.drop_index(op.f('ix_practice_review_organisation_id'), table_name='practice_review')
    op.drop_table('practice_review')
