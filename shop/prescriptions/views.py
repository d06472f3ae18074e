"""The customer's copy of their prescription: `/account/orders/<number>/prescription`.

Only the order's owner (signed in, or a guest with the signed order-status `key`) gets
it; anyone else gets the same 404 as for an order that does not exist. Always sent as a
download (`Content-Disposition: attachment`, `nosniff`, `no-store`), never shown inline.
"""

from __future__ import annotations

from flask import Blueprint, abort, request
from flask_login import current_user
from sqlalchemy import select

from shop.checkout.models import Order, looks_like_order_number
from shop.checkout.service import key_matches
from shop.extensions import db
from shop.prescriptions import files
from shop.prescriptions.models import Prescription

bp = Blueprint("prescriptions", __name__)


def send_prescription(order: Order, prescription: Prescription):
    """The stored file as an attachment (404 when the storage has lost it)."""
    data = files.read(prescription.storage_key)
    if data is None:
        abort(404, description="The prescription file could not be found.")
    name = f"prescription-{order.number}.{prescription.extension}"
    return data, {
        "Content-Type": prescription.content_type,
        "Content-Disposition": f'attachment; filename="{name}"',
        "X-Content-Type-Options": "nosniff",
        "Cache-Control": "no-store",
    }


@bp.get("/account/orders/<number>/prescription")
def download(number: str):
    order = (
        db.session.scalar(select(Order).where(Order.number == number))
        if looks_like_order_number(number)
        else None
    )
    allowed = order is not None and (
        (current_user.is_authenticated and order.user_id == current_user.id)
        or key_matches(order, request.args.get("key"))
    )
    prescription = files.prescription_of(order.id) if allowed else None
    if prescription is None:
        abort(404, description="We could not find that prescription.")
    return send_prescription(order, prescription)
