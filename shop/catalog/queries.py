"""Read-side queries for the storefront, each a fixed number of SQL statements.

Views receive `ProductCard`s — plain values ready for a template — so no template ever
touches a lazy relationship (that is how N+1 queries creep in).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from flask import current_app, g
from sqlalchemy import Select, func, literal, select
from sqlalchemy.orm import joinedload, selectinload

from shop.catalog import prices
from shop.catalog.cards import ProductCard, cards_by_ids, offer, shown_sales
from shop.catalog.models import Category, Product, Variant, product_conditions
from shop.catalog.prices import effective_price_sql  # noqa: F401 - re-exported
from shop.catalog.search import MAX_MATCHES, product_matches
from shop.database import utcnow
from shop.extensions import db
from shop.listing import Page, ensure_page_within
from shop.pricing import engine
from shop.pricing.money import percent_off

PER_PAGE = 24
SORTS = ("relevance", "price_asc", "price_desc", "discount", "newest")
PRICE_SORTS = ("price_asc", "price_desc", "discount")
LIST_CAP = 10_000  # the count stops here, and no page lies past it
CONDITION_PRODUCTS = 12  # cards on a condition page; "see all" opens the filtered list


@dataclass(frozen=True)
class VariantOffer:
    """A variant with the price it sells for now."""

    variant: Variant
    price: int
    percent_off: int
    on_sale: bool = False
    sale_ends_at: datetime | None = None


def _sales() -> Sequence[engine.Sale]:
    """The sales to price with, read once per request (usually from the rules cache)."""
    if "active_sales" not in g:
        g.active_sales = shown_sales(utcnow())
    return g.active_sales


def selling_price(product: Product, variant: Variant) -> int:
    """The unit price after the best running sale (SPEC §6: sales never stack)."""
    return sale_offer(product, variant)[0]


def sale_offer(product: Product, variant: Variant) -> tuple[int, engine.Sale | None]:
    """The unit price after the best running sale, and that sale (None: list price)."""
    return offer(
        product.id,
        product.category_id,
        product.gst_rate,
        variant.id,
        variant.mrp,
        variant.price,
        _sales(),
        utcnow(),
    )


def offers_for(product: Product) -> list[VariantOffer]:
    offers = []
    for variant in product.variants:
        price, sale = sale_offer(product, variant)
        offers.append(
            VariantOffer(
                variant,
                price,
                percent_off(variant.mrp, price),
                on_sale=sale is not None,
                sale_ends_at=sale.ends_at if sale else None,
            )
        )
    return offers


def featured_products(limit: int) -> list[ProductCard]:
    """The newest active products: one id query and the cards."""
    ids = db.session.scalars(
        select(Product.id)
        .where(Product.active.is_(True))
        .order_by(Product.created_at.desc(), Product.id.desc())
        .limit(limit)
    ).all()
    return cards_by_ids(ids)


def condition_products(condition_id: int, limit: int = CONDITION_PRODUCTS) -> list[ProductCard]:
    """The condition page's selection: the products staff pinned, in their order, then
    best sellers (units in paid orders), then the best discount. Up to `limit` + 1 cards
    come back, so the page knows whether to link to the whole list.

    Three narrow id queries and the cards, whatever the condition holds: the pins and
    the sellers are few, and the discount order walks the `(active, sort_discount, id)`
    index until enough of this condition's products came by. (One query ordering every
    product of the condition read each of them: 100 ms for 5,000 products on PostgreSQL.)
    """
    wanted = limit + 1
    of_condition = product_conditions.c.condition_id == condition_id
    pinned = db.session.scalars(
        select(Product.id)
        .join(product_conditions, product_conditions.c.product_id == Product.id)
        .where(of_condition, product_conditions.c.pin_position.is_not(None))
        .where(Product.active.is_(True))
        .order_by(product_conditions.c.pin_position, Product.id)
        .limit(wanted)
    ).all()
    sellers = db.session.scalars(_best_sellers(of_condition, wanted)).all()
    by_discount = db.session.scalars(
        select(Product.id)
        .where(Product.active.is_(True))
        .where(
            select(product_conditions.c.product_id)
            .where(of_condition, product_conditions.c.product_id == Product.id)
            .exists()
        )
        .order_by(Product.sort_discount.desc(), Product.id.desc())
        .limit(wanted + len(pinned) + len(sellers))
    ).all()
    ids = list(dict.fromkeys([*pinned, *sellers, *by_discount]))[:wanted]
    return cards_by_ids(ids)


def _best_sellers(of_condition, limit: int) -> Select:
    """Ids of the condition's active products that sold, most units in paid orders first."""
    from shop.checkout.models import Order, OrderLine

    units = func.sum(OrderLine.quantity)
    return (
        select(Product.id)
        .join(product_conditions, product_conditions.c.product_id == Product.id)
        .join(Variant, Variant.product_id == Product.id)
        .join(OrderLine, OrderLine.variant_id == Variant.id)
        .join(Order, Order.id == OrderLine.order_id)
        .where(of_condition, Product.active.is_(True), Order.paid_at.is_not(None))
        .group_by(Product.id, Product.sort_discount)
        .order_by(units.desc(), Product.sort_discount.desc(), Product.id.desc())
        .limit(limit)
    )


def categories() -> list[Category]:
    return list(db.session.scalars(select(Category).order_by(Category.position, Category.name)))


def category_by_slug(slug: str) -> Category | None:
    return db.session.scalar(select(Category).where(Category.slug == slug))


def list_products(
    *,
    q: str = "",
    category: Category | None = None,
    condition_id: int | None = None,
    sort: str = "relevance",
    page: int = 1,
) -> Page[ProductCard]:
    """One page of active products: a capped count, ids in order, then the cards.

    Price and discount sorts read the stored sort keys (`shop.catalog.prices`) through
    `(active, key, id)` indexes, so every sort is an index walk; the count stops at
    `LIST_CAP` and no page lies past it (a shopper narrows the list instead), so a deep
    page never skips more than `LIST_CAP` rows. A search (`q`) counts its matches in the
    same statement as the page's ids. A page past the cap (`MAX_MATCHES` for a search)
    answers 404 before any query, and a page past the counted list's end before its ids
    are read.
    """
    ensure_page_within(page, MAX_MATCHES if q else LIST_CAP, PER_PAGE)
    if sort in PRICE_SORTS:
        ensure_prices_current()
    stmt = select(Product.id).where(Product.active.is_(True))
    if category is not None:
        stmt = stmt.where(Product.category_id == category.id)
    if condition_id is not None:
        stmt = stmt.join(product_conditions, product_conditions.c.product_id == Product.id).where(
            product_conditions.c.condition_id == condition_id
        )
    relevance = newest = [Product.created_at.desc(), Product.id.desc()]
    if q:
        # Filters go inside the search so its cap of MAX_MATCHES applies after them.
        matches = product_matches(
            q, active_only=True, category_id=category.id if category is not None else None
        )
        relevance = [matches.c.rank.asc(), matches.c.product_id.desc()]
        if condition_id is None and sort == "relevance":
            stmt = select(matches.c.product_id)  # every filter is inside: no product read
        else:
            stmt = stmt.join(matches, matches.c.product_id == Product.id)
    order = {
        "price_asc": [Product.sort_price.asc(), Product.id.asc()],
        "price_desc": [Product.sort_price.desc(), Product.id.desc()],
        "discount": [Product.sort_discount.desc(), Product.id.desc()],
        "newest": newest,
        "relevance": relevance,
    }[sort]
    window = stmt.order_by(*order).limit(PER_PAGE).offset((page - 1) * PER_PAGE)
    if q:
        # A search is capped at MAX_MATCHES rows: count them in the same statement.
        rows = db.session.execute(window.add_columns(func.count().over())).all()
        ids = [row[0] for row in rows]
        # No rows: nothing matched, or the page is past the last one (a 404 either way).
        total = rows[0][1] if rows else 0
    else:
        counted = stmt.with_only_columns(literal(1)).limit(LIST_CAP + 1).subquery()
        total = db.session.scalar(select(func.count()).select_from(counted))
        ensure_page_within(page, total, PER_PAGE)  # before the OFFSET query
        ids = list(db.session.scalars(window))
    return Page(
        items=cards_by_ids(ids),
        number=page,
        per_page=PER_PAGE,
        total=min(total, LIST_CAP),
        more=total > LIST_CAP,
    )


def ensure_prices_current() -> None:
    """Catch the stored sort prices up with a sale that started or ended (rarely runs).

    The due time comes with the content version the page cache reads anyway, so on
    most requests this costs no query.
    """
    memo = current_app.extensions["content_version"]
    due = memo.prices_due()
    if due is None or due > utcnow():
        return
    prices.catch_up(db.session)
    db.session.commit()
    memo.forget()


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
