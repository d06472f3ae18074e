"""Site-wide pages: home, health check, robots.txt and the sitemap."""

from __future__ import annotations

from flask import Blueprint, Response, abort, current_app, render_template
from sqlalchemy import text

from shop import seo
from shop import sitemap as sitemaps
from shop.cache import cached_page
from shop.catalog import queries as catalog_queries
from shop.content import queries as content_queries
from shop.extensions import db

bp = Blueprint("core", __name__)


@bp.get("/healthz")
def healthz():
    try:
        db.session.execute(text("SELECT 1"))
    except Exception:  # noqa: BLE001 - any database failure means "not healthy"
        current_app.logger.exception("health check: database unreachable")
        return {"status": "error", "database": "unreachable"}, 503
    return {"status": "ok"}


@bp.get("/")
def home():
    def render() -> str:
        return render_template(
            "home.html",
            articles=content_queries.latest_articles(limit=6),
            conditions=content_queries.all_conditions(),
            categories=catalog_queries.categories(),
            products=catalog_queries.featured_products(limit=8),
            seo=seo.home_page(),
        )

    return cached_page(render)


@bp.get("/robots.txt")
def robots():
    base = current_app.config["SHOP_BASE_URL"]
    body = "\n".join(
        [
            "User-agent: *",
            "Disallow: /cart",
            "Disallow: /checkout",
            "Disallow: /account/",
            "Disallow: /staff/",
            "Disallow: /doctor/",
            "Disallow: /ask/sent",
            f"Sitemap: {base}/sitemap.xml",
            "",
        ]
    )
    return Response(body, mimetype="text/plain")


@bp.get("/sitemap.xml")
def sitemap():
    entries = sitemaps.all_entries()
    if entries is None:  # past the per-file limit: an index of child files
        xml = render_template("sitemap_index.xml", children=sitemaps.index())
    else:
        xml = render_template("sitemap.xml", entries=entries)
    return Response(xml, mimetype="application/xml")


@bp.get("/sitemap-<kind>-<int:number>.xml")
def sitemap_part(kind: str, number: int):
    entries = sitemaps.part(kind, number)
    if entries is None:
        abort(404, description="There is no such sitemap.")
    return Response(render_template("sitemap.xml", entries=entries), mimetype="application/xml")
