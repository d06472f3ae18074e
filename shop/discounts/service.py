"""Load sales, coupons and the shipping rate from the database into pricing inputs.

This is the only place that turns discount rows into `shop.pricing.engine` values, in a
fixed number of queries, so every caller prices with the same rules.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask import current_app
from sqlalchemy import func, literal, or_, select, union_all

from shop.discounts.models import (
    Coupon,
    CouponRedemption,
    Sale,
    ShippingRate,
    coupon_categories,
    coupon_products,
    sale_categories,
    sale_products,
)
from shop.extensions import db
from shop.pricing import engine
from shop.pricing.rounding import parse_rounding


def _current(model, now: datetime):
    return (
        model.active.is_(True),
        or_(model.starts_at.is_(None), model.starts_at <= now),
        or_(model.ends_at.is_(None), model.ends_at > now),
    )


def active_sales(now: datetime) -> list[engine.Sale]:
    """Sales running at `now`, with their targets (always two queries)."""
    return _load_sales(_current(Sale, now))


def _not_ended(now: datetime):
    return (Sale.active.is_(True), or_(Sale.ends_at.is_(None), Sale.ends_at > now))


def not_ended_sales(now: datetime) -> list[engine.Sale]:
    """Switched-on sales running at `now` or still to start (always two queries)."""
    return _load_sales(_not_ended(now))


def sale_rounding() -> int:
    """The shop's rounding step for sale prices, in paise (`SHOP_SALE_ROUNDING`)."""
    return parse_rounding(current_app.config.get("SHOP_SALE_ROUNDING", "rupee"))


def _load_sales(conditions) -> list[engine.Sale]:
    sales = db.session.scalars(select(Sale).where(*conditions)).all()
    running = select(Sale.id).where(*conditions)
    links = db.session.execute(
        union_all(
            select(sale_products.c.sale_id, literal("p"), sale_products.c.product_id).where(
                sale_products.c.sale_id.in_(running)
            ),
            select(sale_categories.c.sale_id, literal("c"), sale_categories.c.category_id).where(
                sale_categories.c.sale_id.in_(running)
            ),
        )
    ).all()
    targets: dict[int, dict[str, set[int]]] = {s.id: {"p": set(), "c": set()} for s in sales}
    step = sale_rounding()
    for sale_id, kind, target_id in links:
        if sale_id in targets:
            targets[sale_id][kind].add(target_id)
    return [
        engine.Sale(
            id=s.id,
            kind=s.kind,
            value=s.value,
            product_ids=frozenset(targets[s.id]["p"]),
            category_ids=frozenset(targets[s.id]["c"]),
            starts_at=s.starts_at,
            ends_at=s.ends_at,
            round_to=step,
        )
        for s in sales
    ]


def find_coupon(code: str) -> Coupon | None:
    return db.session.scalar(select(Coupon).where(Coupon.code == Coupon.normalise(code)))


def coupon_rule(coupon: Coupon, customer_key: str | None) -> engine.Coupon:
    """The pricing view of a coupon row, with its use counts (held and final uses)."""
    in_use = CouponRedemption.state.in_((CouponRedemption.HELD, CouponRedemption.FINAL))
    customer_uses = db.session.scalar(
        select(func.count()).where(
            CouponRedemption.coupon_id == coupon.id,
            CouponRedemption.customer_key == (customer_key or ""),
            in_use,
        )
    )
    product_ids = db.session.scalars(
        select(coupon_products.c.product_id).where(coupon_products.c.coupon_id == coupon.id)
    ).all()
    category_ids = db.session.scalars(
        select(coupon_categories.c.category_id).where(coupon_categories.c.coupon_id == coupon.id)
    ).all()
    return engine.Coupon(
        code=coupon.code,
        kind=coupon.kind,
        value=coupon.value,
        min_subtotal=coupon.min_subtotal,
        max_discount=coupon.max_discount,
        starts_at=coupon.starts_at,
        ends_at=coupon.ends_at,
        active=coupon.active,
        usage_limit=coupon.usage_limit,
        times_used=coupon.uses,
        per_customer_limit=coupon.per_customer_limit,
        customer_uses=customer_uses if customer_key else 0,
        product_ids=frozenset(product_ids),
        category_ids=frozenset(category_ids),
        exclude_sale_items=coupon.exclude_sale_items,
    )


def shipping_rule() -> engine.Shipping:
    """The shop's shipping rate; free shipping when none is configured."""
    rate = db.session.scalar(select(ShippingRate).order_by(ShippingRate.id).limit(1))
    if rate is None:
        return engine.Shipping(fee=0, free_from=None)
    return engine.Shipping(fee=rate.fee, free_from=rate.free_from)


# --- the rules every cart and checkout prices with, cached per content version ----------


@dataclass(frozen=True)
class PricingRules:
    """Sales not yet ended and the shipping rate, as of one content version."""

    version: int
    sales: tuple[engine.Sale, ...]
    shipping: engine.Shipping


def pricing_rules(now: datetime, version: int | None = None) -> PricingRules:
    """The sales and shipping rate to price with, in one cheap query when nothing changed.

    Sales and shipping rates bump the content version in the transaction that changes
    them (`shop.cache`), so rules loaded for the version read *now* are exactly what the
    database holds: money paths read the version on every call instead of the page
    cache's once-a-second memo. Sales that have not started yet are kept too (the
    engine checks start and end times against `now`); sales already over are dropped.
    `version`, when given, is the content version the caller has just read in this
    transaction along with its own rows (`shop.cache.content_version_column`).
    """
    from shop.cache import content_version

    if version is None:
        version = content_version()
    memo: dict = current_app.extensions.setdefault("pricing_rules", {})
    rules = memo.get("rules")
    if rules is None or rules.version != version or _has_ended(rules, now):
        rules = PricingRules(version, tuple(_load_sales(_not_ended(now))), shipping_rule())
        memo["rules"] = rules
    return rules


def _has_ended(rules: PricingRules, now: datetime) -> bool:
    """Reload once a cached sale is over, so the cache never grows with past sales."""
    return any(s.ends_at is not None and s.ends_at <= now for s in rules.sales)
