"""Read-side queries for the storefront, each a fixed number of SQL statements.

Views receive `ProductCard`s — plain values ready for a template — so no template ever
touches a lazy relationship (that is how N+1 queries creep in).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from flask import g
from sqlalchemy import ColumnElement, Select, case, func, literal, or_, select
from sqlalchemy.orm import joinedload, selectinload

from shop.catalog.models import Category, Product, ProductImage, Variant
from shop.catalog.search import product_matches
from shop.database import utcnow
from shop.discounts.service import active_sales
from shop.extensions import db
from shop.listing import Page
from shop.pricing import engine
from shop.pricing.money import percent_off

PER_PAGE = 24
SORTS = ("relevance", "price_asc", "price_desc", "discount", "newest")


@dataclass(frozen=True)
class ProductCard:
    """What a product card, list row or article embed shows."""

    id: int
    slug: str
    name: str
    brand: str
    form: str
    image: ProductImage | None
    variant_id: int | None
    variant_label: str
    mrp: int
    price: int
    percent_off: int
    in_stock: bool
    max_per_order: int


@dataclass(frozen=True)
class VariantOffer:
    """A variant with the price it sells for now."""

    variant: Variant
    price: int
    percent_off: int


def _sales() -> list[engine.Sale]:
    """The sales running now, loaded once per request."""
    if "active_sales" not in g:
        g.active_sales = active_sales(utcnow())
    return g.active_sales


def selling_price(product: Product, variant: Variant) -> int:
    """The unit price after the best running sale (SPEC §6: sales never stack)."""
    line = engine.LineInput(
        key=variant.id,
        product_id=product.id,
        category_id=product.category_id,
        mrp=variant.mrp,
        price=variant.price,
        quantity=1,
        gst_rate=product.gst_rate,
    )
    price, _sale_id = engine.best_sale_price(line, _sales(), utcnow())
    return price


def offers_for(product: Product) -> list[VariantOffer]:
    offers = []
    for variant in product.variants:
        price = selling_price(product, variant)
        offers.append(VariantOffer(variant, price, percent_off(variant.mrp, price)))
    return offers


def card_for(product: Product) -> ProductCard:
    variant = product.default_variant
    mrp = variant.mrp if variant else 0
    price = selling_price(product, variant) if variant else 0
    return ProductCard(
        id=product.id,
        slug=product.slug,
        name=product.name,
        brand=product.brand,
        form=product.form,
        image=product.main_image,
        variant_id=variant.id if variant else None,
        variant_label=variant.label if variant else "",
        mrp=mrp,
        price=price,
        percent_off=percent_off(mrp, price),
        in_stock=bool(variant and variant.stock > 0),
        max_per_order=product.max_per_order,
    )


def _with_card_data(stmt: Select) -> Select:
    return stmt.options(joinedload(Product.variants), joinedload(Product.images))


def cards_by_slug(slugs: Sequence[str]) -> dict[str, ProductCard]:
    """Active products named by `slugs`: the same queries also when `slugs` is empty."""
    _sales()
    stmt = _with_card_data(
        select(Product).where(Product.slug.in_(list(slugs)), Product.active.is_(True))
    )
    products = db.session.scalars(stmt).unique()
    return {p.slug: card_for(p) for p in products}


def cards_by_ids(ids: Sequence[int]) -> list[ProductCard]:
    """Active products `ids` in that order: the same queries also when `ids` is empty."""
    _sales()
    stmt = _with_card_data(
        select(Product).where(Product.id.in_(list(ids)), Product.active.is_(True))
    )
    products = {p.id: p for p in db.session.scalars(stmt).unique()}
    return [card_for(products[i]) for i in ids if i in products]


def featured_products(limit: int) -> list[ProductCard]:
    ids = (
        select(Product.id)
        .where(Product.active.is_(True))
        .order_by(Product.created_at.desc(), Product.id.desc())
        .limit(limit)
        .scalar_subquery()
    )
    stmt = _with_card_data(select(Product).where(Product.id.in_(ids))).order_by(
        Product.created_at.desc(), Product.id.desc()
    )
    return [card_for(p) for p in db.session.scalars(stmt).unique()]


def condition_products(condition_id: int) -> list[ProductCard]:
    from shop.catalog.models import product_conditions

    stmt = _with_card_data(
        select(Product)
        .join(product_conditions, product_conditions.c.product_id == Product.id)
        .where(product_conditions.c.condition_id == condition_id, Product.active.is_(True))
        .order_by(Product.name)
    )
    return [card_for(p) for p in db.session.scalars(stmt).unique()]


def categories() -> list[Category]:
    return list(db.session.scalars(select(Category).order_by(Category.position, Category.name)))


def category_by_slug(slug: str) -> Category | None:
    return db.session.scalar(select(Category).where(Category.slug == slug))


def list_products(
    *, q: str = "", category: Category | None = None, sort: str = "relevance", page: int = 1
) -> Page[ProductCard]:
    """One page of active products: count, ids in order, then the cards.

    A search (`q`) counts its matches in the same statement as the page's ids.
    """
    # Sort by what the shopper pays: each variant's price after the best running sale.
    paid = effective_price_sql(_sales(), utcnow())
    min_price = select(func.min(paid)).where(Variant.product_id == Product.id).scalar_subquery()
    best_discount = (
        select(func.max((Variant.mrp - paid) * 10000 / Variant.mrp))
        .where(Variant.product_id == Product.id)
        .scalar_subquery()
    )
    stmt = select(Product.id).where(Product.active.is_(True))
    if category is not None:
        stmt = stmt.where(Product.category_id == category.id)
    rank = None
    if q:
        # Filters go inside the search so its cap of MAX_MATCHES applies after them.
        matches = product_matches(
            q, active_only=True, category_id=category.id if category is not None else None
        )
        stmt = stmt.join(matches, matches.c.product_id == Product.id)
        rank = matches.c.rank
    order = {
        "price_asc": [min_price.asc()],
        "price_desc": [min_price.desc()],
        "discount": [best_discount.desc()],
        "newest": [Product.created_at.desc()],
        "relevance": [rank.asc()] if rank is not None else [Product.created_at.desc()],
    }[sort]
    window = stmt.order_by(*order, Product.id.desc()).limit(PER_PAGE).offset((page - 1) * PER_PAGE)
    if q:
        # A search is capped at MAX_MATCHES rows: count them in the same statement.
        rows = db.session.execute(window.add_columns(func.count().over())).all()
        ids = [row[0] for row in rows]
        # No rows: nothing matched, or the page is past the last one (a 404 either way).
        total = rows[0][1] if rows else 0
    else:
        total = db.session.scalar(select(func.count()).select_from(stmt.subquery()))
        ids = list(db.session.scalars(window))
    products = {
        p.id: p
        for p in db.session.scalars(
            _with_card_data(select(Product).where(Product.id.in_(ids)))
        ).unique()
    }
    cards = [card_for(products[i]) for i in ids if i in products]
    return Page(items=cards, number=page, per_page=PER_PAGE, total=total)


def effective_price_sql(sales: Sequence[engine.Sale], now: datetime) -> ColumnElement[int]:
    """`Variant.price` after the best sale running at `now`, as SQL (SPEC §6).

    The same rule as `engine.best_sale_price`, for ORDER BY: each running sale applied
    alone to the list price (percent rounded half up to the paisa, never below 0) and the
    lowest result kept. Correlates with `Product` (for its category) and `Variant`.
    """
    price = Variant.price
    candidates: list[ColumnElement[int]] = [price]
    for sale in sales:
        if not (sale.starts_at is None or sale.starts_at <= now):
            continue
        if not (sale.ends_at is None or now < sale.ends_at):
            continue
        targets = []
        if sale.product_ids:
            targets.append(Variant.product_id.in_(sorted(sale.product_ids)))
        if sale.category_ids:
            targets.append(Product.category_id.in_(sorted(sale.category_ids)))
        if not targets:
            continue
        # percent: price × value / 100 rounded half up to the paisa, in integer division
        off = (price * sale.value + 50) // 100 if sale.kind == "percent" else literal(sale.value)
        reduced = case((price - off < 0, 0), else_=price - off)
        candidates.append(case((or_(*targets), reduced), else_=price))
    if len(candidates) == 1:
        return price
    if db.session.get_bind().dialect.name == "postgresql":
        return func.least(*candidates)
    return func.min(*candidates)  # SQLite's scalar min() of several arguments


def product_by_slug(slug: str) -> Product | None:
    """An active product with everything its page shows, in a fixed number of queries."""
    stmt = (
        select(Product)
        .where(Product.slug == slug, Product.active.is_(True))
        .options(
            joinedload(Product.category),
            selectinload(Product.variants),
            selectinload(Product.images),
            selectinload(Product.conditions),
        )
    )
    return db.session.scalar(stmt)
