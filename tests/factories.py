"""Small builders for test data. Each adds to the session and flushes; tests commit."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, timedelta

from shop.catalog.models import Category, Product, ProductImage, Variant
from shop.content.models import Article, Condition, Doctor
from shop.extensions import db

_seq = itertools.count(1)


def _n() -> int:
    return next(_seq)


def make_category(slug: str | None = None, name: str | None = None) -> Category:
    n = _n()
    category = Category(slug=slug or f"category-{n}", name=name or f"Category {n}", description="")
    db.session.add(category)
    db.session.flush()
    return category


def make_product(
    slug: str | None = None,
    *,
    name: str | None = None,
    category: Category | None = None,
    mrp: int = 79900,
    price: int = 71900,
    stock: int = 10,
    variants: list[dict] | None = None,
    active: bool = True,
    max_per_order: int = 10,
    warnings: str = "",
    created_at: datetime | None = None,
    description: str = "A remedy for tests.",
    image: bool = True,
) -> Product:
    n = _n()
    slug = slug or f"product-{n}"
    product = Product(
        slug=slug,
        name=name or f"Product {n}",
        brand="Remedy Labs",
        form="Capsule",
        description=description,
        category=category or make_category(),
        active=active,
        max_per_order=max_per_order,
        warnings=warnings,
        gst_rate=12,
        created_at=created_at or datetime(2026, 1, 1, tzinfo=UTC) + timedelta(minutes=n),
    )
    for i, spec in enumerate(variants or [{"mrp": mrp, "price": price, "stock": stock}]):
        product.variants.append(
            Variant(
                sku=spec.get("sku", f"SKU-{n}-{i}"),
                label=spec.get("label", "60 capsules"),
                mrp=spec["mrp"],
                price=spec["price"],
                stock=spec.get("stock", 10),
                position=i,
            )
        )
    if image:
        product.images.append(
            ProductImage(
                path="img/products/joint-capsule.svg", alt=product.name, width=400, height=400
            )
        )
    db.session.add(product)
    db.session.flush()
    return product


def make_condition(slug: str | None = None, name: str | None = None) -> Condition:
    n = _n()
    condition = Condition(
        slug=slug or f"condition-{n}",
        name=name or f"Condition {n}",
        summary="About this condition.",
    )
    db.session.add(condition)
    db.session.flush()
    return condition


def make_doctor(slug: str | None = None, *, years: int = 5, conditions=()) -> Doctor:
    n = _n()
    doctor = Doctor(
        slug=slug or f"doctor-{n}",
        name=f"Dr. Test {n}",
        specialty="Orthopaedics",
        years_experience=years,
        bio="A demo doctor.",
        conditions=list(conditions),
    )
    db.session.add(doctor)
    db.session.flush()
    return doctor


def make_article(
    slug: str | None = None,
    *,
    title: str | None = None,
    body: str = "## Symptoms\n\nSome text.\n",
    condition: Condition | None = None,
    published: bool = True,
    related=(),
    reviewer: Doctor | None = None,
) -> Article:
    n = _n()
    article = Article(
        slug=slug or f"article-{n}",
        title=title or f"Article {n}",
        summary="A short summary.",
        body=body,
        author="Remedy Shop editors",
        condition=condition,
        reviewer=reviewer,
        last_reviewed=date(2026, 10, 1),
        published=published,
        published_at=datetime(2026, 10, 1, tzinfo=UTC) + timedelta(minutes=n),
        related=list(related),
    )
    db.session.add(article)
    db.session.flush()
    return article


DEFAULT_PASSWORD = "correct horse battery"


def make_user(
    email: str | None = None, *, role: str = "customer", password: str = DEFAULT_PASSWORD
):
    from shop.accounts.service import create_user

    return create_user(email or f"user{_n()}@example.com", password, role)
