"""Article, condition and doctor pages."""

from __future__ import annotations

from flask import Blueprint, abort, render_template, url_for
from markupsafe import Markup

from shop.cache import cached_page
from shop.catalog import queries as catalog_queries
from shop.content import queries
from shop.content.models import Article
from shop.content.rendering import RenderedArticle, find_embeds, render_article
from shop.listing import ensure_page_exists, page_arg
from shop.questions import service as questions

bp = Blueprint("content", __name__)


@bp.get("/articles/")
def article_list():
    number = page_arg()

    def render() -> str:
        page = queries.list_articles(number)
        ensure_page_exists(page)
        return render_template("content/article_list.html", page=page)

    return cached_page(render)


@bp.get("/articles/<slug>")
def article(slug: str):
    def render() -> str:
        item = queries.article_by_slug(slug)
        if item is None:
            abort(404, description="We could not find that article.")
        return render_template(
            "content/article.html",
            article=item,
            body=render_body(item),
            read_more=queries.read_more(item),
            doctors=queries.doctors_for(item.condition_id),
        )

    return cached_page(render)


def render_body(item: Article) -> RenderedArticle:
    """Render the article's Markdown with live product cards and article links."""
    embeds = find_embeds(item.body)
    cards = catalog_queries.cards_by_slug(embeds.products)
    links = queries.article_links(embeds.articles)

    def product_card(slug: str) -> str | None:
        card = cards.get(slug)
        if card is None:
            return None
        return render_template("_partials/product_card.html", card=card, ref=item.slug, embed=True)

    def article_link(slug: str) -> tuple[str, str] | None:
        title = links.get(slug)
        return (title, url_for("content.article", slug=slug)) if title else None

    rendered = render_article(item.body, product_card, article_link)
    return RenderedArticle(html=Markup(rendered.html), toc=rendered.toc)


@bp.get("/conditions/<slug>")
def condition(slug: str):
    def render() -> str:
        item = queries.condition_by_slug(slug)
        if item is None:
            abort(404, description="We could not find that condition.")
        return render_template(
            "content/condition.html",
            condition=item,
            articles=queries.condition_articles(item.id),
            products=catalog_queries.condition_products(item.id),
            doctors=queries.doctors_for(item.id),
            questions=questions.for_condition(item.id),
        )

    return cached_page(render)


@bp.get("/doctors/")
def doctor_list():
    return cached_page(
        lambda: render_template("content/doctor_list.html", doctors=queries.all_doctors())
    )


@bp.get("/doctors/<slug>")
def doctor(slug: str):
    def render() -> str:
        item = queries.doctor_by_slug(slug)
        if item is None:
            abort(404, description="We could not find that doctor.")
        return render_template(
            "content/doctor.html",
            doctor=item,
            articles=queries.reviewed_by(item.id),
            questions=questions.for_doctor(item.id),
        )

    return cached_page(render)
