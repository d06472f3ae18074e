"""Product list, category pages, product page and site search."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from flask import (
    Blueprint,
    Response,
    abort,
    make_response,
    render_template,
    send_from_directory,
)

from shop import seo
from shop.attribution.tracking import follow_click
from shop.cache import cached_page
from shop.catalog import queries
from shop.catalog.search import MAX_MATCHES
from shop.content import queries as content_queries
from shop.listing import choice_arg, ensure_page_exists, page_arg, query_arg
from shop.localtime import to_shop_time
from shop.redirects import redirect_or_404
from shop.search import page as search_page
from shop.storage import CONTENT_TYPES, LocalStorage, storage, valid_key

bp = Blueprint("catalog", __name__)
WEEK = 7 * 24 * 3600
LIST_PARAMS = ("q", "category", "condition", "sort", "page")  # what the list reads


@bp.app_template_filter("sale_end")
def sale_end(when: datetime) -> str:
    """A sale's end as shoppers read it: the date on the shop's clock
    (`SHOP_TIMEZONE`), e.g. "5 Dec"."""
    local = to_shop_time(when)
    return f"{local.day} {local:%b}"


@bp.get("/products/")
def product_list():
    q = query_arg("q")
    sort = choice_arg("sort", queries.SORTS, "relevance")
    number = page_arg()
    category_slug = query_arg("category")
    condition_slug = query_arg("condition")

    def render() -> str:
        category = condition = None
        if category_slug:
            category = queries.category_by_slug(category_slug)
            if category is None:
                abort(404, description="We could not find that category.")
        if condition_slug:
            condition = content_queries.condition_by_slug(condition_slug)
            if condition is None:
                abort(404, description="We could not find that condition.")
        page, correction = search_page.product_page(
            q,
            category=category,
            condition_id=condition.id if condition is not None else None,
            sort=sort,
            page=number,
        )
        ensure_page_exists(page)
        return render_template(
            "catalog/product_list.html",
            page=page,
            q=q,
            sort=sort,
            sorts=queries.SORTS,
            category=category,
            condition=condition,
            categories=queries.categories(),
            search_cap=MAX_MATCHES,
            correction=correction,
        )

    return cached_page(render, LIST_PARAMS)


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
            articles=content_queries.articles_embedding(item.slug),
            seo=seo.product_page(item, offers),
        )

    # `ref`/`pos` from an article are read below, not by the page (it declares no
    # parameters): one cached copy serves every article's links to it.
    page = cached_page(render)
    return follow_click(make_response(page))


@bp.get("/categories/")
def category_list():
    def render() -> str:
        return render_template("catalog/category_list.html", categories=queries.categories())

    return cached_page(render)


@bp.get("/categories/<slug>")
def category(slug: str):
    """A category's landing page: its description and its products, sortable and paged.

    `/products/?category=<slug>` keeps working; this is the page the header and the home
    page link to.
    """
    sort = choice_arg("sort", queries.SORTS, "relevance")
    number = page_arg()

    def render() -> str:
        found = queries.category_by_slug(slug)
        if found is None:
            abort(404, description="We could not find that category.")
        page = queries.list_products(category=found, sort=sort, page=number)
        ensure_page_exists(page)
        return render_template(
            "catalog/category.html",
            category=found,
            page=page,
            sort=sort,
            categories=queries.categories(),
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

    return cached_page(render, ("q",))


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
