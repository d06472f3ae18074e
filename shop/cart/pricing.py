"""Pricing a cart live (sales, the coupon, shipping) and what the shopper is shown.

Money rules themselves live in `shop.pricing.engine`; this module loads the inputs and
says what changed since the shopper last looked.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import joinedload

from shop.cart.finding import main_images
from shop.cart.models import Cart, CartLine
from shop.cart.snapshot import CartSnapshot, LineRow, ProductRow, VariantRow
from shop.catalog.cards import CardImage
from shop.catalog.models import Product, ProductImage, Variant
from shop.database import utcnow
from shop.discounts import service as discounts
from shop.extensions import db
from shop.pricing import engine
from shop.pricing.money import format_money


def unit_price(variant: Variant, now: datetime) -> int:
    """The price one unit sells for right now (after the best sale)."""
    line = _line_input(variant, 1, key=variant.id)
    price, _sale = engine.best_sale_price(line, discounts.pricing_rules(now).sales, now)
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
    """One cart line as the shopper sees it (models, or the cart page's read-only rows)."""

    line: CartLine | LineRow
    variant: Variant | VariantRow
    product: Product | ProductRow
    priced: engine.PricedLine | None  # None when it cannot be bought now
    max_quantity: int
    notice: str | None = None
    image: CardImage | ProductImage | None = None


@dataclass
class CartView:
    cart: Cart | CartSnapshot | None
    items: list[CartItem]
    totals: engine.Totals
    notices: list[str] = field(default_factory=list)

    @property
    def coupon(self) -> engine.CouponResult | None:
        return self.totals.coupon

    @property
    def item_count(self) -> int:
        return sum(item.line.quantity for item in self.items)

    @property
    def can_checkout(self) -> bool:
        return bool(self.totals.lines) and all(item.priced for item in self.items)


def price_cart(
    cart: Cart | CartSnapshot | None,
    customer_key: str | None,
    now: datetime | None = None,
    *,
    coupon_code: str | None = None,
) -> CartView:
    """Price a cart live: sales, the coupon, shipping; with notices of what changed.

    `cart` is a `Cart`, whose lines are read here, or the cart page's `CartSnapshot`
    (`cart_snapshot()`), read with its lines and the content version; either way a fixed
    number of queries whatever the number of lines.
    """
    now = now or utcnow()
    fresh = isinstance(cart, CartSnapshot)
    rules = discounts.pricing_rules(now, cart.content_version if fresh else None)
    shipping, sales = rules.shipping, rules.sales
    if cart is None:
        empty = engine.calculate_totals([], shipping=shipping, now=now)
        return CartView(None, [], empty)
    items, inputs = _items(list(cart.lines) if fresh else _read_lines(cart.id))
    code = coupon_code or cart.coupon_code
    coupon = None
    if code:
        row = discounts.find_coupon(code)
        coupon = discounts.coupon_rule(row, customer_key) if row else None
    totals = engine.calculate_totals(inputs, sales=sales, coupon=coupon, shipping=shipping, now=now)
    return CartView(cart, items, totals, _note_price_changes(items, totals))


def _read_lines(cart_id: int) -> list[CartLine]:
    """The lines with their variants and products, for a cart not loaded with them."""
    return db.session.scalars(
        select(CartLine)
        .where(CartLine.cart_id == cart_id)
        .options(joinedload(CartLine.variant).joinedload(Variant.product))
        .order_by(CartLine.id)
    ).all()


def _items(lines: list[CartLine] | list[LineRow]) -> tuple[list[CartItem], list[engine.LineInput]]:
    """Every line as shown, and the engine's inputs for those that can be bought now."""
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
        if not product.active:
            item.notice = "No longer available — remove it to check out."
            continue
        if variant.stock <= 0:
            item.notice = "Out of stock — remove it to check out."
            continue
        if line.quantity > item.max_quantity:
            item.notice = (
                f"Only {item.max_quantity} can be bought now; change the quantity to check out."
            )
            continue
        inputs.append(_line_input(variant, line.quantity, key=line.id))
    return items, inputs


def _note_price_changes(items: list[CartItem], totals: engine.Totals) -> list[str]:
    """Attach each line's price and say which changed since the shopper added it."""
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
    return notices


def attach_images(view: CartView) -> None:
    """Give each item its product's main image, for pages that show them: as read with
    the lines by `cart_snapshot()`, else in one query."""
    images = getattr(view.cart, "main_images", None)
    if images is None:
        images = main_images({item.product.id for item in view.items})
    for item in view.items:
        item.image = images.get(item.product.id)


@functools.cache
def _acknowledge_stmt():
    lines = CartLine.__table__
    return (
        update(lines)
        .where(lines.c.id == bindparam("line_id"), lines.c.cart_id == bindparam("owner_id"))
        .values(price_seen=bindparam("price"))
    )


def acknowledge_prices(view: CartView) -> bool:
    """Remember the prices just shown, so a change is announced once; True if any.

    One UPDATE for the changed lines of the page's `CartSnapshot`; the caller commits.
    """
    changed = []
    for item in view.items:
        if item.priced and item.line.price_seen != item.priced.unit_price:
            item.line.price_seen = item.priced.unit_price
            changed.append(
                {"line_id": item.line.id, "owner_id": view.cart.id, "price": item.line.price_seen}
            )
    if changed:
        db.session.connection().execute(_acknowledge_stmt(), changed)
    return bool(changed)
