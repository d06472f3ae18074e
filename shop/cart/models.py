"""Cart and CartLine.

A guest's cart is found through a random token kept in the signed session; a signed-in
customer's through `user_id`. Lines store what was chosen (variant, quantity, the article
it came from) and the unit price the shopper last saw, never a price to charge: prices
are recomputed on every view.
"""

from __future__ import annotations

import secrets
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Integer, SmallInteger, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from shop.catalog.models import Variant
from shop.database import UTCDateTime, utcnow
from shop.extensions import db


def new_cart_token() -> str:
    return secrets.token_urlsafe(32)


class Cart(db.Model):
    __tablename__ = "carts"

    id: Mapped[int] = mapped_column(primary_key=True)
    token: Mapped[str] = mapped_column(String(64), unique=True, default=new_cart_token)
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), unique=True
    )
    coupon_code: Mapped[str | None] = mapped_column(String(40))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    lines: Mapped[list[CartLine]] = relationship(
        back_populates="cart", cascade="all, delete-orphan", order_by="CartLine.id"
    )

    @property
    def item_count(self) -> int:
        return sum(line.quantity for line in self.lines)


class CartLine(db.Model):
    __tablename__ = "cart_lines"
    __table_args__ = (
        UniqueConstraint("cart_id", "variant_id", name="uq_cart_lines_cart_variant"),
        CheckConstraint("quantity > 0", name="quantity_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    cart_id: Mapped[int] = mapped_column(ForeignKey("carts.id", ondelete="CASCADE"), index=True)
    variant_id: Mapped[int] = mapped_column(
        ForeignKey("variants.id", ondelete="CASCADE"), index=True
    )
    quantity: Mapped[int] = mapped_column(Integer)
    ref: Mapped[str | None] = mapped_column(String(160))  # article slug the line came from
    ref_pos: Mapped[int | None] = mapped_column(SmallInteger)  # the embed's position in it
    ref_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # when the shopper came
    price_seen: Mapped[int] = mapped_column(Integer)  # unit price (paise) last shown
    added_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    cart: Mapped[Cart] = relationship(back_populates="lines")
    variant: Mapped[Variant] = relationship()
