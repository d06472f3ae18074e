"""Order, OrderLine and OrderEvent.

An order freezes everything the shopper agreed to: each line keeps the name, variant,
MRP, prices, discount and tax as they were, so later catalogue changes never rewrite
history. Its state changes only through `shop.checkout.states.transition`, which writes
an OrderEvent for each change.
"""

from __future__ import annotations

import re
import secrets
from datetime import datetime

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Integer, SmallInteger, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from shop.checkout.states import OrderState
from shop.database import UTCDateTime, utcnow
from shop.extensions import db

STATES = tuple(OrderState)  # the database check constraint names them all
_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O or 1/I to misread


def new_order_number() -> str:
    """An unguessable order number such as RS-7KQ2-M9XD-A4TP (about 60 bits)."""
    chars = "".join(secrets.choice(_ALPHABET) for _ in range(12))
    return f"RS-{chars[:4]}-{chars[4:8]}-{chars[8:]}"


ORDER_NUMBER_RE = re.compile(r"RS-[A-Z0-9]{4}-[A-Z0-9]{4}-[A-Z0-9]{4}")


def looks_like_order_number(value: object) -> bool:
    """Whether `value` could be an order number (anything else is not worth a query)."""
    return isinstance(value, str) and ORDER_NUMBER_RE.fullmatch(value) is not None


class Order(db.Model):
    __tablename__ = "orders"
    __table_args__ = (
        CheckConstraint("state IN ('" + "', '".join(STATES) + "')", name="state_known"),
        CheckConstraint(
            "total >= 0 AND subtotal >= 0 AND discount >= 0 AND shipping >= 0",
            name="amounts_not_negative",
        ),
        CheckConstraint(
            "amount_refunded >= 0 AND amount_refunded <= total", name="refund_within_total"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(20), unique=True, default=new_order_number)
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    cart_id: Mapped[int | None] = mapped_column(
        ForeignKey("carts.id", ondelete="SET NULL"), index=True
    )
    email: Mapped[str] = mapped_column(String(320), index=True)
    customer_key: Mapped[str] = mapped_column(String(330))
    # Where the order was placed from, to cap the unpaid orders one address may hold.
    client_ip: Mapped[str | None] = mapped_column(String(45), index=True)
    state: Mapped[str] = mapped_column(
        String(20), default=OrderState.PENDING_PAYMENT.value, index=True
    )
    needs_review: Mapped[bool] = mapped_column(Boolean, default=False, index=True)
    currency: Mapped[str] = mapped_column(String(3))
    mrp_total: Mapped[int] = mapped_column(Integer)
    subtotal: Mapped[int] = mapped_column(Integer)
    discount: Mapped[int] = mapped_column(Integer, default=0)
    shipping: Mapped[int] = mapped_column(Integer, default=0)
    tax: Mapped[int] = mapped_column(Integer, default=0)
    total: Mapped[int] = mapped_column(Integer)
    amount_refunded: Mapped[int] = mapped_column(Integer, default=0)
    coupon_code: Mapped[str | None] = mapped_column(String(40))
    hold_expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    stripe_session_id: Mapped[str | None] = mapped_column(String(255), unique=True)
    stripe_session_url: Mapped[str | None] = mapped_column(Text)
    stripe_payment_intent: Mapped[str | None] = mapped_column(String(255), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    paid_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    lines: Mapped[list[OrderLine]] = relationship(
        back_populates="order", cascade="all, delete-orphan", order_by="OrderLine.id"
    )
    events: Mapped[list[OrderEvent]] = relationship(
        back_populates="order", cascade="all, delete-orphan", order_by="OrderEvent.id"
    )

    @property
    def refundable(self) -> int:
        return self.total - self.amount_refunded

    def __repr__(self) -> str:
        return f"<Order {self.number} {self.state}>"


class OrderLine(db.Model):
    __tablename__ = "order_lines"
    __table_args__ = (CheckConstraint("quantity > 0", name="quantity_positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    variant_id: Mapped[int | None] = mapped_column(
        ForeignKey("variants.id", ondelete="SET NULL"), index=True
    )
    product_slug: Mapped[str] = mapped_column(String(160))
    product_name: Mapped[str] = mapped_column(String(200))
    variant_label: Mapped[str] = mapped_column(String(120))
    sku: Mapped[str] = mapped_column(String(64))
    mrp: Mapped[int] = mapped_column(Integer)  # per unit
    list_price: Mapped[int] = mapped_column(Integer)  # per unit, before sales
    unit_price: Mapped[int] = mapped_column(Integer)  # per unit, after the best sale
    quantity: Mapped[int] = mapped_column(Integer)
    subtotal: Mapped[int] = mapped_column(Integer)  # unit_price × quantity
    discount: Mapped[int] = mapped_column(Integer, default=0)  # share of the coupon
    total: Mapped[int] = mapped_column(Integer)  # subtotal − discount
    gst_rate: Mapped[int] = mapped_column(Integer)
    tax: Mapped[int] = mapped_column(Integer)  # GST part of total
    ref: Mapped[str | None] = mapped_column(String(160))  # the article it came from
    # The article (and embed position) the line is attributed to: the last one the
    # shopper came from within 7 days of placing the order (shop/attribution/).
    article_id: Mapped[int | None] = mapped_column(
        ForeignKey("articles.id", ondelete="SET NULL"), index=True
    )
    article_pos: Mapped[int | None] = mapped_column(SmallInteger)

    order: Mapped[Order] = relationship(back_populates="lines")


class OrderEvent(db.Model):
    __tablename__ = "order_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    actor: Mapped[str] = mapped_column(String(330))  # "stripe", "system", "user:3", "staff:a@b"
    from_state: Mapped[str | None] = mapped_column(String(20))
    to_state: Mapped[str | None] = mapped_column(String(20))
    note: Mapped[str] = mapped_column(Text, default="")

    order: Mapped[Order] = relationship(back_populates="events")


class CustomerLock(db.Model):
    """One row per customer identity ("user:3", "email:…", "phone:+91…").

    Checkout locks the rows of every identity of the buyer (`SELECT … FOR UPDATE`, in
    key order) before counting units against a purchase limit, so two checkouts of one
    customer count one after the other and cannot both pass the limit.
    """

    __tablename__ = "customer_locks"

    key: Mapped[str] = mapped_column(String(340), primary_key=True)
