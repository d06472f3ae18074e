"""Daily counts per article and embed, added to in bulk by each process's flush."""

from __future__ import annotations

from datetime import date

from sqlalchemy import CheckConstraint, Date, ForeignKey, Integer, SmallInteger
from sqlalchemy.orm import Mapped, mapped_column

from shop.extensions import db


class ArticleStatDay(db.Model):
    """What one article did on one day (India's), per embed position.

    Position 0 is the article itself (its views); 1, 2, … are its product embeds in the
    order they appear (clicks through to the product page and adds to cart). Orders,
    units and revenue are not counted here: they are read from the attributed order
    lines, so refunds and late payments are always current.
    """

    __tablename__ = "article_stat_days"
    __table_args__ = (
        CheckConstraint("position >= 0", name="position_not_negative"),
        CheckConstraint("views >= 0 AND clicks >= 0 AND adds >= 0", name="counts_not_negative"),
    )

    article_id: Mapped[int] = mapped_column(
        ForeignKey("articles.id", ondelete="CASCADE"), primary_key=True
    )
    position: Mapped[int] = mapped_column(SmallInteger, primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True, index=True)
    views: Mapped[int] = mapped_column(Integer, default=0)
    clicks: Mapped[int] = mapped_column(Integer, default=0)
    adds: Mapped[int] = mapped_column(Integer, default=0)
