"""Records of what Stripe told us and what we asked of it."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from shop.database import UTCDateTime, utcnow
from shop.extensions import db


class ProcessedEvent(db.Model):
    """A Stripe event id, stored in the same transaction as the event's effect.

    A repeat delivery finds its id here (or collides on the primary key) and does
    nothing, so every event has exactly one effect.
    """

    __tablename__ = "processed_events"

    id: Mapped[str] = mapped_column(String(255), primary_key=True)
    type: Mapped[str] = mapped_column(String(100))
    processed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Refund(db.Model):
    """A refund asked of Stripe for an order, full or partial."""

    __tablename__ = "refunds"
    __table_args__ = (CheckConstraint("amount > 0", name="amount_positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    amount: Mapped[int] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(String(250), default="")
    actor: Mapped[str] = mapped_column(String(330))
    idempotency_key: Mapped[str] = mapped_column(String(255), unique=True)
    stripe_refund_id: Mapped[str | None] = mapped_column(String(255), unique=True)
    status: Mapped[str] = mapped_column(String(20), default="pending")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
