"""POST /stripe/webhook: verify, record once, dispatch through a table of handlers.

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

from shop.checkout import service as checkout
from shop.checkout.models import Order
from shop.extensions import csrf, db
from shop.payments.gateway import WebhookInvalid, gateway
from shop.payments.models import ProcessedEvent
from shop.payments.refunds import apply_refunded_amount

log = logging.getLogger(__name__)

bp = Blueprint("webhooks", __name__)
ACTOR = "stripe"


def session_completed(session: dict) -> None:
    checkout.complete_order(session, actor=ACTOR)


def session_payment_failed(session: dict) -> None:
    order = checkout.order_for_session(session)
    if order is not None:
        checkout.cancel_order(order, actor=ACTOR, note="The payment failed.")


def session_expired(session: dict) -> None:
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
    apply_refunded_amount(order, int(charge.get("amount_refunded") or 0), actor=ACTOR)


HANDLERS: dict[str, Callable[[dict], None]] = {
    "checkout.session.completed": session_completed,
    "checkout.session.async_payment_succeeded": session_completed,
    "checkout.session.async_payment_failed": session_payment_failed,
    "checkout.session.expired": session_expired,
    "charge.refunded": charge_refunded,
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
    obj = (event.get("data") or {}).get("object")
    if not (isinstance(event_id, str) and isinstance(event_type, str) and isinstance(obj, dict)):
        return {"error": "malformed event"}, 400
    if db.session.get(ProcessedEvent, event_id) is not None:
        return {"status": "duplicate"}
    try:
        db.session.add(ProcessedEvent(id=event_id, type=event_type))
        db.session.flush()
    except IntegrityError:
        db.session.rollback()  # a concurrent delivery of the same event got there first
        return {"status": "duplicate"}
    handler = HANDLERS.get(event_type)
    if handler is not None:
        handler(obj)  # an exception here rolls back the record too: Stripe will retry
    db.session.commit()
    return {"status": "processed" if handler else "ignored"}
