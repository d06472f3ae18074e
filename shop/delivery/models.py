"""Address (a customer's address book), DeliveryZone (serviceability by pincode prefix)
and OrderDelivery (the delivery details an order keeps, and how it was shipped).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, backref, mapped_column, relationship

from shop.checkout.models import Order
from shop.database import UTCDateTime, utcnow
from shop.delivery.rules import STATES, AddressData, carrier_name, tracking_url
from shop.extensions import db


class AddressFields:
    """The columns every stored address has, with the same widths as the rules allow."""

    name: Mapped[str] = mapped_column(String(100))
    phone: Mapped[str] = mapped_column(String(13))  # +91XXXXXXXXXX
    line1: Mapped[str] = mapped_column(String(200))
    line2: Mapped[str] = mapped_column(String(200), default="")
    city: Mapped[str] = mapped_column(String(80))
    state: Mapped[str] = mapped_column(String(2))  # GST state code
    pincode: Mapped[str] = mapped_column(String(6))

    @property
    def state_name(self) -> str:
        return STATES.get(self.state, self.state)

    def data(self) -> AddressData:
        return AddressData(
            name=self.name,
            phone=self.phone,
            line1=self.line1,
            line2=self.line2 or "",
            city=self.city,
            state=self.state,
            pincode=self.pincode,
        )


class Address(AddressFields, db.Model):
    __tablename__ = "addresses"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    is_default: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class DeliveryZone(db.Model):
    """Pincodes starting with `prefix` are delivered in days_min–days_max (or not at all)."""

    __tablename__ = "delivery_zones"
    __table_args__ = (
        CheckConstraint(
            "NOT serviceable OR (days_min >= 1 AND days_max >= days_min)", name="days_ordered"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    prefix: Mapped[str] = mapped_column(String(6), unique=True)
    serviceable: Mapped[bool] = mapped_column(Boolean, default=True)
    days_min: Mapped[int] = mapped_column(Integer, default=0)
    days_max: Mapped[int] = mapped_column(Integer, default=0)
    note: Mapped[str] = mapped_column(String(120), default="")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class OrderDelivery(AddressFields, db.Model):
    """The delivery details as they were at checkout: address-book edits never reach here."""

    __tablename__ = "order_deliveries"

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), unique=True)
    state_label: Mapped[str] = mapped_column(String(60))  # the state's name, frozen too
    days_min: Mapped[int | None] = mapped_column(Integer)
    days_max: Mapped[int | None] = mapped_column(Integer)
    carrier: Mapped[str | None] = mapped_column(String(30))
    tracking_number: Mapped[str | None] = mapped_column(String(40))
    shipped_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    order: Mapped[Order] = relationship(
        backref=backref("delivery", uselist=False, cascade="all, delete-orphan")
    )

    @property
    def state_name(self) -> str:
        return self.state_label

    @property
    def carrier_name(self) -> str | None:
        return carrier_name(self.carrier) if self.carrier else None

    @property
    def tracking_url(self) -> str | None:
        if not (self.carrier and self.tracking_number):
            return None
        return tracking_url(self.carrier, self.tracking_number)
