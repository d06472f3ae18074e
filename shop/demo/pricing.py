"""Demo coupons, the demo sale and the shipping rate (SPEC §10)."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from shop.catalog.models import Category
from shop.demo.data import SALE_CATEGORY_SLUG
from shop.discounts.models import Coupon, Sale, ShippingRate

COUPONS = (
    dict(
        code="WELCOME10",
        description="10% off your first order of ₹500 or more (up to ₹100)",
        kind="percent",
        value=10,
        min_subtotal=50000,
        max_discount=10000,
        per_customer_limit=1,
    ),
    dict(
        code="FLAT50",
        description="₹50 off orders of ₹399 or more",
        kind="fixed",
        value=5000,
        min_subtotal=39900,
    ),
    dict(
        code="EXPIRED20",
        description="20% off (ended)",
        kind="percent",
        value=20,
        starts_at=datetime(2025, 1, 1, tzinfo=UTC),
        ends_at=datetime(2025, 12, 31, tzinfo=UTC),
    ),
)

SALE_NAME = "Hot & cold therapy week"
SALE = dict(
    name=SALE_NAME,
    kind="percent",
    value=15,
    starts_at=datetime(2026, 1, 1, tzinfo=UTC),
    ends_at=datetime(2030, 1, 1, tzinfo=UTC),
)

SHIPPING_FEE = 4900
FREE_SHIPPING_FROM = 49900


def seed_pricing(session: Session, created: dict[str, int]) -> None:
    """Add the demo coupons, sale and shipping rate that are missing."""
    codes = set(session.scalars(select(Coupon.code)))
    for spec in COUPONS:
        if spec["code"] not in codes:
            session.add(Coupon(**spec))
            created["coupons"] += 1
    if session.scalar(select(Sale.id).where(Sale.name == SALE_NAME)) is None:
        category = session.scalar(select(Category).where(Category.slug == SALE_CATEGORY_SLUG))
        if category is not None:
            session.add(Sale(**SALE, categories=[category]))
            created["sales"] += 1
    if session.scalar(select(ShippingRate.id).limit(1)) is None:
        session.add(ShippingRate(fee=SHIPPING_FEE, free_from=FREE_SHIPPING_FROM))
        created["shipping_rates"] += 1
