"""Placing an order: check the cart, freeze its prices on an order, hold stock and coupon.

The holds belong to their domains: stock to `shop.catalog.stock` (`hold_stock` is a
conditional UPDATE, `stock = stock − n WHERE stock >= n`), coupon uses to
`shop.discounts.holds` (`uses = uses + 1 WHERE uses < usage_limit`). Placing writes only
checkout's own tables besides those calls, all in the caller's transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import exists, func, select

from shop.accounts.emails import customer_key
from shop.attribution.orders import articles_for_lines
from shop.cart.models import Cart, CartLine
from shop.cart.service import CartView, price_cart
from shop.catalog.models import Product, Variant
from shop.catalog.stock import hold_stock, stock_left
from shop.checkout.limits import check_purchase_limits
from shop.checkout.models import Order, OrderLine
from shop.checkout.states import OrderState, record
from shop.database import utcnow
from shop.delivery.rules import AddressData
from shop.delivery.service import attach_to_order
from shop.discounts.holds import hold_coupon_use
from shop.errors import ShopError
from shop.extensions import db
from shop.localtime import localtime
from shop.prescriptions import files as prescription_files
from shop.prescriptions.files import StoredUpload
from shop.pricing.money import format_money

HOLD = timedelta(minutes=35)  # Stripe lets a Checkout Session live 30 min to 24 h


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
    prescription: StoredUpload | None = None,
) -> Order:
    """Create the order with its holds in the current transaction (the caller commits).

    `delivery` (checked by the caller, see `shop.delivery.service.checkout_address`) is
    frozen on the order, so later address-book edits never change where it goes.
    A cart with a prescription medicine needs `prescription`, the upload already
    checked and stored by `checkout` (`shop.prescriptions.files`).
    """
    now = now or utcnow()
    view = price_cart(cart, customer.key, now)
    validate_checkout(view, acknowledged)
    if needs_prescription(view) and prescription is None:
        raise ShopError(422, PRESCRIPTION_NEEDED)
    check_purchase_limits(
        _units_per_product(view),
        {item.product.id: item.product for item in view.items},
        user_id=customer.user_id,
        customer_key=customer.key,
        phone=delivery.phone if delivery else None,
        now=now,
    )
    order = _order_from(view, customer, client_ip=client_ip, now=now)
    db.session.add(order)
    db.session.flush()
    if delivery is not None:
        attach_to_order(order, delivery)
    _hold(order)
    _check_unpaid_limits(order, now)
    if prescription is not None and needs_prescription(view):
        prescription_files.attach(order.id, prescription)
    record(
        order,
        actor=_actor(customer),
        note=f"Order placed for {format_money(order.total)}; stock held until "
        f"{localtime(order.hold_expires_at, '%H:%M %Z')}.",
    )
    return order


PRESCRIPTION_NEEDED = (
    "Your cart holds a prescription medicine: upload your prescription to continue."
)


def needs_prescription(view: CartView) -> bool:
    return any(item.product.prescription_required for item in view.items)


def cart_needs_prescription(cart_id: int) -> bool:
    """Whether the cart holds a prescription medicine (one query, before any pricing)."""
    return bool(
        db.session.scalar(
            select(
                exists().where(
                    CartLine.cart_id == cart_id,
                    Variant.id == CartLine.variant_id,
                    Product.id == Variant.product_id,
                    Product.prescription_required.is_(True),
                )
            )
        )
    )


def _units_per_product(view: CartView) -> dict[int, int]:
    units: dict[int, int] = {}
    for item in view.items:
        units[item.product.id] = units.get(item.product.id, 0) + item.line.quantity
    return units


def _order_from(view: CartView, customer: Customer, *, client_ip: str | None, now) -> Order:
    """The (unsaved) order with the cart's lines at the prices just worked out."""
    totals = view.totals
    order = Order(
        user_id=customer.user_id,
        cart_id=view.cart.id,
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
        coupon_code=view.cart.coupon_code if totals.coupon else None,  # validated as ok
        hold_expires_at=now + HOLD,
    )
    items = {item.line.id: item for item in view.items}
    attributed = articles_for_lines([item.line for item in view.items], now)
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
                article_id=attributed.get(priced.key, (None, None))[0],
                article_pos=attributed.get(priced.key, (None, None))[1],
            )
        )
    return order


def _hold(order: Order) -> None:
    """Hold the order's stock and coupon use; 409 (rolled back by the caller) when short."""
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
