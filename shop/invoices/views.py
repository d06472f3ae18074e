"""The customer's tax invoice: HTML (print-friendly) and PDF, for the order's owner only.

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
from shop.invoices.models import Invoice
from shop.invoices.pdf import invoice_pdf

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


def pdf_response(invoice: Invoice) -> Response:
    body = invoice_pdf(
        invoice,
        buyer=buyer_lines(invoice.order),
        place_of_supply=place_of_supply_text(invoice),
    )
    filename = "invoice-" + invoice.number.replace("/", "-") + ".pdf"
    return Response(
        body,
        mimetype="application/pdf",
        headers={"Content-Disposition": f'inline; filename="{filename}"'},
    )


@bp.get("/account/orders/<number>/invoice")
def invoice_page(number: str):
    order = customers_order(number)
    invoice = service.invoice_for(order)
    return render_template(
        "invoices/invoice.html",
        invoice=invoice,
        order=order,
        buyer=buyer_lines(order),
        place_of_supply=place_of_supply_text(invoice),
        key=request.args.get("key"),
    )


@bp.get("/account/orders/<number>/invoice.pdf")
def invoice_pdf_download(number: str):
    return pdf_response(service.invoice_for(customers_order(number)))
