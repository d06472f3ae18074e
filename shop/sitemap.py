"""The sitemap: one file up to `LIMIT` URLs, past it an index of files of ≤ `LIMIT` each.

Each kind of page (pages, articles, conditions, categories, products, doctors,
questions, help and legal pages) is one query; a child file `/sitemap-<kind>-<n>.xml`
reads only its own slice (ordered by id, `LIMIT` rows from `(n - 1) * LIMIT`).
`lastmod` is the row's last change where the model keeps one (articles, products and
help pages: `updated_at`; questions: `published_at`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime

from flask import current_app, url_for
from sqlalchemy import Select, func, literal, select
from sqlalchemy.types import NullType

from shop.catalog.models import Category, Product
from shop.content.models import Article, Condition, Doctor
from shop.extensions import db
from shop.help.models import HelpPage
from shop.help.pages import BY_SLUG as HELP_SLUGS
from shop.questions.models import Question, QuestionStatus

LIMIT = 50_000  # URLs per file, the sitemaps.org maximum; tests lower it


@dataclass(frozen=True)
class Entry:
    loc: str
    lastmod: datetime | None


@dataclass(frozen=True)
class Kind:
    """One kind of page: its rows (id, slug, lastmod) and how a row becomes a path."""

    rows: Callable[[], Select]
    path: Callable[[int, str], str]


def _static_pages() -> list[str]:
    return [
        url_for("core.home"),
        url_for("content.article_list"),
        url_for("catalog.product_list"),
        url_for("content.doctor_list"),
        url_for("catalog.category_list"),
        url_for("help.index"),
    ]


KINDS: dict[str, Kind] = {
    "articles": Kind(
        lambda: select(Article.id, Article.slug, Article.updated_at).where(
            Article.published.is_(True)
        ),
        lambda _id, slug: url_for("content.article", slug=slug),
    ),
    "conditions": Kind(
        lambda: select(Condition.id, Condition.slug, literal(None)),
        lambda _id, slug: url_for("content.condition", slug=slug),
    ),
    "categories": Kind(
        lambda: select(Category.id, Category.slug, literal(None)),
        lambda _id, slug: url_for("catalog.category", slug=slug),
    ),
    "products": Kind(
        lambda: select(Product.id, Product.slug, Product.updated_at).where(
            Product.active.is_(True)
        ),
        lambda _id, slug: url_for("catalog.product", slug=slug),
    ),
    "doctors": Kind(
        lambda: select(Doctor.id, Doctor.slug, literal(None)).where(Doctor.active.is_(True)),
        lambda _id, slug: url_for("content.doctor", slug=slug),
    ),
    "questions": Kind(
        lambda: select(Question.id, Question.slug, Question.published_at).where(
            Question.status == QuestionStatus.PUBLISHED.value
        ),
        lambda qid, slug: url_for("questions.show", question_id=qid, slug=slug),
    ),
    # only the pages the shop serves (a row whose slug left the fixed list is a 404)
    "help": Kind(
        lambda: select(HelpPage.id, HelpPage.slug, HelpPage.updated_at).where(
            HelpPage.slug.in_(list(HELP_SLUGS))
        ),
        lambda _id, slug: url_for("help.page", slug=slug),
    ),
}


def _base() -> str:
    return current_app.config["SHOP_BASE_URL"].rstrip("/")


def _entries(kind: Kind, offset: int = 0, limit: int | None = None) -> Iterator[Entry]:
    base = _base()
    stmt = kind.rows()
    stmt = stmt.order_by(stmt.selected_columns[0]).offset(offset).limit(limit)
    for row_id, slug, lastmod in db.session.execute(stmt):
        yield Entry(base + kind.path(row_id, slug), lastmod)


def _count(kind: Kind) -> int:
    return db.session.scalar(select(func.count()).select_from(kind.rows().subquery())) or 0


def _latest(kind: Kind, offset: int) -> datetime | None:
    """The latest lastmod among one child file's rows (None for undated kinds)."""
    stmt = kind.rows()
    if isinstance(stmt.selected_columns[2].type, NullType):
        return None
    piece = stmt.order_by(stmt.selected_columns[0]).offset(offset).limit(LIMIT).subquery()
    return db.session.scalar(select(func.max(piece.c[2])))


def all_entries() -> list[Entry] | None:
    """Every URL when they fit in one file, else None (serve an index)."""
    base = _base()
    entries = [Entry(base + path, None) for path in _static_pages()]
    for kind in KINDS.values():
        entries.extend(_entries(kind, limit=LIMIT + 1))
        if len(entries) > LIMIT:
            return None
    return entries


def index() -> list[Entry]:
    """The child files of the index, each with the latest lastmod of its URLs."""
    base = _base()
    children = [Entry(base + url_for("core.sitemap_part", kind="pages", number=1), None)]
    for name, kind in KINDS.items():
        count = _count(kind)
        for number in range(1, (count + LIMIT - 1) // LIMIT + 1):
            loc = base + url_for("core.sitemap_part", kind=name, number=number)
            children.append(Entry(loc, _latest(kind, (number - 1) * LIMIT)))
    return children


def part(name: str, number: int) -> list[Entry] | None:
    """One child file's URLs, or None when there is no such file."""
    if number < 1:
        return None
    if name == "pages":
        return [Entry(_base() + path, None) for path in _static_pages()] if number == 1 else None
    kind = KINDS.get(name)
    if kind is None:
        return None
    entries = list(_entries(kind, (number - 1) * LIMIT, LIMIT))
    return entries or None
