"""What the search page shows: results, a corrected search, or what is popular.

Each function runs a fixed number of statements for a given query text, whatever the
number of results, so the page stays cacheable and its query count fixed:
- `site_search(q)`: the products (one statement for page and count) and articles; only
  when both together find fewer than `FEW`, one more statement looks for misspelt words
  and, when the shopper's own words found nothing, the corrected words are searched.
- `popular()`: for an empty query, the products and articles paid orders came through
  most in the last `POPULAR_DAYS` days, topped up with the newest.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import defer

from shop.catalog import queries
from shop.catalog.cards import ProductCard, cards_by_ids
from shop.catalog.models import Product, Variant
from shop.content import queries as content_queries
from shop.content.models import Article
from shop.database import utcnow
from shop.extensions import db
from shop.listing import Page
from shop.search.spelling import did_you_mean

FEW = 3  # fewer results than this (products and articles together) try a correction
POPULAR_DAYS = 90
POPULAR_PRODUCTS = 8
POPULAR_ARTICLES = 6


@dataclass
class Correction:
    """A better spelling: `applied` when its results replaced the shopper's (none found)."""

    q: str
    applied: bool


def corrected_search(q: str, found: int) -> Correction | None:
    """A spelling correction for `q` when `found` results are few; None otherwise."""
    if found >= FEW:
        return None
    better = did_you_mean(q)
    if better is None or better == q.casefold():
        return None
    return Correction(better, applied=found == 0)


@dataclass
class SiteResults:
    q: str
    products: list[ProductCard] = field(default_factory=list)
    articles: list = field(default_factory=list)  # rows with slug, title and summary
    correction: Correction | None = None


def site_search(q: str) -> SiteResults:
    """Products and articles for `q`, corrected when it finds (almost) nothing."""
    products = queries.list_products(q=q).items
    articles = content_queries.search_articles(q)
    correction = corrected_search(q, len(products) + len(articles))
    if correction is not None and correction.applied:
        products = queries.list_products(q=correction.q).items
        articles = content_queries.search_articles(correction.q)
        if not products and not articles:
            correction.applied = False  # the correction finds nothing either: just offer it
    return SiteResults(q, list(products), list(articles), correction)


def product_page(q: str, **kwargs) -> tuple[Page[ProductCard], Correction | None]:
    """`list_products` for the product list, with the same correction."""
    page = queries.list_products(q=q, **kwargs)
    if not q or page.number != 1:
        return page, None
    correction = corrected_search(q, page.total)
    if correction is not None and correction.applied:
        better = queries.list_products(q=correction.q, **kwargs)
        if better.total:
            return better, correction
        correction.applied = False
    return page, correction


def _top_up(first: list[int], rest: list[int], limit: int) -> list[int]:
    ids = list(dict.fromkeys(first + rest))
    return ids[:limit]


def popular_products(limit: int = POPULAR_PRODUCTS) -> list[ProductCard]:
    """Active products by units in paid orders lately, then the newest: three statements."""
    from shop.checkout.models import Order, OrderLine

    units = func.sum(OrderLine.quantity)
    selling = db.session.scalars(
        select(Variant.product_id)
        .join(OrderLine, OrderLine.variant_id == Variant.id)
        .join(Order, Order.id == OrderLine.order_id)
        .join(Product, Product.id == Variant.product_id)
        .where(Order.paid_at >= utcnow() - timedelta(days=POPULAR_DAYS))
        .where(Product.active.is_(True))
        .group_by(Variant.product_id)
        .order_by(units.desc(), Variant.product_id.desc())
        .limit(limit)
    )
    newest = db.session.scalars(
        select(Product.id)
        .where(Product.active.is_(True))
        .order_by(Product.created_at.desc(), Product.id.desc())
        .limit(limit)
    )
    return cards_by_ids(_top_up(list(selling), list(newest), limit))


def popular_articles(limit: int = POPULAR_ARTICLES) -> list[Article]:
    """Published articles by order lines they brought lately, then the newest."""
    from shop.checkout.models import Order, OrderLine

    read = db.session.scalars(
        select(Article.id)
        .join(OrderLine, OrderLine.ref == Article.slug)
        .join(Order, Order.id == OrderLine.order_id)
        .where(Order.paid_at >= utcnow() - timedelta(days=POPULAR_DAYS))
        .where(Article.published.is_(True))
        .group_by(Article.id)
        .order_by(func.count().desc(), Article.id.desc())
        .limit(limit)
    )
    first = list(read)
    newest = [a.id for a in content_queries.latest_articles(limit)]
    ids = _top_up(first, newest, limit)
    stmt = select(Article).options(defer(Article.body)).where(Article.id.in_(ids))
    by_id = {a.id: a for a in db.session.scalars(stmt)}
    return [by_id[i] for i in ids if i in by_id]
