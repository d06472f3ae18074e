"""The request side of attribution: count a view, a click, an add; remember the article.

Each call costs a dictionary update in this process (see `counter`), never a query.
"""

from __future__ import annotations

from flask import current_app, request

from shop.attribution import counter, refs
from shop.database import utcnow


def _counted() -> bool:
    return request.method == "GET" and not refs.is_bot(request.headers.get("User-Agent"))


def count_view(slug: str) -> None:
    """A reader saw the article `slug` (position 0)."""
    if _counted():
        counter.count("views", slug, 0)


def follow_click(response):
    """A product page reached through an article's card: count it, remember it 7 days.

    A junk or missing `ref`/`pos` is ignored; robots are neither counted nor given a cookie.
    """
    ref = refs.from_query(request.args.get("ref"), request.args.get("pos"), utcnow())
    if ref is None or not _counted():
        return response
    counter.count("clicks", ref.slug, ref.pos)
    response.set_cookie(
        refs.COOKIE,
        ref.cookie_value(),
        max_age=int(refs.WINDOW.total_seconds()),
        httponly=True,
        samesite="Lax",
        secure=bool(current_app.config.get("SESSION_COOKIE_SECURE")),
    )
    return response


def ref_for_add(form_ref: str | None, form_pos: str | None) -> refs.Ref | None:
    """The article an add to cart comes from: the card's own, else the last one followed.

    `form_ref` is already validated by the cart (a malformed one is a 400 there); a junk
    `pos` is ignored (the add still counts for the article, at position 0).
    """
    now = utcnow()
    if form_ref:
        return refs.Ref(form_ref, refs.position(form_pos) or 0, now)
    return refs.from_cookie(request.cookies.get(refs.COOKIE), now)


def count_add(ref: refs.Ref | None) -> None:
    if ref is not None and not refs.is_bot(request.headers.get("User-Agent")):
        counter.count("adds", ref.slug, ref.pos)
