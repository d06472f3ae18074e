"""Cart operations: add, change, remove, coupons, merge; finding and pricing re-exported.

Views translate HTTP into these calls; every rule about quantities, stock and coupons is
here, every rule about money is in `shop.pricing.engine`. Functions add to the session
and flush but never commit: the view commits once, at the edge of the request.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import bindparam, case, delete, func, select, update
from sqlalchemy.dialects import postgresql, sqlite

# Finding (`finding`) and pricing (`pricing`) live in their own modules, re-exported here.
from shop.cache import content_version_column
from shop.cart.finding import (  # noqa: F401 - re-exported for callers
    SESSION_COUNT,
    SESSION_TOKEN,
    cart_count_column,
    cart_for_user,
    cart_id_column,
    cart_snapshot,
    create_cart_id,
    current_cart,
    current_cart_id,
    main_images,
    remember_count,
    remember_count_value,
    visitor_key,
)
from shop.cart.models import Cart, CartLine
from shop.cart.pricing import (  # noqa: F401 - re-exported for callers
    CartItem,
    CartView,
    acknowledge_prices,
    attach_images,
    price_cart,
    unit_price,
)
from shop.catalog.models import Product, Variant
from shop.database import UTCDateTime, utcnow
from shop.discounts import service as discounts
from shop.errors import ShopError
from shop.extensions import db
from shop.pricing import engine

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


# --- changing the cart ------------------------------------------------------------------


@dataclass(frozen=True)
class Sellable:
    """What adding to a cart needs to know about a variant, read in one query."""

    variant_id: int
    label: str
    mrp: int
    price: int
    stock: int
    product_id: int
    category_id: int | None
    gst_rate: int
    max_per_order: int
    name: str


@functools.cache
def _sellable_stmt(by: str | None = None):
    """A variant's facts for adding it; with `by`, also the visitor's cart id (bound to
    `key`), its number of units and the content version: adding starts with one
    statement, not four."""
    variant, product = Variant.__table__.c, Product.__table__.c
    stmt = (
        select(
            variant.id,
            variant.label,
            variant.mrp,
            variant.price,
            variant.stock,
            product.id,
            product.category_id,
            product.gst_rate,
            product.max_per_order,
            product.name,
        )
        .join_from(Variant.__table__, Product.__table__, product.id == variant.product_id)
        .where(variant.id == bindparam("variant_id"), product.active.is_(True))
    )
    if by is not None:
        stmt = stmt.add_columns(cart_id_column(by), cart_count_column(by), content_version_column())
    return stmt


def _core(stmt, params: dict):
    """Run a Core statement on the session's connection: no ORM work on a hot path."""
    return db.session.connection().execute(stmt, params)


def _sellable(variant_id: int) -> Sellable:
    row = _core(_sellable_stmt(), {"variant_id": variant_id}).one_or_none()
    if row is None:
        raise ShopError(404, "That product is not available.")
    return Sellable(*row)


def _check_limits(item: Sellable, quantity: int) -> None:
    limit = item.max_per_order
    if quantity > limit:
        raise ShopError(422, f"You can buy at most {limit} of {item.name} in one order.")
    if item.stock <= 0:
        raise ShopError(409, f"{item.name} ({item.label}) is out of stock.")
    if quantity > item.stock:
        raise ShopError(409, f"Only {item.stock} of {item.name} ({item.label}) left.")


@dataclass(frozen=True)
class Added:
    """What an add to cart did: the product's name and the cart's new item count."""

    name: str
    line_quantity: int
    count: int
    label: str = ""  # the variant's label ("60 capsules"), named in the message


@functools.cache
def _add_stmt(dialect: str):
    """INSERT the line, or raise its quantity while it stays within `limit`."""
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    lines = CartLine.__table__
    stmt = insert(lines).values(
        cart_id=bindparam("cart_id"),
        variant_id=bindparam("variant_id"),
        quantity=bindparam("quantity"),
        ref=bindparam("ref"),
        ref_pos=bindparam("ref_pos"),
        ref_at=bindparam("ref_at", type_=UTCDateTime),
        price_seen=bindparam("price_seen"),
        added_at=bindparam("added_at", type_=UTCDateTime),
    )
    new_quantity = lines.c.quantity + stmt.excluded.quantity
    came_from_article = (stmt.excluded.ref.is_not(None), stmt.excluded.ref_pos)
    return stmt.on_conflict_do_update(
        index_elements=["cart_id", "variant_id"],
        set_={
            "quantity": new_quantity,
            "price_seen": stmt.excluded.price_seen,
            # The last article the shopper came from wins (an add without one keeps it).
            "ref": func.coalesce(stmt.excluded.ref, lines.c.ref),
            "ref_pos": case(came_from_article, else_=lines.c.ref_pos),
            "ref_at": case(
                (stmt.excluded.ref.is_not(None), stmt.excluded.ref_at), else_=lines.c.ref_at
            ),
        },
        where=new_quantity <= bindparam("limit"),
    ).returning(lines.c.quantity)


def add_item(
    variant_id: int,
    quantity: int,
    ref: str | None,
    now: datetime,
    *,
    ref_pos: int | None = None,
    ref_at: datetime | None = None,
) -> Added:
    """Add `quantity` of a variant to the visitor's cart, made on the first add.

    The variant, the cart's id and number of units, and the content version (for the
    sale price) come in one query; the cart itself is never loaded. Then one atomic
    statement inserts the line or raises its quantity, only while the new quantity stays
    within stock and `max_per_order`: concurrent adds of one variant neither collide on
    the (cart, variant) unique constraint nor lose an increment. The count returned (for
    the header) is the one read first plus what was added: an add in another tab at the
    same instant shows in the header from the next page of the cart on.
    """
    by, key = visitor_key()
    row = _core(_sellable_stmt(by), {"variant_id": variant_id, "key": key}).one_or_none()
    if row is None:
        raise ShopError(404, "That product is not available.")
    *facts, cart_id, units, version = row
    item = Sellable(*facts)
    _check_limits(item, quantity)
    price = unit_price_of(item, now, version=version or 0)
    if cart_id is None:
        cart_id = create_cart_id(by, key)
    line_quantity = _core(
        _add_stmt(db.session.get_bind().dialect.name),
        {
            "cart_id": cart_id,
            "variant_id": item.variant_id,
            "quantity": quantity,
            "ref": ref,
            "ref_pos": ref_pos if ref else None,
            "ref_at": (ref_at or now) if ref else None,
            "price_seen": price,
            "added_at": now,
            "limit": min(item.stock, item.max_per_order),
        },
    ).scalar()
    if line_quantity is None:  # the line exists and would grow past a limit: say which
        held = db.session.scalar(
            select(CartLine.quantity).where(
                CartLine.cart_id == cart_id, CartLine.variant_id == item.variant_id
            )
        )
        _check_limits(item, quantity + (held or 0))
        raise ShopError(409, "Your cart changed at the same moment; please try again.")
    return Added(item.name, line_quantity, units + quantity, item.label)


def _own_line(cart: Cart | None, line_id: int) -> CartLine:
    line = next((x for x in cart.lines if x.id == line_id), None) if cart else None
    if line is None:
        raise ShopError(404, "That item is not in your cart.")
    return line


def update_line(cart: Cart | None, line_id: int, quantity: int) -> None:
    """Set a line's quantity; 0 removes it. A line removed meanwhile is a 404."""
    line = _own_line(cart, line_id)
    if quantity == 0:
        remove_line(cart, line_id)
        return
    _check_limits(_sellable(line.variant_id), quantity)
    done = db.session.execute(
        update(CartLine)
        .where(CartLine.id == line.id, CartLine.cart_id == cart.id)
        .values(quantity=quantity)
        .execution_options(synchronize_session=False)
    )
    if done.rowcount != 1:
        raise ShopError(404, "That item is not in your cart.")


def remove_line(cart: Cart | None, line_id: int) -> None:
    """Remove a line; removing it twice at once is not an error for the second."""
    line = _own_line(cart, line_id)
    db.session.execute(
        delete(CartLine)
        .where(CartLine.id == line.id, CartLine.cart_id == cart.id)
        .execution_options(synchronize_session=False)
    )


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
            if not existing.ref:
                existing.ref, existing.ref_pos, existing.ref_at = (
                    line.ref,
                    line.ref_pos,
                    line.ref_at,
                )
        elif quantity > 0 and variant.product.active:
            target.lines.append(
                CartLine(
                    variant=variant,
                    quantity=quantity,
                    ref=line.ref,
                    ref_pos=line.ref_pos,
                    ref_at=line.ref_at,
                    price_seen=line.price_seen,
                )
            )
    if not target.coupon_code:
        target.coupon_code = source.coupon_code
    db.session.delete(source)
    db.session.flush()
    return notices


# --- pricing one unit -----------------------------------------------------------------


def unit_price_of(item: Sellable, now: datetime, *, version: int | None = None) -> int:
    line = engine.LineInput(
        key=item.variant_id,
        product_id=item.product_id,
        category_id=item.category_id,
        mrp=item.mrp,
        price=item.price,
        quantity=1,
        gst_rate=item.gst_rate,
    )
    rules = discounts.pricing_rules(now, version)
    price, _sale = engine.best_sale_price(line, rules.sales, now)
    return price


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
