"""Issuing tax invoices and credit notes, and the monthly GST register.

`issue_invoice` runs inside the transaction that marks an order paid (checkout's
`mark_paid`), and `issue_credit_note` inside the one that records a refund
(`shop.payments.refunds.apply_refunded_amount`). Numbers come from `DocumentCounter`
rows taken with a conditional UPDATE in that same transaction: concurrent payments
queue on the row, and a payment that rolls back gives its number back, so each series
is consecutive without gaps within a financial year.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime

from flask import current_app
from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from shop.catalog.models import Product, Variant
from shop.checkout.models import Order
from shop.database import utcnow
from shop.errors import ShopError
from shop.extensions import db
from shop.invoices.models import CreditNote, DocumentCounter, Invoice, InvoiceLine
from shop.pricing.gst import (
    IST,
    ZERO,
    Split,
    Supply,
    credit_splits,
    document_date,
    document_number,
    financial_year,
    invoice_lines,
    total_of,
)

INVOICE_SERIES = "RS"
CREDIT_NOTE_SERIES = "RC"
DEFAULT_HSN = "3004"  # medicaments: for a line whose product is gone
UNIT = "pcs"


def next_number(series: str, year: str) -> str:
    """Take the next number of a series in the current transaction (the caller commits)."""
    dialect = db.session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    db.session.execute(
        insert(DocumentCounter.__table__)
        .values(series=series, financial_year=year, last=0)
        .on_conflict_do_nothing()
    )
    # The row lock taken here is held until commit: a concurrent issuer waits, then reads
    # the committed value, so no number is handed out twice or skipped.
    sequence = db.session.execute(
        update(DocumentCounter)
        .where(DocumentCounter.series == series, DocumentCounter.financial_year == year)
        .values(last=DocumentCounter.last + 1)
        .returning(DocumentCounter.last)
        .execution_options(synchronize_session=False)
    ).scalar_one()
    return document_number(series, year, sequence)


def place_of_supply(order: Order) -> tuple[str | None, str]:
    """The delivery state's GST code and name; (None, "") for orders placed without one."""
    delivery = order.delivery  # the address snapshot taken at checkout (shop.delivery)
    if delivery is None or not delivery.state:
        return None, ""
    return delivery.state, delivery.state_name


def _hsn_by_variant(order: Order) -> dict[int, str]:
    ids = [line.variant_id for line in order.lines if line.variant_id is not None]
    if not ids:
        return {}
    rows = db.session.execute(
        select(Variant.id, Product.hsn).join(Product).where(Variant.id.in_(ids))
    ).all()
    return dict(rows)


def supplies_of(order: Order) -> list[Supply]:
    hsn = _hsn_by_variant(order)
    return [
        Supply(
            description=f"{line.product_name} — {line.variant_label}",
            hsn=hsn.get(line.variant_id, DEFAULT_HSN),
            quantity=line.quantity,
            unit=UNIT,
            rate=line.gst_rate,
            amount=line.total,
            tax=line.tax,
        )
        for line in order.lines
    ]


def issue_invoice(order: Order) -> Invoice:
    """Issue the order's one tax invoice (or return it) in the current transaction."""
    existing = db.session.scalar(select(Invoice).where(Invoice.order_id == order.id))
    if existing is not None:
        return existing
    config = current_app.config
    issued_at = order.paid_at or utcnow()
    year = financial_year(issued_at)
    code, state_name = place_of_supply(order)
    seller_state = config["SHOP_SELLER_STATE"]
    # Without a delivery state (orders from before addresses) the supply is taken as
    # within the seller's state, and the invoice says so.
    intra = code is None or code == seller_state
    amounts = invoice_lines(supplies_of(order), order.shipping, intra_state=intra)
    invoice = Invoice(
        number=next_number(INVOICE_SERIES, year),
        order_id=order.id,
        financial_year=year,
        issued_at=issued_at,
        seller_name=config["SHOP_SELLER_NAME"],
        seller_address=config["SHOP_SELLER_ADDRESS"],
        seller_gstin=config["SHOP_SELLER_GSTIN"],
        seller_state=seller_state,
        supply_state=code,
        supply_state_name=state_name,
        intra_state=intra,
    )
    for position, amount in enumerate(amounts, start=1):
        line = InvoiceLine(
            position=position,
            description=amount.description[:330],
            hsn=amount.hsn,
            quantity=amount.quantity,
            unit=amount.unit,
            rate=amount.rate,
            is_shipping=amount.is_shipping,
        )
        line.set_split(amount.split)
        invoice.lines.append(line)
    invoice.set_split(total_of([a.split for a in amounts]))
    if invoice.total != order.total:  # cannot happen: every line sums to its amount
        raise RuntimeError(f"invoice of {order.number} does not add up to the order total")
    # Shipping's tax part joins the order's tax figure; its total never changes.
    order.tax = invoice.tax
    db.session.add(invoice)
    db.session.flush()
    return invoice


def credited_so_far(invoice: Invoice) -> list[Split]:
    """What each invoice line has left once the earlier credit notes are taken off."""
    remaining = [line.split for line in invoice.lines]
    for note in invoice.credit_notes:
        taken = credit_splits(remaining, note.total)
        remaining = [r - t for r, t in zip(remaining, taken, strict=True)]
    return remaining


def issue_credit_note(order: Order, refunded_to: int) -> CreditNote | None:
    """Credit what was refunded beyond the earlier credit notes (current transaction).

    `refunded_to` is the order's cumulative refunded amount; a repeat is a no-op.
    """
    invoice = db.session.scalar(select(Invoice).where(Invoice.order_id == order.id))
    if invoice is None:
        return None  # paid before invoices existed: nothing to credit against
    credited = sum(note.total for note in invoice.credit_notes)
    amount = min(refunded_to, invoice.total) - credited
    if amount <= 0:
        return None
    remaining = credited_so_far(invoice)
    split = total_of(credit_splits(remaining, amount))
    issued_at = utcnow()
    year = financial_year(issued_at)
    note = CreditNote(
        number=next_number(CREDIT_NOTE_SERIES, year),
        invoice_id=invoice.id,
        financial_year=year,
        issued_at=issued_at,
        refunded_to=credited + amount,
    )
    note.set_split(split)
    invoice.credit_notes.append(note)
    db.session.flush()
    return note


# --- reading ---------------------------------------------------------------------------------


def invoice_for(order: Order) -> Invoice:
    """The order's invoice, or 404 (an unpaid order has none)."""
    invoice = db.session.scalar(select(Invoice).where(Invoice.order_id == order.id))
    if invoice is None:
        raise ShopError(404, "This order has no tax invoice: it has not been paid.")
    return invoice


@dataclass(frozen=True)
class DocumentRow:
    """One row of an invoice or a credit note: what it is, its rate and its amounts."""

    position: int
    description: str
    hsn: str
    quantity: str  # "2 pcs" on an invoice; "" on a credit note, which credits value
    rate: int
    split: Split
    is_shipping: bool = False


def invoice_rows(invoice: Invoice) -> list[DocumentRow]:
    return [
        DocumentRow(
            line.position,
            line.description,
            line.hsn,
            f"{line.quantity} {line.unit}",
            line.rate,
            line.split,
            line.is_shipping,
        )
        for line in invoice.lines
    ]


def credit_note_rows(note: CreditNote) -> list[DocumentRow]:
    """What the note credits on each invoice line, worked out as when it was issued:
    the lines less the earlier notes, the note's value shared over them in proportion
    (the rows add up to the note exactly, since it was made from the same shares)."""
    invoice = note.invoice
    remaining = [line.split for line in invoice.lines]
    for earlier in invoice.credit_notes:
        taken = credit_splits(remaining, earlier.total)
        if earlier.id == note.id:
            return [
                DocumentRow(line.position, line.description, line.hsn, "", line.rate, split)
                for line, split in zip(invoice.lines, taken, strict=True)
                if split.total
            ]
        remaining = [r - t for r, t in zip(remaining, taken, strict=True)]
    raise ValueError(f"credit note {note.number} is not among its invoice's notes")


def document_slug(number: str) -> str:
    """A document number as one piece of a URL: RC/2627/000001 → RC-2627-000001."""
    return number.replace("/", "-")


def credit_note_for(order: Order, slug: str) -> CreditNote:
    """The order's credit note named by `slug` (its number with - for /), or 404."""
    invoice = db.session.scalar(select(Invoice).where(Invoice.order_id == order.id))
    for note in invoice.credit_notes if invoice is not None else ():
        if document_slug(note.number) == slug:
            return note
    raise ShopError(404, "This order has no such credit note.")


def parse_month(value: str | None) -> tuple[datetime, datetime]:
    """Read YYYY-MM into the month's bounds in UTC (months are India's); 422 otherwise."""
    text = (value or "").strip()
    if not re.fullmatch(r"[0-9]{4}-[0-9]{2}", text):  # ASCII digits only, not str.isdigit
        raise ShopError(422, "Give the month as YYYY-MM, for example 2026-04.")
    year, month = int(text[:4]), int(text[5:])
    if not (1 <= month <= 12 and 2000 <= year <= 9998):
        raise ShopError(422, f"{text} is not a month: give it as YYYY-MM, for example 2026-04.")
    start = datetime(year, month, 1, tzinfo=IST)
    end = datetime(year + (month == 12), month % 12 + 1, 1, tzinfo=IST)
    return start.astimezone(UTC), end.astimezone(UTC)


@dataclass(frozen=True)
class RegisterRow:
    kind: str  # "invoice" or "credit note"
    number: str
    issued_on: date
    order_number: str
    state: str  # the place of supply's code (the seller's when none was recorded)
    split: Split
    refers_to: str = ""  # a credit note's invoice


def register(month: str | None) -> list[RegisterRow]:
    """The month's invoices and credit notes in number order; credit notes count negative."""
    start, end = parse_month(month)
    rows: list[RegisterRow] = []
    invoices = db.session.execute(
        select(Invoice, Order.number)
        .join(Order, Invoice.order_id == Order.id)
        .where(Invoice.issued_at >= start, Invoice.issued_at < end)
        .order_by(Invoice.issued_at, Invoice.id)
    ).all()
    for invoice, order_number in invoices:
        rows.append(
            RegisterRow(
                "invoice",
                invoice.number,
                _local_date(invoice.issued_at),
                order_number,
                invoice.supply_state or invoice.seller_state,
                invoice.split,
            )
        )
    notes = db.session.execute(
        select(CreditNote, Invoice, Order.number)
        .join(Invoice, CreditNote.invoice_id == Invoice.id)
        .join(Order, Invoice.order_id == Order.id)
        .where(CreditNote.issued_at >= start, CreditNote.issued_at < end)
        .order_by(CreditNote.issued_at, CreditNote.id)
    ).all()
    for note, invoice, order_number in notes:
        rows.append(
            RegisterRow(
                "credit note",
                note.number,
                _local_date(note.issued_at),
                order_number,
                invoice.supply_state or invoice.seller_state,
                ZERO - note.split,
                refers_to=invoice.number,
            )
        )
    return rows


def _local_date(moment: datetime) -> date:
    return document_date(moment)


def register_totals(rows: list[RegisterRow]) -> Split:
    return total_of([row.split for row in rows])
