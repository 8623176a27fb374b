"""team users, login attempts, one coding per coder/code/span

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-02 23:10:00

Adds the ``users`` and ``login_attempts`` tables of team mode, and the unique
index ``ux_codings_one_span`` (document, code, start, end, coder). Duplicate
codings an older project may hold are folded into the lowest id first: their links
move to it (unless it already has the same link) and the duplicates are removed.
"""
from alembic import op
import sqlalchemy as sa


revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None

_DUPLICATES = """
SELECT c.id, k.keep FROM codings c JOIN (
    SELECT document_id, code_id, start, "end", coder, MIN(id) AS keep
    FROM codings GROUP BY document_id, code_id, start, "end", coder HAVING COUNT(*) > 1
) k ON c.document_id = k.document_id AND c.code_id = k.code_id AND c.start = k.start
   AND c."end" = k."end" AND c.coder = k.coder
WHERE c.id <> k.keep
"""


def _fold_duplicates() -> None:
    conn = op.get_bind()
    for dup, keep in conn.execute(sa.text(_DUPLICATES)).fetchall():
        links = conn.execute(sa.text("SELECT id, city_code, dyad_id FROM coding_links WHERE coding_id = :d"),
                             {"d": dup}).fetchall()
        for link_id, city, dyad in links:
            exists = conn.execute(sa.text(
                "SELECT 1 FROM coding_links WHERE coding_id = :k AND city_code IS NOT DISTINCT FROM :c "
                "AND dyad_id IS NOT DISTINCT FROM :y" if conn.dialect.name == "postgresql" else
                "SELECT 1 FROM coding_links WHERE coding_id = :k AND city_code IS :c AND dyad_id IS :y"),
                {"k": keep, "c": city, "y": dyad}).first()
            if exists is None:
                conn.execute(sa.text("UPDATE coding_links SET coding_id = :k WHERE id = :i"), {"k": keep, "i": link_id})
        conn.execute(sa.text("DELETE FROM coding_links WHERE coding_id = :d"), {"d": dup})
        conn.execute(sa.text("UPDATE suggestions SET coding_id = :k WHERE coding_id = :d"), {"k": keep, "d": dup})
        conn.execute(sa.text("DELETE FROM codings WHERE id = :d"), {"d": dup})


def upgrade() -> None:
    op.create_table('users',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('password_hash', sa.String(length=255), nullable=False),
    sa.Column('role', sa.String(length=10), nullable=False),
    sa.Column('created', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("role IN ('owner', 'coder', 'viewer')", name=op.f('ck_users_role')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_users')),
    sa.UniqueConstraint('name', name=op.f('uq_users_name')),
    sqlite_autoincrement=True
    )
    op.create_table('login_attempts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('ts', sa.DateTime(timezone=True), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('ok', sa.Integer(), nullable=False),
    sa.Column('source', sa.String(length=100), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_login_attempts'))
    )
    with op.batch_alter_table('login_attempts', schema=None) as batch_op:
        batch_op.create_index('ix_login_attempts_name_ts', ['name', 'ts'], unique=False)
    _fold_duplicates()
    # A unique index, not a table constraint: SQLite adds it without rebuilding the table.
    op.create_index('ux_codings_one_span', 'codings', ['document_id', 'code_id', 'start', 'end', 'coder'],
                    unique=True)


def downgrade() -> None:
    op.drop_index('ux_codings_one_span', table_name='codings')
    with op.batch_alter_table('login_attempts', schema=None) as batch_op:
        batch_op.drop_index('ix_login_attempts_name_ts')
    op.drop_table('login_attempts')
    op.drop_table('users')
