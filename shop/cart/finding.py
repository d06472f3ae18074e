"""Finding the visitor's cart: by account or session token, created race-free on demand.

Also the header's item count kept in the session. Hot statements are built once.
"""

from __future__ import annotations

import functools
import hashlib
import hmac

from flask import current_app, session
from flask_login import current_user
from sqlalchemy import func, select
from sqlalchemy.dialects import postgresql, sqlite

from shop.cart.models import Cart, CartLine, new_cart_token
from shop.cart.snapshot import CartSnapshot, snapshot_from_rows, snapshot_stmt, whose
from shop.catalog.cards import IMAGE_COLUMNS, CardImage
from shop.catalog.models import ProductImage
from shop.database import utcnow
from shop.extensions import db

SESSION_TOKEN = "cart_token"
SESSION_COUNT = "cart_count"


def current_cart(*, create: bool = False) -> Cart | None:
    """The visitor's cart: the account's when signed in, else the one whose random
    token the signed session holds; made on demand (safely when two requests race)."""
    if current_user.is_authenticated:
        return cart_for_user(current_user.id, create=create)
    token = session.get(SESSION_TOKEN)
    cart = _load_cart("token", token) if token else None
    if cart is None and create:
        token = _new_guest_token()
        _insert_cart(token=token, user_id=None)
        cart = _load_cart("token", token)
        session[SESSION_TOKEN] = token
    return cart


def cart_snapshot() -> CartSnapshot | None:
    """The visitor's cart with its lines, variants, products, main images and the
    content version, read in one Core query for the cart page (see `shop.cart.snapshot`);
    None when the visitor has no cart. Never creates one."""
    by, key = visitor_key()
    if key is None:
        return None
    rows = db.session.connection().execute(snapshot_stmt(by), {"key": key}).all()
    return snapshot_from_rows(rows)


def cart_for_user(user_id: int, *, create: bool) -> Cart | None:
    cart = _load_cart("user", user_id)
    if cart is None and create:
        _insert_cart(token=new_cart_token(), user_id=user_id)
        cart = _load_cart("user", user_id)
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


@functools.cache
def _cart_id_stmt(by: str):
    return select(Cart.id).where(*whose(by))


def cart_id_column(by: str):
    """The visitor's cart id as a column (NULL when there is none yet), bound to `key`."""
    return _cart_id_stmt(by).scalar_subquery().label("cart_id")


def cart_count_column(by: str):
    """The number of units in the visitor's cart as a column (0 without a cart)."""
    lines = CartLine.__table__.c
    return (
        select(func.coalesce(func.sum(lines.quantity), 0))
        .where(lines.cart_id == _cart_id_stmt(by).scalar_subquery())
        .scalar_subquery()
        .label("cart_count")
    )


@functools.cache
def _cart_stmt(by: str):
    return select(Cart).where(*whose(by))


def _load_cart(by: str, key) -> Cart | None:
    return db.session.execute(_cart_stmt(by), {"key": key}).scalar()


def main_images(product_ids: set[int]) -> dict[int, CardImage]:
    """The first image of each product, in one query (none when there are no products)."""
    if not product_ids:
        return {}
    rows = db.session.execute(
        select(ProductImage.product_id, *IMAGE_COLUMNS)
        .where(ProductImage.product_id.in_(product_ids))
        .order_by(ProductImage.product_id, ProductImage.position, ProductImage.id)
    ).all()
    images: dict[int, CardImage] = {}
    for product_id, *rest in rows:
        images.setdefault(product_id, CardImage(*rest))
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
