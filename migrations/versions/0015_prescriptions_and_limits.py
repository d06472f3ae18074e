"""Prescription medicines and purchase limits (SPEC §15).

Products get `prescription_required` and an optional per-customer limit; orders may wait
in `awaiting_review`; the pharmacist role; each prescription order's uploaded file and
review; the per-customer lock rows that serialise limited checkouts.

Revision ID: prescriptions
Revises: sort_prices
Create Date: 2026-11-29

"""

import sqlalchemy as sa
from alembic import op

revision = "prescriptions"
down_revision = "sort_prices"
branch_labels = None
depends_on = None

OLD_STATES = (
    "pending_payment",
    "paid",
    "shipped",
    "delivered",
    "cancelled",
    "refunded",
    "partially_refunded",
)
NEW_STATES = ("pending_payment", "awaiting_review", *OLD_STATES[1:])
OLD_ROLES = ("customer", "staff", "admin", "doctor")
NEW_ROLES = (*OLD_ROLES, "pharmacist")
LIMIT_CHECK = (
    "(limit_quantity IS NULL AND limit_days IS NULL) OR "
    "(limit_quantity IS NOT NULL AND limit_days IS NOT NULL "
    "AND limit_quantity >= 1 AND limit_days BETWEEN 1 AND 366)"
)


def _in(column: str, values) -> str:
    return f"{column} IN ('" + "', '".join(values) + "')"


def upgrade():
    # On SQLite, plain ADD COLUMN (with the check on the second column) rather than a batch
    # copy of the table, which would drop the products table's full-text-search triggers.
    if op.get_bind().dialect.name == "sqlite":
        op.execute(
            "ALTER TABLE products ADD COLUMN prescription_required BOOLEAN DEFAULT '0' NOT NULL"
        )
        op.execute("ALTER TABLE products ADD COLUMN limit_quantity INTEGER")
        op.execute(
            f"ALTER TABLE products ADD COLUMN limit_days INTEGER "
            f"CONSTRAINT ck_products_purchase_limit CHECK ({LIMIT_CHECK})"
        )
    else:
        op.add_column(
            "products",
            sa.Column("prescription_required", sa.Boolean(), server_default="0", nullable=False),
        )
        op.add_column("products", sa.Column("limit_quantity", sa.Integer(), nullable=True))
        op.add_column("products", sa.Column("limit_days", sa.Integer(), nullable=True))
        op.create_check_constraint(op.f("ck_products_purchase_limit"), "products", LIMIT_CHECK)
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_orders_state_known"), type_="check")
        batch_op.create_check_constraint(op.f("ck_orders_state_known"), _in("state", NEW_STATES))
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_users_role_known"), type_="check")
        batch_op.create_check_constraint(op.f("ck_users_role_known"), _in("role", NEW_ROLES))
    op.create_table(
        "prescriptions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("storage_key", sa.String(length=64), nullable=False),
        sa.Column("content_type", sa.String(length=40), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("uploaded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("authorised_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decision", sa.String(length=10), nullable=True),
        sa.Column("decided_by", sa.String(length=330), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("payment_error", sa.Text(), nullable=True),
        sa.CheckConstraint(
            "decision IS NULL OR decision IN ('approved', 'rejected', 'expired')",
            name=op.f("ck_prescriptions_decision_known"),
        ),
        sa.CheckConstraint("size > 0", name=op.f("ck_prescriptions_size_positive")),
        sa.ForeignKeyConstraint(
            ["order_id"],
            ["orders.id"],
            name=op.f("fk_prescriptions_order_id_orders"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_prescriptions")),
        sa.UniqueConstraint("order_id", name=op.f("uq_prescriptions_order_id")),
        sa.UniqueConstraint("storage_key", name=op.f("uq_prescriptions_storage_key")),
    )
    with op.batch_alter_table("prescriptions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_prescriptions_authorised_at"), ["authorised_at"], unique=False
        )
    op.create_table(
        "customer_locks",
        sa.Column("key", sa.String(length=340), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_customer_locks")),
    )


def downgrade():
    op.drop_table("customer_locks")
    with op.batch_alter_table("prescriptions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_prescriptions_authorised_at"))
    op.drop_table("prescriptions")
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_users_role_known"), type_="check")
        batch_op.create_check_constraint(op.f("ck_users_role_known"), _in("role", OLD_ROLES))
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_orders_state_known"), type_="check")
        batch_op.create_check_constraint(op.f("ck_orders_state_known"), _in("state", OLD_STATES))
    if op.get_bind().dialect.name == "sqlite":
        # the check belongs to limit_days alone on SQLite, so the column may go with it
        op.execute("ALTER TABLE products DROP COLUMN limit_days")
        op.execute("ALTER TABLE products DROP COLUMN limit_quantity")
        op.execute("ALTER TABLE products DROP COLUMN prescription_required")
    else:
        op.drop_constraint(op.f("ck_products_purchase_limit"), "products", type_="check")
        op.drop_column("products", "limit_days")
        op.drop_column("products", "limit_quantity")
        op.drop_column("products", "prescription_required")
