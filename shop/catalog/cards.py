"""Product cards read as Core rows: one statement for any number of cards.

Cards are on nearly every storefront page (lists, search, condition pages, article
embeds), and building them from ORM objects (a product with every column, all its
variants and images through joined eager loads, then identity-map bookkeeping) cost
more than the rest of a search page together. A card needs a few columns of the
product, its default variant and its main image, so one statement reads exactly those:
a row per product, the variant and image picked in SQL with the same order as
`Product.default_variant` (the first in stock, else the first) and `Product.main_image`.
Cards are priced with the sale rules cached for the content version the page cache
reads (`shown_sales`): usually no statement at all, and the same statements whether a
page shows no card or forty.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from flask import current_app
from sqlalchemy import and_, bindparam, case, func, select

from shop.catalog.models import Product, ProductImage, Variant
from shop.database import utcnow
from shop.discounts.service import pricing_rules
from shop.extensions import db
from shop.pricing import engine
from shop.pricing.money import percent_off


@dataclass(frozen=True, slots=True)
class CardImage:
    """A product's main image, with what `ui.image` and `image_url` read (cards and the
    cart page show it)."""

    path: str
    alt: str
    width: int
    height: int


IMAGE_COLUMNS = (ProductImage.path, ProductImage.alt, ProductImage.width, ProductImage.height)


@dataclass(frozen=True)
class ProductCard:
    """What a product card, list row or article embed shows."""

    id: int
    slug: str
    name: str
    brand: str
    form: str
    image: CardImage | None
    variant_id: int | None
    variant_label: str
    mrp: int
    price: int
    percent_off: int
    in_stock: bool
    max_per_order: int
    prescription_required: bool = False
    on_sale: bool = False  # a sale sets the price shown
    sale_ends_at: datetime | None = None  # when that sale ends (None: no end set)


@functools.cache
def _statement(key: str):
    """The cards of the active products whose `key` ("id" or "slug") is in the `keys`
    parameter: one row each, in no order. Built once per process (building it costs as
    much as running it)."""
    keys = bindparam("keys", expanding=True)
    if key == "id":
        wanted, ids_of_products = Product.id.in_(keys), keys
    else:
        wanted = Product.slug.in_(keys)
        ids_of_products = select(Product.id).where(wanted)
    # `Product.default_variant`: the first in stock, else the first (ordinal 1).
    in_stock_first = case((Variant.stock > 0, 0), else_=1)
    ordinal = func.row_number().over(
        partition_by=Variant.product_id, order_by=[in_stock_first, Variant.position, Variant.id]
    )
    variant = (
        select(Variant.id, Variant.product_id, Variant.label, Variant.mrp, Variant.price,
               Variant.stock, ordinal.label("ordinal"))
        .where(Variant.product_id.in_(ids_of_products))
        .subquery()
    )  # fmt: skip
    # `Product.main_image`: the first by position (ordinal 1).
    image_ordinal = func.row_number().over(
        partition_by=ProductImage.product_id, order_by=[ProductImage.position, ProductImage.id]
    )
    image = (
        select(ProductImage.product_id, *IMAGE_COLUMNS, image_ordinal.label("ordinal"))
        .where(ProductImage.product_id.in_(ids_of_products))
        .subquery()
    )
    return (
        select(
            Product.id,
            Product.slug,
            Product.name,
            Product.brand,
            Product.form,
            Product.category_id,
            Product.gst_rate,
            Product.max_per_order,
            Product.prescription_required,
            variant.c.id.label("variant_id"),
            variant.c.label.label("variant_label"),
            variant.c.mrp,
            variant.c.price,
            variant.c.stock,
            *(image.c[column.key] for column in IMAGE_COLUMNS),
        )
        .outerjoin(variant, and_(variant.c.product_id == Product.id, variant.c.ordinal == 1))
        .outerjoin(image, and_(image.c.product_id == Product.id, image.c.ordinal == 1))
        .where(wanted, Product.active.is_(True))
    )


def _card(row, sales: Sequence[engine.Sale], now: datetime) -> ProductCard:
    # Unpacked by position: a Row's attribute lookup by name costs more than the card.
    (product_id, slug, name, brand, form, category_id, gst_rate, max_per_order, rx,
     variant_id, variant_label, mrp, list_price, stock, path, alt, width, height) = row  # fmt: skip
    price, sale = (0, None)
    if variant_id is not None:
        price, sale = offer(
            product_id, category_id, gst_rate, variant_id, mrp, list_price, sales, now
        )
    return ProductCard(
        id=product_id,
        slug=slug,
        name=name,
        brand=brand,
        form=form,
        image=CardImage(path, alt, width, height) if path else None,
        variant_id=variant_id,
        variant_label=variant_label or "",
        mrp=mrp or 0,
        price=price,
        percent_off=percent_off(mrp or 0, price),
        in_stock=variant_id is not None and stock > 0,
        max_per_order=max_per_order,
        prescription_required=rx,
        on_sale=sale is not None,
        sale_ends_at=sale.ends_at if sale else None,
    )


def shown_sales(now: datetime) -> Sequence[engine.Sale]:
    """The sales storefront pages price with: the rules cached for the content version
    as the page cache last read it (at most `CONTENT_VERSION_SECONDS` old, and at once
    in the process that changed it). Carts and checkout price with the version they
    read themselves (`shop.cart.pricing`)."""
    version = current_app.extensions["content_version"].get()
    return pricing_rules(now, version).sales


def offer(
    product_id: int,
    category_id: int | None,
    gst_rate: int,
    variant_id: int,
    mrp: int,
    price: int,
    sales: Sequence[engine.Sale],
    now: datetime,
) -> tuple[int, engine.Sale | None]:
    """A variant's unit price after the best sale running at `now`, and that sale."""
    line = engine.LineInput(
        key=variant_id,
        product_id=product_id,
        category_id=category_id,
        mrp=mrp,
        price=price,
        quantity=1,
        gst_rate=gst_rate,
    )
    price, sale_id = engine.best_sale_price(line, sales, now)
    sale = next((s for s in sales if s.id == sale_id), None) if sale_id else None
    return price, sale


def _read_cards(key: str, values: Sequence) -> list[ProductCard]:
    """The cards of the active products whose `key` is in `values`, in no order."""
    rows = db.session.execute(_statement(key), {"keys": list(values)}).all()
    now = utcnow()
    sales = shown_sales(now)
    return [_card(row, sales, now) for row in rows]


def cards_by_ids(ids: Sequence[int]) -> list[ProductCard]:
    """Active products `ids` in that order: one statement, also when `ids` is empty."""
    by_id = {card.id: card for card in _read_cards("id", ids)}
    return [by_id[i] for i in ids if i in by_id]


def cards_by_slug(slugs: Sequence[str]) -> dict[str, ProductCard]:
    """Active products named by `slugs`, by slug: one statement, also when empty."""
    return {card.slug: card for card in _read_cards("slug", slugs)}
