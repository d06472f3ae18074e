"""Sales, coupons, coupon uses and the shipping rate.

These rows are loaded into the plain dataclasses of `shop.pricing.engine` by
`shop.discounts.service`; no pricing rule is written here.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Column,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from shop.catalog.models import Category, Product
from shop.database import UTCDateTime, utcnow
from shop.extensions import db

KINDS = ("percent", "fixed")


def _link_table(name: str, owner: str, target: str) -> Table:
    """A many-to-many table such as sale_products(sale_id → sales, product_id → products)."""
    columns = []
    for column, table in ((f"{owner}_id", f"{owner}s"), (f"{target}_id", _PLURAL[target])):
        columns.append(
            Column(column, ForeignKey(f"{table}.id", ondelete="CASCADE"), primary_key=True)
        )
    # the key starts with the owner; the target needs its own index (deletes, look-ups)
    index = Index(f"ix_{name}_{target}_id", f"{target}_id")
    return Table(name, db.metadata, *columns, index)


_PLURAL = {"product": "products", "category": "categories"}
sale_products = _link_table("sale_products", "sale", "product")
sale_categories = _link_table("sale_categories", "sale", "category")
coupon_products = _link_table("coupon_products", "coupon", "product")
coupon_categories = _link_table("coupon_categories", "coupon", "category")

_KIND_CHECKS = (
    CheckConstraint("kind IN ('percent', 'fixed')", name="kind_known"),
    CheckConstraint("value > 0", name="value_positive"),
    CheckConstraint("kind <> 'percent' OR value <= 100", name="percent_at_most_100"),
    CheckConstraint(
        "ends_at IS NULL OR starts_at IS NULL OR ends_at > starts_at", name="ends_after_start"
    ),
)


class Sale(db.Model):
    """An automatic discount on products and/or categories between two times."""

    __tablename__ = "sales"
    __table_args__ = _KIND_CHECKS
    invalidates_pages = True

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(10))
    value: Mapped[int] = mapped_column(Integer)  # whole percent, or paise off each unit
    starts_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    products: Mapped[list[Product]] = relationship(secondary=sale_products)
    categories: Mapped[list[Category]] = relationship(secondary=sale_categories)


class Coupon(db.Model):
    """A code a shopper types at the cart; one per order."""

    __tablename__ = "coupons"
    __table_args__ = (
        *_KIND_CHECKS,
        CheckConstraint("min_subtotal >= 0", name="min_subtotal_not_negative"),
        CheckConstraint("max_discount IS NULL OR max_discount > 0", name="cap_positive"),
        CheckConstraint("usage_limit IS NULL OR usage_limit > 0", name="usage_limit_positive"),
        CheckConstraint(
            "per_customer_limit IS NULL OR per_customer_limit > 0",
            name="per_customer_limit_positive",
        ),
        CheckConstraint(
            "uses >= 0 AND (usage_limit IS NULL OR uses <= usage_limit)", name="uses_within_limit"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)  # stored upper-case
    description: Mapped[str] = mapped_column(String(250), default="")
    kind: Mapped[str] = mapped_column(String(10))
    value: Mapped[int] = mapped_column(Integer)
    min_subtotal: Mapped[int] = mapped_column(Integer, default=0)
    max_discount: Mapped[int | None] = mapped_column(Integer)
    starts_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    usage_limit: Mapped[int | None] = mapped_column(Integer)
    per_customer_limit: Mapped[int | None] = mapped_column(Integer)
    exclude_sale_items: Mapped[bool] = mapped_column(Boolean, default=False)
    # Held plus final uses, kept in step with the redemptions by one conditional UPDATE
    # per hold or release: that UPDATE is what makes the usage limit hold under load.
    uses: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    products: Mapped[list[Product]] = relationship(secondary=coupon_products)
    categories: Mapped[list[Category]] = relationship(secondary=coupon_categories)
    redemptions: Mapped[list[CouponRedemption]] = relationship(back_populates="coupon")

    @staticmethod
    def normalise(code: str) -> str:
        return code.strip().upper()


class CouponRedemption(db.Model):
    """One use of a coupon by one order: held at order time, final when paid, or released."""

    __tablename__ = "coupon_redemptions"
    __table_args__ = (
        CheckConstraint("state IN ('held', 'final', 'released')", name="state_known"),
        Index("ix_coupon_redemptions_coupon_state", "coupon_id", "state"),
    )

    HELD, FINAL, RELEASED = "held", "final", "released"

    id: Mapped[int] = mapped_column(primary_key=True)
    coupon_id: Mapped[int] = mapped_column(ForeignKey("coupons.id", ondelete="CASCADE"))
    customer_key: Mapped[str] = mapped_column(String(320), index=True)  # user:<id> / email:<addr>
    order_id: Mapped[int | None] = mapped_column(
        ForeignKey("orders.id", ondelete="CASCADE"), index=True
    )
    state: Mapped[str] = mapped_column(String(10), default=HELD)
    amount: Mapped[int] = mapped_column(Integer, default=0)  # paise taken off the order
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    coupon: Mapped[Coupon] = relationship(back_populates="redemptions")


class ShippingRate(db.Model):
    """The flat shipping fee and the free-shipping threshold (one row)."""

    __tablename__ = "shipping_rates"
    __table_args__ = (
        CheckConstraint("fee >= 0", name="fee_not_negative"),
        CheckConstraint("free_from IS NULL OR free_from >= 0", name="free_from_not_negative"),
    )
    invalidates_pages = True

    id: Mapped[int] = mapped_column(primary_key=True)
    fee: Mapped[int] = mapped_column(Integer)
    free_from: Mapped[int | None] = mapped_column(Integer)
