"""Read-side queries for articles, conditions and doctors."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import joinedload, selectinload

from shop.catalog.search import article_matches
from shop.content.models import Article, Condition, Doctor, doctor_conditions, related_articles
from shop.extensions import db
from shop.listing import Page, ensure_page_within

ARTICLES_PER_PAGE = 24
CONDITION_ARTICLES = 30  # a condition page lists at most this many, newest first
CONDITION_DOCTORS = 12


def _published():
    return select(Article).where(Article.published.is_(True))


def latest_articles(limit: int) -> list[Article]:
    stmt = _published().order_by(Article.published_at.desc(), Article.id.desc()).limit(limit)
    return list(db.session.scalars(stmt))


def list_articles(page: int) -> Page[Article]:
    total = db.session.scalar(
        select(func.count()).select_from(Article).where(Article.published.is_(True))
    )
    ensure_page_within(page, total, ARTICLES_PER_PAGE)  # 404 before the OFFSET query
    stmt = (
        _published()
        .options(joinedload(Article.condition))
        .order_by(Article.published_at.desc(), Article.id.desc())
        .limit(ARTICLES_PER_PAGE)
        .offset((page - 1) * ARTICLES_PER_PAGE)
    )
    return Page(list(db.session.scalars(stmt)), page, ARTICLES_PER_PAGE, total)


def article_by_slug(slug: str) -> Article | None:
    stmt = (
        _published()
        .where(Article.slug == slug)
        .options(joinedload(Article.condition), joinedload(Article.reviewer))
    )
    return db.session.scalar(stmt)


def read_more(article: Article, limit: int = 6) -> list[Article]:
    """Related articles chosen by staff, else others about the same condition."""
    stmt = _published().where(Article.id != article.id)
    related_ids = select(related_articles.c.related_id).where(
        related_articles.c.article_id == article.id
    )
    chosen = list(
        db.session.scalars(stmt.where(Article.id.in_(related_ids)).order_by(Article.title))
    )
    if chosen or article.condition_id is None:
        return chosen[:limit]
    stmt = stmt.where(Article.condition_id == article.condition_id).order_by(Article.title)
    return list(db.session.scalars(stmt.limit(limit)))


def article_links(slugs) -> dict[str, tuple[str, str]]:
    """slug → title for published articles among `slugs`, in one query."""
    rows = db.session.execute(
        select(Article.slug, Article.title).where(
            Article.slug.in_(list(slugs)), Article.published.is_(True)
        )
    )
    return {slug: title for slug, title in rows}


READ_ABOUT_IT = 5


def articles_embedding(product_slug: str, limit: int = READ_ABOUT_IT) -> list:
    """Published articles whose body embeds the product ("Read about it"), newest first.

    One query, bounded by `limit`; it runs when the product page is rendered into the page
    cache, which any article change invalidates through the content version.
    """
    embed = f"[[product:{product_slug}]]"
    stmt = (
        select(Article.slug, Article.title, Article.summary)
        .where(Article.published.is_(True), Article.body.contains(embed, autoescape=True))
        .order_by(Article.published_at.desc(), Article.id.desc())
        .limit(limit)
    )
    return list(db.session.execute(stmt))


def doctors_for(condition_id: int | None, limit: int = CONDITION_DOCTORS) -> list[Doctor]:
    stmt = (
        select(Doctor)
        .join(doctor_conditions, doctor_conditions.c.doctor_id == Doctor.id)
        .where(doctor_conditions.c.condition_id == condition_id, Doctor.active.is_(True))
        .order_by(Doctor.years_experience.desc(), Doctor.name)
        .limit(limit)
    )
    return list(db.session.scalars(stmt))


def all_conditions() -> list[Condition]:
    return list(db.session.scalars(select(Condition).order_by(Condition.name)))


def condition_by_slug(slug: str) -> Condition | None:
    return db.session.scalar(select(Condition).where(Condition.slug == slug))


def condition_articles(condition_id: int, limit: int = CONDITION_ARTICLES) -> list[Article]:
    stmt = (
        _published()
        .where(Article.condition_id == condition_id)
        .order_by(Article.published_at.desc(), Article.id.desc())
        .limit(limit)
    )
    return list(db.session.scalars(stmt))


def all_doctors() -> list[Doctor]:
    stmt = (
        select(Doctor)
        .where(Doctor.active.is_(True))
        .options(selectinload(Doctor.conditions))
        .order_by(Doctor.name)
    )
    return list(db.session.scalars(stmt))


def doctor_by_slug(slug: str) -> Doctor | None:
    stmt = (
        select(Doctor)
        .where(Doctor.slug == slug, Doctor.active.is_(True))
        .options(selectinload(Doctor.conditions))
    )
    return db.session.scalar(stmt)


def reviewed_by(doctor_id: int) -> list[Article]:
    stmt = _published().where(Article.reviewer_id == doctor_id).order_by(Article.title)
    return list(db.session.scalars(stmt))


def search_articles(q: str, limit: int = 20):
    """The best `limit` published articles for `q`: rows with `slug`, `title`, `summary`.

    The ranking picks the ids first, so only those few articles are read (joining the
    matches to every published article made PostgreSQL hash the whole table).
    """
    matches = article_matches(q, published_only=True)
    best = (
        select(matches.c.article_id, matches.c.rank)
        .order_by(matches.c.rank.asc(), matches.c.article_id.desc())
        .limit(limit)
        .subquery()
    )
    stmt = (
        select(Article.id, Article.slug, Article.title, Article.summary)
        .join(best, best.c.article_id == Article.id)
        .order_by(best.c.rank.asc(), Article.id.desc())
    )
    return db.session.execute(stmt).all()
