"""Writing articles and doctors from plain values, and checking article embeds.

An article body may name products and other articles with `[[product:slug]]` and
`[[article:slug]]`. Saving a body that names something that does not exist is refused,
so a typo never reaches readers as a silently missing card.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from sqlalchemy import select

from shop.catalog.models import Product
from shop.content.models import Article, Condition, Doctor
from shop.content.rendering import find_embeds, validate_embeds
from shop.database import utcnow
from shop.extensions import db
from shop.staff.audit import snapshot
from shop.staff.saving import Tracked


def slug_taken(model, slug: str, current) -> bool:
    """Whether another row of `model` (not `current`) already has this slug."""
    stmt = select(model.id).where(model.slug == slug)
    if current is not None:
        stmt = stmt.where(model.id != current.id)
    return db.session.scalar(stmt) is not None


def _known_products(slugs: Collection[str]) -> set[str]:
    """Existing product slugs among `slugs`, active or not (an inactive one may return)."""
    return set(db.session.scalars(select(Product.slug).where(Product.slug.in_(list(slugs)))))


def _known_articles(own_slug: str | None):
    def known(slugs: Collection[str]) -> set[str]:
        found = set(db.session.scalars(select(Article.slug).where(Article.slug.in_(list(slugs)))))
        return found | ({own_slug} & set(slugs) if own_slug else set())

    return known


def embed_problems(body: str, own_slug: str | None) -> list[str]:
    """One message per unknown or malformed embed in `body` (drafts count as known)."""
    return validate_embeds(body or "", _known_products, _known_articles(own_slug))


def hidden_embeds(body: str) -> list[str]:
    """Embeds that exist but will not show on the public page yet, for the preview."""
    embeds = find_embeds(body or "")
    notes = []
    if embeds.products:
        inactive = db.session.scalars(
            select(Product.slug).where(Product.slug.in_(embeds.products), Product.active.is_(False))
        ).all()
        notes += [f'Product "{slug}" is inactive: its card is not shown.' for slug in inactive]
    if embeds.articles:
        drafts = db.session.scalars(
            select(Article.slug).where(
                Article.slug.in_(embeds.articles), Article.published.is_(False)
            )
        ).all()
        notes += [f'Article "{slug}" is a draft: its link is not shown.' for slug in drafts]
    return notes


def article_state(article: Article) -> dict:
    return snapshot(article) | {"related": sorted(a.slug for a in article.related)}


def doctor_state(doctor: Doctor) -> dict:
    return snapshot(doctor) | {"conditions": sorted(c.slug for c in doctor.conditions)}


def _by_ids(model, ids: list[int]) -> list[Any]:
    return list(db.session.scalars(select(model).where(model.id.in_(ids or []))))


def apply_article(article: Article | None, values: dict) -> Tracked:
    """Write checked article values (a new draft when `article` is None)."""
    before = article_state(article) if article is not None else None
    related = _by_ids(Article, values["related"])  # loaded before any change: no autoflush
    if article is None:
        article = Article(published=False)
        db.session.add(article)
    for name in ("slug", "title", "condition_id", "reviewer_id", "last_reviewed"):
        setattr(article, name, values[name])
    for name in ("summary", "author", "body"):
        setattr(article, name, values[name] or "")
    article.related = related
    return Tracked("article", article, before, article_state, lambda a, _: f"{a.title} ({a.slug})")


def apply_doctor(doctor: Doctor | None, values: dict) -> Tracked:
    """Write checked doctor values (a new doctor when `doctor` is None)."""
    before = doctor_state(doctor) if doctor is not None else None
    conditions = _by_ids(Condition, values["conditions"])
    if doctor is None:
        doctor = Doctor()
        db.session.add(doctor)
    for name in ("slug", "name", "specialty", "years_experience", "active"):
        setattr(doctor, name, values[name])
    doctor.bio = values["bio"] or ""
    doctor.conditions = conditions
    return Tracked("doctor", doctor, before, doctor_state, lambda d, _: f"{d.name} ({d.slug})")


def publication(article: Article) -> dict:
    return {"published": article.published, "published_at": snapshot(article)["published_at"]}


def set_published(article: Article, published: bool) -> tuple[dict, dict]:
    """Publish or unpublish; (before, after) for the audit log."""
    before = publication(article)
    article.published = published
    if published and article.published_at is None:  # the first publication date stays
        article.published_at = utcnow()
    return before, publication(article)
