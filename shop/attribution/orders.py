"""Which article an order line is attributed to, decided when the order is placed."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from shop.attribution.refs import WINDOW
from shop.content.models import Article
from shop.extensions import db


def articles_for_lines(lines, now: datetime) -> dict[int, tuple[int, int]]:
    """Cart line id → (article id, embed position) for lines that came from an article.

    A line counts when the shopper came from the article within the last 7 days (the
    time of the click or add that set the line's `ref`) and the article still exists;
    anything else — an unknown slug, an old visit — is simply not attributed. One query.
    """
    fresh = [
        line
        for line in lines
        if line.ref and now - WINDOW <= (line.ref_at or line.added_at) <= now + WINDOW
    ]
    if not fresh:
        return {}
    ids = dict(
        db.session.execute(
            select(Article.slug, Article.id).where(Article.slug.in_({line.ref for line in fresh}))
        ).all()
    )
    return {line.id: (ids[line.ref], line.ref_pos or 0) for line in fresh if line.ref in ids}
