"""Per-customer purchase limits (SPEC §15): `limit_quantity` units per `limit_days` days.

A customer is every identity an order can be traced to: the account, the e-mail's
customer key (`shop.accounts.emails.customer_key`: the inbox without `+tag` or Gmail
dots) and the delivery phone (`+91XXXXXXXXXX`). Units count from the customer's orders
in `COUNTS_TOWARDS_LIMITS` (paid ones, those awaiting review, and unpaid ones whose
hold is still running) placed within the period.

Concurrency: before counting, checkout locks one `customer_locks` row per identity
(`INSERT … ON CONFLICT DO NOTHING`, then `SELECT … FOR UPDATE` in key order, in the
transaction that then inserts the order). Two checkouts by one customer therefore
count one after the other, and the second sees the first's order: they cannot both
pass. Carts without limited products take no lock.

`limit_verdict` is pure: from the units already bought (with their dates) it decides
whether more may be bought and from when the limit allows it again.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, or_, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from shop.catalog.models import Product, Variant
from shop.checkout.models import CustomerLock, Order, OrderLine
from shop.checkout.states import COUNTS_TOWARDS_LIMITS, OrderState
from shop.delivery.models import OrderDelivery
from shop.errors import ShopError
from shop.extensions import db


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    used: int  # units already counted in the period
    resets_on: datetime | None  # when `wanted` more units fit again (None: allowed now)


def limit_verdict(
    purchases: list[tuple[datetime, int]], wanted: int, limit: int, days: int
) -> Verdict:
    """May `wanted` more units be bought, given (time, units) bought within the period?

    When not, `resets_on` is the first moment enough earlier units leave the rolling
    window: each purchase stops counting `days` after it was made.
    """
    used = sum(units for _, units in purchases)
    if used + wanted <= limit:
        return Verdict(True, used, None)
    if wanted > limit:
        return Verdict(False, used, None)  # never: more than the limit in one go
    excess = used + wanted - limit
    freed = 0
    for when, units in sorted(purchases):
        freed += units
        if freed >= excess:
            return Verdict(False, used, when + timedelta(days=days))
    return Verdict(False, used, None)  # not reached: the purchases add up to `used`


def customer_identities(user_id: int | None, customer_key: str, phone: str | None) -> list[str]:
    keys = [f"email:{customer_key}"]
    if user_id:
        keys.append(f"user:{user_id}")
    if phone:
        keys.append(f"phone:{phone}")
    return sorted(keys)


def lock_customer(keys: list[str]) -> None:
    """Hold the customer's lock rows until the transaction ends (created when missing)."""
    dialect = db.session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    db.session.execute(
        insert(CustomerLock).values([{"key": key} for key in keys]).on_conflict_do_nothing()
    )
    db.session.execute(
        select(CustomerLock.key)
        .where(CustomerLock.key.in_(keys))
        .order_by(CustomerLock.key)
        .with_for_update()
    ).all()


def _purchases(product_id: int, since: datetime, now: datetime, who) -> list[tuple[datetime, int]]:
    counted = [str(state) for state in COUNTS_TOWARDS_LIMITS if state != OrderState.PENDING_PAYMENT]
    still_open = (Order.state == OrderState.PENDING_PAYMENT) & (Order.hold_expires_at > now)
    rows = db.session.execute(
        select(Order.created_at, func.sum(OrderLine.quantity))
        .join(OrderLine, OrderLine.order_id == Order.id)
        .join(Variant, Variant.id == OrderLine.variant_id)
        .outerjoin(OrderDelivery, OrderDelivery.order_id == Order.id)
        .where(
            Variant.product_id == product_id,
            Order.created_at > since,
            or_(Order.state.in_(counted), still_open),
            or_(*who),
        )
        .group_by(Order.id, Order.created_at)
    ).all()
    return [(created, int(units)) for created, units in rows]


def check_purchase_limits(
    wanted: dict[int, int],
    products: dict[int, Product],
    *,
    user_id: int | None,
    customer_key: str,
    phone: str | None,
    now: datetime,
) -> None:
    """Refuse (409) a checkout that would take a customer past a product's limit.

    `wanted` is units per product id. Locks the customer first (see the module's notes);
    the caller inserts its order in the same transaction.
    """
    limited = {pid: n for pid, n in wanted.items() if products[pid].purchase_limit}
    if not limited:
        return
    lock_customer(customer_identities(user_id, customer_key, phone))
    who = [Order.customer_key == customer_key]
    if user_id:
        who.append(Order.user_id == user_id)
    if phone:
        who.append(OrderDelivery.phone == phone)
    for product_id, units in sorted(limited.items()):
        product = products[product_id]
        limit, days = product.purchase_limit
        since = now - timedelta(days=days)
        verdict = limit_verdict(_purchases(product_id, since, now, who), units, limit, days)
        if not verdict.allowed:
            raise ShopError(409, limit_message(product.name, limit, days, verdict))


def limit_message(name: str, limit: int, days: int, verdict: Verdict) -> str:
    rule = f"{name} is limited to {limit} per customer every {days} days"
    if verdict.resets_on is None:
        return f"{rule}. Lower the quantity in your cart to {limit} or fewer."
    bought = f"you have {verdict.used} in orders from the last {days} days"
    return (
        f"{rule}, and {bought}. You can buy more from {verdict.resets_on:%d %B %Y}; "
        "until then, lower the quantity in your cart."
    )
