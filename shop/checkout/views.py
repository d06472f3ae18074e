"""Checkout (review, place, success, cancel) and the customer's order pages."""

from __future__ import annotations

import re

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_limiter.util import get_remote_address
from flask_login import current_user, login_required
from sqlalchemy import select

from shop.accounts.emails import parse_email
from shop.cart import service as cart_service
from shop.checkout import service
from shop.checkout.models import Order, looks_like_order_number
from shop.checkout.service import Customer
from shop.checkout.states import OPEN, OrderState, shopper_label
from shop.delivery import service as delivery
from shop.delivery.rules import AddressInvalid
from shop.delivery.views import checkout_context as delivery_context
from shop.errors import ShopError
from shop.extensions import db, limiter
from shop.localtime import localtime
from shop.payments.gateway import PaymentError, gateway
from shop.prescriptions.files import FIELD as PRESCRIPTION_FIELD
from shop.prescriptions.files import check_upload

bp = Blueprint("checkout", __name__)
bp.add_app_template_filter(shopper_label, "order_state_label")

SESSION_ID_RE = re.compile(r"^cs_[A-Za-z0-9_]{1,250}$")


def _customer_key() -> str | None:
    return current_user.customer_key if current_user.is_authenticated else None


def _review(status: int = 200, error: str | None = None, email: str = "", delivery_errors=None):
    cart = cart_service.current_cart()
    view = cart_service.price_cart(cart, _customer_key())
    return render_template(
        "checkout/review.html",
        view=view,
        error=error,
        email=email,
        warned=service.products_needing_acknowledgement(view),
        prescription_needed=service.needs_prescription(view),
        **delivery_context(request.form if request.method == "POST" else None, delivery_errors),
    ), status


@bp.get("/checkout")
def review():
    cart = cart_service.current_cart()
    if cart is None or not cart.lines:
        flash("Your cart is empty.", "notice")
        return redirect(url_for("cart.show"))
    return _review()


def _visitor() -> str:
    """Whose checkout submits are counted: the account, else the guest's cart."""
    if current_user.is_authenticated:
        return f"user:{current_user.id}"
    token = session.get(cart_service.SESSION_TOKEN)
    return f"cart:{token}" if token else f"ip:{get_remote_address()}"


@bp.post("/checkout")
@limiter.limit(lambda: current_app.config["CHECKOUT_RATE_LIMIT"], key_func=_visitor)
@limiter.limit(lambda: current_app.config["CHECKOUT_IP_RATE_LIMIT"])
def place():
    email = (request.form.get("email") or "").strip()
    if current_user.is_authenticated:
        customer = Customer(email=current_user.email, user_id=current_user.id)
    else:
        try:
            email = parse_email(email)  # the accounts' validator: one rule everywhere
        except ShopError:
            return _review(422, "Enter a valid e-mail address for your receipt.", email)
        customer = Customer(email=email, user_id=None)
    # The delivery address is checked (and an unserved pincode refused) before any hold.
    try:
        address, _ = delivery.checkout_address(request.form, customer.user_id)
    except AddressInvalid as invalid:
        message = "Please correct the delivery details marked below."
        return _review(422, message, email, invalid.errors)
    except ShopError as error:
        return _review(error.status, error.message, email)
    cart = cart_service.current_cart()
    try:
        if cart is None:
            raise ShopError(422, "Your cart is empty.")
        prescription = None
        if service.cart_needs_prescription(cart.id):
            prescription = check_upload(request.files.get(PRESCRIPTION_FIELD))
        result = service.checkout(
            cart,
            customer,
            acknowledged=request.form.get("acknowledge") == "yes",
            client_ip=request.remote_addr,
            delivery=address,
            prescription=prescription,
        )
    except ShopError as error:
        db.session.rollback()
        return _review(error.status, error.message, email)
    if customer.user_id and request.form.get("address_id", "new") in ("", "new"):
        delivery.remember_address(customer.user_id, address)  # for the next checkout
        db.session.commit()
    return redirect(result.url, 303)


@bp.get("/checkout/success")
def success():
    session_id = request.args.get("session_id", "")
    if not SESSION_ID_RE.match(session_id):
        abort(400, description="The payment reference is missing or malformed.")
    order = db.session.scalar(select(Order).where(Order.stripe_session_id == session_id))
    if order is None:
        abort(404, description="We could not find an order for that payment.")
    if order.state == OrderState.PENDING_PAYMENT:
        try:
            stripe_session = gateway().retrieve_session(session_id)
        except PaymentError:
            stripe_session = None  # the webhook will still complete it
        if stripe_session is not None:
            service.complete_order(stripe_session, actor="shopper")
            db.session.commit()
    cart_service.remember_count(cart_service.current_cart())
    return redirect(
        url_for("checkout.order_status", number=order.number, key=service.status_key(order)), 303
    )


@bp.get("/checkout/cancel")
def cancel():
    number = request.args.get("order", "")
    cart = cart_service.current_cart()
    order = (
        db.session.scalar(select(Order).where(Order.number == number))
        if looks_like_order_number(number)
        else None
    )
    if order is None or cart is None or order.cart_id != cart.id:
        flash("Payment cancelled — nothing was charged. Your cart is as you left it.", "notice")
        return redirect(url_for("cart.show"), 303)
    try:
        if order.state in OPEN:
            # Asks Stripe first: a payment that went through completes the order instead.
            service.abandon_order(order, actor="shopper", note="Payment cancelled by the shopper.")
            db.session.commit()
    except PaymentError:
        db.session.rollback()
        flash(
            "We could not confirm with our payment provider whether you paid. If you did not, "
            f"the items are released by {localtime(order.hold_expires_at, '%H:%M %Z')}; "
            "if you did, "
            "you will get a confirmation e-mail. Your cart is as you left it.",
            "notice",
        )
        return redirect(url_for("cart.show"), 303)
    if order.state == OrderState.CANCELLED:
        flash("Payment cancelled — nothing was charged. Your cart is as you left it.", "notice")
        return redirect(url_for("cart.show"), 303)
    cart_service.remember_count(cart_service.current_cart())
    flash(
        "Your payment went through after all: this order is yours."
        if order.state != OrderState.PENDING_PAYMENT
        else "Your payment is still being processed; we will e-mail you when it clears.",
        "notice",
    )
    return redirect(
        url_for("checkout.order_status", number=order.number, key=service.status_key(order)), 303
    )


# --- orders ----------------------------------------------------------------------------------


@bp.get("/account/orders")
@login_required
def orders():
    mine = db.session.scalars(
        select(Order).where(Order.user_id == current_user.id).order_by(Order.created_at.desc())
    ).all()
    return render_template("checkout/orders.html", orders=mine)


@bp.get("/account/orders/<number>")
def order_status(number: str):
    order = db.session.scalar(select(Order).where(Order.number == number[:20]))
    allowed = order is not None and (
        (current_user.is_authenticated and order.user_id == current_user.id)
        or service.key_matches(order, request.args.get("key"))
    )
    if not allowed:
        abort(404, description="We could not find that order.")
    return render_template("checkout/order.html", order=order)
