"""Article, condition and doctor pages."""

from __future__ import annotations

from flask import Blueprint, render_template

from shop import seo
from shop.attribution.tracking import count_view
from shop.cache import cached_page
from shop.catalog import queries as catalog_queries
from shop.content import queries
from shop.content.body import render_body
from shop.listing import ensure_page_exists, page_arg
from shop.questions import service as questions
from shop.redirects import redirect_or_404

bp = Blueprint("content", __name__)


@bp.get("/articles/")
def article_list():
    number = page_arg()

    def render() -> str:
        page = queries.list_articles(number)
        ensure_page_exists(page)
        return render_template("content/article_list.html", page=page)

    return cached_page(render, ("page",))


@bp.get("/articles/<slug>")
def article(slug: str):
    def render() -> str:
        item = queries.article_by_slug(slug)
        if item is None:
            redirect_or_404("article", slug, "We could not find that article.")
        return render_template(
            "content/article.html",
            article=item,
            body=render_body(item),
            read_more=queries.read_more(item),
            doctors=queries.doctors_for(item.condition_id),
            seo=seo.article_page(item),
        )

    page = cached_page(render)
    count_view(slug)  # an article that answered: one in-memory count, no query
    return page


@bp.get("/conditions/<slug>")
def condition(slug: str):
    def render() -> str:
        item = queries.condition_by_slug(slug)
        if item is None:
            redirect_or_404("condition", slug, "We could not find that condition.")
        products = catalog_queries.condition_products(item.id)
        shown = catalog_queries.CONDITION_PRODUCTS
        return render_template(
            "content/condition.html",
            condition=item,
            articles=queries.condition_articles(item.id),
            products=products[:shown],
            more_products=len(products) > shown,
            doctors=queries.doctors_for(item.id),
            questions=questions.for_condition(item.id),
            seo=seo.condition_page(item),
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
            redirect_or_404("doctor", slug, "We could not find that doctor.")
        return render_template(
            "content/doctor.html",
            doctor=item,
            articles=queries.reviewed_by(item.id),
            questions=questions.for_doctor(item.id),
            seo=seo.doctor_page(item),
        )

    return cached_page(render)
