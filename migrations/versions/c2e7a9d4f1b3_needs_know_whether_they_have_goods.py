"""needs know whether they have goods lines, and the catalogue's kinds of help get their partial indexes

Revision ID: c2e7a9d4f1b3
Revises: b8d4e2f1c9a7
Create Date: 2026-12-07 17:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c2e7a9d4f1b3'
down_revision = 'b8d4e2f1c9a7'
branch_labels = None
depends_on = None

ORDERED = ("urgency_rank", sa.text("created_at DESC"), sa.text("id DESC"))
# (PostgreSQL's term, SQLite's), as marketplace/needs/models.py's KIND_TERMS when this was written.
KINDS = {"money": ("money_goal > 0",) * 2, "goods": ("has_goods", "has_goods = 1"),
         "volunteer": ("volunteer_slots > 0",) * 2}


def upgrade():
    # A plain ADD COLUMN (SQLite takes it too): a batch would copy the table on SQLite and drop the DESC of
    # the catalogue's indexes on the way.
    op.add_column('needs', sa.Column('has_goods', sa.Boolean(), server_default=sa.false(), nullable=False))
    op.execute(sa.text("UPDATE needs SET has_goods = EXISTS (SELECT 1 FROM need_items WHERE need_items.need_id = needs.id)"))
    for name, (pg, lite) in KINDS.items():
        op.create_index(f"ix_needs_listed_{name}", "needs", list(ORDERED), postgresql_where=sa.text(f"listed AND {pg}"),
                        sqlite_where=sa.text(f"listed = 1 AND {lite}"))


def downgrade():
    for name in KINDS:
        op.drop_index(f"ix_needs_listed_{name}", table_name="needs")
    op.drop_column('needs', 'has_goods')  # SQLite 3.35+ drops a column in place
