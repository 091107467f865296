"""accounts wait for their e-mail to be confirmed (status 'unconfirmed')

Revision ID: c3d41f0a9e27
Revises: b719fd689107
Create Date: 2026-12-03 12:40:00

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = 'c3d41f0a9e27'
down_revision = 'b719fd689107'
branch_labels = None
depends_on = None

OLD = "'pending_approval', 'active', 'rejected', 'disabled'"
NEW = "'unconfirmed', " + OLD


def upgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_users_status'), type_='check')
        batch_op.create_check_constraint('status', f"status IN ({NEW})")


def downgrade():
    # Sign-ups still waiting for their link are dropped: they never were accounts anyone could use.
    op.execute("DELETE FROM users WHERE status = 'unconfirmed'")
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_users_status'), type_='check')
        batch_op.create_check_constraint('status', f"status IN ({OLD})")
