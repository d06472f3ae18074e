"""Conditions, articles and doctors.

A Condition is the hub that ties articles, products and doctors together.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Column, Date, ForeignKey, Index, Integer, String, Table, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from shop.catalog.models import Product, product_conditions
from shop.database import UTCDateTime, utcnow
from shop.extensions import db

doctor_conditions = Table(
    "doctor_conditions",
    db.metadata,
    Column("doctor_id", ForeignKey("doctors.id", ondelete="CASCADE"), primary_key=True),
    Column("condition_id", ForeignKey("conditions.id", ondelete="CASCADE"), primary_key=True),
    Index("ix_doctor_conditions_condition_id", "condition_id"),
)

related_articles = Table(
    "related_articles",
    db.metadata,
    Column("article_id", ForeignKey("articles.id", ondelete="CASCADE"), primary_key=True),
    Column("related_id", ForeignKey("articles.id", ondelete="CASCADE"), primary_key=True),
    Index("ix_related_articles_related_id", "related_id"),
)


class Condition(db.Model):
    __tablename__ = "conditions"
    invalidates_pages = True

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(120), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    summary: Mapped[str] = mapped_column(Text, default="")

    articles: Mapped[list[Article]] = relationship(back_populates="condition")
    products: Mapped[list[Product]] = relationship(
        secondary=product_conditions, back_populates="conditions"
    )
    doctors: Mapped[list[Doctor]] = relationship(
        secondary=doctor_conditions, back_populates="conditions"
    )

    def __repr__(self) -> str:
        return f"<Condition {self.slug}>"


class Doctor(db.Model):
    __tablename__ = "doctors"
    invalidates_pages = True

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(120), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    specialty: Mapped[str] = mapped_column(String(200))
    years_experience: Mapped[int] = mapped_column(Integer)
    bio: Mapped[str] = mapped_column(Text, default="")
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    conditions: Mapped[list[Condition]] = relationship(
        secondary=doctor_conditions, back_populates="doctors"
    )

    def __repr__(self) -> str:
        return f"<Doctor {self.slug}>"


class Article(db.Model):
    __tablename__ = "articles"
    invalidates_pages = True

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(160), unique=True)
    title: Mapped[str] = mapped_column(String(250))
    summary: Mapped[str] = mapped_column(Text, default="")
    body: Mapped[str] = mapped_column(Text, default="")  # Markdown with our embeds
    author: Mapped[str] = mapped_column(String(200), default="")
    condition_id: Mapped[int | None] = mapped_column(ForeignKey("conditions.id"), index=True)
    reviewer_id: Mapped[int | None] = mapped_column(ForeignKey("doctors.id"), index=True)
    last_reviewed: Mapped[date | None] = mapped_column(Date)
    published: Mapped[bool] = mapped_column(Boolean, default=False, index=True)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    condition: Mapped[Condition | None] = relationship(back_populates="articles")
    reviewer: Mapped[Doctor | None] = relationship()
    related: Mapped[list[Article]] = relationship(
        secondary=related_articles,
        primaryjoin=lambda: Article.id == related_articles.c.article_id,
        secondaryjoin=lambda: Article.id == related_articles.c.related_id,
        order_by=lambda: Article.title,
    )

    def __repr__(self) -> str:
        return f"<Article {self.slug}>"
