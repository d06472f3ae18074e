"""Cart pages and forms (SPEC §4): GET /cart and POST /cart/add|update|remove|coupon."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, request, url_for
from flask_login import current_user

from shop.attribution.tracking import count_add, ref_for_add
from shop.cart import service
from shop.database import utcnow
from shop.errors import ShopError
from shop.extensions import db, limiter
from shop.layout import render_personal_page
from shop.pricing.money import format_money

bp = Blueprint("cart", __name__, url_prefix="/cart")


def wants_json() -> bool:
    return request.accept_mimetypes.best == "application/json"


def customer_key() -> str | None:
    """Who the per-customer coupon limit counts against, when we know (else at checkout)."""
    return current_user.customer_key if current_user.is_authenticated else None


def render_cart(status: int = 200, error: str | None = None):
    """The cart page; it writes only when a price changed since the shopper last saw it."""
    view = service.price_cart(service.cart_snapshot(), customer_key())
    service.attach_images(view)
    service.remember_count_value(view.item_count)  # before the header shows it
    html = render_personal_page("cart/cart.html", view=view, error=error)
    # Commit after rendering: committing first would expire the signed-in shopper's
    # account, which the page header reads.
    if status == 200 and service.acknowledge_prices(view):
        db.session.commit()
    return html, status


def refuse(error: ShopError):
    """Answer a refused change: nothing is written, the reason is shown."""
    db.session.rollback()
    if wants_json():
        return {"ok": False, "error": error.message}, error.status
    return render_cart(error.status, error.message)


@bp.get("")
def show():
    return render_cart()


@bp.post("/add")
def add():
    try:
        variant_id = service.parse_id(request.form.get("variant_id"), "variant_id")
        quantity = service.parse_quantity(request.form.get("quantity", "1"), allow_zero=False)
        came_from = ref_for_add(service.parse_ref(request.form.get("ref")), request.form.get("pos"))
        added = service.add_item(
            variant_id,
            quantity,
            came_from.slug if came_from else None,
            utcnow(),
            ref_pos=came_from.pos if came_from else None,
            ref_at=came_from.at if came_from else None,
        )
    except ShopError as error:
        return refuse(error)
    db.session.commit()
    count_add(came_from)
    service.remember_count_value(added.count)
    variant = f" ({added.label})" if added.label else ""
    message = f"Added {quantity} × {added.name}{variant} to your cart."
    if wants_json():
        return {"ok": True, "message": message, "count": added.count}
    flash(message, "success")
    return redirect(url_for("cart.show"), 303)


@bp.post("/update")
def update():
    try:
        line_id = service.parse_id(request.form.get("line_id"), "line_id")
        quantity = service.parse_quantity(request.form.get("quantity"), allow_zero=True)
        cart = service.current_cart()
        service.update_line(cart, line_id, quantity)
    except ShopError as error:
        return refuse(error)
    service.remember_count(cart)
    db.session.commit()
    flash("Your cart was updated.", "success")
    return redirect(url_for("cart.show"), 303)


@bp.post("/remove")
def remove():
    try:
        line_id = service.parse_id(request.form.get("line_id"), "line_id")
        cart = service.current_cart()
        service.remove_line(cart, line_id)
    except ShopError as error:
        return refuse(error)
    service.remember_count(cart)
    db.session.commit()
    flash("The item was removed.", "success")
    return redirect(url_for("cart.show"), 303)


def _coupon_refused(response) -> bool:
    return response.status_code != 303


# Codes are guessable: count each refused code against the visitor's address, so trying
# hundreds takes days, while a shopper with a typo or two is never in the way.
@bp.post("/coupon")
@limiter.limit(
    "10 per 10 minutes;30 per day",
    deduct_when=_coupon_refused,
    error_message="Too many coupon codes tried. Wait a few minutes before trying another.",
)
def coupon():
    try:
        cart = service.current_cart()
        if cart is None or not cart.lines:
            raise ShopError(422, "Add something to your cart before using a coupon.")
        result = service.apply_coupon(cart, request.form.get("code", ""), customer_key(), utcnow())
    except ShopError as error:
        return refuse(error)
    db.session.commit()
    saved = format_money(result.discount)
    flash(f"Coupon {cart.coupon_code} applied: you save {saved}.", "success")
    return redirect(url_for("cart.show"), 303)


@bp.post("/coupon/remove")
def coupon_remove():
    service.remove_coupon(service.current_cart())
    db.session.commit()
    flash("The coupon was removed.", "success")
    return redirect(url_for("cart.show"), 303)
