"""Demo data: catalogue, conditions, doctors and articles for `flask seed-demo`.

`seed_demo(session)` adds whatever is missing, matched by natural key (slug, or SKU for
variants), and never touches rows that already exist: staff may have edited them. It
only adds and flushes; the caller commits once. A second run creates nothing.

Children are only created together with a new parent: variants, images and condition
links for a new product, condition links for a new doctor, related articles for a new
article. An existing product keeps exactly the variants staff left it with.

Coupons, the demo sale and the shipping rate come from `shop.demo.pricing`. The sale is
on `data.SALE_CATEGORY_SLUG` ("hot-cold-therapy"), a category that must not contain the
joint products `joint-pain-oil` and `joint-capsule`.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from shop.catalog.models import Category, Product, ProductImage, Variant
from shop.content.models import Article, Condition, Doctor
from shop.demo import data
from shop.demo.article_files import ArticleSource, load_articles
from shop.demo.pricing import seed_pricing

__all__ = ["seed_demo"]

log = logging.getLogger(__name__)

IMAGE_SIZE = 400


def _existing(session: Session, model, column, keys: Iterable[str]) -> dict:
    keys = list(keys)
    if not keys:
        return {}
    rows = session.scalars(select(model).where(column.in_(keys)))
    return {getattr(row, column.key): row for row in rows}


def seed_demo(session: Session) -> dict[str, int]:
    """Insert the missing demo rows through `session` (no commit); return counts created."""
    created = {
        "categories": 0,
        "conditions": 0,
        "doctors": 0,
        "products": 0,
        "variants": 0,
        "product_images": 0,
        "articles": 0,
        "coupons": 0,
        "sales": 0,
        "shipping_rates": 0,
    }

    categories = _existing(session, Category, Category.slug, data.CATEGORIES_BY_SLUG)
    for item in data.CATEGORIES:
        if item.slug not in categories:
            row = Category(
                slug=item.slug,
                name=item.name,
                description=item.description,
                position=item.position,
            )
            session.add(row)
            categories[item.slug] = row
            created["categories"] += 1

    conditions = _existing(session, Condition, Condition.slug, data.CONDITIONS_BY_SLUG)
    for item in data.CONDITIONS:
        if item.slug not in conditions:
            row = Condition(slug=item.slug, name=item.name, summary=item.summary)
            session.add(row)
            conditions[item.slug] = row
            created["conditions"] += 1

    doctors = _existing(session, Doctor, Doctor.slug, data.DOCTORS_BY_SLUG)
    for item in data.DOCTORS:
        if item.slug not in doctors:
            row = Doctor(
                slug=item.slug,
                name=item.name,
                specialty=item.specialty,
                years_experience=item.years_experience,
                bio=item.bio,
                active=True,
                conditions=[conditions[c] for c in item.conditions],
            )
            session.add(row)
            doctors[item.slug] = row
            created["doctors"] += 1
    session.flush()

    _seed_products(session, categories, conditions, created)
    _seed_articles(session, load_articles(), conditions, doctors, created)
    session.flush()
    seed_pricing(session, created)
    from shop.search.synonyms import seed_groups

    created["search_synonyms"] = seed_groups(session, data.SEARCH_SYNONYMS)
    session.flush()
    from shop.delivery.service import seed_zones

    created["delivery_zones"] = seed_zones(session)
    from shop.demo.help_pages import seed_help_pages

    created["help_pages"] = seed_help_pages(session)
    return created


def _seed_products(session: Session, categories, conditions, created) -> None:
    products = _existing(session, Product, Product.slug, data.PRODUCTS_BY_SLUG)
    all_skus = [v.sku for p in data.PRODUCTS for v in p.variants]
    taken_skus = set(_existing(session, Variant, Variant.sku, all_skus))
    for item in data.PRODUCTS:
        if item.slug in products:
            continue
        free = [v for v in item.variants if v.sku not in taken_skus]
        if not free:
            log.warning("demo product %s skipped: all its SKUs are in use", item.slug)
            continue
        product = Product(
            slug=item.slug,
            name=item.name,
            brand=item.brand,
            form=item.form,
            description=item.description,
            ingredients=item.ingredients,
            how_to_use=item.how_to_use,
            warnings=item.warnings,
            gst_rate=item.gst_rate,
            hsn=item.hsn,
            max_per_order=item.max_per_order,
            prescription_required=item.prescription_required,
            limit_quantity=item.limit[0] if item.limit else None,
            limit_days=item.limit[1] if item.limit else None,
            active=True,
            category=categories[item.category],
            conditions=[conditions[c] for c in item.conditions],
            variants=[
                Variant(
                    sku=v.sku,
                    label=v.label,
                    mrp=v.mrp,
                    price=v.price,
                    stock=v.stock,
                    position=position,
                )
                for position, v in enumerate(free)
            ],
            images=[
                ProductImage(
                    path=item.image_path,
                    alt=item.image_alt,
                    width=IMAGE_SIZE,
                    height=IMAGE_SIZE,
                    position=0,
                )
            ],
        )
        session.add(product)
        taken_skus.update(v.sku for v in free)
        created["products"] += 1
        created["variants"] += len(free)
        created["product_images"] += 1
    session.flush()


def _seed_articles(
    session: Session,
    sources: list[ArticleSource],
    conditions: dict[str, Condition],
    doctors: dict[str, Doctor],
    created: dict[str, int],
) -> None:
    articles = _existing(session, Article, Article.slug, (s.slug for s in sources))
    new: list[tuple[Article, ArticleSource]] = []
    # Pass 1: the articles themselves. Condition and reviewer are looked up so that a
    # row staff deleted on purpose becomes "none" rather than an error.
    for source in sources:
        if source.slug in articles:
            continue
        condition = conditions.get(source.condition) or session.scalar(
            select(Condition).where(Condition.slug == source.condition)
        )
        reviewer = doctors.get(source.reviewer) or session.scalar(
            select(Doctor).where(Doctor.slug == source.reviewer)
        )
        article = Article(
            slug=source.slug,
            title=source.title,
            summary=source.summary,
            body=source.body,
            author=source.author,
            condition=condition,
            reviewer=reviewer,
            last_reviewed=source.last_reviewed,
            published=True,
            published_at=source.published_at,
        )
        session.add(article)
        articles[source.slug] = article
        new.append((article, source))
        created["articles"] += 1
    session.flush()

    # Pass 2: related articles, once every article exists (only for new articles).
    wanted = {slug for _, source in new for slug in source.related} - set(articles)
    articles.update(_existing(session, Article, Article.slug, wanted))
    for article, source in new:
        article.related = [articles[slug] for slug in source.related if slug in articles]
