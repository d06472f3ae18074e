"""Placing, paying, completing and abandoning orders: checkout orchestrates.

The holds belong to their domains: stock to `shop.catalog.stock` (`hold_stock` is a
conditional UPDATE, `stock = stock − n WHERE stock >= n`), coupon uses to
`shop.discounts.holds` (`uses = uses + 1 WHERE uses < usage_limit`, then released or
finalised by the redemption's coupon id), cart lines to `shop.cart.service`. Checkout
writes only its own tables and decides the order in which those calls happen.

`checkout` is what `POST /checkout` does: one open order per cart, so a double-submitted
form or a second tab gets the same order and the same Stripe session back.

`complete_order` is the single, idempotent path from "Stripe says paid" to a paid order,
shared by the webhook, the success page and `abandon_order`. Completion wins over
cancellation: `abandon_order` (the cancel page, `expire-orders`, a changed cart) asks
Stripe first and completes an order that was paid instead of cancelling it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from flask import current_app, has_request_context, url_for
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy import exists, func, select, update

from shop.accounts.emails import customer_key
from shop.cart import service as cart_service
from shop.cart.models import Cart
from shop.cart.service import CartView, price_cart
from shop.catalog.stock import hold_stock, release_stock, stock_left
from shop.checkout.models import Order, OrderEvent, OrderLine, looks_like_order_number
from shop.checkout.states import OPEN, OrderState, record, transition
from shop.database import utcnow
from shop.delivery.rules import AddressData
from shop.delivery.service import attach_to_order, same_delivery, stripe_shipping
from shop.discounts.holds import finalise_coupon_use, hold_coupon_use, release_coupon_use
from shop.errors import ShopError
from shop.extensions import db
from shop.invoices.service import issue_invoice
from shop.mail import send_mail
from shop.payments.gateway import CheckoutLine, PaymentError, PaymentRejected, gateway
from shop.pricing.money import format_money
from shop.pricing.units import unit_groups

log = logging.getLogger(__name__)

HOLD = timedelta(minutes=35)  # Stripe lets a Checkout Session live 30 min to 24 h
# An open order is reused only while enough of its hold is left to pay in peace.
REUSE_MARGIN = timedelta(minutes=5)
WAITING_NOTE = "Checkout finished; waiting for the payment to clear."
UNAVAILABLE = (
    "We could not reach our payment provider, so nothing was charged and your cart is as "
    "it was. Please try again in a minute."
)


@dataclass(frozen=True)
class Customer:
    email: str
    user_id: int | None

    @property
    def key(self) -> str:
        """Whom once-per-customer coupons count against: the inbox, signed in or not."""
        return customer_key(self.email)


def products_needing_acknowledgement(view: CartView) -> list[str]:
    return sorted({item.product.name for item in view.items if item.product.warnings.strip()})


def validate_checkout(view: CartView, acknowledged: bool) -> None:
    """Refuse what cannot be bought, with the reason (nothing has been written yet)."""
    if view.cart is None or not view.items:
        raise ShopError(422, "Your cart is empty.")
    blocked = [item for item in view.items if item.priced is None]
    if blocked:
        names = ", ".join(item.product.name for item in blocked)
        raise ShopError(
            409, f"Some items cannot be bought now: {names}. Change or remove them in your cart."
        )
    coupon = view.totals.coupon
    if coupon is not None and not coupon.ok:
        raise ShopError(
            422,
            f"Coupon {view.cart.coupon_code}: {coupon.message} "
            "Remove it from your cart to continue.",
        )
    if products_needing_acknowledgement(view) and not acknowledged:
        raise ShopError(
            422, "Please confirm that you have read the warnings of the products marked below."
        )


def place_order(
    cart: Cart,
    customer: Customer,
    *,
    acknowledged: bool,
    client_ip: str | None = None,
    now: datetime | None = None,
    delivery: AddressData | None = None,
) -> Order:
    """Create the order with its holds in the current transaction (the caller commits).

    `delivery` (checked by the caller, see `shop.delivery.service.checkout_address`) is
    frozen on the order, so later address-book edits never change where it goes.
    """
    now = now or utcnow()
    view = price_cart(cart, customer.key, now)
    validate_checkout(view, acknowledged)
    totals = view.totals
    order = Order(
        user_id=customer.user_id,
        cart_id=cart.id,
        email=customer.email,
        customer_key=customer.key,
        client_ip=client_ip,
        currency=current_app.config["SHOP_CURRENCY"],
        mrp_total=totals.mrp_total,
        subtotal=totals.subtotal,
        discount=totals.discount,
        shipping=totals.shipping,
        tax=totals.tax,
        total=totals.total,
        coupon_code=cart.coupon_code if totals.coupon else None,  # validated as ok above
        hold_expires_at=now + HOLD,
    )
    items = {item.line.id: item for item in view.items}
    for priced in totals.lines:
        item = items[priced.key]
        order.lines.append(
            OrderLine(
                variant_id=item.variant.id,
                product_slug=item.product.slug,
                product_name=item.product.name,
                variant_label=item.variant.label,
                sku=item.variant.sku,
                mrp=priced.mrp,
                list_price=priced.list_price,
                unit_price=priced.unit_price,
                quantity=priced.quantity,
                subtotal=priced.subtotal,
                discount=priced.discount,
                total=priced.total,
                gst_rate=priced.gst_rate,
                tax=priced.tax,
                ref=item.line.ref,
            )
        )
    db.session.add(order)
    db.session.flush()
    if delivery is not None:
        attach_to_order(order, delivery)
    for line in order.lines:
        if not hold_stock(line.variant_id, line.quantity):
            raise ShopError(
                409,
                f"Sorry, only {stock_left(line.variant_id)} of {line.product_name} "
                f"({line.variant_label}) left. Change the quantity in your cart.",
            )
    if order.coupon_code:
        hold_coupon_use(
            order.coupon_code,
            customer_key=order.customer_key,
            order_id=order.id,
            amount=order.discount,
        )
    _check_unpaid_limits(order, now)
    record(
        order,
        actor=_actor(customer),
        note=f"Order placed for {format_money(order.total)}; stock held until "
        f"{order.hold_expires_at:%H:%M} UTC.",
    )
    return order


def _actor(customer: Customer) -> str:
    return f"user:{customer.user_id}" if customer.user_id else f"guest:{customer.email}"


def _check_unpaid_limits(order: Order, now: datetime) -> None:
    """Refuse (429) one more unpaid order from a visitor or address holding enough already.

    Checked after the holds, so a shopper who lost the race for the last unit hears
    "sold out" (409), not "too many orders". Holding stock costs nothing until it is
    paid; these limits keep one visitor from holding a product's whole stock.
    """
    config = current_app.config
    others = (
        Order.id != order.id,
        Order.state == OrderState.PENDING_PAYMENT,
        Order.hold_expires_at > now,
    )
    limits = [
        (Order.customer_key == order.customer_key, config["CHECKOUT_MAX_UNPAID_PER_CUSTOMER"])
    ]
    if order.client_ip:
        limits.append((Order.client_ip == order.client_ip, config["CHECKOUT_MAX_UNPAID_PER_IP"]))
    for same, limit in limits:
        if db.session.scalar(select(func.count()).where(same, *others)) >= limit:
            raise ShopError(
                429,
                "You already have several unpaid orders waiting. Pay or cancel one of them "
                "(or wait until it lapses) before placing another.",
            )


# --- POST /checkout: one open order per cart ------------------------------------------------


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
        open_orders = db.session.scalars(
            select(Order)
            .where(
                Order.cart_id == cart.id,
                Order.state == OrderState.PENDING_PAYMENT,
                # one flagged for review (say, a tampered amount) is left to staff
                Order.needs_review.is_(False),
            )
            .order_by(Order.id)
        ).all()
        if not open_orders:
            order = place_order(
                cart,
                customer,
                acknowledged=acknowledged,
                client_ip=client_ip,
                now=now_,
                delivery=delivery,
                **details,
            )
            db.session.commit()
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
            return url_for("checkout.order_status", number=order.number, key=status_key(order))
        return None
    cancel_order(order, actor="system", note="The checkout session had expired.")
    db.session.commit()
    return None


def start_payment(order: Order, *, abandon_on_failure: bool = True) -> str:
    """Create the Stripe Checkout Session for a placed order; its URL to redirect to.

    On failure the order is abandoned and its holds released (committed), and
    ShopError(503) is raised: the shopper keeps the cart and sees why.
    """
    if order.total == 0:
        _mark_paid(order, actor="system", note="Nothing to pay.", payment_intent=None)
        db.session.commit()
        return url_for("checkout.order_status", number=order.number, key=status_key(order))
    base = current_app.config["SHOP_BASE_URL"]
    # The quantity is the line item's own (never repeated in its name); a coupon's share
    # is already taken off each unit, as the name says, so the items add up to the order
    # total exactly.
    lines = [
        CheckoutLine(
            name=f"{line.product_name} — {line.variant_label}"
            + (f" (coupon {order.coupon_code} applied)" if line.discount else ""),
            unit_amount=unit,
            quantity=units,
        )
        for line in order.lines
        for unit, units in unit_groups(line.total, line.quantity)
    ]
    if order.shipping:
        lines.append(CheckoutLine(name="Shipping", unit_amount=order.shipping, quantity=1))
    try:
        session = gateway().create_checkout_session(
            order_number=order.number,
            lines=lines,
            email=order.email,
            expires_at=int(order.hold_expires_at.timestamp()),
            success_url=base + url_for("checkout.success") + "?session_id={CHECKOUT_SESSION_ID}",
            cancel_url=base + url_for("checkout.cancel", order=order.number),
            shipping=stripe_shipping(order),
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


# --- completing and abandoning ---------------------------------------------------------------


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
        if order.state == OrderState.PENDING_PAYMENT:
            first = _record_once(order, actor, WAITING_NOTE)
            if first and session.get("status") == "complete":
                # A bank transfer that is still clearing: the shopper has finished, so
                # the cart empties now, as it does for a card payment.
                _take_out_of_cart(order)
        return order
    if order.state not in (OrderState.PENDING_PAYMENT, OrderState.CANCELLED):
        if payment_intent and not order.stripe_payment_intent:
            order.stripe_payment_intent = payment_intent  # an older order, paid without it
            db.session.flush()
        return order  # already paid (or later): nothing to do
    expected = (order.total, order.currency.lower())
    received = (session.get("amount_total"), (session.get("currency") or "").lower())
    if received != expected:
        _flag(
            order,
            actor,
            f"Stripe reported {received[0]} {received[1]} but the order is "
            f"{expected[0]} {expected[1]}: not marked paid.",
        )
        return order
    if order.state == OrderState.CANCELLED:
        # Should not happen any more (abandoning asks Stripe first); keep the money traceable.
        order.stripe_payment_intent = payment_intent or order.stripe_payment_intent
        _flag(
            order,
            actor,
            "Payment arrived after the order was cancelled: refund or fulfil it by hand.",
        )
        return order
    _mark_paid(
        order,
        actor=actor,
        note=f"Paid {format_money(order.total)} through Stripe.",
        payment_intent=payment_intent,
    )
    return order


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


def _mark_paid(order: Order, *, actor: str, note: str, payment_intent: str | None) -> None:
    if not transition(order, OrderState.PAID, actor=actor, note=note):
        return
    order.stripe_payment_intent = payment_intent
    # The tax invoice is issued in this same transaction: paid once, invoiced once, and a
    # rollback gives its number back (no gap in the series).
    issue_invoice(order)
    finalise_coupon_use(order.id)
    if order.cart_id and not _has_note(order, WAITING_NOTE):  # else emptied while it cleared
        _take_out_of_cart(order)
    send_confirmation(order)
    db.session.flush()


def _take_out_of_cart(order: Order) -> None:
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


# --- the customer's view -------------------------------------------------------------------


def _status_serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="order-status-link")


def status_key(order: Order) -> str:
    """The key of a guest's order-status link: signed, dated, valid ORDER_LINK_MAX_AGE."""
    return _status_serializer().dumps(order.number)


def key_matches(order: Order, key: str | None) -> bool:
    if not key or len(key) > 200:
        return False
    try:
        number = _status_serializer().loads(key, max_age=current_app.config["ORDER_LINK_MAX_AGE"])
    except BadSignature:  # forged, from before links were dated, or expired
        return False
    return number == order.number


def _status_path(order: Order, endpoint: str = "checkout.order_status") -> str:
    """The order-status link's path, also from `expire-orders` (no request there).

    With `endpoint="invoices.invoice_page"`, the same signed link to the order's invoice.
    """
    if has_request_context():
        return url_for(endpoint, number=order.number, key=status_key(order))
    with current_app.test_request_context():
        return url_for(endpoint, number=order.number, key=status_key(order))


def breakdown_text(order: Order) -> str:
    """The order's lines at their price, then subtotal, coupon, shipping and total: the
    same breakdown as the checkout and order pages, in plain text."""
    rows = [
        f"  {line.quantity} × {line.product_name} ({line.variant_label})  "
        f"{format_money(line.subtotal)}"
        for line in order.lines
    ]
    rows.append(f"\nSubtotal: {format_money(order.subtotal)}")
    if order.discount:
        rows.append(f"Coupon {order.coupon_code}: −{format_money(order.discount)}")
    rows.append(f"Shipping: {format_money(order.shipping) if order.shipping else 'free'}")
    rows.append(f"Total paid: {format_money(order.total)} (includes GST {format_money(order.tax)})")
    return "\n".join(rows)


def send_confirmation(order: Order) -> None:
    link = current_app.config["SHOP_BASE_URL"] + _status_path(order)
    invoice = current_app.config["SHOP_BASE_URL"] + _status_path(order, "invoices.invoice_page")
    send_mail(
        order.email,
        f"Your Remedy Shop order {order.number}",
        f"Thank you for your order {order.number}.\n\n{breakdown_text(order)}\n\n"
        f"Follow your order here:\n{link}\n\n"
        f"Your tax invoice:\n{invoice}\n\n"
        "Read each product's label before use, and ask a doctor or pharmacist if you are "
        "unsure whether it is right for you.\n",
    )
