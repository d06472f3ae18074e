"""One way to page and search back-office lists, used by every list screen."""

from __future__ import annotations

from sqlalchemy import Select, func, or_, select

from shop.extensions import db
from shop.listing import Page, ensure_page_exists, ensure_page_within, page_arg, query_arg

STAFF_PER_PAGE = 50


def staff_page(
    stmt: Select, *, search_columns=(), search=None, per_page: int = STAFF_PER_PAGE
) -> Page:
    """Apply `?q=` (case-insensitive substring over `search_columns`, or the condition
    `search(q)` returns) and `?page=`.

    Bad `page`/`q` values answer 400 and a page past the end 404, as on the storefront.
    """
    q = query_arg("q")
    number = page_arg()
    if q and search is not None:
        stmt = stmt.where(search(q))
    elif q and search_columns:
        pattern = f"%{q}%"
        stmt = stmt.where(or_(*(column.ilike(pattern) for column in search_columns)))
    total = db.session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery()))
    ensure_page_within(number, total, per_page)  # 404 before the OFFSET query
    items = db.session.scalars(stmt.limit(per_page).offset((number - 1) * per_page)).unique()
    page = Page(list(items), number, per_page, total)
    ensure_page_exists(page)
    return page
