"""Cart operations: find the cart, add, change, remove, coupons, merge, and price it.

Views translate HTTP into these calls; every rule about quantities, stock and coupons is
here, every rule about money is in `shop.pricing.engine`. Functions add to the session
and flush but never commit: the view commits once, at the edge of the request.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime

from flask import session
from flask_login import current_user
from sqlalchemy import delete, select, update
from sqlalchemy.orm import joinedload

from shop.cart.models import Cart, CartLine
from shop.catalog.models import Product, Variant
from shop.database import utcnow
from shop.discounts import service as discounts
from shop.errors import ShopError
from shop.extensions import db
from shop.pricing import engine
from shop.pricing.money import format_money

SESSION_TOKEN = "cart_token"
SESSION_COUNT = "cart_count"
MAX_DIGITS = 9
SLUG_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


# --- reading form values -------------------------------------------------------------


def parse_id(raw: str | None, name: str) -> int:
    value = (raw or "").strip()
    if not value.isascii() or not value.isdigit() or len(value) > MAX_DIGITS:
        raise ShopError(400, f"'{name}' must be a whole number identifying the item.")
    return int(value)


def parse_quantity(raw: str | None, *, allow_zero: bool) -> int:
    value = (raw or "").strip()
    if not re.fullmatch(r"[+-]?[0-9]+", value):
        raise ShopError(400, "The quantity must be a whole number.")
    if len(value.lstrip("+-")) > MAX_DIGITS:
        raise ShopError(422, "That quantity is far more than we can sell in one order.")
    quantity = int(value)
    lowest = 0 if allow_zero else 1
    if quantity < lowest:
        raise ShopError(422, f"The quantity must be at least {lowest}.")
    return quantity


def parse_ref(raw: str | None) -> str | None:
    value = (raw or "").strip()
    if not value:
        return None
    if len(value) > 160 or not SLUG_RE.match(value):
        raise ShopError(400, "The article reference is not valid.")
    return value


# --- finding the cart ------------------------------------------------------------------


def current_cart(*, create: bool = False) -> Cart | None:
    """The visitor's cart: the account's when signed in, else the one whose random
    token the signed session holds; made on demand."""
    if current_user.is_authenticated:
        return cart_for_user(current_user.id, create=create)
    token = session.get(SESSION_TOKEN)
    cart = None
    if token:
        cart = db.session.scalar(select(Cart).where(Cart.token == token, Cart.user_id.is_(None)))
    if cart is None and create:
        cart = Cart()
        db.session.add(cart)
        db.session.flush()
        session[SESSION_TOKEN] = cart.token
    return cart


def cart_for_user(user_id: int, *, create: bool) -> Cart | None:
    cart = db.session.scalar(select(Cart).where(Cart.user_id == user_id))
    if cart is None and create:
        cart = Cart(user_id=user_id)
        db.session.add(cart)
        db.session.flush()
    return cart


def remember_count(cart: Cart | None) -> None:
    """Keep the header's item count in the session so pages need no query for it."""
    session[SESSION_COUNT] = cart.item_count if cart else 0


# --- changing the cart ------------------------------------------------------------------


def _sellable_variant(variant_id: int) -> Variant:
    variant = db.session.scalar(
        select(Variant).where(Variant.id == variant_id).options(joinedload(Variant.product))
    )
    if variant is None or not variant.product.active:
        raise ShopError(404, "That product is not available.")
    return variant


def _check_limits(variant: Variant, quantity: int) -> None:
    limit = variant.product.max_per_order
    if quantity > limit:
        raise ShopError(422, f"You can buy at most {limit} of {variant.product.name} in one order.")
    if variant.stock <= 0:
        raise ShopError(409, f"{variant.product.name} ({variant.label}) is out of stock.")
    if quantity > variant.stock:
        raise ShopError(
            409, f"Only {variant.stock} of {variant.product.name} ({variant.label}) left."
        )


def add_item(
    cart: Cart, variant_id: int, quantity: int, ref: str | None, now: datetime
) -> CartLine:
    """Add `quantity` of a variant; an existing line grows instead of duplicating."""
    variant = _sellable_variant(variant_id)
    line = next((x for x in cart.lines if x.variant_id == variant.id), None)
    _check_limits(variant, quantity + (line.quantity if line else 0))
    price = unit_price(variant, now)
    if line is None:
        line = CartLine(variant=variant, quantity=quantity, ref=ref, price_seen=price)
        cart.lines.append(line)
    else:
        line.quantity += quantity
        line.ref = line.ref or ref
        line.price_seen = price
    db.session.flush()
    return line


def _own_line(cart: Cart | None, line_id: int) -> CartLine:
    line = next((x for x in cart.lines if x.id == line_id), None) if cart else None
    if line is None:
        raise ShopError(404, "That item is not in your cart.")
    return line


def update_line(cart: Cart | None, line_id: int, quantity: int) -> None:
    """Set a line's quantity; 0 removes it."""
    line = _own_line(cart, line_id)
    if quantity == 0:
        cart.lines.remove(line)
    else:
        variant = _sellable_variant(line.variant_id)
        _check_limits(variant, quantity)
        line.quantity = quantity
    db.session.flush()


def remove_line(cart: Cart | None, line_id: int) -> None:
    line = _own_line(cart, line_id)
    cart.lines.remove(line)
    db.session.flush()


def apply_coupon(
    cart: Cart, code: str, customer_key: str | None, now: datetime
) -> engine.CouponResult:
    """Apply a code when the pricing engine accepts it for this cart; else ShopError 422."""
    code = code.strip()
    if not code:
        raise ShopError(422, "Enter a coupon code.")
    if len(code) > 40:
        raise ShopError(422, "That is not a coupon code we know.")
    coupon = discounts.find_coupon(code)
    if coupon is None:
        raise ShopError(422, f"“{code}” is not a coupon code we know.")
    view = price_cart(cart, customer_key, now, coupon_code=coupon.code)
    result = view.totals.coupon
    if result is None or not result.ok:
        raise ShopError(422, result.message if result else "That coupon cannot be used.")
    cart.coupon_code = coupon.code
    db.session.flush()
    return result


def remove_coupon(cart: Cart | None) -> None:
    if cart is not None:
        cart.coupon_code = None
        db.session.flush()


def merge_carts(source: Cart, target: Cart) -> list[str]:
    """Move a guest cart's lines into an account's cart, at login.

    Quantities are added and capped by stock and `max_per_order`; the guest's coupon is
    kept when the account's cart has none. Returns notices for what had to be capped.
    """
    notices: list[str] = []
    if source.id == target.id:
        return notices
    by_variant = {line.variant_id: line for line in target.lines}
    for line in list(source.lines):
        variant = line.variant
        limit = min(variant.stock, variant.product.max_per_order)
        existing = by_variant.get(line.variant_id)
        wanted = line.quantity + (existing.quantity if existing else 0)
        quantity = min(wanted, limit)
        if quantity < wanted:
            notices.append(
                f"{variant.product.name}: quantity set to {quantity}, the most you can buy now."
            )
        if existing is not None:
            if quantity > 0:
                existing.quantity = quantity
            else:
                target.lines.remove(existing)
            existing.ref = existing.ref or line.ref
        elif quantity > 0 and variant.product.active:
            target.lines.append(
                CartLine(
                    variant=variant, quantity=quantity, ref=line.ref, price_seen=line.price_seen
                )
            )
    if not target.coupon_code:
        target.coupon_code = source.coupon_code
    db.session.delete(source)
    db.session.flush()
    return notices


# --- pricing the cart ------------------------------------------------------------------


def unit_price(variant: Variant, now: datetime) -> int:
    """The price one unit sells for right now (after the best sale)."""
    line = _line_input(variant, 1, key=variant.id)
    price, _sale = engine.best_sale_price(line, discounts.active_sales(now), now)
    return price


def _line_input(variant: Variant, quantity: int, key) -> engine.LineInput:
    product = variant.product
    return engine.LineInput(
        key=key,
        product_id=product.id,
        category_id=product.category_id,
        mrp=variant.mrp,
        price=variant.price,
        quantity=quantity,
        gst_rate=product.gst_rate,
    )


@dataclass
class CartItem:
    """One cart line as the shopper sees it."""

    line: CartLine
    variant: Variant
    product: Product
    priced: engine.PricedLine | None  # None when it cannot be bought now
    max_quantity: int
    notice: str | None = None


@dataclass
class CartView:
    cart: Cart | None
    items: list[CartItem]
    totals: engine.Totals
    notices: list[str] = field(default_factory=list)

    @property
    def coupon(self) -> engine.CouponResult | None:
        return self.totals.coupon

    @property
    def can_checkout(self) -> bool:
        return bool(self.totals.lines) and all(item.priced for item in self.items)


def price_cart(
    cart: Cart | None,
    customer_key: str | None,
    now: datetime | None = None,
    *,
    coupon_code: str | None = None,
) -> CartView:
    """Price a cart live: sales, the coupon, shipping; with notices of what changed."""
    now = now or utcnow()
    shipping = discounts.shipping_rule()
    if cart is None:
        empty = engine.calculate_totals([], shipping=shipping, now=now)
        return CartView(None, [], empty)
    lines = db.session.scalars(
        select(CartLine)
        .where(CartLine.cart_id == cart.id)
        .options(
            joinedload(CartLine.variant).joinedload(Variant.product).selectinload(Product.images)
        )
        .order_by(CartLine.id)
    ).all()
    sales = discounts.active_sales(now)
    items: list[CartItem] = []
    inputs: list[engine.LineInput] = []
    for line in lines:
        variant, product = line.variant, line.variant.product
        item = CartItem(
            line,
            variant,
            product,
            None,
            max_quantity=max(0, min(variant.stock, product.max_per_order)),
        )
        items.append(item)
        if not product.active or variant.stock <= 0:
            item.notice = "No longer available — remove it to check out."
            continue
        if line.quantity > item.max_quantity:
            item.notice = (
                f"Only {item.max_quantity} can be bought now; change the quantity to check out."
            )
            continue
        inputs.append(_line_input(variant, line.quantity, key=line.id))
    code = coupon_code or cart.coupon_code
    coupon = None
    if code:
        row = discounts.find_coupon(code)
        coupon = discounts.coupon_rule(row, customer_key) if row else None
    totals = engine.calculate_totals(inputs, sales=sales, coupon=coupon, shipping=shipping, now=now)
    priced = {p.key: p for p in totals.lines}
    notices: list[str] = []
    for item in items:
        item.priced = priced.get(item.line.id)
        if item.priced and item.priced.unit_price != item.line.price_seen:
            before, after = item.line.price_seen, item.priced.unit_price
            word = "dropped" if after < before else "went up"
            item.notice = (
                f"The price {word} from {format_money(before)} to "
                f"{format_money(after)} since you added it."
            )
            notices.append(f"{item.product.name}: {item.notice}")
    return CartView(cart, items, totals, notices)


def acknowledge_prices(view: CartView) -> None:
    """Remember the prices just shown, so a change is announced once."""
    for item in view.items:
        if item.priced and item.line.price_seen != item.priced.unit_price:
            item.line.price_seen = item.priced.unit_price


# --- checkout's calls ---------------------------------------------------------------------


def lock_cart(cart_id: int) -> None:
    """Make concurrent checkouts of one cart wait for each other until commit.

    A write on the cart's row: PostgreSQL locks the row, SQLite takes its one write lock;
    either way a double-submitted form is handled one request after the other.
    """
    db.session.execute(
        update(Cart)
        .where(Cart.id == cart_id)
        .values(updated_at=utcnow())
        .execution_options(synchronize_session=False)
    )


def remove_ordered(cart_id: int, quantities: dict[int, int], coupon_code: str | None) -> None:
    """Take what an order bought out of its cart: only those quantities of those variants.

    Lines added (or raised) after the order was placed stay; the coupon goes only when
    it is the one the order used.
    """
    for variant_id, quantity in quantities.items():
        mine = (CartLine.cart_id == cart_id, CartLine.variant_id == variant_id)
        db.session.execute(delete(CartLine).where(*mine, CartLine.quantity <= quantity))
        db.session.execute(
            update(CartLine)
            .where(*mine, CartLine.quantity > quantity)
            .values(quantity=CartLine.quantity - quantity)
            .execution_options(synchronize_session=False)
        )
    if coupon_code:
        db.session.execute(
            update(Cart)
            .where(Cart.id == cart_id, Cart.coupon_code == coupon_code)
            .values(coupon_code=None)
            .execution_options(synchronize_session=False)
        )
