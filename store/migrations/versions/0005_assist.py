"""assist: unit embeddings, LLM exchanges, origin of codings and suggestions

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-03 11:48:50

Issue 13 (private assistance): ``unit_embeddings`` (float32 vectors of sentences and paragraphs
keyed by document, span and encoder version), ``llm_exchanges`` (the audit log of a local LLM),
``codings.origin``/``origin_detail`` (human, rule, encoder or llm, and which) and, on
``suggestions``, ``origin``, ``score``, the nearest example (``example_id``, ``example_quote``) and
``model``. Existing codings become ``human``, existing suggestions ``rule``.
"""
from alembic import op
import sqlalchemy as sa

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('llm_exchanges',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('created', sa.DateTime(timezone=True), nullable=False),
    sa.Column('user', sa.String(length=100), nullable=False),
    sa.Column('endpoint', sa.String(length=500), nullable=False),
    sa.Column('model', sa.String(length=200), nullable=False),
    sa.Column('document_id', sa.Integer(), nullable=True),
    sa.Column('request', sa.Text(), nullable=False),
    sa.Column('response', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('error', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['document_id'], ['documents.id'], name=op.f('fk_llm_exchanges_document_id_documents'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_llm_exchanges')),
    sqlite_autoincrement=True
    )
    op.create_table('unit_embeddings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('document_id', sa.Integer(), nullable=False),
    sa.Column('unit', sa.String(length=10), nullable=False),
    sa.Column('start', sa.Integer(), nullable=False),
    sa.Column('end', sa.Integer(), nullable=False),
    sa.Column('model', sa.String(length=100), nullable=False),
    sa.Column('text_hash', sa.String(length=64), nullable=False),
    sa.Column('dim', sa.Integer(), nullable=False),
    sa.Column('vector', sa.LargeBinary(), nullable=True),
    sa.ForeignKeyConstraint(['document_id'], ['documents.id'], name=op.f('fk_unit_embeddings_document_id_documents'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_unit_embeddings')),
    sa.UniqueConstraint('document_id', 'unit', 'model', 'start', 'end', name=op.f('uq_unit_embeddings_document_id')),
    sqlite_autoincrement=True
    )
    with op.batch_alter_table('unit_embeddings', schema=None) as batch_op:
        batch_op.create_index('ix_unit_embeddings_model_unit', ['model', 'unit'], unique=False)

    with op.batch_alter_table('codings', schema=None) as batch_op:
        batch_op.add_column(sa.Column('origin', sa.String(length=10), server_default='human', nullable=False))
        batch_op.add_column(sa.Column('origin_detail', sa.String(length=200), server_default='', nullable=False))
        batch_op.create_check_constraint(op.f('ck_codings_origin'), "origin IN ('human', 'rule', 'encoder', 'llm')")

    with op.batch_alter_table('suggestions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('origin', sa.String(length=10), server_default='rule', nullable=False))
        batch_op.add_column(sa.Column('score', sa.Float(), nullable=True))
        batch_op.add_column(sa.Column('example_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('example_quote', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('model', sa.String(length=200), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_suggestions_example_id_codings'), 'codings', ['example_id'], ['id'], ondelete='SET NULL')
        batch_op.create_check_constraint(op.f('ck_suggestions_origin'), "origin IN ('rule', 'encoder', 'llm')")


def downgrade() -> None:
    with op.batch_alter_table('suggestions', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_suggestions_origin'), type_='check')
        batch_op.drop_constraint(batch_op.f('fk_suggestions_example_id_codings'), type_='foreignkey')
        batch_op.drop_column('model')
        batch_op.drop_column('example_quote')
        batch_op.drop_column('example_id')
        batch_op.drop_column('score')
        batch_op.drop_column('origin')

    with op.batch_alter_table('codings', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_codings_origin'), type_='check')
        batch_op.drop_column('origin_detail')
        batch_op.drop_column('origin')

    with op.batch_alter_table('unit_embeddings', schema=None) as batch_op:
        batch_op.drop_index('ix_unit_embeddings_model_unit')

    op.drop_table('unit_embeddings')
    op.drop_table('llm_exchanges')
