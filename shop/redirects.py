"""Old slugs keep working: a renamed article, product, condition or doctor answers 301.

When staff change a slug, the shared audited save (`shop.staff.saving.record_changes`)
calls `remember_rename`, which maps (kind, old slug) to the object's id. A storefront
view that finds nothing under a slug asks `redirect_or_404` — only on that miss, so a
hit costs no extra query. The redirect resolves to the object's *current* slug, so a
chain a → b → c lands on c in one hop; and as the lookup runs only when no live object
has the slug, a new object taking an old slug wins over the redirect.
"""

from __future__ import annotations

from datetime import datetime

from flask import abort, redirect, url_for
from sqlalchemy import Integer, String, UniqueConstraint, delete, select, true
from sqlalchemy.orm import Mapped, mapped_column

from shop.catalog.models import Product
from shop.content.models import Article, Condition, Doctor
from shop.database import UTCDateTime, utcnow
from shop.extensions import db

# kind → (model, storefront endpoint, what "visible on the storefront" means)
KINDS = {
    "article": (Article, "content.article", lambda: Article.published.is_(True)),
    "product": (Product, "catalog.product", lambda: Product.active.is_(True)),
    "condition": (Condition, "content.condition", true),
    "doctor": (Doctor, "content.doctor", lambda: Doctor.active.is_(True)),
}


class SlugRedirect(db.Model):
    """An old slug of one object of a kind; followed only when no object has that slug."""

    __tablename__ = "slug_redirects"
    __table_args__ = (UniqueConstraint("kind", "old_slug", name="uq_slug_redirects_kind_slug"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    old_slug: Mapped[str] = mapped_column(String(160))
    target_id: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


def remember_rename(kind: str, target_id: int, old_slug: str, new_slug: str) -> None:
    """Record that `old_slug` of this object now lives at `new_slug` (same transaction)."""
    if kind not in KINDS or not old_slug or old_slug == new_slug:
        return
    # The new slug is live again: a redirect that pointed it elsewhere is void.
    db.session.execute(
        delete(SlugRedirect).where(SlugRedirect.kind == kind, SlugRedirect.old_slug == new_slug)
    )
    row = db.session.scalar(
        select(SlugRedirect).where(SlugRedirect.kind == kind, SlugRedirect.old_slug == old_slug)
    )
    if row is None:
        db.session.add(SlugRedirect(kind=kind, old_slug=old_slug, target_id=target_id))
    else:  # the slug had been given up by another object before: it now means this one
        row.target_id = target_id
        row.created_at = utcnow()
    db.session.flush()


def current_slug(kind: str, slug: str) -> str | None:
    """The live slug an old slug now leads to, or None."""
    model, _, visible = KINDS[kind]
    stmt = (
        select(model.slug)
        .join(SlugRedirect, SlugRedirect.target_id == model.id)
        .where(SlugRedirect.kind == kind, SlugRedirect.old_slug == slug, visible())
    )
    found = db.session.scalar(stmt)
    return found if found and found != slug else None


def redirect_or_404(kind: str, slug: str, description: str):
    """On a storefront miss: 301 to the renamed object, else the 404 page."""
    target = current_slug(kind, slug)
    if target is None:
        abort(404, description=description)
    abort(redirect(url_for(KINDS[kind][1], slug=target), 301))
