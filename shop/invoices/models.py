"""Invoice, InvoiceLine, CreditNote and the counters behind their numbers.

An invoice freezes the seller, the place of supply and every line's tax split as they
were when the order was paid; later changes to the catalogue or the seller settings never
rewrite it. Amounts are integer paise; `taxable + cgst + sgst + igst == total` on every
invoice, line and credit note (CHECK constraints hold the database to it).
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, backref, mapped_column, relationship

from shop.checkout.models import Order
from shop.database import UTCDateTime, utcnow
from shop.extensions import db
from shop.pricing.gst import Split, document_date

_SUMS = "taxable + cgst + sgst + igst = total"
_NOT_NEGATIVE = "taxable >= 0 AND cgst >= 0 AND sgst >= 0 AND igst >= 0"


class DocumentCounter(db.Model):
    """The last number used in a series (RS invoices, RC credit notes) in a financial year.

    Taken with a conditional UPDATE inside the transaction that issues the document, so
    concurrent payments queue on this row and a rolled-back payment gives its number back.
    """

    __tablename__ = "document_counters"

    series: Mapped[str] = mapped_column(String(4), primary_key=True)
    financial_year: Mapped[str] = mapped_column(String(4), primary_key=True)  # "2627"
    last: Mapped[int] = mapped_column(Integer, default=0)


class _Amounts:
    taxable: Mapped[int] = mapped_column(Integer)
    cgst: Mapped[int] = mapped_column(Integer, default=0)
    sgst: Mapped[int] = mapped_column(Integer, default=0)
    igst: Mapped[int] = mapped_column(Integer, default=0)
    total: Mapped[int] = mapped_column(Integer)

    @property
    def tax(self) -> int:
        return self.cgst + self.sgst + self.igst

    @property
    def split(self) -> Split:
        return Split(self.taxable, self.cgst, self.sgst, self.igst)

    def set_split(self, split: Split) -> None:
        self.taxable, self.cgst, self.sgst, self.igst = (
            split.taxable,
            split.cgst,
            split.sgst,
            split.igst,
        )
        self.total = split.total


class Invoice(_Amounts, db.Model):
    __tablename__ = "invoices"
    __table_args__ = (
        CheckConstraint(_SUMS, name="invoice_sums"),
        CheckConstraint(_NOT_NEGATIVE, name="invoice_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(16), unique=True)
    # Unique: whatever races, an order has one invoice.
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), unique=True)
    financial_year: Mapped[str] = mapped_column(String(4), index=True)
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    seller_name: Mapped[str] = mapped_column(String(200))
    seller_address: Mapped[str] = mapped_column(Text)
    seller_gstin: Mapped[str] = mapped_column(String(15))
    seller_state: Mapped[str] = mapped_column(String(2))
    # Place of supply: the delivery state; None for orders placed without one.
    supply_state: Mapped[str | None] = mapped_column(String(2))
    supply_state_name: Mapped[str] = mapped_column(String(60), default="")
    intra_state: Mapped[bool] = mapped_column(Boolean)

    order: Mapped[Order] = relationship(backref=backref("invoice", uselist=False))
    lines: Mapped[list[InvoiceLine]] = relationship(
        back_populates="invoice", cascade="all, delete-orphan", order_by="InvoiceLine.position"
    )
    credit_notes: Mapped[list[CreditNote]] = relationship(
        back_populates="invoice", order_by="CreditNote.id"
    )

    @property
    def issued_on(self) -> date:
        """The date the invoice bears (India's calendar, like its number's year)."""
        return document_date(self.issued_at)

    @property
    def state_assumed(self) -> bool:
        """No delivery state was recorded: treated as a supply within the seller's state."""
        return self.supply_state is None


class InvoiceLine(_Amounts, db.Model):
    __tablename__ = "invoice_lines"
    __table_args__ = (
        CheckConstraint(_SUMS, name="invoice_line_sums"),
        CheckConstraint(_NOT_NEGATIVE, name="invoice_line_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    invoice_id: Mapped[int] = mapped_column(
        ForeignKey("invoices.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(Integer)
    description: Mapped[str] = mapped_column(String(330))
    hsn: Mapped[str] = mapped_column(String(8))
    quantity: Mapped[int] = mapped_column(Integer)
    unit: Mapped[str] = mapped_column(String(20))
    rate: Mapped[int] = mapped_column(Integer)
    is_shipping: Mapped[bool] = mapped_column(Boolean, default=False)

    invoice: Mapped[Invoice] = relationship(back_populates="lines")


class CreditNote(_Amounts, db.Model):
    """A refund's credit note: its value and tax split, against the order's invoice."""

    __tablename__ = "credit_notes"
    __table_args__ = (
        CheckConstraint(_SUMS, name="credit_note_sums"),
        CheckConstraint(_NOT_NEGATIVE + " AND total > 0", name="credit_note_positive"),
        UniqueConstraint("invoice_id", "refunded_to", name="credit_note_once"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(16), unique=True)
    invoice_id: Mapped[int] = mapped_column(ForeignKey("invoices.id"), index=True)
    financial_year: Mapped[str] = mapped_column(String(4), index=True)
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    # The order's refunded amount once this note is counted: replays skip what is done.
    refunded_to: Mapped[int] = mapped_column(Integer)

    invoice: Mapped[Invoice] = relationship(back_populates="credit_notes")

    @property
    def issued_on(self) -> date:
        """The date the credit note bears (India's calendar, like its number's year)."""
        return document_date(self.issued_at)
