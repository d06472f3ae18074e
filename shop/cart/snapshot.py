"""The cart page's read: the visitor's cart with its lines in one Core query.

The cart page is a money path measured by `make bench` (SPEC §9). Loading the cart,
its lines, variants and products as ORM objects cost more than everything else on the
page together, for values that are only read. So the page reads exactly the columns it
shows or prices with, in one statement (with each product's main image and the content
version), into small read-only objects with the same attribute names as the models:
pricing and templates cannot tell them apart. The only write the page may make, the
prices it has just shown (`shop.cart.pricing.acknowledge_prices`), is one UPDATE.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

from sqlalchemy import bindparam, select

from shop.cache import content_version_column
from shop.cart.models import Cart, CartLine
from shop.catalog.cards import IMAGE_COLUMNS, CardImage
from shop.catalog.models import Product, ProductImage, Variant


@dataclass(frozen=True, slots=True)
class ProductRow:
    id: int
    slug: str
    name: str
    category_id: int | None
    gst_rate: int
    max_per_order: int
    active: bool
    prescription_required: bool
    limit_quantity: int | None
    limit_days: int | None

    purchase_limit = property(Product.purchase_limit.fget)


@dataclass(frozen=True, slots=True)
class VariantRow:
    id: int
    label: str
    mrp: int
    price: int
    stock: int
    product: ProductRow


@dataclass(slots=True)
class LineRow:
    id: int
    variant_id: int
    quantity: int
    price_seen: int  # updated in place when the page records the price it showed
    variant: VariantRow


@dataclass(slots=True)
class CartSnapshot:
    """A cart as read for its page: what pricing needs, and the images to show."""

    id: int
    coupon_code: str | None
    lines: list[LineRow]
    main_images: dict[int, CardImage]
    content_version: int

    @property
    def item_count(self) -> int:
        return sum(line.quantity for line in self.lines)


_LINE = (CartLine.id, CartLine.variant_id, CartLine.quantity, CartLine.price_seen)
_VARIANT = (Variant.id, Variant.label, Variant.mrp, Variant.price, Variant.stock)
_PRODUCT = (
    Product.id,
    Product.slug,
    Product.name,
    Product.category_id,
    Product.gst_rate,
    Product.max_per_order,
    Product.active,
    Product.prescription_required,
    Product.limit_quantity,
    Product.limit_days,
)


def whose(by: str) -> tuple:
    if by == "user":
        return (Cart.user_id == bindparam("key"),)
    return (Cart.token == bindparam("key"), Cart.user_id.is_(None))


@functools.cache
def snapshot_stmt(by: str):
    """The cart found `by` ("user" or "token", bound to `key`), one row per line."""
    first_image = (
        select(ProductImage.id)
        .where(ProductImage.product_id == Product.id)
        .order_by(ProductImage.position, ProductImage.id)
        .limit(1)
        .correlate(Product)
        .scalar_subquery()
    )
    image = ProductImage.__table__.alias("main_image")
    return (
        select(
            Cart.id,
            Cart.coupon_code,
            *_LINE,
            *_VARIANT,
            *_PRODUCT,
            *(image.c[column.key] for column in IMAGE_COLUMNS),
            content_version_column(),
        )
        .outerjoin(CartLine, CartLine.cart_id == Cart.id)
        .outerjoin(Variant, Variant.id == CartLine.variant_id)
        .outerjoin(Product, Product.id == Variant.product_id)
        .outerjoin(image, image.c.id == first_image)
        .where(*whose(by))
        .order_by(CartLine.id)
    )


_L, _V, _P, _I = len(_LINE), len(_VARIANT), len(_PRODUCT), len(IMAGE_COLUMNS)


def snapshot_from_rows(rows) -> CartSnapshot | None:
    """Build the snapshot from `snapshot_stmt`'s rows (None when there is no cart)."""
    if not rows:
        return None
    lines: list[LineRow] = []
    images: dict[int, CardImage] = {}
    for row in rows:
        at = 2
        line = row[at : at + _L]
        at += _L
        if line[0] is None:  # a cart without lines: one row of NULLs after the cart
            continue
        variant = row[at : at + _V]
        at += _V
        product = ProductRow(*row[at : at + _P])
        at += _P
        lines.append(LineRow(*line, VariantRow(*variant, product)))
        if row[at] is not None:
            images[product.id] = CardImage(*row[at : at + _I])
    first = rows[0]
    return CartSnapshot(first[0], first[1], lines, images, first[-1] or 0)
