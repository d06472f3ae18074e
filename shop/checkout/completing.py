"""Completing, cancelling and abandoning orders: the ways an unpaid order ends.

`complete_order` is the single, idempotent path from "Stripe says paid" to a paid order,
shared by the webhook, the success page and `abandon_order`. Completion wins over
cancellation: `abandon_order` (the cancel page, `expire-orders`, a changed cart) asks
Stripe first and completes an order that was paid instead of cancelling it. Stock and
coupon uses go back through their own domains (`release_stock`, `release_coupon_use`).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import exists, select

from shop.cart import service as cart_service
from shop.catalog.stock import release_stock
from shop.checkout.links import send_confirmation
from shop.checkout.models import Order, OrderEvent, looks_like_order_number
from shop.checkout.states import OPEN, OrderState, record, transition
from shop.database import utcnow
from shop.discounts.holds import finalise_coupon_use, release_coupon_use
from shop.extensions import db
from shop.invoices.service import issue_invoice
from shop.payments.gateway import PaymentError, PaymentRejected, gateway
from shop.pricing.money import format_money

log = logging.getLogger(__name__)

WAITING_NOTE = "Checkout finished; waiting for the payment to clear."


def order_for_session(session: dict) -> Order | None:
    metadata = session.get("metadata") or {}
    number = session.get("client_reference_id") or metadata.get("order_number")
    if not looks_like_order_number(number):
        return None
    order = db.session.scalar(select(Order).where(Order.number == number))
    if order is None or (order.stripe_session_id and order.stripe_session_id != session["id"]):
        return None
    return order


def complete_order(session: dict, *, actor: str) -> Order | None:
    """Mark the session's order paid when Stripe says so and the amounts match.

    Safe to call any number of times, from the webhook and the success page at once:
    only one call moves the order, the others see it paid and do nothing.
    """
    order = order_for_session(session)
    if order is None:
        log.warning("checkout session %s matches no order", session.get("id"))
        return None
    payment_intent = session.get("payment_intent")
    if isinstance(payment_intent, dict):  # expanded by Stripe
        payment_intent = payment_intent.get("id")
    if session.get("payment_status") != "paid":
        if session.get("status") == "complete" and _authorised_for_review(order, session, actor):
            return order  # a prescription order: authorised, now waiting for a pharmacist
        if order.state == OrderState.PENDING_PAYMENT:
            first = _record_once(order, actor, WAITING_NOTE)
            if first and session.get("status") == "complete":
                # A bank transfer that is still clearing: the shopper has finished, so
                # the cart empties now, as it does for a card payment.
                take_out_of_cart(order)
        return order
    if order.state not in (OrderState.PENDING_PAYMENT, OrderState.CANCELLED):
        if payment_intent and not order.stripe_payment_intent:
            order.stripe_payment_intent = payment_intent  # an older order, paid without it
            db.session.flush()
        return order  # already paid (or later): nothing to do
    if _suspicious(order, session, actor, payment_intent):
        return order
    mark_paid(
        order,
        actor=actor,
        note=f"Paid {format_money(order.total)} through Stripe.",
        payment_intent=payment_intent,
    )
    return order


def _authorised_for_review(order: Order, session: dict, actor: str) -> bool:
    from shop.prescriptions.service import authorise_from_session

    return authorise_from_session(order, session, actor=actor)


def _suspicious(order: Order, session: dict, actor: str, payment_intent: str | None) -> bool:
    """Flag (and do not mark paid) a payment of another amount, or one for a cancelled order."""
    expected = (order.total, order.currency.lower())
    received = (session.get("amount_total"), (session.get("currency") or "").lower())
    if received != expected:
        _flag(
            order,
            actor,
            f"Stripe reported {received[0]} {received[1]} but the order is "
            f"{expected[0]} {expected[1]}: not marked paid.",
        )
        return True
    if order.state == OrderState.CANCELLED:
        # Should not happen any more (abandoning asks Stripe first); keep the money traceable.
        order.stripe_payment_intent = payment_intent or order.stripe_payment_intent
        _flag(
            order,
            actor,
            "Payment arrived after the order was cancelled: refund or fulfil it by hand.",
        )
        return True
    return False


def _has_note(order: Order, note: str) -> bool:
    return bool(
        db.session.scalar(
            select(exists().where(OrderEvent.order_id == order.id, OrderEvent.note == note))
        )
    )


def _record_once(order: Order, actor: str, note: str) -> bool:
    """Log `note` unless it is already on the order's timeline (reloading writes nothing);
    whether it was logged now."""
    if _has_note(order, note):
        return False
    record(order, actor=actor, note=note)
    return True


def _flag(order: Order, actor: str, note: str) -> None:
    if not order.needs_review:
        order.needs_review = True
        record(order, actor=actor, note=note)
        log.error("order %s needs review: %s", order.number, note)


def mark_paid(order: Order, *, actor: str, note: str, payment_intent: str | None) -> bool:
    """Move an open order to paid: invoice it, spend its coupon, empty what it bought.

    The one completion path, for prescription orders approved by a pharmacist too;
    False when another request had already moved the order.
    """
    if not transition(order, OrderState.PAID, actor=actor, note=note):
        return False
    order.stripe_payment_intent = payment_intent
    # The tax invoice is issued in this same transaction: paid once, invoiced once, and a
    # rollback gives its number back (no gap in the series).
    issue_invoice(order)
    finalise_coupon_use(order.id)
    if order.cart_id and not _has_note(order, WAITING_NOTE):  # else emptied while it cleared
        take_out_of_cart(order)
    send_confirmation(order)
    db.session.flush()
    return True


flag_order = _flag


def take_out_of_cart(order: Order) -> None:
    """Take what the order bought out of its cart: only those quantities (lines added
    since then stay); called once per order, when it is paid or its transfer starts."""
    if not order.cart_id:
        return
    bought: dict[int, int] = {}
    for line in order.lines:
        if line.variant_id is not None:
            bought[line.variant_id] = bought.get(line.variant_id, 0) + line.quantity
    cart_service.remove_ordered(order.cart_id, bought, order.coupon_code)


def cancel_order(order: Order, *, actor: str, note: str) -> bool:
    """Cancel an unpaid order and give its stock and coupon back (once).

    Only for orders Stripe can no longer take money for (expired or failed sessions, or
    none at all); everything else goes through `abandon_order`.
    """
    if order.state not in OPEN or not transition(
        order, OrderState.CANCELLED, actor=actor, note=note
    ):
        return False
    for line in order.lines:
        if line.variant_id is not None:
            release_stock(line.variant_id, line.quantity)
    release_coupon_use(order.id)
    db.session.flush()
    return True


def abandon_order(order: Order, *, actor: str, note: str) -> Order:
    """Give up an unpaid order — unless Stripe says it was paid: then complete it instead.

    Its Checkout Session is asked for first and expired while still open, so it can never
    be paid once the order is cancelled. A complete session goes through `complete_order`
    (a delayed payment still clearing leaves the order open). Raises PaymentError when
    Stripe cannot be asked: then nothing changed, and the hold still ends on its own.
    The caller commits.
    """
    db.session.refresh(order)  # a concurrent request may have stored its session meanwhile
    if order.state not in OPEN:
        return order
    if order.stripe_session_id:
        session = gateway().retrieve_session(order.stripe_session_id)
        if session.get("status") == "open":
            try:
                gateway().expire_session(order.stripe_session_id, order.number)
                session = {"status": "expired"}
            except PaymentRejected:  # completed between our two calls
                session = gateway().retrieve_session(order.stripe_session_id)
        if session.get("status") == "complete":
            complete_order(session, actor=actor)
            return order
    cancel_order(order, actor=actor, note=note)
    return order


@dataclass
class ExpiryReport:
    cancelled: list[str]
    completed: list[str]  # paid after all: their webhook had not arrived
    waiting: list[str]  # Stripe could not be asked, or a delayed payment is clearing


def expire_overdue(now: datetime | None = None) -> ExpiryReport:
    """Abandon unpaid orders whose hold has run out, each committed on its own."""
    now = now or utcnow()
    overdue = db.session.scalars(
        select(Order).where(
            Order.state == OrderState.PENDING_PAYMENT,
            Order.needs_review.is_(False),
            Order.hold_expires_at < now,
        )
    ).all()
    report = ExpiryReport([], [], [])
    for order in overdue:
        try:
            abandon_order(order, actor="system", note="Payment hold expired.")
        except PaymentError as error:
            db.session.rollback()
            log.warning("order %s: Stripe could not be asked, kept: %s", order.number, error)
            report.waiting.append(order.number)
            continue
        db.session.commit()
        if order.state == OrderState.CANCELLED:
            report.cancelled.append(order.number)
        elif order.state in OPEN:
            report.waiting.append(order.number)
        else:
            report.completed.append(order.number)
    return report
