"""Product list, product page and site search."""

from __future__ import annotations

from flask import Blueprint, abort, render_template

from shop.cache import cached_page
from shop.catalog import queries
from shop.content import queries as content_queries
from shop.listing import choice_arg, ensure_page_exists, page_arg, query_arg

bp = Blueprint("catalog", __name__)


@bp.get("/products/")
def product_list():
    q = query_arg("q")
    sort = choice_arg("sort", queries.SORTS, "relevance")
    number = page_arg()
    category_slug = query_arg("category")

    def render() -> str:
        category = None
        if category_slug:
            category = queries.category_by_slug(category_slug)
            if category is None:
                abort(404, description="We could not find that category.")
        page = queries.list_products(q=q, category=category, sort=sort, page=number)
        ensure_page_exists(page)
        return render_template(
            "catalog/product_list.html",
            page=page,
            q=q,
            sort=sort,
            sorts=queries.SORTS,
            category=category,
            categories=queries.categories(),
        )

    return cached_page(render)


@bp.get("/products/<slug>")
def product(slug: str):
    def render() -> str:
        item = queries.product_by_slug(slug)
        if item is None:
            abort(404, description="We could not find that product.")
        return render_template(
            "catalog/product.html", product=item, offers=queries.offers_for(item)
        )

    return cached_page(render)


@bp.get("/search")
def search():
    q = query_arg("q")

    def render() -> str:
        products = queries.list_products(q=q).items if q else []
        articles = content_queries.search_articles(q) if q else []
        return render_template("search.html", q=q, products=products, articles=articles)

    return cached_page(render)
