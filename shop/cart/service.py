"""Cart operations: find the cart, add, change, remove, coupons, merge, and price it.

Views translate HTTP into these calls; every rule about quantities, stock and coupons is
here, every rule about money is in `shop.pricing.engine`. Functions add to the session
and flush but never commit: the view commits once, at the edge of the request.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import re
from dataclasses import dataclass, field
from datetime import datetime

from flask import current_app, session
from flask_login import current_user
from sqlalchemy import bindparam, delete, func, inspect, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import aliased, joinedload
from sqlalchemy.orm.attributes import set_committed_value

from shop.cart.models import Cart, CartLine, new_cart_token
from shop.catalog.models import Product, ProductImage, Variant
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


def current_cart(*, create: bool = False, with_lines: bool = False) -> Cart | None:
    """The visitor's cart: the account's when signed in, else the one whose random
    token the signed session holds; made on demand (safely when two requests race).

    `with_lines` loads its lines, variants and products in the same query (for pricing).
    """
    if current_user.is_authenticated:
        return cart_for_user(current_user.id, create=create, with_lines=with_lines)
    token = session.get(SESSION_TOKEN)
    cart = _load_cart("token", token, with_lines=with_lines) if token else None
    if cart is None and create:
        token = _new_guest_token()
        _insert_cart(token=token, user_id=None)
        cart = _load_cart("token", token, with_lines=with_lines)
        session[SESSION_TOKEN] = token
    return cart


def cart_for_user(user_id: int, *, create: bool, with_lines: bool = False) -> Cart | None:
    cart = _load_cart("user", user_id, with_lines=with_lines)
    if cart is None and create:
        _insert_cart(token=new_cart_token(), user_id=user_id)
        cart = _load_cart("user", user_id, with_lines=with_lines)
    return cart


def current_cart_id(*, create: bool) -> int | None:
    """The visitor's cart id alone, without loading the cart (for adding to it)."""
    if current_user.is_authenticated:
        by, key = "user", current_user.id
    else:
        by, key = "token", session.get(SESSION_TOKEN)
    cart_id = db.session.execute(_cart_id_stmt(by), {"key": key}).scalar() if key else None
    if cart_id is not None or not create:
        return cart_id
    if by == "user":
        _insert_cart(token=new_cart_token(), user_id=key)
    else:
        key = _new_guest_token()
        _insert_cart(token=key, user_id=None)
        session[SESSION_TOKEN] = key
    return db.session.execute(_cart_id_stmt(by), {"key": key}).scalar()


# Hot statements are built once: building a joined SELECT costs more than running it.


def _whose(by: str) -> tuple:
    if by == "user":
        return (Cart.user_id == bindparam("key"),)
    return (Cart.token == bindparam("key"), Cart.user_id.is_(None))


@functools.cache
def _cart_id_stmt(by: str):
    return select(Cart.id).where(*_whose(by))


@functools.cache
def _cart_stmt(by: str, with_lines: bool):
    if not with_lines:
        return select(Cart).where(*_whose(by))
    other = aliased(ProductImage)
    first_image = (
        select(other.id)
        .where(other.product_id == Product.id)
        .order_by(other.position, other.id)
        .limit(1)
        .correlate(Product)
        .scalar_subquery()
    )
    return (
        select(
            Cart,
            CartLine,
            Variant,
            Product,
            ProductImage.path,
            ProductImage.alt,
            ProductImage.width,
            ProductImage.height,
        )
        .outerjoin(CartLine, CartLine.cart_id == Cart.id)
        .outerjoin(Variant, Variant.id == CartLine.variant_id)
        .outerjoin(Product, Product.id == Variant.product_id)
        .outerjoin(ProductImage, ProductImage.id == first_image)
        .where(*_whose(by))
        .order_by(CartLine.id)
    )


def _load_cart(by: str, key, *, with_lines: bool) -> Cart | None:
    """One query for the cart; with `with_lines` its lines, variants, products and each
    product's main image come in the same query as plain rows (cheaper than eager-loading
    options) and are attached as already-loaded relationships, so nothing loads lazily."""
    stmt = _cart_stmt(by, with_lines)
    if not with_lines:
        return db.session.execute(stmt, {"key": key}).scalar()
    rows = db.session.execute(stmt, {"key": key}).all()
    if not rows:
        return None
    cart = rows[0][0]
    lines = []
    images: dict[int, Image] = {}
    for _cart, line, variant, product, *image in rows:
        if line is None:
            continue
        set_committed_value(variant, "product", product)
        set_committed_value(line, "variant", variant)
        set_committed_value(line, "cart", cart)
        lines.append(line)
        if image[0] is not None:
            images[product.id] = Image(*image)
    set_committed_value(cart, "lines", lines)
    cart.main_images = images
    return cart


@dataclass(frozen=True)
class Image:
    """A product's main image as the cart shows it."""

    path: str
    alt: str
    width: int
    height: int


def main_images(product_ids: set[int]) -> dict[int, Image]:
    """The first image of each product, in one query (none when there are no products)."""
    if not product_ids:
        return {}
    rows = db.session.execute(
        select(
            ProductImage.product_id,
            ProductImage.path,
            ProductImage.alt,
            ProductImage.width,
            ProductImage.height,
        )
        .where(ProductImage.product_id.in_(product_ids))
        .order_by(ProductImage.product_id, ProductImage.position, ProductImage.id)
    ).all()
    images: dict[int, Image] = {}
    for product_id, *rest in rows:
        images.setdefault(product_id, Image(*rest))
    return images


def _new_guest_token() -> str:
    """The token of this session's cart: derived from the session's own CSRF secret.

    Two first adds sent at once by one browser carry the same session, so both derive
    the same token and land in one cart instead of racing to make two (one of which the
    browser would forget). Sessions without that secret get a random token.
    """
    secret = session.get("csrf_token")
    if not isinstance(secret, str) or not secret:
        return new_cart_token()
    key = current_app.secret_key
    key = key.encode() if isinstance(key, str) else key
    return hmac.new(key, b"cart:" + secret.encode(), hashlib.sha256).hexdigest()[:43]


def _insert_cart(*, token: str, user_id: int | None) -> None:
    """Create a cart unless a concurrent request just did (unique token / user)."""
    now = utcnow()
    stmt = _insert(Cart).values(token=token, user_id=user_id, created_at=now, updated_at=now)
    conflict = ["user_id"] if user_id is not None else ["token"]
    db.session.execute(stmt.on_conflict_do_nothing(index_elements=conflict))


def _insert(table):
    """INSERT with ON CONFLICT, in the dialect of the database in use."""
    if db.session.get_bind().dialect.name == "postgresql":
        return postgresql.insert(table)
    return sqlite.insert(table)


def remember_count(cart: Cart | None) -> None:
    """Keep the header's item count in the session so pages need no query for it."""
    remember_count_value(cart.item_count if cart else 0)


def remember_count_value(count: int) -> None:
    if session.get(SESSION_COUNT, 0) != count:  # an unchanged session is not sent again
        session[SESSION_COUNT] = count


@functools.cache
def _count_stmt():
    total = func.coalesce(func.sum(CartLine.quantity), 0)
    return select(total).where(CartLine.cart_id == bindparam("cart_id"))


def count_items(cart_id: int) -> int:
    return db.session.execute(_count_stmt(), {"cart_id": cart_id}).scalar()


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
def _sellable_stmt():
    return (
        select(
            Variant.id,
            Variant.label,
            Variant.mrp,
            Variant.price,
            Variant.stock,
            Product.id,
            Product.category_id,
            Product.gst_rate,
            Product.max_per_order,
            Product.name,
        )
        .join(Product, Product.id == Variant.product_id)
        .where(Variant.id == bindparam("variant_id"), Product.active.is_(True))
    )


def _sellable(variant_id: int) -> Sellable:
    row = db.session.execute(_sellable_stmt(), {"variant_id": variant_id}).one_or_none()
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


@functools.cache
def _add_stmt(dialect: str):
    """INSERT the line, or raise its quantity while it stays within `limit`."""
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    stmt = insert(CartLine).values(
        cart_id=bindparam("cart_id"),
        variant_id=bindparam("variant_id"),
        quantity=bindparam("quantity"),
        ref=bindparam("ref"),
        price_seen=bindparam("price_seen"),
        added_at=bindparam("added_at"),
    )
    new_quantity = CartLine.quantity + stmt.excluded.quantity
    return stmt.on_conflict_do_update(
        index_elements=["cart_id", "variant_id"],
        set_={
            "quantity": new_quantity,
            "price_seen": stmt.excluded.price_seen,
            "ref": func.coalesce(CartLine.ref, stmt.excluded.ref),
        },
        where=new_quantity <= bindparam("limit"),
    ).returning(CartLine.quantity)


def add_item(cart_id: int, variant_id: int, quantity: int, ref: str | None, now: datetime) -> Added:
    """Add `quantity` of a variant; an existing line grows instead of duplicating.

    One atomic statement inserts the line or raises its quantity, only while the new
    quantity stays within stock and `max_per_order`: concurrent adds of one variant
    neither collide on the (cart, variant) unique constraint nor lose an increment.
    The cart itself is never loaded.
    """
    item = _sellable(variant_id)
    _check_limits(item, quantity)
    price = unit_price_of(item, now)
    line_quantity = db.session.execute(
        _add_stmt(db.session.get_bind().dialect.name),
        {
            "cart_id": cart_id,
            "variant_id": item.variant_id,
            "quantity": quantity,
            "ref": ref,
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
    return Added(item.name, line_quantity, count_items(cart_id))


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
    price, _sale = engine.best_sale_price(line, discounts.pricing_rules(now).sales, now)
    return price


def unit_price_of(item: Sellable, now: datetime) -> int:
    line = engine.LineInput(
        key=item.variant_id,
        product_id=item.product_id,
        category_id=item.category_id,
        mrp=item.mrp,
        price=item.price,
        quantity=1,
        gst_rate=item.gst_rate,
    )
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
    """One cart line as the shopper sees it."""

    line: CartLine
    variant: Variant
    product: Product
    priced: engine.PricedLine | None  # None when it cannot be bought now
    max_quantity: int
    notice: str | None = None
    image: Image | ProductImage | None = None


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
    def item_count(self) -> int:
        return sum(item.line.quantity for item in self.items)

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
    """Price a cart live: sales, the coupon, shipping; with notices of what changed.

    Uses the lines loaded with the cart (`current_cart(with_lines=True)`), else reads
    them afresh; either way a fixed number of queries whatever the number of lines.
    """
    now = now or utcnow()
    rules = discounts.pricing_rules(now)
    shipping, sales = rules.shipping, rules.sales
    if cart is None:
        empty = engine.calculate_totals([], shipping=shipping, now=now)
        return CartView(None, [], empty)
    fresh = cart.main_images is not None and "lines" not in inspect(cart).unloaded
    if not fresh:  # not loaded by `current_cart(with_lines=True)` in this transaction
        lines = db.session.scalars(
            select(CartLine)
            .where(CartLine.cart_id == cart.id)
            .options(joinedload(CartLine.variant).joinedload(Variant.product))
            .order_by(CartLine.id)
        ).all()
    else:
        lines = list(cart.lines)
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


def attach_images(view: CartView) -> None:
    """Give each item its product's main image, for pages that show them: as loaded with
    the lines by `current_cart(with_lines=True)`, else in one query."""
    images = getattr(view.cart, "main_images", None)
    if images is None:
        images = main_images({item.product.id for item in view.items})
    for item in view.items:
        item.image = images.get(item.product.id)


def acknowledge_prices(view: CartView) -> bool:
    """Remember the prices just shown, so a change is announced once; True if any."""
    changed = False
    for item in view.items:
        if item.priced and item.line.price_seen != item.priced.unit_price:
            item.line.price_seen = item.priced.unit_price
            changed = True
    return changed


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
