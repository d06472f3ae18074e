"""Help and legal pages (contact, grievance officer, returns, shipping, privacy, terms).

Revision ID: help_pages
Revises: prescriptions
Create Date: 2026-11-29

"""

import sqlalchemy as sa
from alembic import op

revision = "help_pages"
down_revision = "prescriptions"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "help_pages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("slug", sa.String(length=60), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("summary", sa.String(length=300), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("contact_name", sa.String(length=200), nullable=False),
        sa.Column("contact_role", sa.String(length=200), nullable=False),
        sa.Column("contact_email", sa.String(length=320), nullable=False),
        sa.Column("contact_phone", sa.String(length=30), nullable=False),
        sa.Column("contact_address", sa.Text(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_help_pages")),
        sa.UniqueConstraint("slug", name=op.f("uq_help_pages_slug")),
    )


def downgrade():
    op.drop_table("help_pages")
