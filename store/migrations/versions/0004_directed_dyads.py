"""directed dyads: ordered city pairs and their attributes

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-03 08:40:00

Adds ``directed_dyads`` (sender → receiver, both orderings allowed, each once) and
``directed_dyad_attributes`` (numeric outcomes and covariates of a directed pair), so that
directed flows are stored as they were observed instead of being folded into undirected pairs.
"""
from alembic import op
import sqlalchemy as sa


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('directed_dyads',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('sender', sa.String(length=50), nullable=False),
    sa.Column('receiver', sa.String(length=50), nullable=False),
    sa.CheckConstraint('sender <> receiver', name=op.f('ck_directed_dyads_two_cities')),
    sa.ForeignKeyConstraint(['receiver'], ['cities.code'], name=op.f('fk_directed_dyads_receiver_cities'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['sender'], ['cities.code'], name=op.f('fk_directed_dyads_sender_cities'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_directed_dyads')),
    sa.UniqueConstraint('sender', 'receiver', name=op.f('uq_directed_dyads_sender')),
    sqlite_autoincrement=True
    )
    with op.batch_alter_table('directed_dyads', schema=None) as batch_op:
        batch_op.create_index('ix_directed_dyads_receiver', ['receiver'], unique=False)
    op.create_table('directed_dyad_attributes',
    sa.Column('dyad_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('value', sa.Float(), nullable=True),
    sa.ForeignKeyConstraint(['dyad_id'], ['directed_dyads.id'], name=op.f('fk_directed_dyad_attributes_dyad_id_directed_dyads'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('dyad_id', 'name', name=op.f('pk_directed_dyad_attributes'))
    )


def downgrade() -> None:
    op.drop_table('directed_dyad_attributes')
    with op.batch_alter_table('directed_dyads', schema=None) as batch_op:
        batch_op.drop_index('ix_directed_dyads_receiver')
    op.drop_table('directed_dyads')
