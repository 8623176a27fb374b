"""saved runs, the fieldwork worklist, codes mapped to dimensions

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-03 05:30:00

Adds ``runs`` (saved analyses: estimates, covariances, per-unit fit and the data
fingerprint), ``worklist_cases`` (cases ticked for fieldwork, with a memo each) and
``code_dimension_map`` (which collaboration dimensions a code is evidence for). The
default codebook's Mark and Hole codes, where present, are mapped to all three
dimensions, as a new project's are.
"""
from alembic import op
import sqlalchemy as sa


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None

_DIMENSIONS = ("breadth", "connection", "degree")


def upgrade() -> None:
    op.create_table('code_dimension_map',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code_id', sa.Integer(), nullable=False),
    sa.Column('dimension', sa.String(length=20), nullable=False),
    sa.CheckConstraint("dimension IN ('breadth', 'connection', 'degree')", name=op.f('ck_code_dimension_map_dimension')),
    sa.ForeignKeyConstraint(['code_id'], ['codes.id'], name=op.f('fk_code_dimension_map_code_id_codes'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_code_dimension_map')),
    sa.UniqueConstraint('code_id', 'dimension', name=op.f('uq_code_dimension_map_code_id'))
    )
    op.create_table('runs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('dimension', sa.String(length=20), nullable=False),
    sa.Column('model', sa.String(length=20), nullable=False),
    sa.Column('formula', sa.Text(), nullable=False),
    sa.Column('zero_formula', sa.Text(), nullable=True),
    sa.Column('se_type', sa.String(length=20), nullable=False),
    sa.Column('settings', sa.JSON(), nullable=False),
    sa.Column('n', sa.Integer(), nullable=False),
    sa.Column('n_nodes', sa.Integer(), nullable=True),
    sa.Column('result', sa.JSON(), nullable=False),
    sa.Column('units', sa.LargeBinary(), nullable=False),
    sa.Column('fingerprint', sa.String(length=64), nullable=False),
    sa.Column('created', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by', sa.String(length=100), nullable=False),
    sa.Column('tandem_version', sa.String(length=40), nullable=False),
    sa.Column('deleted', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint("dimension IN ('breadth', 'connection', 'degree')", name=op.f('ck_runs_dimension')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_runs')),
    sa.UniqueConstraint('name', name=op.f('uq_runs_name')),
    sqlite_autoincrement=True
    )
    with op.batch_alter_table('runs', schema=None) as batch_op:
        batch_op.create_index('ix_runs_dimension_created', ['dimension', 'created'], unique=False)
    op.create_table('worklist_cases',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('level', sa.String(length=10), nullable=False),
    sa.Column('unit_key', sa.String(length=300), nullable=False),
    sa.Column('run_id', sa.Integer(), nullable=True),
    sa.Column('rule', sa.String(length=40), nullable=False),
    sa.Column('case_type', sa.String(length=200), nullable=False),
    sa.Column('observed', sa.Float(), nullable=True),
    sa.Column('predicted', sa.Float(), nullable=True),
    sa.Column('residual', sa.Float(), nullable=True),
    sa.Column('memo', sa.Text(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('added_by', sa.String(length=100), nullable=False),
    sa.Column('created', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("level IN ('city', 'dyad')", name=op.f('ck_worklist_cases_level')),
    sa.ForeignKeyConstraint(['run_id'], ['runs.id'], name=op.f('fk_worklist_cases_run_id_runs'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_worklist_cases')),
    sa.UniqueConstraint('level', 'unit_key', name=op.f('uq_worklist_cases_level')),
    sqlite_autoincrement=True
    )
    _map_default_codes()


def _map_default_codes() -> None:
    """Mark and Hole (the default codebook's Behaviour codes, if the project has them) become
    evidence for every dimension, as in a new project."""
    conn = op.get_bind()
    rows = conn.execute(sa.text(
        "SELECT c.id FROM codes c JOIN codes p ON c.parent_id = p.id "
        "WHERE p.name = 'Behaviour' AND c.name IN ('Mark', 'Hole')")).fetchall()
    for (code_id,) in rows:
        for dim in _DIMENSIONS:
            conn.execute(sa.text("INSERT INTO code_dimension_map (code_id, dimension) VALUES (:c, :d)"),
                         {"c": code_id, "d": dim})


def downgrade() -> None:
    op.drop_table('worklist_cases')
    with op.batch_alter_table('runs', schema=None) as batch_op:
        batch_op.drop_index('ix_runs_dimension_created')
    op.drop_table('runs')
    op.drop_table('code_dimension_map')
