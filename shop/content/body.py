"""An article body rendered as the public page shows it: live product cards, article links.

Shared by the article page and the back office's preview, so the two never differ.
"""

from __future__ import annotations

from flask import get_template_attribute, url_for
from markupsafe import Markup

from shop.catalog.cards import cards_by_slug
from shop.content import queries
from shop.content.models import Article
from shop.content.rendering import RenderedArticle, find_embeds, render_article


def render_body(item: Article) -> RenderedArticle:
    """Render the article's Markdown with live product cards and article links."""
    embeds = find_embeds(item.body)
    cards = cards_by_slug(embeds.products)
    links = queries.article_links(embeds.articles)

    position = 0
    card_macro = get_template_attribute("_macros/cards.html", "product_card")

    def product_card(slug: str) -> str | None:
        # Each card carries the article and its own position (1, 2, … in reading order)
        # into its product link and its add-to-cart form, for attribution.
        nonlocal position
        card = cards.get(slug)
        if card is None:
            return None
        position += 1
        return str(card_macro(card, ref=item.slug, pos=position, embed=True))

    def article_link(slug: str) -> tuple[str, str] | None:
        title = links.get(slug)
        return (title, url_for("content.article", slug=slug)) if title else None

    rendered = render_article(item.body, product_card, article_link)
    return RenderedArticle(html=Markup(rendered.html), toc=rendered.toc)


def embed_products(item: Article) -> list[str]:
    """The product slug of each embed position (1, 2, …) as the public page numbers them."""
    known = cards_by_slug(find_embeds(item.body).products)
    slugs: list[str] = []

    def record(slug: str) -> str | None:
        if slug not in known:
            return None
        slugs.append(slug)
        return ""

    render_article(item.body, record, lambda slug: None)
    return slugs
