"""Finding the visitor's cart: by account or session token, created race-free on demand.

Also the header's item count kept in the session. Hot statements are built once.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
from dataclasses import dataclass

from flask import current_app, session
from flask_login import current_user
from sqlalchemy import bindparam, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import aliased
from sqlalchemy.orm.attributes import set_committed_value

from shop.cache import content_version_column
from shop.cart.models import Cart, CartLine, new_cart_token
from shop.catalog.models import Product, ProductImage, Variant
from shop.database import utcnow
from shop.extensions import db

SESSION_TOKEN = "cart_token"
SESSION_COUNT = "cart_count"


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


def visitor_key() -> tuple[str, int | str | None]:
    """How the visitor's cart is found: ("user", id) when signed in, else ("token", …)."""
    if current_user.is_authenticated:
        return "user", current_user.id
    return "token", session.get(SESSION_TOKEN)


def current_cart_id(*, create: bool) -> int | None:
    """The visitor's cart id alone, without loading the cart (for adding to it)."""
    by, key = visitor_key()
    cart_id = db.session.execute(_cart_id_stmt(by), {"key": key}).scalar() if key else None
    if cart_id is not None or not create:
        return cart_id
    return create_cart_id(by, key)


def create_cart_id(by: str, key: int | str | None) -> int:
    """Make the visitor's cart (unless a concurrent request just did) and return its id."""
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


def cart_id_column(by: str):
    """The visitor's cart id as a column (NULL when there is none yet), bound to `key`."""
    return _cart_id_stmt(by).scalar_subquery().label("cart_id")


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
            content_version_column(),
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
    options) and are attached as already-loaded relationships, so nothing loads lazily.
    The content version comes along too, so pricing needs no query of its own."""
    stmt = _cart_stmt(by, with_lines)
    if not with_lines:
        return db.session.execute(stmt, {"key": key}).scalar()
    rows = db.session.execute(stmt, {"key": key}).all()
    if not rows:
        return None
    cart = rows[0][0]
    lines = []
    images: dict[int, Image] = {}
    for _cart, line, variant, product, *image, _version in rows:
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
    cart.content_version = rows[0][-1] or 0
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
    lines = CartLine.__table__.c
    return select(func.coalesce(func.sum(lines.quantity), 0)).where(
        lines.cart_id == bindparam("cart_id")
    )


def count_items(cart_id: int) -> int:
    """The cart's number of units (a Core query: no ORM work on the add-to-cart path)."""
    return db.session.connection().execute(_count_stmt(), {"cart_id": cart_id}).scalar()
