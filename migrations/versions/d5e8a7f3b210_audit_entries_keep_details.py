"""audit entries keep details as data (changed fields, amounts, the objects involved), not as text

Revision ID: d5e8a7f3b210
Revises: c3d41f0a9e27
Create Date: 2026-12-04 10:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'd5e8a7f3b210'
down_revision = 'c3d41f0a9e27'
branch_labels = None
depends_on = None


def upgrade():
    # Entries already written keep their reasons as text: the pages recognise the machine's texts among
    # them and tell them in words (marketplace/core/audit/words.py).
    with op.batch_alter_table('audit_entries', schema=None) as batch_op:
        batch_op.add_column(sa.Column('details', sa.JSON(), nullable=True))


def downgrade():
    with op.batch_alter_table('audit_entries', schema=None) as batch_op:
        batch_op.drop_column('details')
