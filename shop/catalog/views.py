"""Product list, product page and site search."""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, Response, abort, render_template, send_from_directory

from shop import seo
from shop.cache import cached_page
from shop.catalog import queries
from shop.catalog.search import MAX_MATCHES
from shop.listing import choice_arg, ensure_page_exists, page_arg, query_arg
from shop.redirects import redirect_or_404
from shop.search import page as search_page
from shop.storage import CONTENT_TYPES, LocalStorage, storage, valid_key

bp = Blueprint("catalog", __name__)
WEEK = 7 * 24 * 3600


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
        page, correction = search_page.product_page(q, category=category, sort=sort, page=number)
        ensure_page_exists(page)
        return render_template(
            "catalog/product_list.html",
            page=page,
            q=q,
            sort=sort,
            sorts=queries.SORTS,
            category=category,
            categories=queries.categories(),
            search_cap=MAX_MATCHES,
            correction=correction,
        )

    return cached_page(render)


@bp.get("/products/<slug>")
def product(slug: str):
    def render() -> str:
        item = queries.product_by_slug(slug)
        if item is None:
            redirect_or_404("product", slug, "We could not find that product.")
        offers = queries.offers_for(item)
        return render_template(
            "catalog/product.html",
            product=item,
            offers=offers,
            seo=seo.product_page(item, offers),
        )

    return cached_page(render)


@bp.get("/search")
def search():
    q = query_arg("q")

    def render() -> str:
        if not q:
            return render_template(
                "search.html",
                q=q,
                results=None,
                popular_products=search_page.popular_products(),
                popular_articles=search_page.popular_articles(),
            )
        return render_template("search.html", q=q, results=search_page.site_search(q))

    return cached_page(render)


@bp.get("/uploads/<path:filename>")
def upload(filename: str):
    """Serve an uploaded image from the storage: known image types only, never sniffed."""
    if not valid_key(filename):
        abort(404, description="We could not find that image.")
    mimetype = CONTENT_TYPES[Path(filename).suffix.lower()]
    store = storage()
    if isinstance(store, LocalStorage):
        response = send_from_directory(store.folder, filename, mimetype=mimetype, max_age=WEEK)
    else:
        data = store.open(filename)
        if data is None:
            abort(404, description="We could not find that image.")
        response = Response(data, mimetype=mimetype)
        response.cache_control.public = True
        response.cache_control.max_age = WEEK
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Disposition"] = "inline"
    return response
