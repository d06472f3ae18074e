"""What the customer holds of an order: its signed status link and the confirmation e-mail."""

from __future__ import annotations

from flask import current_app, has_request_context, url_for
from itsdangerous import BadSignature, URLSafeTimedSerializer

from shop.checkout.models import Order
from shop.mail import send_mail
from shop.pricing.money import format_money


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


def status_url(order: Order) -> str:
    """The order-status page's path with its key (within a request)."""
    return url_for("checkout.order_status", number=order.number, key=status_key(order))


def status_link(order: Order) -> str:
    """The absolute order-status link e-mails carry (signed for guests)."""
    return current_app.config["SHOP_BASE_URL"] + _status_path(order)


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
    link = status_link(order)
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
