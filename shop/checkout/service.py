"""Placing, paying, completing and cancelling orders.

`place_order` runs in the caller's transaction: it re-prices the cart, snapshots the
lines, holds stock with conditional UPDATEs (`stock = stock − n WHERE stock >= n`) and
holds the coupon with another (`uses = uses + 1 WHERE uses < usage_limit`). Those two
statements are what make "no overselling" and "coupon limits" true under concurrent
checkouts: the database decides, row by row, and a loser gets a clear 409.

`complete_order` is the single, idempotent path from "Stripe says paid" to a paid order,
shared by the webhook and the success page.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app, url_for
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import delete, func, select, update

from shop.cart.models import Cart, CartLine
from shop.cart.service import CartView, price_cart
from shop.catalog.models import Variant
from shop.checkout.models import Order, OrderLine
from shop.checkout.states import record, transition
from shop.database import utcnow
from shop.delivery.service import stripe_shipping
from shop.discounts.models import Coupon, CouponRedemption
from shop.errors import ShopError
from shop.extensions import db
from shop.mail import send_mail
from shop.payments.gateway import CheckoutLine, PaymentError, gateway
from shop.pricing.money import format_money

log = logging.getLogger(__name__)

HOLD = timedelta(minutes=35)  # Stripe lets a Checkout Session live 30 min to 24 h


@dataclass(frozen=True)
class Customer:
    email: str
    user_id: int | None

    @property
    def key(self) -> str:
        return f"user:{self.user_id}" if self.user_id else f"email:{self.email.lower()}"


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
    cart: Cart, customer: Customer, *, acknowledged: bool, now: datetime | None = None
) -> Order:
    """Create the order with its holds in the current transaction (the caller commits)."""
    now = now or utcnow()
    view = price_cart(cart, customer.key, now)
    validate_checkout(view, acknowledged)
    totals = view.totals
    order = Order(
        user_id=customer.user_id,
        cart_id=cart.id,
        email=customer.email,
        customer_key=customer.key,
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
    for line in order.lines:
        _hold_stock(line)
    if order.coupon_code:
        _hold_coupon(order)
    record(
        order,
        actor=_actor(customer),
        note=f"Order placed for {format_money(order.total)}; stock held until "
        f"{order.hold_expires_at:%H:%M} UTC.",
    )
    return order


def _actor(customer: Customer) -> str:
    return f"user:{customer.user_id}" if customer.user_id else f"guest:{customer.email}"


def _hold_stock(line: OrderLine) -> None:
    held = db.session.execute(
        update(Variant)
        .where(Variant.id == line.variant_id, Variant.stock >= line.quantity)
        .values(stock=Variant.stock - line.quantity)
        .execution_options(synchronize_session=False)
    )
    if held.rowcount != 1:
        left = db.session.scalar(select(Variant.stock).where(Variant.id == line.variant_id))
        raise ShopError(
            409,
            f"Sorry, only {left or 0} of {line.product_name} "
            f"({line.variant_label}) left. Change the quantity in "
            "your cart.",
        )


def _hold_coupon(order: Order) -> None:
    coupon = db.session.scalar(select(Coupon).where(Coupon.code == order.coupon_code))
    taken = db.session.execute(
        update(Coupon)
        .where(
            Coupon.id == coupon.id,
            (Coupon.usage_limit.is_(None)) | (Coupon.uses < Coupon.usage_limit),
        )
        .values(uses=Coupon.uses + 1)
        .execution_options(synchronize_session=False)
    )
    if taken.rowcount != 1:
        raise ShopError(
            409,
            f"Sorry, {coupon.code} has just been used up. Remove it from your cart to continue.",
        )
    # The UPDATE above locks the coupon's row until commit, so this count cannot race.
    if coupon.per_customer_limit is not None:
        used = db.session.scalar(
            select(func.count()).where(
                CouponRedemption.coupon_id == coupon.id,
                CouponRedemption.customer_key == order.customer_key,
                CouponRedemption.state.in_((CouponRedemption.HELD, CouponRedemption.FINAL)),
            )
        )
        if used >= coupon.per_customer_limit:
            raise ShopError(
                409,
                f"You have already used {coupon.code} as often as "
                "allowed. Remove it from your cart to continue.",
            )
    db.session.add(
        CouponRedemption(
            coupon_id=coupon.id,
            customer_key=order.customer_key,
            order_id=order.id,
            amount=order.discount,
        )
    )
    db.session.flush()


def start_payment(order: Order) -> str:
    """Create the Stripe Checkout Session for a placed order; its URL to redirect to.

    On failure the order is cancelled and its holds released (committed), and
    ShopError(503) is raised: the shopper keeps the cart and sees why.
    """
    if order.total == 0:
        _mark_paid(order, actor="system", note="Nothing to pay.", payment_intent=None)
        db.session.commit()
        return url_for("checkout.order_status", number=order.number, key=status_key(order))
    base = current_app.config["SHOP_BASE_URL"]
    lines = [
        CheckoutLine(
            name=f"{line.product_name} — {line.variant_label} × {line.quantity}",
            unit_amount=line.total,
            quantity=1,
        )
        for line in order.lines
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
        cancel_order(order, actor="system", note=f"Payment could not start: {error}")
        db.session.commit()
        raise ShopError(
            503,
            "We could not reach our payment provider, so nothing was "
            "charged and your cart is as it was. Please try again in "
            "a minute.",
        ) from error
    order.stripe_session_id = session.id
    order.stripe_session_url = session.url
    db.session.commit()
    return session.url


# --- completing and cancelling -------------------------------------------------------------


def order_for_session(session: dict) -> Order | None:
    number = session.get("client_reference_id") or (session.get("metadata") or {}).get(
        "order_number"
    )
    if not number:
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
    if session.get("payment_status") != "paid":
        if order.state == "pending_payment":
            record(order, actor=actor, note="Checkout finished; waiting for the payment to clear.")
        return order
    if order.state not in ("pending_payment", "cancelled"):
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
    if order.state == "cancelled":
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
        payment_intent=session.get("payment_intent"),
    )
    return order


def _flag(order: Order, actor: str, note: str) -> None:
    if not order.needs_review:
        order.needs_review = True
        record(order, actor=actor, note=note)
        log.error("order %s needs review: %s", order.number, note)


def _mark_paid(order: Order, *, actor: str, note: str, payment_intent: str | None) -> None:
    if not transition(order, "paid", actor=actor, note=note):
        return
    order.stripe_payment_intent = payment_intent
    db.session.execute(
        update(CouponRedemption)
        .where(
            CouponRedemption.order_id == order.id, CouponRedemption.state == CouponRedemption.HELD
        )
        .values(state=CouponRedemption.FINAL, updated_at=utcnow())
    )
    if order.cart_id:
        db.session.execute(delete(CartLine).where(CartLine.cart_id == order.cart_id))
        db.session.execute(update(Cart).where(Cart.id == order.cart_id).values(coupon_code=None))
    send_confirmation(order)
    db.session.flush()


def cancel_order(order: Order, *, actor: str, note: str) -> bool:
    """Cancel an unpaid order and give its stock and coupon back (once)."""
    if order.state != "pending_payment" or not transition(
        order, "cancelled", actor=actor, note=note
    ):
        return False
    for line in order.lines:
        if line.variant_id is not None:
            db.session.execute(
                update(Variant)
                .where(Variant.id == line.variant_id)
                .values(stock=Variant.stock + line.quantity)
                .execution_options(synchronize_session=False)
            )
    released = db.session.execute(
        update(CouponRedemption)
        .where(
            CouponRedemption.order_id == order.id, CouponRedemption.state == CouponRedemption.HELD
        )
        .values(state=CouponRedemption.RELEASED, updated_at=utcnow())
    )
    if released.rowcount and order.coupon_code:
        db.session.execute(
            update(Coupon)
            .where(Coupon.code == order.coupon_code)
            .values(uses=Coupon.uses - released.rowcount)
        )
    db.session.flush()
    return True


def expire_overdue(now: datetime | None = None) -> list[str]:
    """Cancel unpaid orders whose hold has run out; the numbers of those cancelled."""
    now = now or utcnow()
    overdue = db.session.scalars(
        select(Order).where(
            Order.state == "pending_payment",
            Order.needs_review.is_(False),
            Order.hold_expires_at < now,
        )
    ).all()
    cancelled = []
    for order in overdue:
        if order.stripe_session_id:
            try:
                gateway().expire_session(order.stripe_session_id, order.number)
            except PaymentError as error:
                log.info("order %s: session not expired at Stripe: %s", order.number, error)
        if cancel_order(order, actor="system", note="Payment hold expired."):
            cancelled.append(order.number)
    return cancelled


# --- the customer's view -------------------------------------------------------------------


def _status_serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="order-status")


def status_key(order: Order) -> str:
    return _status_serializer().dumps(order.number)


def key_matches(order: Order, key: str | None) -> bool:
    if not key or len(key) > 200:
        return False
    try:
        return _status_serializer().loads(key) == order.number
    except BadSignature:
        return False


def send_confirmation(order: Order) -> None:
    base = current_app.config["SHOP_BASE_URL"]
    link = base + url_for("checkout.order_status", number=order.number, key=status_key(order))
    lines = "\n".join(
        f"  {line.quantity} × {line.product_name} ({line.variant_label})  "
        f"{format_money(line.total)}"
        for line in order.lines
    )
    send_mail(
        order.email,
        f"Your Remedy Shop order {order.number}",
        f"Thank you for your order {order.number}.\n\n{lines}\n\n"
        f"Shipping: {format_money(order.shipping) if order.shipping else 'free'}\n"
        f"Total paid: {format_money(order.total)} (includes GST {format_money(order.tax)})\n\n"
        f"Follow your order here:\n{link}\n\n"
        "Read each product's label before use, and ask a doctor or pharmacist if you are "
        "unsure whether it is right for you.\n",
    )
