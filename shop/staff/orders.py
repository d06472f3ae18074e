"""Back office: find orders, read them, ship, deliver, refund and clear review flags.

State changes go through `shop.checkout.states.transition` and refunds through
`shop.payments.refunds.refund_order`; each write is audited in the same transaction and
committed once, at the end of the request.
"""

from __future__ import annotations

import secrets

from flask import abort, flash, redirect, render_template, request, url_for
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from shop.checkout.models import STATES, Order
from shop.checkout.states import (
    REFUNDABLE,
    InvalidTransition,
    can_transition,
    next_fulfilment_step,
    record,
    transition,
)
from shop.database import utcnow
from shop.delivery import service as delivery
from shop.delivery.forms import ShipForm
from shop.delivery.rules import carrier_name
from shop.errors import ShopError
from shop.extensions import db
from shop.listing import query_arg
from shop.payments.gateway import PaymentError, PaymentUnavailable
from shop.payments.models import Refund
from shop.payments.refunds import refund_order
from shop.pricing.money import format_money
from shop.staff.audit import audit
from shop.staff.base import actor, bp, menu_item
from shop.staff.lists import staff_page
from shop.staff.order_forms import ClearReviewForm, MoveForm, RefundForm, fresh_refund_form

menu_item(5, "staff.orders", "Orders")

STATE_LABELS = {
    "pending_payment": "Waiting for payment",
    "paid": "Paid",
    "shipped": "Shipped",
    "delivered": "Delivered",
    "cancelled": "Cancelled",
    "refunded": "Refunded",
    "partially_refunded": "Partly refunded",
}

# The two moves staff make by hand: action name → (target state, words for messages).
MOVES = {"ship": ("shipped", "shipped"), "deliver": ("delivered", "delivered")}

MAX_NUMBER_LENGTH = 20  # Order.number is String(20)


# --- helpers ----------------------------------------------------------------------------------


def _order_or_404(number: str, *, lock: bool = False) -> Order:
    """The order with this number.

    With `lock`, the order's row is written to at once (its `updated_at`), which holds
    the row on PostgreSQL and the database's write lock on SQLite until this request
    commits or rolls back, and the order is then read again: a second request working
    on the same order waits, and then sees what the first one did.
    """
    if len(number) > MAX_NUMBER_LENGTH:
        abort(404, description="There is no order with that number.")
    order = db.session.scalar(select(Order).where(Order.number == number))
    if order is None:
        abort(404, description="There is no order with that number.")
    if lock:
        db.session.execute(
            update(Order)
            .where(Order.id == order.id)
            .values(updated_at=utcnow())
            .execution_options(synchronize_session=False)
        )
        db.session.refresh(order)
    return order


def _facts(order: Order) -> dict:
    """What staff actions change on an order, for the audit log's before/after."""
    return {
        "state": order.state,
        "amount_refunded": order.amount_refunded,
        "needs_review": order.needs_review,
    }


def _detail(
    order: Order,
    *,
    status: int = 200,
    problem: str | None = None,
    move_form: MoveForm | ShipForm | None = None,
    refund_form: RefundForm | None = None,
    review_form: ClearReviewForm | None = None,
):
    """Render the order page; forms not being re-shown with errors start empty."""
    refunds = db.session.scalars(
        select(Refund).where(Refund.order_id == order.id).order_by(Refund.created_at, Refund.id)
    ).all()
    step = next_fulfilment_step(order)
    next_move = next((action for action, (target, _) in MOVES.items() if target == step), None)
    can_refund = (
        order.state in REFUNDABLE
        and order.refundable > 0
        and bool(order.stripe_payment_intent or order.stripe_session_id)
    )
    return render_template(
        "staff/orders/detail.html",
        order=order,
        refunds=refunds,
        labels=STATE_LABELS,
        problem=problem,
        next_move=next_move,
        can_refund=can_refund,
        move_form=move_form
        or (ShipForm(formdata=None) if next_move == "ship" else MoveForm(formdata=None)),
        delivery=delivery.delivery_of(order),
        refund_form=refund_form or fresh_refund_form(),
        review_form=review_form or ClearReviewForm(formdata=None),
    ), status


def _back_to(order: Order):
    return redirect(url_for("staff.order_detail", number=order.number), 303)


# --- pages --------------------------------------------------------------------------------------


@bp.get("/orders/")
def orders():
    state = request.args.get("state", "").strip()
    if state and state not in STATES:
        abort(400, description=f"Unknown order state. Use one of: {', '.join(STATES)}.")
    review = request.args.get("review", "").strip()
    if review not in ("", "1"):
        abort(400, description="To see orders needing review, use review=1.")
    stmt = select(Order).order_by(Order.created_at.desc(), Order.id.desc())
    if state:
        stmt = stmt.where(Order.state == state)
    if review:
        stmt = stmt.where(Order.needs_review.is_(True))
    page = staff_page(stmt, search_columns=(Order.number, Order.email))
    return render_template(
        "staff/orders/list.html",
        page=page,
        q=query_arg("q"),
        state=state,
        review=review,
        states=STATES,
        labels=STATE_LABELS,
    )


@bp.get("/orders/<number>")
def order_detail(number: str):
    return _detail(_order_or_404(number))


# --- actions -------------------------------------------------------------------------------------


def _move(number: str, action: str):
    """Ship or deliver: the state machine decides; a refusal is a 409 that writes nothing.

    Shipping needs the courier and its tracking number; the customer is e-mailed the
    tracking link when an order ships and again when it is delivered.
    """
    target, words = MOVES[action]
    order = _order_or_404(number)
    if next_fulfilment_step(order) != target:
        db.session.rollback()
        return _detail(
            order, status=409, problem=f"{_move_refused(order, target)} Nothing was changed."
        )
    form = ShipForm() if action == "ship" else MoveForm()
    if not form.validate_on_submit():
        db.session.rollback()
        return _detail(order, status=422, move_form=form)
    before = _facts(order)
    note = _move_note(form, action)
    try:
        moved = transition(order, target, actor=actor(), note=note)
    except InvalidTransition as error:
        db.session.rollback()
        return _detail(order, status=409, problem=f"{error} Nothing was changed.")
    if not moved:  # someone else changed the order between our read and our update
        db.session.rollback()
        now = STATE_LABELS[order.state].lower()
        problem = f"Order {order.number} changed while you were working on it and is now {now}."
        return _detail(order, status=409, problem=f"{problem} Nothing was changed.")
    after = _record_move(order, form, action)
    summary = f"Marked {order.number} {words}." + (f" Note: {note}" if note else "")
    audit(action, "order", order.number, before=before, after=after, summary=summary)
    db.session.commit()
    flash(f"Order {order.number} is marked {words}.", "success")
    return _back_to(order)


def _move_refused(order: Order, target: str) -> str:
    if not can_transition(order.state, target):
        return f"Order {order.number} cannot go from {order.state} to {target}."
    if any(event.to_state == target for event in order.events):
        return f"Order {order.number} was already {target}."
    return f"Order {order.number} has not been shipped yet."


def _move_note(form, action: str) -> str:
    """The timeline note: the courier and tracking number first when shipping."""
    note = (form.note.data or "").strip()
    if action == "ship":
        courier = carrier_name(form.carrier.data)
        note = f"Shipped with {courier}, tracking {form.tracking_number.data}. {note}".strip()
    return note


def _record_move(order: Order, form, action: str) -> dict:
    """Record the shipment or delivery with the delivery domain; the audit's "after"."""
    if action == "ship":
        delivery.record_shipment(order, form.carrier.data, form.tracking_number.data)
        return _facts(order) | {
            "carrier": form.carrier.data,
            "tracking_number": form.tracking_number.data,
        }
    delivery.record_delivery(order)
    return _facts(order)


@bp.post("/orders/<number>/ship")
def order_ship(number: str):
    return _move(number, "ship")


@bp.post("/orders/<number>/deliver")
def order_deliver(number: str):
    return _move(number, "deliver")


def _refund_refused(order: Order, form: RefundForm, error: Exception):
    """The order page after `refund_order` refused: nothing was recorded here."""
    db.session.rollback()
    if isinstance(error, ShopError):
        if error.status == 422:
            form.amount.errors.append(error.message)
            return _detail(order, status=422, refund_form=form)
        return _detail(order, status=error.status, problem=error.message, refund_form=form)
    if isinstance(error, PaymentUnavailable):
        # Stripe may or may not have made the refund: keep the same request_id in the
        # form, so submitting again replays the same idempotent request.
        problem = (
            f"Stripe did not confirm the refund: {error} Nothing was recorded here. "
            "Submitting the form again retries the same request, so the customer cannot "
            "be refunded twice."
        )
        return _detail(order, status=503, refund_form=form, problem=problem)
    # Stripe refused the request as made; the same key would only replay the refusal.
    form.request_id.data = secrets.token_urlsafe(16)
    problem = f"Stripe refused the refund: {error} Nothing was refunded or recorded."
    return _detail(order, status=502, refund_form=form, problem=problem)


def _audit_refund(order: Order, refund: Refund, before: dict, reason: str) -> None:
    after = {
        **_facts(order),
        "refund_amount": refund.amount,
        "refund_id": refund.stripe_refund_id,
        "refund_status": refund.status,
        "refund_reason": reason,
    }
    audit(
        "refund",
        "order",
        order.number,
        before=before,
        after=after,
        summary=f"Refunded {format_money(refund.amount)} of {order.number}: {reason}",
    )


@bp.post("/orders/<number>/refund")
def order_refund(number: str):
    """Refund part or all of an order through Stripe, once per form (its request_id).

    The order is locked while Stripe is asked, so two refunds of the same order made at
    once are checked against the refundable amount one after the other.
    """
    order = _order_or_404(number, lock=True)
    form = RefundForm()
    if not form.validate_on_submit():
        db.session.rollback()
        return _detail(order, status=422, refund_form=form)
    earlier = set(db.session.scalars(select(Refund.id).where(Refund.order_id == order.id)))
    before = _facts(order)
    reason = form.reason.data.strip()
    try:
        refund = refund_order(
            order, form.amount.paise, actor=actor(), reason=reason, request_id=form.request_id.data
        )
    except (ShopError, PaymentError) as error:
        return _refund_refused(order, form, error)
    except IntegrityError:
        # The same form, submitted twice at once, lost the race on the idempotency key.
        db.session.rollback()
        flash("This refund form was already submitted; its refund is shown below.", "notice")
        return _back_to(order)
    if refund.id in earlier:
        db.session.rollback()
        flash(
            f"This refund form was already submitted: {format_money(refund.amount)} "
            f"(Stripe refund {refund.stripe_refund_id}, {refund.status}) was refunded "
            "once and nothing more was refunded.",
            "notice",
        )
        return _back_to(order)
    _audit_refund(order, refund, before, reason)
    db.session.commit()
    flash(
        f"Refunded {format_money(refund.amount)} of order {order.number}: Stripe refund "
        f"{refund.stripe_refund_id}, status {refund.status}.",
        "success",
    )
    return _back_to(order)


@bp.post("/orders/<number>/clear-review")
def order_clear_review(number: str):
    order = _order_or_404(number)
    form = ClearReviewForm()
    if not form.validate_on_submit():
        db.session.rollback()
        return _detail(order, status=422, review_form=form)
    before = _facts(order)
    # Conditional, so two people clearing the same flag at once record it once.
    cleared = db.session.execute(
        update(Order)
        .where(Order.id == order.id, Order.needs_review.is_(True))
        .values(needs_review=False)
        .execution_options(synchronize_session=False)
    ).rowcount
    if cleared != 1:
        db.session.rollback()
        return _detail(
            order, status=409, problem=f"Order {order.number} is not flagged for review."
        )
    db.session.refresh(order)
    note = form.review_note.data.strip()
    record(order, actor=actor(), note=f"Review flag cleared: {note}")
    audit(
        "clear_review",
        "order",
        order.number,
        before=before,
        after={**_facts(order), "review_note": note},
        summary=f"Cleared the review flag of {order.number}: {note}",
    )
    db.session.commit()
    flash(f"Order {order.number} no longer needs review.", "success")
    return _back_to(order)
