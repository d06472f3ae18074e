"""Stored sort prices (with their schedule) and an index for every foreign key.

The new columns are filled from list prices here; sales are applied by the first catch-up
(`flask --app shop refresh-prices`, or the first price-sorted list page): the schedule
row says a full refresh is due (`refreshed_at` before any sale could exist).

Revision ID: sort_prices
Revises: slug_redirects
Create Date: 2026-11-29

"""

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

import shop.database

revision = "sort_prices"
down_revision = "slug_redirects"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "price_schedule",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("refreshed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_price_schedule")),
    )
    with op.batch_alter_table("articles", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_articles_reviewer_id"), ["reviewer_id"], unique=False)

    with op.batch_alter_table("audit_entries", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_audit_entries_actor_id"), ["actor_id"], unique=False)

    with op.batch_alter_table("cart_lines", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_cart_lines_variant_id"), ["variant_id"], unique=False)

    with op.batch_alter_table("coupon_categories", schema=None) as batch_op:
        batch_op.create_index("ix_coupon_categories_category_id", ["category_id"], unique=False)

    with op.batch_alter_table("coupon_products", schema=None) as batch_op:
        batch_op.create_index("ix_coupon_products_product_id", ["product_id"], unique=False)

    with op.batch_alter_table("doctor_conditions", schema=None) as batch_op:
        batch_op.create_index("ix_doctor_conditions_condition_id", ["condition_id"], unique=False)

    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_orders_cart_id"), ["cart_id"], unique=False)

    with op.batch_alter_table("product_conditions", schema=None) as batch_op:
        batch_op.create_index("ix_product_conditions_condition_id", ["condition_id"], unique=False)

    with op.batch_alter_table("products", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("sort_price", sa.Integer(), server_default="0", nullable=False)
        )
        batch_op.add_column(
            sa.Column("sort_discount", sa.Integer(), server_default="0", nullable=False)
        )
        batch_op.create_index(
            "ix_products_active_created", ["active", "created_at", "id"], unique=False
        )
        batch_op.create_index(
            "ix_products_active_sort_discount", ["active", "sort_discount", "id"], unique=False
        )
        batch_op.create_index(
            "ix_products_active_sort_price", ["active", "sort_price", "id"], unique=False
        )
        batch_op.create_index("ix_products_name", ["name", "id"], unique=False)

    with op.batch_alter_table("questions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_questions_user_id"), ["user_id"], unique=False)

    with op.batch_alter_table("related_articles", schema=None) as batch_op:
        batch_op.create_index("ix_related_articles_related_id", ["related_id"], unique=False)

    with op.batch_alter_table("sale_categories", schema=None) as batch_op:
        batch_op.create_index("ix_sale_categories_category_id", ["category_id"], unique=False)

    with op.batch_alter_table("sale_products", schema=None) as batch_op:
        batch_op.create_index("ix_sale_products_product_id", ["product_id"], unique=False)

    op.execute(
        "UPDATE products SET"
        " sort_price = COALESCE((SELECT MIN(v.price) FROM variants v"
        " WHERE v.product_id = products.id), 0),"
        " sort_discount = COALESCE((SELECT MAX((v.mrp - v.price) * 10000 / v.mrp)"
        " FROM variants v WHERE v.product_id = products.id), 0)"
    )
    long_ago = datetime(2000, 1, 1, tzinfo=UTC)  # `prices.FULL_REFRESH_BEFORE`
    schedule = sa.table(
        "price_schedule",
        sa.column("id", sa.Integer),
        sa.column("refreshed_at", shop.database.UTCDateTime),
        sa.column("due_at", shop.database.UTCDateTime),
    )
    op.bulk_insert(schedule, [{"id": 1, "refreshed_at": long_ago, "due_at": long_ago}])


def downgrade():
    with op.batch_alter_table("sale_products", schema=None) as batch_op:
        batch_op.drop_index("ix_sale_products_product_id")

    with op.batch_alter_table("sale_categories", schema=None) as batch_op:
        batch_op.drop_index("ix_sale_categories_category_id")

    with op.batch_alter_table("related_articles", schema=None) as batch_op:
        batch_op.drop_index("ix_related_articles_related_id")

    with op.batch_alter_table("questions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_questions_user_id"))

    for name in (
        "ix_products_name",
        "ix_products_active_sort_price",
        "ix_products_active_sort_discount",
        "ix_products_active_created",
    ):
        op.drop_index(name, table_name="products")
    # SQLite drops the columns in place: a batch copy of `products` would turn each
    # column's CHECK into a table CHECK (so an older downgrade could no longer drop that
    # column) and would lose the full-text triggers.
    op.drop_column("products", "sort_discount")
    op.drop_column("products", "sort_price")

    with op.batch_alter_table("product_conditions", schema=None) as batch_op:
        batch_op.drop_index("ix_product_conditions_condition_id")

    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_orders_cart_id"))

    with op.batch_alter_table("doctor_conditions", schema=None) as batch_op:
        batch_op.drop_index("ix_doctor_conditions_condition_id")

    with op.batch_alter_table("coupon_products", schema=None) as batch_op:
        batch_op.drop_index("ix_coupon_products_product_id")

    with op.batch_alter_table("coupon_categories", schema=None) as batch_op:
        batch_op.drop_index("ix_coupon_categories_category_id")

    with op.batch_alter_table("cart_lines", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_cart_lines_variant_id"))

    with op.batch_alter_table("audit_entries", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_audit_entries_actor_id"))

    with op.batch_alter_table("articles", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_articles_reviewer_id"))

    op.drop_table("price_schedule")
