"""Article attribution: daily counts per article and embed, the embed on cart and order lines.

Revision ID: article_attribution
Revises: help_pages
Create Date: 2026-11-29

"""

import sqlalchemy as sa
from alembic import op

revision = "article_attribution"
down_revision = "help_pages"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "article_stat_days",
        sa.Column("article_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.SmallInteger(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("views", sa.Integer(), nullable=False),
        sa.Column("clicks", sa.Integer(), nullable=False),
        sa.Column("adds", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "views >= 0 AND clicks >= 0 AND adds >= 0",
            name=op.f("ck_article_stat_days_counts_not_negative"),
        ),
        sa.CheckConstraint(
            "position >= 0", name=op.f("ck_article_stat_days_position_not_negative")
        ),
        sa.ForeignKeyConstraint(
            ["article_id"],
            ["articles.id"],
            name=op.f("fk_article_stat_days_article_id_articles"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("article_id", "position", "day", name=op.f("pk_article_stat_days")),
    )
    with op.batch_alter_table("article_stat_days", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_article_stat_days_day"), ["day"], unique=False)

    with op.batch_alter_table("cart_lines", schema=None) as batch_op:
        batch_op.add_column(sa.Column("ref_pos", sa.SmallInteger(), nullable=True))
        batch_op.add_column(sa.Column("ref_at", sa.DateTime(timezone=True), nullable=True))

    with op.batch_alter_table("order_lines", schema=None) as batch_op:
        batch_op.add_column(sa.Column("article_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("article_pos", sa.SmallInteger(), nullable=True))
        batch_op.create_index(batch_op.f("ix_order_lines_article_id"), ["article_id"], unique=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_order_lines_article_id_articles"),
            "articles",
            ["article_id"],
            ["id"],
            ondelete="SET NULL",
        )


def downgrade():
    with op.batch_alter_table("order_lines", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_order_lines_article_id_articles"), type_="foreignkey"
        )
        batch_op.drop_index(batch_op.f("ix_order_lines_article_id"))
        batch_op.drop_column("article_pos")
        batch_op.drop_column("article_id")

    with op.batch_alter_table("cart_lines", schema=None) as batch_op:
        batch_op.drop_column("ref_at")
        batch_op.drop_column("ref_pos")

    with op.batch_alter_table("article_stat_days", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_article_stat_days_day"))

    op.drop_table("article_stat_days")
