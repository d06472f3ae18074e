"""`POST /checkout`: one open order per cart, and the start of its payment.

`checkout` orchestrates: placing the order and its holds (`shop.checkout.placing`),
creating or resuming its Stripe Checkout Session, and abandoning an open order the cart
no longer matches (`shop.checkout.completing`). A double-submitted form or a second tab
gets the same order and the same Stripe session back. Checkout writes only its own
tables and decides the order in which the other domains' calls happen.

The names callers used before checkout was split (completing, cancelling, expiring,
status links) are re-exported here.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from flask import current_app, url_for
from sqlalchemy import select, update

from shop.cart import service as cart_service
from shop.cart.models import Cart
from shop.cart.service import CartView, price_cart
from shop.checkout.completing import (
    WAITING_NOTE,
    ExpiryReport,
    abandon_order,
    cancel_order,
    complete_order,
    expire_overdue,
    flag_order,
    mark_paid,
    order_for_session,
    take_out_of_cart,
)
from shop.checkout.links import (
    key_matches,
    send_confirmation,
    status_key,
    status_link,
    status_url,
)
from shop.checkout.models import Order
from shop.checkout.placing import (
    HOLD,
    PRESCRIPTION_NEEDED,
    Customer,
    cart_needs_prescription,
    needs_prescription,
    place_order,
    products_needing_acknowledgement,
    validate_checkout,
)
from shop.checkout.states import OPEN, OrderState
from shop.database import utcnow
from shop.delivery.rules import AddressData
from shop.delivery.service import same_delivery, stripe_shipping
from shop.errors import ShopError
from shop.extensions import db
from shop.payments.gateway import (
    CheckoutDiscount,
    CheckoutLine,
    PaymentError,
    ShippingRate,
    gateway,
)
from shop.prescriptions import files as prescription_files
from shop.prescriptions.files import CheckedUpload

__all__ = [
    "HOLD",
    "PRESCRIPTION_NEEDED",
    "WAITING_NOTE",
    "CheckoutResult",
    "Customer",
    "ExpiryReport",
    "abandon_order",
    "cancel_order",
    "cart_needs_prescription",
    "checkout",
    "complete_order",
    "expire_overdue",
    "flag_order",
    "key_matches",
    "mark_paid",
    "needs_prescription",
    "order_for_session",
    "place_order",
    "products_needing_acknowledgement",
    "resume_payment",
    "send_confirmation",
    "start_payment",
    "status_key",
    "status_link",
    "take_out_of_cart",
    "validate_checkout",
]

log = logging.getLogger(__name__)

# An open order is reused only while enough of its hold is left to pay in peace.
REUSE_MARGIN = timedelta(minutes=5)
SHIPPING_NAME = "Standard delivery"  # the shipping option's name on the payment page
UNAVAILABLE = (
    "We could not reach our payment provider, so nothing was charged and your cart is as "
    "it was. Please try again in a minute."
)


@dataclass(frozen=True)
class CheckoutResult:
    url: str  # where to send the shopper: Stripe's page, or the order when nothing is due
    order: Order


def checkout(
    cart: Cart,
    customer: Customer,
    *,
    acknowledged: bool,
    client_ip: str | None = None,
    now: datetime | None = None,
    delivery: AddressData | None = None,
    prescription: CheckedUpload | None = None,
    **details: Any,
) -> CheckoutResult:
    """Place an order for the cart and start its payment, or resume the cart's open one.

    Concurrent submits of one cart run one after the other (the cart's row is locked),
    so the second finds the first's order: when the cart is unchanged it gets the same
    order and Stripe session; when it changed, the old order is abandoned (asking Stripe
    first) and a new one placed. Stripe is only called outside the locking transaction.
    Commits; raises ShopError with the reason (holds released, cart untouched).
    `details` are further plain values for `place_order` named like the order's columns
    (a delivery address, say); an open order differing in any of them is not reused.
    """
    for _ in range(3):
        now_ = now or utcnow()
        cart_service.lock_cart(cart.id)
        open_orders = _open_orders(cart.id)
        if not open_orders:
            order = _place_and_commit(
                cart,
                customer,
                acknowledged=acknowledged,
                client_ip=client_ip,
                now=now_,
                delivery=delivery,
                prescription=prescription,
                **details,
            )
            return CheckoutResult(start_payment(order), order)
        order = open_orders[-1]
        reusable = (
            len(open_orders) == 1
            and order.hold_expires_at > now_ + REUSE_MARGIN
            and _same_order(order, price_cart(cart, customer.key, now_), customer, details)
            and same_delivery(order, delivery)  # a new address is a new order
        )
        db.session.commit()  # ends the lock: Stripe is never called while holding it
        if reusable:
            url = resume_payment(order)
            if url is not None:
                return CheckoutResult(url, order)
            continue  # its session is gone: it was abandoned, place a new one
        for old in open_orders:
            _abandon_for_new_checkout(old)
    raise ShopError(409, "Your cart changed while we were placing the order. Please try again.")


def _place_and_commit(cart: Cart, customer: Customer, *, prescription, **options) -> Order:
    """Place the order and commit; a prescription file is stored first and removed
    again when the order is refused or its transaction fails."""
    stored = prescription_files.store(prescription) if prescription is not None else None
    try:
        order = place_order(cart, customer, prescription=stored, **options)
        db.session.commit()
    except BaseException:
        db.session.rollback()
        if stored is not None:
            prescription_files.remove(stored.key)
        raise
    return order


def _open_orders(cart_id: int) -> list[Order]:
    return db.session.scalars(
        select(Order)
        .where(
            Order.cart_id == cart_id,
            Order.state == OrderState.PENDING_PAYMENT,
            # one flagged for review (say, a tampered amount) is left to staff
            Order.needs_review.is_(False),
        )
        .order_by(Order.id)
    ).all()


def _same_order(order: Order, view: CartView, customer: Customer, details: dict[str, Any]) -> bool:
    """Is the open order what this cart would buy now: same lines, unit prices, coupon, buyer?

    Compared without re-validating the cart: the open order's own holds (its stock, its
    use of a once-per-customer coupon) would otherwise count against it.
    """
    in_cart = {
        item.line.variant_id: (item.line.quantity, item.priced.unit_price if item.priced else None)
        for item in view.items
    }
    ordered = {line.variant_id: (line.quantity, line.unit_price) for line in order.lines}
    return (
        in_cart == ordered
        and order.coupon_code == view.cart.coupon_code
        and order.email == customer.email
        and order.user_id == customer.user_id
        and all(getattr(order, name) == value for name, value in details.items())
    )


def _abandon_for_new_checkout(order: Order) -> None:
    try:
        abandon_order(order, actor="system", note="Replaced: the shopper checked out again.")
    except PaymentError as error:
        db.session.rollback()
        raise ShopError(503, UNAVAILABLE) from error
    db.session.commit()
    if order.state in OPEN:  # Stripe is still clearing a delayed payment for it
        raise ShopError(
            409,
            f"Your earlier order {order.number} is waiting for its payment to clear. "
            "We will e-mail you when it does; check out again after that.",
        )
    if order.state != OrderState.CANCELLED:  # it was paid after all
        raise ShopError(
            409,
            f"Your earlier order {order.number} has just been paid. Your cart now holds "
            "only what was not in it; review it before checking out again.",
        )


def resume_payment(order: Order) -> str | None:
    """The URL to pay an open order: its Checkout Session while that is still open.

    None when the order can no longer be paid this way (it is abandoned then, or was
    completed: then the caller looks again and sees it is not open any more).
    """
    if order.stripe_session_id is None:
        # The request that placed it is creating the session right now; asking with the
        # same idempotency key gets the same one. On failure that request decides.
        return start_payment(order, abandon_on_failure=False)
    try:
        session = gateway().retrieve_session(order.stripe_session_id)
    except PaymentError as error:
        raise ShopError(503, UNAVAILABLE) from error
    if session.get("status") == "open":
        return order.stripe_session_url
    if session.get("status") == "complete":
        complete_order(session, actor="shopper")
        db.session.commit()
        if order.state != OrderState.CANCELLED:
            return status_url(order)
        return None
    cancel_order(order, actor="system", note="The checkout session had expired.")
    db.session.commit()
    return None


def start_payment(order: Order, *, abandon_on_failure: bool = True) -> str:
    """Create the Stripe Checkout Session for a placed order; its URL to redirect to.

    On failure the order is abandoned and its holds released (committed), and
    ShopError(503) is raised: the shopper keeps the cart and sees why.
    """
    rx = prescription_files.prescription_of(order.id) is not None
    if order.total == 0:
        if rx:
            from shop.prescriptions.service import authorise_without_payment

            authorise_without_payment(order, actor="system")
        else:
            mark_paid(order, actor="system", note="Nothing to pay.", payment_intent=None)
        db.session.commit()
        return status_url(order)
    base = current_app.config["SHOP_BASE_URL"]
    try:
        session = gateway().create_checkout_session(
            order_number=order.number,
            lines=_stripe_lines(order),
            email=order.email,
            expires_at=int(order.hold_expires_at.timestamp()),
            success_url=base + url_for("checkout.success") + "?session_id={CHECKOUT_SESSION_ID}",
            cancel_url=base + url_for("checkout.cancel", order=order.number),
            shipping=stripe_shipping(order),
            discount=_stripe_discount(order),
            shipping_rate=ShippingRate(name=SHIPPING_NAME, amount=order.shipping),
            manual_capture=rx,  # a pharmacist decides before the money is taken
        )
    except PaymentError as error:
        log.warning("order %s: could not start payment: %s", order.number, error)
        db.session.rollback()
        try:
            if abandon_on_failure:
                abandon_order(order, actor="system", note=f"Payment could not start: {error}")
                db.session.commit()
        except PaymentError:
            db.session.rollback()  # it has a session we cannot ask about: the hold ends it
        raise ShopError(503, UNAVAILABLE) from error
    # Stored only while the order is still open; the same values when two requests race.
    stored = db.session.execute(
        update(Order)
        .where(Order.id == order.id, Order.state == OrderState.PENDING_PAYMENT)
        .values(stripe_session_id=session.id, stripe_session_url=session.url)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    if stored.rowcount != 1:
        raise ShopError(409, "This order was closed meanwhile. Please check out again.")
    return session.url


def _stripe_lines(order: Order) -> list[CheckoutLine]:
    """The order's lines at their price, the quantity given once as Stripe's own.

    The coupon and shipping go to Stripe separately (`_stripe_discount`, the shipping
    rate), so its page shows the same breakdown as the shop: items, coupon, shipping,
    total; Stripe's total is items − coupon + shipping, which is the order total.
    """
    return [
        CheckoutLine(
            name=f"{line.product_name} — {line.variant_label}",
            unit_amount=line.unit_price,
            quantity=line.quantity,
        )
        for line in order.lines
    ]


def _stripe_discount(order: Order) -> CheckoutDiscount | None:
    if not order.discount:
        return None
    return CheckoutDiscount(name=order.coupon_code or "Discount", amount=order.discount)
