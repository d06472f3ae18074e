"""The public help and legal pages: `/help/` and `/help/<slug>` (cached like any page)."""

from __future__ import annotations

from flask import Blueprint, abort, render_template
from sqlalchemy import select

from shop.cache import cached_page
from shop.content.rendering import render_markdown
from shop.extensions import db
from shop.help.models import HelpPage
from shop.help.pages import BY_SLUG, PAGES

bp = Blueprint("help", __name__)


@bp.app_context_processor
def footer_pages() -> dict:
    """The footer's links, from the fixed list (no query)."""
    return {"help_pages": PAGES}


@bp.get("/help/")
def index():
    def render() -> str:
        rows = {p.slug: p for p in db.session.scalars(select(HelpPage))}
        return render_template("help/index.html", pages=[rows.get(p.slug) for p in PAGES])

    return cached_page(render)


@bp.get("/help/<slug>")
def page(slug: str):
    def render() -> str:
        found = (
            db.session.scalar(select(HelpPage).where(HelpPage.slug == slug))
            if slug in BY_SLUG
            else None
        )
        if found is None:
            abort(404, description="We could not find that page.")
        return render_template(
            "help/page.html",
            page=found,
            spec=BY_SLUG[slug],
            body=render_markdown(found.body),
        )

    return cached_page(render)
