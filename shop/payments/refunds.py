"""Refunds, full or partial, asked of Stripe for a paid order.

`refund_order` is idempotent per request: the caller passes a `request_id` (the staff
form's one-time token), which becomes Stripe's idempotency key and a unique column, so a
double-submitted form or a retry after a timeout refunds once.
"""

from __future__ import annotations

from sqlalchemy import select

from shop.checkout.models import Order
from shop.checkout.states import can_transition, record, transition
from shop.errors import ShopError
from shop.extensions import db
from shop.payments.gateway import gateway
from shop.payments.models import Refund
from shop.pricing.money import format_money

REFUNDABLE_STATES = ("paid", "shipped", "delivered", "partially_refunded")


def refund_order(order: Order, amount: int, *, actor: str, reason: str, request_id: str) -> Refund:
    """Refund `amount` paise of `order` through Stripe and record it (caller commits).

    Raises ShopError for what is not allowed and PaymentError when Stripe fails (then
    nothing is recorded and the same request may be retried).
    """
    key = f"order-{order.number}-refund-{request_id}"
    existing = db.session.scalar(select(Refund).where(Refund.idempotency_key == key))
    if existing is not None:
        return existing
    if order.state not in REFUNDABLE_STATES or not order.stripe_payment_intent:
        raise ShopError(
            409,
            f"Order {order.number} is {order.state.replace('_', ' ')}: "
            "there is no payment to refund.",
        )
    if amount <= 0:
        raise ShopError(422, "The refund must be more than ₹0.")
    if amount > order.refundable:
        raise ShopError(
            422, f"At most {format_money(order.refundable)} can still be refunded on this order."
        )
    refund = Refund(
        order_id=order.id, amount=amount, reason=reason, actor=actor, idempotency_key=key
    )
    db.session.add(refund)
    db.session.flush()
    result = gateway().refund(
        payment_intent=order.stripe_payment_intent,
        amount=amount,
        idempotency_key=key,
        reason_note=reason,
    )
    refund.stripe_refund_id = result["id"]
    refund.status = result.get("status", "pending")
    apply_refunded_amount(order, order.amount_refunded + amount, actor=actor)
    return refund


def apply_refunded_amount(order: Order, refunded: int, *, actor: str) -> None:
    """Bring the order up to a cumulative refunded amount; older or repeated news is a no-op."""
    refunded = min(refunded, order.total)
    if refunded <= order.amount_refunded:
        return
    target = "refunded" if refunded >= order.total else "partially_refunded"
    if not can_transition(order.state, target):
        order.needs_review = True
        record(
            order,
            actor=actor,
            note=f"Stripe reports {format_money(refunded)} refunded "
            f"while the order is {order.state}; check it.",
        )
        return
    order.amount_refunded = refunded
    transition(
        order,
        target,
        actor=actor,
        note=f"{format_money(refunded)} of {format_money(order.total)} refunded.",
    )
