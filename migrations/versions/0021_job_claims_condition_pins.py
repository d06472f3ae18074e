"""Job claims and condition pins.

- jobs.claimed_at, jobs.attempts: a running job's last sign of life and its number of
  claims, so a job left by a worker that died is claimed again.
- product_conditions.pin_position: products staff pin to the top of a condition page.

Revision ID: job_claims_condition_pins
Revises: background_jobs
Create Date: 2026-11-29

"""

import sqlalchemy as sa
from alembic import op

revision = "job_claims_condition_pins"
down_revision = "background_jobs"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("jobs", schema=None) as batch_op:
        batch_op.add_column(sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(
            sa.Column("attempts", sa.Integer(), server_default="0", nullable=False)
        )
    # Jobs running when this ran were claimed once, at their start.
    op.execute("UPDATE jobs SET claimed_at = started_at, attempts = 1 WHERE started_at IS NOT NULL")
    with op.batch_alter_table("product_conditions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("pin_position", sa.Integer(), nullable=True))


def downgrade():
    with op.batch_alter_table("product_conditions", schema=None) as batch_op:
        batch_op.drop_column("pin_position")
    with op.batch_alter_table("jobs", schema=None) as batch_op:
        batch_op.drop_column("attempts")
        batch_op.drop_column("claimed_at")
