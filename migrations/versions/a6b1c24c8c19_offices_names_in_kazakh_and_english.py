"""offices' names in Kazakh and English (empty: the Russian name shows)

Revision ID: a6b1c24c8c19
Revises: d5e8a7f3b210
Create Date: 2026-12-04 10:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'a6b1c24c8c19'
down_revision = 'd5e8a7f3b210'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('offices', schema=None) as batch_op:
        batch_op.add_column(sa.Column('name_kk', sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column('name_en', sa.String(length=200), nullable=True))


def downgrade():
    with op.batch_alter_table('offices', schema=None) as batch_op:
        batch_op.drop_column('name_en')
        batch_op.drop_column('name_kk')
