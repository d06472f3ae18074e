"""Orders remember the address they were placed from (unpaid-order limits).

Revision ID: order_client_ip
Revises: ask_a_doctor
Create Date: 2026-11-29

"""

import sqlalchemy as sa
from alembic import op

revision = "order_client_ip"
down_revision = "ask_a_doctor"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.add_column(sa.Column("client_ip", sa.String(length=45), nullable=True))
        batch_op.create_index(batch_op.f("ix_orders_client_ip"), ["client_ip"], unique=False)


def downgrade():
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_orders_client_ip"))
        batch_op.drop_column("client_ip")
