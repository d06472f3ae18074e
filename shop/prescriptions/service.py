"""Prescription orders from authorisation to decision (SPEC §15).

    pending_payment ─(card authorised, manual capture)→ awaiting_review
    awaiting_review ─approve: capture at Stripe→ paid (invoice, confirmation e-mail)
    awaiting_review ─reject / expiry: cancel at Stripe→ cancelled (stock, coupon released)

Stripe is asked first and the order changes only after Stripe agreed, so a failed
capture leaves the order in review with the error kept for the pharmacist, and nothing
is lost. Every outcome is checked against what Stripe now says: an authorisation that
was captured after all finishes the approval, one that lapsed cancels the order. The
moves go through `shop.checkout.states.transition` (conditional UPDATEs), so two
pharmacists deciding at once, or a decision racing a webhook, change the order once;
the loser gets a 409.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import select

from shop.checkout import service as checkout
from shop.checkout.models import Order
from shop.checkout.states import IN_REVIEW, OrderState, record, transition
from shop.database import utcnow
from shop.errors import ShopError
from shop.extensions import db
from shop.mail import send_mail
from shop.payments.gateway import PaymentError, PaymentRejected, gateway
from shop.prescriptions import files
from shop.prescriptions.models import Prescription
from shop.pricing.money import format_money
from shop.staff.audit import audit

log = logging.getLogger(__name__)

REASON_MIN, REASON_MAX = 10, 500


def prescription_of(order: Order) -> Prescription | None:
    return files.prescription_of(order.id)


# --- authorisation ----------------------------------------------------------------------------


def _intent_id(value) -> str | None:
    return value.get("id") if isinstance(value, dict) else value


def authorise_from_session(order: Order, session: dict, *, actor: str) -> bool:
    """For a completed, unpaid session of a prescription order: ask its PaymentIntent and
    move the order to review when the money is authorised. False when not (yet) so."""
    if order.state != OrderState.PENDING_PAYMENT or prescription_of(order) is None:
        return False
    intent = session.get("payment_intent")
    if not isinstance(intent, dict):
        if not intent:
            return False
        try:
            intent = gateway().retrieve_payment_intent(intent)
        except PaymentError as error:
            log.warning("order %s: payment intent not readable: %s", order.number, error)
            return False  # its own webhook will move the order
    return authorise(order, intent, actor=actor)


def authorise(order: Order, intent: dict, *, actor: str) -> bool:
    """pending_payment → awaiting_review when Stripe holds the whole amount for capture."""
    prescription = prescription_of(order)
    if prescription is None or order.state != OrderState.PENDING_PAYMENT:
        return False
    if intent.get("status") != "requires_capture":
        return False
    expected = (order.total, order.currency.lower())
    held = (intent.get("amount_capturable"), (intent.get("currency") or "").lower())
    if held != expected:
        checkout.flag_order(
            order,
            actor,
            f"Stripe authorised {held[0]} {held[1]} but the order is {expected[0]} "
            f"{expected[1]}: not sent to review.",
        )
        return False
    note = (
        f"Payment of {format_money(order.total)} authorised (not yet charged); waiting for "
        "a pharmacist to review the prescription."
    )
    return _to_review(order, prescription, intent["id"], actor=actor, note=note)


def authorise_without_payment(order: Order, *, actor: str) -> bool:
    """A prescription order with nothing to pay goes straight to the pharmacist."""
    prescription = prescription_of(order)
    if prescription is None or order.state != OrderState.PENDING_PAYMENT:
        return False
    note = "Nothing to pay; waiting for a pharmacist to review the prescription."
    return _to_review(order, prescription, None, actor=actor, note=note)


def _to_review(
    order: Order, prescription: Prescription, intent_id: str | None, *, actor: str, note: str
) -> bool:
    if not transition(order, OrderState.AWAITING_REVIEW, actor=actor, note=note):
        return False
    order.stripe_payment_intent = intent_id
    prescription.authorised_at = utcnow()
    checkout.take_out_of_cart(order)
    order.cart_id = None  # its lines left the cart now; paying later must not take more
    send_mail(
        order.email,
        f"Your Remedy Shop order {order.number}: prescription under review",
        f"Thank you for your order {order.number}. Your payment of "
        f"{format_money(order.total)} is authorised but not charged yet.\n\n"
        "Our pharmacist is checking your prescription. You will be charged only if it is "
        "approved, and we will e-mail you either way.\n\n"
        f"Follow your order here:\n{checkout.status_link(order)}\n",
    )
    db.session.flush()
    return True


# --- decisions ----------------------------------------------------------------------------------


def _in_review(order: Order) -> Prescription:
    prescription = prescription_of(order)
    if prescription is None:
        raise ShopError(404, "That order has no prescription.")
    if order.state not in IN_REVIEW:
        decided = prescription.decision or order.state.replace("_", " ")
        raise ShopError(409, f"Order {order.number} is not waiting for review ({decided}).")
    return prescription


def _facts(order: Order, prescription: Prescription) -> dict:
    return {
        "state": order.state,
        "decision": prescription.decision,
        "reason": prescription.reason,
        "payment_intent": order.stripe_payment_intent,
    }


def _stripe_status(order: Order) -> str | None:
    try:
        return gateway().retrieve_payment_intent(order.stripe_payment_intent).get("status")
    except PaymentError:
        return None


def _payment_failed(order: Order, prescription: Prescription, what: str, error) -> ShopError:
    """Keep Stripe's refusal on the prescription for the pharmacist; the order stays."""
    db.session.rollback()
    message = f"Stripe could not {what} the payment: {error}"
    prescription.payment_error = message[:1000]
    record(order, actor="system", note=message[:1000])
    db.session.commit()
    status = 409 if isinstance(error, PaymentRejected) else 503
    return ShopError(status, f"{message} The order is still waiting for review; try again.")


def approve(order: Order, *, actor: str) -> None:
    """Capture the authorised payment and mark the order paid (the usual completion)."""
    prescription = _in_review(order)
    if order.stripe_payment_intent is None:  # nothing was due
        finish_approval(order, prescription, actor=actor)
        return
    try:
        gateway().capture_payment(order.stripe_payment_intent, order.number)
    except PaymentError as error:
        status = _stripe_status(order) if isinstance(error, PaymentRejected) else None
        if status == "canceled":
            _close(order, prescription, "expired", actor=actor, reason="")
            raise ShopError(
                409, "The card authorisation had lapsed at Stripe; the order was cancelled."
            ) from error
        if status != "succeeded":
            raise _payment_failed(order, prescription, "capture", error) from error
    if _recorded_by_webhook(order, prescription, actor=actor):  # re-reads the order
        return
    if order.state not in IN_REVIEW:
        raise ShopError(409, f"Order {order.number} was decided by someone else meanwhile.")
    try:
        finish_approval(order, prescription, actor=actor)
    except ShopError:  # the webhook was committing while we looked
        if not _recorded_by_webhook(order, prescription, actor=actor):
            raise


def _recorded_by_webhook(order: Order, prescription: Prescription, *, actor: str) -> bool:
    """Stripe's webhook for the capture we just made can arrive (and commit) before our
    capture call returns; the order is paid then, and the decision stays the pharmacist's."""
    db.session.refresh(order)
    db.session.refresh(prescription)
    if (order.state, prescription.decision, prescription.decided_by) != (
        OrderState.PAID,
        "approved",
        "stripe",
    ):
        return False  # another pharmacist decided it: their 409 stands
    prescription.decided_by = actor
    _audit_approval(order, prescription, before={"state": str(OrderState.AWAITING_REVIEW)})
    return True


def finish_approval(order: Order, prescription: Prescription, *, actor: str) -> None:
    """The money is captured: paid, invoiced and confirmed, once."""
    before = _facts(order, prescription)
    paid = checkout.mark_paid(
        order,
        actor=actor,
        note=f"Prescription approved; {format_money(order.total)} captured.",
        payment_intent=order.stripe_payment_intent,
    )
    if not paid:
        raise ShopError(409, f"Order {order.number} was decided by someone else meanwhile.")
    prescription.decision = "approved"
    prescription.decided_by = actor
    prescription.decided_at = utcnow()
    prescription.payment_error = None
    _audit_approval(order, prescription, before=before)


def _audit_approval(order: Order, prescription: Prescription, *, before: dict) -> None:
    audit(
        "approve",
        "prescription",
        order.number,
        before=before,
        after=_facts(order, prescription),
        summary=f"Approved the prescription of {order.number}; payment captured.",
    )


def check_reason(reason: str) -> str:
    reason = " ".join((reason or "").split())
    if not REASON_MIN <= len(reason) <= REASON_MAX:
        raise ShopError(
            422,
            f"Give the customer a reason of {REASON_MIN}–{REASON_MAX} characters "
            "(it is e-mailed to them).",
        )
    return reason


def reject(order: Order, reason: str, *, actor: str) -> None:
    """Release the authorisation, cancel the order (stock and coupon back), tell them why."""
    reason = check_reason(reason)
    prescription = _in_review(order)
    _release_at_stripe(order, prescription)
    _close(order, prescription, "rejected", actor=actor, reason=reason)


def _release_at_stripe(order: Order, prescription: Prescription) -> None:
    if order.stripe_payment_intent is None:  # nothing was authorised
        return
    try:
        gateway().cancel_payment(order.stripe_payment_intent, order.number)
    except PaymentError as error:
        status = _stripe_status(order) if isinstance(error, PaymentRejected) else None
        if status == "succeeded":
            finish_approval(order, prescription, actor="stripe")
            db.session.commit()
            raise ShopError(
                409, f"The payment of {order.number} had already been captured: it is paid now."
            ) from error
        if status != "canceled":
            raise _payment_failed(order, prescription, "cancel", error) from error


def _close(order: Order, prescription: Prescription, decision: str, *, actor: str, reason: str):
    """Cancel a reviewed order whose authorisation is released; e-mail the customer."""
    before = _facts(order, prescription)
    words = {
        "rejected": f"Prescription rejected: {reason}",
        "expired": "Not reviewed in time; the card authorisation was released.",
    }[decision]
    if not checkout.cancel_order(order, actor=actor, note=words):
        raise ShopError(409, f"Order {order.number} was decided by someone else meanwhile.")
    prescription.decision = decision
    prescription.reason = reason
    prescription.decided_by = actor
    prescription.decided_at = utcnow()
    prescription.payment_error = None
    audit(
        "reject" if decision == "rejected" else "expire",
        "prescription",
        order.number,
        before=before,
        after=_facts(order, prescription),
        summary=f"{words} ({order.number})",
    )
    explanation = (
        f"Our pharmacist could not approve it: {reason}"
        if decision == "rejected"
        else "Our pharmacists could not review it in time."
    )
    send_mail(
        order.email,
        f"Your Remedy Shop order {order.number} was cancelled",
        f"We are sorry: your order {order.number} was cancelled. {explanation}\n\n"
        "The authorisation on your card has been released; you were not charged.\n"
        "If you have questions about this medicine, please ask your doctor.\n\n"
        f"Your order:\n{checkout.status_link(order)}\n",
    )
    db.session.flush()


# --- Stripe's own word, and expiry -----------------------------------------------------------


def capture_confirmed(order: Order, *, actor: str) -> None:
    """Stripe says the payment was captured (a decision whose commit did not happen)."""
    prescription = prescription_of(order)
    if prescription is not None and order.state in IN_REVIEW:
        try:
            finish_approval(order, prescription, actor=actor)
        except ShopError:  # the pharmacist's own request finished it a moment earlier
            log.info("order %s: capture already recorded", order.number)


def authorisation_cancelled(order: Order, *, actor: str) -> None:
    """Stripe cancelled the authorisation (it lapsed, or someone cancelled it there)."""
    prescription = prescription_of(order)
    if prescription is not None and order.state in IN_REVIEW:
        try:
            _close(order, prescription, "expired", actor=actor, reason="")
        except ShopError:  # decided meanwhile
            log.info("order %s: cancellation already recorded", order.number)
    elif prescription is not None and order.state == OrderState.PENDING_PAYMENT:
        checkout.cancel_order(order, actor=actor, note="The payment was cancelled at Stripe.")


def review_deadline(now: datetime | None = None) -> datetime:
    days = current_app.config["SHOP_RX_REVIEW_DAYS"]
    return (now or utcnow()) - timedelta(days=days)


def expire_reviews(now: datetime | None = None) -> tuple[list[str], list[str]]:
    """Cancel reviews older than SHOP_RX_REVIEW_DAYS; (cancelled, kept) order numbers."""
    overdue = db.session.scalars(
        select(Order)
        .join(Prescription, Prescription.order_id == Order.id)
        .where(
            Order.state.in_([str(state) for state in IN_REVIEW]),
            Prescription.authorised_at < review_deadline(now),
        )
        .order_by(Prescription.authorised_at)
    ).all()
    cancelled, kept = [], []
    for order in overdue:
        prescription = prescription_of(order)
        try:
            _release_at_stripe(order, prescription)
            _close(order, prescription, "expired", actor="system", reason="")
            db.session.commit()
            cancelled.append(order.number)
        except ShopError as error:
            db.session.rollback()
            log.warning("order %s: review not expired: %s", order.number, error.message)
            kept.append(order.number)
    return cancelled, kept
