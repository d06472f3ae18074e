"""POST /stripe/webhook: verify, check the shape, record once, dispatch to a handler.

A signed event whose fields are not what Stripe sends (an array body, `metadata` that is
not an object, a session without an id, …) is answered 400 before anything is written.

The event id is inserted into `processed_events` in the same transaction as the event's
effect. A repeat (or a concurrent duplicate) finds the id taken and is acknowledged
without doing anything again. A handler that fails rolls everything back and answers
500, so Stripe delivers the event again later.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from flask import Blueprint, request
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from shop.checkout import completing as checkout
from shop.checkout.models import Order, looks_like_order_number
from shop.extensions import csrf, db
from shop.payments.gateway import WebhookInvalid, gateway
from shop.payments.models import ProcessedEvent
from shop.payments.refunds import apply_refunded_amount
from shop.prescriptions import service as prescriptions

log = logging.getLogger(__name__)

bp = Blueprint("webhooks", __name__)
ACTOR = "stripe"


def _text(value) -> bool:
    """A non-empty printable string that fits our columns (no NUL for PostgreSQL)."""
    return isinstance(value, str) and 0 < len(value) <= 255 and value.isprintable()


def _count(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def session_problem(session: dict) -> str | None:
    """What is wrong with a Checkout Session object, or None when handlers can use it."""
    if not _text(session.get("id")):
        return "session without an id"
    metadata = session.get("metadata")
    if metadata is not None and not isinstance(metadata, dict):
        return "metadata is not an object"
    for number in (session.get("client_reference_id"), (metadata or {}).get("order_number")):
        if number is not None and not _text(number):
            return "the order number is not a string"
    if not _text(session.get("payment_status")) or not _text(session.get("status")):
        return "payment_status or status missing"
    if session.get("currency") is not None and not _text(session["currency"]):
        return "currency is not a string"
    if session.get("amount_total") is not None and not _count(session["amount_total"]):
        return "amount_total is not a whole number"
    intent = session.get("payment_intent")
    if intent is not None and not (
        _text(intent) or (isinstance(intent, dict) and _text(intent.get("id")))
    ):
        return "payment_intent is neither an id nor an object with one"
    return None


def charge_problem(charge: dict) -> str | None:
    if not _text(charge.get("payment_intent")):
        return "charge without a payment intent"
    if not _count(charge.get("amount_refunded")):
        return "amount_refunded is not a whole number"
    return None


def session_completed(session: dict) -> None:
    checkout.complete_order(session, actor=ACTOR)


def session_payment_failed(session: dict) -> None:
    order = checkout.order_for_session(session)
    if order is not None:
        checkout.cancel_order(order, actor=ACTOR, note="The payment failed.")


def session_expired(session: dict) -> None:
    if session.get("status") == "complete":  # never cancel what Stripe says was completed
        checkout.complete_order(session, actor=ACTOR)
        return
    order = checkout.order_for_session(session)
    if order is not None:
        checkout.cancel_order(order, actor=ACTOR, note="The checkout session expired.")


def charge_refunded(charge: dict) -> None:
    order = db.session.scalar(
        select(Order).where(Order.stripe_payment_intent == charge.get("payment_intent"))
    )
    if order is None:
        log.warning("charge.refunded for unknown payment intent %s", charge.get("payment_intent"))
        return
    apply_refunded_amount(order, charge["amount_refunded"], actor=ACTOR)


def intent_problem(intent: dict) -> str | None:
    if not _text(intent.get("id")) or not _text(intent.get("status")):
        return "payment intent without an id or status"
    metadata = intent.get("metadata")
    if metadata is not None and not isinstance(metadata, dict):
        return "metadata is not an object"
    number = (metadata or {}).get("order_number")
    if number is not None and not _text(number):
        return "the order number is not a string"
    for field in ("amount", "amount_capturable"):
        if intent.get(field) is not None and not _count(intent[field]):
            return f"{field} is not a whole number"
    if intent.get("currency") is not None and not _text(intent["currency"]):
        return "currency is not a string"
    return None


def _order_for_intent(intent: dict) -> Order | None:
    order = db.session.scalar(select(Order).where(Order.stripe_payment_intent == intent["id"]))
    if order is None:  # authorised before the order learnt its payment intent
        number = (intent.get("metadata") or {}).get("order_number")
        if looks_like_order_number(number):
            order = db.session.scalar(
                select(Order).where(Order.number == number, Order.stripe_payment_intent.is_(None))
            )
    if order is None:
        log.warning("payment intent %s matches no order", intent["id"])
    return order


def intent_authorised(intent: dict) -> None:
    order = _order_for_intent(intent)
    if order is not None:
        prescriptions.authorise(order, intent, actor=ACTOR)


def intent_succeeded(intent: dict) -> None:
    order = _order_for_intent(intent)
    if order is not None:
        prescriptions.capture_confirmed(order, actor=ACTOR)


def intent_cancelled(intent: dict) -> None:
    order = _order_for_intent(intent)
    if order is not None:
        prescriptions.authorisation_cancelled(order, actor=ACTOR)


Check = Callable[[dict], str | None]
HANDLERS: dict[str, tuple[Check, Callable[[dict], None]]] = {
    "checkout.session.completed": (session_problem, session_completed),
    "checkout.session.async_payment_succeeded": (session_problem, session_completed),
    "checkout.session.async_payment_failed": (session_problem, session_payment_failed),
    "checkout.session.expired": (session_problem, session_expired),
    "charge.refunded": (charge_problem, charge_refunded),
    # manual capture (prescription orders, SPEC §15)
    "payment_intent.amount_capturable_updated": (intent_problem, intent_authorised),
    "payment_intent.succeeded": (intent_problem, intent_succeeded),
    "payment_intent.canceled": (intent_problem, intent_cancelled),
}


@bp.post("/stripe/webhook")
@csrf.exempt
def receive():
    try:
        event = gateway().parse_webhook(request.get_data(), request.headers.get("Stripe-Signature"))
    except WebhookInvalid as error:
        log.warning("webhook refused: %s", error)
        return {"error": "invalid webhook"}, 400
    event_id, event_type = event.get("id"), event.get("type")
    data = event.get("data")
    obj = data.get("object") if isinstance(data, dict) else None
    if not (_text(event_id) and _text(event_type) and isinstance(obj, dict)):
        return {"error": "malformed event"}, 400
    check, handler = HANDLERS.get(event_type, (None, None))
    problem = check(obj) if check else None
    if problem:
        log.warning("webhook %s (%s) refused: %s", event_id, event_type, problem)
        return {"error": f"malformed event: {problem}"}, 400
    if db.session.get(ProcessedEvent, event_id) is not None:
        return {"status": "duplicate"}
    try:
        db.session.add(ProcessedEvent(id=event_id, type=event_type))
        db.session.flush()
    except IntegrityError:
        db.session.rollback()  # a concurrent delivery of the same event got there first
        return {"status": "duplicate"}
    if handler is not None:
        handler(obj)  # an exception here rolls back the record too: Stripe will retry
    db.session.commit()
    return {"status": "processed" if handler else "ignored"}
