"""needs carry whether the catalogue lists them and their settlement as one key, with partial indexes for
the catalogue's orders

Revision ID: e7c2f9a4d1b6
Revises: a6b1c24c8c19
Create Date: 2026-12-04 19:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'e7c2f9a4d1b6'
down_revision = 'a6b1c24c8c19'
branch_labels = None
depends_on = None

LISTED_ONLY = {"postgresql_where": sa.text("listed"), "sqlite_where": sa.text("listed = 1")}
ORDERED = ("urgency_rank", sa.text("created_at DESC"), sa.text("id DESC"))
INDEXES = {"urgency": (), "category": ("category",), "region": ("region_code",), "settlement": ("settlement_key",)}


def upgrade():
    with op.batch_alter_table('needs', schema=None) as batch_op:
        batch_op.add_column(sa.Column('listed', sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.add_column(sa.Column('settlement_key', sa.String(length=40), nullable=True))
    # The rule of marketplace/needs/listing.py, as it stood when the flag was added.
    op.execute(sa.text(
        "UPDATE needs SET listed = (status IN ('verified', 'in_progress') AND hidden_at IS NULL AND EXISTS ("
        " SELECT 1 FROM households JOIN users ON users.id = households.user_id"
        " WHERE households.id = needs.household_id AND households.status = 'verified'"
        " AND users.hidden_at IS NULL AND users.status = 'active'))"))
    from marketplace.needs.listing import settlement_key

    connection = op.get_bind()
    names = [row[0] for row in connection.execute(sa.text("SELECT DISTINCT settlement FROM needs WHERE settlement IS NOT NULL"))]
    for name in names:
        connection.execute(sa.text("UPDATE needs SET settlement_key = :key WHERE settlement = :name"),
                           {"key": settlement_key(name), "name": name})
    for name, first in INDEXES.items():
        op.create_index(f"ix_needs_listed_{name}", "needs", [*first, *ORDERED], **LISTED_ONLY)
    op.create_index("ix_needs_listed_point", "needs", ["public_latitude", "public_longitude", "id"], **LISTED_ONLY)


def downgrade():
    op.drop_index("ix_needs_listed_point", table_name="needs")
    for name in INDEXES:
        op.drop_index(f"ix_needs_listed_{name}", table_name="needs")
    with op.batch_alter_table('needs', schema=None) as batch_op:
        batch_op.drop_column('settlement_key')
        batch_op.drop_column('listed')
