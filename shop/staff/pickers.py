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


def _pick(q: str, model, find, key: str, columns: tuple, hidden: str) -> list[dict[str, str]]:
    """Rows of `model` whose slug is `q`, then those the search `find(q)` matched (its id
    column `key`), best first. `columns` are (slug, name, shown); a name not shown gets
    `hidden` after it."""
    if not q:
        return []
    slug = columns[0]
    exact = db.session.execute(select(*columns).where(slug == q.lower())).all()
    matches = find(q)
    ranked = db.session.execute(
        select(*columns)
        .join(matches, matches.c[key] == model.id)
        .where(slug != q.lower())
        .order_by(matches.c.rank.asc(), model.id)
        .limit(PICK_LIMIT)
    ).all()
    rows = [*exact, *ranked][:PICK_LIMIT]
    return [{"slug": s, "name": n if shown else f"{n} {hidden}"} for s, n, shown in rows]


def pick_products(q: str) -> list[dict[str, str]]:
    """Products whose slug is `q` or whose name, brand or text match it, best first."""
    columns = (Product.slug, Product.name, Product.active)
    return _pick(q, Product, product_matches, "product_id", columns, "(inactive)")


def pick_articles(q: str) -> list[dict[str, str]]:
    """Articles whose slug is `q` or whose title or text match it, best first."""
    columns = (Article.slug, Article.title, Article.published)
    return _pick(q, Article, article_matches, "article_id", columns, "(draft)")


@bp.get("/pick/products")
def pick_products_json():
    q, refused = _query()
    return refused or jsonify(results=pick_products(q))


@bp.get("/pick/articles")
def pick_articles_json():
    q, refused = _query()
    return refused or jsonify(results=pick_articles(q))
