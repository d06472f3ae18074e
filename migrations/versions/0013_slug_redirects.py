"""Old slugs of renamed articles, products, conditions and doctors (301 redirects).

Revision ID: slug_redirects
Revises: invoices
Create Date: 2026-11-29

"""

import sqlalchemy as sa
from alembic import op

revision = "slug_redirects"
down_revision = "invoices"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "slug_redirects",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("old_slug", sa.String(length=160), nullable=False),
        sa.Column("target_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("kind", "old_slug", name="uq_slug_redirects_kind_slug"),
    )


def downgrade():
    op.drop_table("slug_redirects")
