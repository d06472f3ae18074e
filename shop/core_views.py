"""Site-wide pages: home, health check, robots.txt and the sitemap."""

from __future__ import annotations

from flask import Blueprint, Response, current_app, render_template, url_for
from sqlalchemy import select, text

from shop.cache import cached_page
from shop.catalog import queries as catalog_queries
from shop.catalog.models import Product
from shop.content import queries as content_queries
from shop.content.models import Article, Condition, Doctor
from shop.extensions import db
from shop.questions.models import Question, QuestionStatus

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
            products=catalog_queries.featured_products(limit=8),
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
    base = current_app.config["SHOP_BASE_URL"]
    urls = [
        base + url_for("core.home"),
        base + url_for("content.article_list"),
        base + url_for("catalog.product_list"),
        base + url_for("content.doctor_list"),
    ]
    for slug in db.session.scalars(select(Article.slug).where(Article.published.is_(True))):
        urls.append(base + url_for("content.article", slug=slug))
    for slug in db.session.scalars(select(Condition.slug)):
        urls.append(base + url_for("content.condition", slug=slug))
    for slug in db.session.scalars(select(Product.slug).where(Product.active.is_(True))):
        urls.append(base + url_for("catalog.product", slug=slug))
    for slug in db.session.scalars(select(Doctor.slug).where(Doctor.active.is_(True))):
        urls.append(base + url_for("content.doctor", slug=slug))
    published = select(Question.id, Question.slug).where(
        Question.status == QuestionStatus.PUBLISHED.value
    )
    for question_id, slug in db.session.execute(published.order_by(Question.id)):
        urls.append(base + url_for("questions.show", question_id=question_id, slug=slug))
    xml = render_template("sitemap.xml", urls=urls)
    return Response(xml, mimetype="application/xml")
