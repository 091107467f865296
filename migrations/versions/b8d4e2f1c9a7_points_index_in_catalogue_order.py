"""the listed needs' points index carries the catalogue's order, so nearest first reads a place's needs as an
ordered range

Revision ID: b8d4e2f1c9a7
Revises: e7c2f9a4d1b6
Create Date: 2026-12-07 16:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b8d4e2f1c9a7'
down_revision = 'e7c2f9a4d1b6'
branch_labels = None
depends_on = None

LISTED_ONLY = {"postgresql_where": sa.text("listed"), "sqlite_where": sa.text("listed = 1")}


def upgrade():
    op.drop_index("ix_needs_listed_point", table_name="needs")
    op.create_index("ix_needs_listed_point", "needs",
                    ["public_latitude", "public_longitude", "urgency_rank", sa.text("created_at DESC"),
                     sa.text("id DESC")], **LISTED_ONLY)


def downgrade():
    op.drop_index("ix_needs_listed_point", table_name="needs")
    op.create_index("ix_needs_listed_point", "needs", ["public_latitude", "public_longitude", "id"], **LISTED_ONLY)
