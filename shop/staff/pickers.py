"""Back office: type-ahead for product and article pickers (`static/js/picker.js`).

`GET /staff/pick/products?q=…` and `/staff/pick/articles?q=…` answer JSON
`{"results": [{"slug": …, "name": …}, …]}`: an exact slug first (the unique slug index),
then full-text matches by rank (the search index of `shop.catalog.search`), at most
`PICK_LIMIT` rows, inactive products and drafts included (staff link to them too). The
forms they help still take plain slugs, so every picker works without JavaScript.
"""

from __future__ import annotations

from flask import jsonify, request
from sqlalchemy import select

from shop.catalog.models import Product
from shop.catalog.search import article_matches, product_matches
from shop.content.models import Article
from shop.extensions import db
from shop.staff.base import bp

PICK_LIMIT = 10
MAX_QUERY = 100


def _query():
    """The typed text, or a 400 JSON answer when it is too long to be a name."""
    q = request.args.get("q", "").strip()
    if len(q) > MAX_QUERY:
        return None, (jsonify(error=f"Type at most {MAX_QUERY} characters."), 400)
    return q, None


def pick_products(q: str) -> list[dict[str, str]]:
    """Products whose slug is `q` or whose name, brand or text match it, best first."""
    if not q:
        return []
    exact = db.session.execute(
        select(Product.slug, Product.name, Product.active).where(Product.slug == q.lower())
    ).all()
    matches = product_matches(q)
    ranked = db.session.execute(
        select(Product.slug, Product.name, Product.active)
        .join(matches, matches.c.product_id == Product.id)
        .where(Product.slug != q.lower())
        .order_by(matches.c.rank.asc(), Product.id)
        .limit(PICK_LIMIT)
    ).all()
    rows = [*exact, *ranked][:PICK_LIMIT]
    return [
        {"slug": slug, "name": name if active else f"{name} (inactive)"}
        for slug, name, active in rows
    ]


def pick_articles(q: str) -> list[dict[str, str]]:
    """Articles whose slug is `q` or whose title or text match it, best first."""
    if not q:
        return []
    exact = db.session.execute(
        select(Article.slug, Article.title, Article.published).where(Article.slug == q.lower())
    ).all()
    matches = article_matches(q)
    ranked = db.session.execute(
        select(Article.slug, Article.title, Article.published)
        .join(matches, matches.c.article_id == Article.id)
        .where(Article.slug != q.lower())
        .order_by(matches.c.rank.asc(), Article.id)
        .limit(PICK_LIMIT)
    ).all()
    rows = [*exact, *ranked][:PICK_LIMIT]
    return [
        {"slug": slug, "name": title if published else f"{title} (draft)"}
        for slug, title, published in rows
    ]


@bp.get("/pick/products")
def pick_products_json():
    q, refused = _query()
    return refused or jsonify(results=pick_products(q))


@bp.get("/pick/articles")
def pick_articles_json():
    q, refused = _query()
    return refused or jsonify(results=pick_articles(q))
