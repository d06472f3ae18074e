"""Refunds, full or partial, asked of Stripe for a paid order.

`refund_order` is idempotent per request: the caller passes a `request_id` (the staff
form's one-time token), which becomes Stripe's idempotency key and a unique column, so a
double-submitted form or a retry after a timeout refunds once.
"""

from __future__ import annotations

from sqlalchemy import select

from shop.checkout.models import Order
from shop.checkout.states import REFUNDABLE, OrderState, can_transition, record, transition
from shop.errors import ShopError
from shop.extensions import db
from shop.invoices.service import issue_credit_note
from shop.payments.gateway import gateway
from shop.payments.models import Refund
from shop.pricing.money import format_money


def payment_intent_of(order: Order) -> str | None:
    """The order's payment intent; asked of its Checkout Session when it was not stored.

    Raises PaymentError when Stripe cannot be asked.
    """
    if order.stripe_payment_intent or not order.stripe_session_id:
        return order.stripe_payment_intent
    session = gateway().retrieve_session(order.stripe_session_id)
    intent = session.get("payment_intent")
    if isinstance(intent, dict):
        intent = intent.get("id")
    if isinstance(intent, str) and intent:
        order.stripe_payment_intent = intent
        db.session.flush()
    return order.stripe_payment_intent


def refund_order(order: Order, amount: int, *, actor: str, reason: str, request_id: str) -> Refund:
    """Refund `amount` paise of `order` through Stripe and record it (caller commits).

    Raises ShopError for what is not allowed and PaymentError when Stripe fails (then
    nothing is recorded and the same request may be retried).
    """
    key = f"order-{order.number}-refund-{request_id}"
    existing = db.session.scalar(select(Refund).where(Refund.idempotency_key == key))
    if existing is not None:
        return existing
    # A paid order is always refundable: an intent missing on it is fetched from Stripe.
    if order.state not in REFUNDABLE or not payment_intent_of(order):
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
    target = OrderState.REFUNDED if refunded >= order.total else OrderState.PARTIALLY_REFUNDED
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
    if transition(
        order,
        target,
        actor=actor,
        note=f"{format_money(refunded)} of {format_money(order.total)} refunded.",
    ):
        # Each refund's credit note, numbered in the transaction that records the refund.
        issue_credit_note(order, refunded)
