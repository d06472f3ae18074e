"""The customer's tax invoice and credit notes: HTML (print-friendly) and PDF, for the
order's owner only. A credit note is named in its URL by its number with - for /
(`/account/orders/<order>/credit-notes/RC-2627-000001`, and `….pdf`).

Signed-in customers reach their own orders' invoices; guests add the `key` of their
signed order-status link. Anyone else, an unknown order or an unpaid one gets 404.
"""

from __future__ import annotations

from flask import Blueprint, Response, abort, render_template, request
from flask_login import current_user
from sqlalchemy import select

from shop.checkout.links import key_matches
from shop.checkout.models import Order, looks_like_order_number
from shop.delivery.rules import STATES
from shop.extensions import db
from shop.invoices import service
from shop.invoices.models import CreditNote, Invoice
from shop.invoices.pdf import credit_note_pdf, invoice_pdf

bp = Blueprint("invoices", __name__)


def customers_order(number: str) -> Order:
    """The order if the visitor may see it (owner, or the guest's signed key), else 404."""
    order = (
        db.session.scalar(select(Order).where(Order.number == number))
        if looks_like_order_number(number)
        else None
    )
    allowed = order is not None and (
        (current_user.is_authenticated and order.user_id == current_user.id)
        or key_matches(order, request.args.get("key"))
    )
    if not allowed:
        abort(404, description="We could not find that order.")
    return order


def buyer_lines(order: Order) -> list[str]:
    """Who the invoice is for: the delivery name and address, or the e-mail address."""
    delivery = order.delivery
    if delivery is None:
        return [order.email]
    lines = [delivery.name, delivery.line1]
    if delivery.line2:
        lines.append(delivery.line2)
    lines.append(f"{delivery.city}, {delivery.state_name} {delivery.pincode}")
    lines.append(order.email)
    return lines


def place_of_supply_text(invoice: Invoice) -> str:
    if invoice.state_assumed:
        seller = STATES.get(invoice.seller_state, "")
        return (
            "not recorded for this order: treated as a supply within the seller's state, "
            f"{seller} ({invoice.seller_state})"
        )
    name = invoice.supply_state_name or "State"
    return f"{name} ({invoice.supply_state})"


def _pdf(body: bytes, filename: str) -> Response:
    return Response(
        body,
        mimetype="application/pdf",
        headers={"Content-Disposition": f'inline; filename="{filename}"'},
    )


def pdf_response(invoice: Invoice) -> Response:
    body = invoice_pdf(
        invoice,
        buyer=buyer_lines(invoice.order),
        place_of_supply=place_of_supply_text(invoice),
    )
    return _pdf(body, "invoice-" + service.document_slug(invoice.number) + ".pdf")


def credit_note_pdf_response(note: CreditNote) -> Response:
    body = credit_note_pdf(
        note,
        buyer=buyer_lines(note.invoice.order),
        place_of_supply=place_of_supply_text(note.invoice),
    )
    return _pdf(body, "credit-note-" + service.document_slug(note.number) + ".pdf")


@bp.get("/account/orders/<number>/invoice")
def invoice_page(number: str):
    order = customers_order(number)
    invoice = service.invoice_for(order)
    return render_template(
        "invoices/invoice.html",
        invoice=invoice,
        order=order,
        rows=service.invoice_rows(invoice),
        buyer=buyer_lines(order),
        place_of_supply=place_of_supply_text(invoice),
        key=request.args.get("key"),
    )


@bp.get("/account/orders/<number>/invoice.pdf")
def invoice_pdf_download(number: str):
    return pdf_response(service.invoice_for(customers_order(number)))


@bp.get("/account/orders/<number>/credit-notes/<slug>")
def credit_note_page(number: str, slug: str):
    order = customers_order(number)
    note = service.credit_note_for(order, slug)
    return render_template(
        "invoices/credit_note.html",
        note=note,
        invoice=note.invoice,
        order=order,
        rows=service.credit_note_rows(note),
        buyer=buyer_lines(order),
        place_of_supply=place_of_supply_text(note.invoice),
        key=request.args.get("key"),
    )


@bp.get("/account/orders/<number>/credit-notes/<slug>.pdf")
def credit_note_pdf_download(number: str, slug: str):
    order = customers_order(number)
    return credit_note_pdf_response(service.credit_note_for(order, slug))
