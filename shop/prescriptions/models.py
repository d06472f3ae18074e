"""The prescription an order was placed with, and the pharmacist's decision on it."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, backref, mapped_column, relationship

from shop.checkout.models import Order
from shop.database import UTCDateTime, utcnow
from shop.extensions import db

DECISIONS = ("approved", "rejected", "expired")


class Prescription(db.Model):
    __tablename__ = "prescriptions"
    __table_args__ = (
        CheckConstraint(
            "decision IS NULL OR decision IN ('" + "', '".join(DECISIONS) + "')",
            name="decision_known",
        ),
        CheckConstraint("size > 0", name="size_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), unique=True)
    # The file in the private storage area: a random key, never the shopper's file name.
    storage_key: Mapped[str] = mapped_column(String(64), unique=True)
    content_type: Mapped[str] = mapped_column(String(40))
    size: Mapped[int] = mapped_column(Integer)
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # When the payment was authorised and the order joined the pharmacists' queue.
    authorised_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    decision: Mapped[str | None] = mapped_column(String(10))
    decided_by: Mapped[str | None] = mapped_column(String(330))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reason: Mapped[str] = mapped_column(Text, default="")  # a rejection's, shown to the customer
    # The last failure of capturing or cancelling at Stripe, shown to the pharmacist.
    payment_error: Mapped[str | None] = mapped_column(Text)

    order: Mapped[Order] = relationship(backref=backref("prescription", uselist=False))

    @property
    def extension(self) -> str:
        return self.storage_key.rsplit(".", 1)[-1]
