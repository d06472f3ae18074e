"""One customer key per inbox: rewrite coupon redemptions' and orders' keys.

Before, a signed-in customer was `user:<id>` and a guest `email:<address>`, so the same
person could use a once-per-customer coupon once each way (and again with `+tag` or
Gmail dots). Now both are `email:<canonical address>`; this rewrites the keys already
stored so past uses keep counting. Data only: no schema change.

Revision ID: customer_keys
Revises: order_client_ip
Create Date: 2026-11-29

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'customer_keys'
down_revision = 'order_client_ip'
branch_labels = None
depends_on = None

DOTLESS_DOMAINS = {"gmail.com": "gmail.com", "googlemail.com": "gmail.com"}


def canonical(email):
    """A copy of shop.accounts.emails.customer_key as it was when this ran."""
    local, _, domain = email.strip().lower().rpartition("@")
    local = local.split("+", 1)[0]
    if domain in DOTLESS_DOMAINS:
        domain = DOTLESS_DOMAINS[domain]
        local = local.replace(".", "")
    return f"email:{local}@{domain}"


def upgrade():
    conn = op.get_bind()
    users = dict(conn.execute(sa.text("SELECT id, email FROM users")).all())
    for table in ("coupon_redemptions", "orders"):
        rows = conn.execute(sa.text(f"SELECT id, customer_key FROM {table}")).all()
        for row_id, key in rows:
            kind, _, value = key.partition(":")
            if kind == "user" and value.isdigit() and int(value) in users:
                new = canonical(users[int(value)])
            elif kind == "email":
                new = canonical(value)
            else:
                continue
            if new != key:
                conn.execute(
                    sa.text(f"UPDATE {table} SET customer_key = :key WHERE id = :id"),
                    {"key": new, "id": row_id},
                )


def downgrade():
    pass  # the old keys cannot be told apart again; the new ones stay valid
