"""A synthetic catalogue of any size: categories, conditions, doctors, products with
variants and images, and articles, loaded with Core `insert()` executemany in batches.

Used by `flask --app shop generate-catalogue` (a shop's empty catalogue, for load tests
and trying the back office at scale) and by `make bench` (a scratch database). Primary
keys are assigned here, so related rows are built without reading anything back; on
PostgreSQL the id sequences are moved past them afterwards. A fixed random seed makes
every run load the same catalogue.

Besides the catalogue it picks the variants the benchmark's cart targets use (see
`Catalogue`): a pool of variants that can always be added to a cart, and, for the
checkout target, a few products whose first variant gets a very large stock
(`high_stock`) so placing thousands of orders never runs out. The pick happens after
every row is drawn, so it does not change the random sequence.

All names are invented; brands and doctors do not exist, and every description says it
is not a substitute for medical advice.
"""

from __future__ import annotations

import random
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy import text
from sqlalchemy.engine import Connection

from shop.catalog.prices import list_price_keys
from shop.demo import generator_words as words
from shop.demo.generator_prose import Prose

BENCH_ARTICLE = "bench-article"
BATCH = 2000
HIGH_STOCK = 1_000_000  # stock of the checkout target's variants
CART_STOCK_MIN = 10  # pool variants have at least this much stock (>= any max_per_order)
IMAGE_PATH = "img/products/joint-capsule.svg"


@dataclass
class Catalogue:
    """What was generated, and the slugs the load targets need."""

    url: str
    products: int = 0
    variants: int = 0
    articles: int = 0
    categories: int = 0
    conditions: int = 0
    doctors: int = 0
    seconds: float = 0.0
    bench_article: str = BENCH_ARTICLE
    embedded_products: list[str] = field(default_factory=list)
    product_slug: str = ""
    queries: list[str] = field(default_factory=list)
    search_index: str = ""
    # Variants for the cart targets. `cart_variants`: active products with stock of at
    # least CART_STOCK_MIN, excluding the three embedded products and the checkout
    # products; `starter_variant`: the product page's first variant, which every
    # add-to-cart visitor adds once so its cart exists; `checkout_variants`: the first
    # variant of each high-stock product, one per checkout visitor.
    cart_variants: list[int] = field(default_factory=list)
    starter_variant: int = 0
    checkout_variants: list[int] = field(default_factory=list)
    high_stock: int = HIGH_STOCK

    def summary(self) -> dict:
        return {
            "products": self.products,
            "variants": self.variants,
            "articles": self.articles,
            "categories": self.categories,
            "conditions": self.conditions,
            "doctors": self.doctors,
            "generate_seconds": round(self.seconds, 2),
            "bench_article": self.bench_article,
            "embedded_products": self.embedded_products,
            "product_page": self.product_slug,
            "search_queries": self.queries,
            "search_index": self.search_index,
            "cart_variant_pool": len(self.cart_variants),
            "starter_variant": self.starter_variant,
            "checkout_variants": self.checkout_variants,
            "checkout_variant_stock": self.high_stock,
        }


def slugify(value: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", value.lower().replace("&", "and")).strip("-")


class _Slugs:
    """Hands out unique slugs: a repeated name gets -2, -3, ..."""

    def __init__(self) -> None:
        self.used: set[str] = set()

    def __call__(self, name: str) -> str:
        base = slugify(name)
        slug, n = base, 1
        while slug in self.used:
            n += 1
            slug = f"{base}-{n}"
        self.used.add(slug)
        return slug


def _batches(rows: Sequence[dict]) -> Iterator[Sequence[dict]]:
    for start in range(0, len(rows), BATCH):
        yield rows[start : start + BATCH]


def _insert(conn: Connection, table, rows: Sequence[dict]) -> None:
    for batch in _batches(rows):
        conn.execute(table.insert(), list(batch))


def _with_search_keywords(products):
    """The products table with the search column the models leave out (see
    `shop.catalog.search`), so the generated rows carry their condition words."""
    columns = [sa.column(c.name, c.type) for c in products.columns]
    return sa.table(products.name, *columns, sa.column("search_keywords", sa.Text))


def fill_catalogue(
    conn: Connection,
    *,
    products: int,
    articles: int,
    seed: int = 42,
    high_stock_products: int = 0,
    high_stock: int = HIGH_STOCK,
) -> Catalogue:
    """Insert the catalogue into the empty catalogue tables of `conn`'s database.

    `high_stock_products` products (at most a quarter of them) get `high_stock` units on
    their first variant, for the benchmark's checkout target.
    """
    if products < 10 or articles < 5:
        raise ValueError("need at least 10 products and 5 articles")
    catalogue = Catalogue(url=str(conn.engine.url))
    rows = _Rows(random.Random(seed), products, articles)
    rows.high_stock_products = min(high_stock_products, products // 4)
    rows.high_stock = high_stock
    rows.load(conn, catalogue)
    return catalogue


class _Rows:
    """Builds every table's rows in memory, then inserts them."""

    def __init__(self, rng: random.Random, products: int, articles: int) -> None:
        self.rng = rng
        self.prose = Prose(rng)
        self.n_products = products
        self.n_articles = articles
        self.now = datetime.now(UTC).replace(microsecond=0)
        self.high_stock_products = 0
        self.high_stock = HIGH_STOCK

    def load(self, conn: Connection, catalogue: Catalogue) -> None:
        from shop.catalog.models import Category, Product, ProductImage, Variant, product_conditions
        from shop.content.models import (
            Article,
            Condition,
            Doctor,
            doctor_conditions,
            related_articles,
        )

        categories = self.categories()
        conditions = self.conditions()
        doctors, doctor_links = self.doctors(len(conditions))
        products, variants, images, product_links = self.products(len(categories), len(conditions))
        self.pick_cart_variants(products, variants, catalogue)
        active = [p["slug"] for p in products if p["active"]]
        # The bench article embeds the first three products, which are always active
        # and in stock; the product-page target shows the first one (three variants).
        embedded = [p["slug"] for p in products[:3]]
        articles, related = self.articles(len(conditions), len(doctors), embedded, active)

        for table, data in (
            (Category.__table__, categories),
            (Condition.__table__, conditions),
            (Doctor.__table__, doctors),
            (doctor_conditions, doctor_links),
            (_with_search_keywords(Product.__table__), products),
            (Variant.__table__, variants),
            (ProductImage.__table__, images),
            (product_conditions, product_links),
            (Article.__table__, articles),
            (related_articles, related),
        ):
            _insert(conn, table, data)
        if conn.dialect.name == "postgresql":
            for table in ("categories", "conditions", "doctors", "products", "variants",
                          "product_images", "articles"):  # fmt: skip
                conn.execute(
                    text(
                        f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                        f"(SELECT MAX(id) FROM {table}))"
                    )
                )

        catalogue.products = len(products)
        catalogue.variants = len(variants)
        catalogue.articles = len(articles)
        catalogue.categories = len(categories)
        catalogue.conditions = len(conditions)
        catalogue.doctors = len(doctors)
        catalogue.embedded_products = embedded
        catalogue.product_slug = embedded[0]
        catalogue.queries = list(words.SEARCH_QUERIES)

    def pick_cart_variants(
        self, products: list[dict], variants: list[dict], catalogue: Catalogue
    ) -> None:
        """Choose the cart targets' variants and raise the checkout products' stock.

        Runs after all rows are drawn and uses no randomness, so the rest of the
        catalogue is unchanged. Checkout products are taken from the end of the list
        (active, first variant in stock), away from the three embedded products.
        """
        active = {p["id"] for p in products if p["active"]}
        first_variant: dict[int, dict] = {}
        for variant in variants:
            first_variant.setdefault(variant["product_id"], variant)
        checkout_products: list[int] = []
        for product in reversed(products):
            if len(checkout_products) >= self.high_stock_products:
                break
            first = first_variant[product["id"]]
            if product["id"] > 3 and product["id"] in active and first["stock"] > 0:
                first["stock"] = self.high_stock
                checkout_products.append(product["id"])
        checkout_products.reverse()
        excluded = {1, 2, 3, *checkout_products}
        catalogue.cart_variants = [
            v["id"] for v in variants
            if v["product_id"] in active and v["product_id"] not in excluded
            and v["stock"] >= CART_STOCK_MIN
        ]  # fmt: skip
        catalogue.starter_variant = first_variant[1]["id"]
        catalogue.checkout_variants = [first_variant[pid]["id"] for pid in checkout_products]
        catalogue.high_stock = self.high_stock

    # -- rows, one method per kind

    def categories(self) -> list[dict]:
        return [
            {"id": i, "slug": slugify(name), "name": name,
             "description": f"Remedies and everyday care: {name.lower()}.", "position": i}
            for i, name in enumerate(words.CATEGORIES, start=1)
        ]  # fmt: skip

    def conditions(self) -> list[dict]:
        return [
            {"id": i, "slug": slugify(name), "name": name,
             "summary": f"What {name.lower()} feels like, why it happens and what helps."}
            for i, name in enumerate(words.CONDITIONS, start=1)
        ]  # fmt: skip

    def doctors(self, n_conditions: int) -> tuple[list[dict], list[dict]]:
        rng, slugs = self.rng, _Slugs()
        doctors, links = [], []
        for i in range(1, 41):
            name = f"Dr. {rng.choice(words.FIRST_NAMES)} {rng.choice(words.LAST_NAMES)}"
            specialty = rng.choice(words.SPECIALTIES)
            years = rng.randint(2, 35)
            doctors.append({
                "id": i, "slug": slugs(name), "name": name, "specialty": specialty,
                "years_experience": years, "active": True,
                "bio": f"{name} practises {specialty.lower()} and has {years} years of "
                       "experience helping patients manage long-standing pain and illness.",
            })  # fmt: skip
            # The bench article's condition (id 1) gets the first four doctors.
            chosen = {1} if i <= 4 else set()
            chosen.update(rng.sample(range(2, n_conditions + 1), rng.randint(1, 3)))
            links.extend({"doctor_id": i, "condition_id": c} for c in sorted(chosen))
        return doctors, links

    def products(self, n_categories: int, n_conditions: int):
        rng, slugs = self.rng, _Slugs()
        forms = list(words.FORMS)
        products, variants, images, links = [], [], [], []
        variant_id = image_id = 0
        for pid in range(1, self.n_products + 1):
            special = pid <= 3  # embedded in the bench article: active, in stock
            form = rng.choice(forms)
            herb = rng.choice(words.HERBS)
            if rng.random() < 0.25:
                herb = f"{herb} & {rng.choice(words.HERBS)}"
            name = f"{herb} {rng.choice(words.BENEFITS)} {form}"
            created = self.now - timedelta(minutes=rng.randint(0, 60 * 24 * 720))
            brand = rng.choice(words.BRANDS)
            products.append({
                "id": pid, "slug": slugs(name), "name": name, "brand": brand, "form": form,
                "description": self.prose.product_description(name, herb, form),
                "ingredients": f"{herb} extract, sesame oil base, natural preservatives.",
                "how_to_use": "Use as directed on the pack. Do not exceed the stated dose.",
                "warnings": "For external use only." if form in ("Oil", "Balm", "Gel") else "",
                "gst_rate": rng.choice((5, 12, 12, 18)),
                "max_per_order": rng.choice((10, 10, 10, 5, 2)),
                "active": special or rng.random() > 0.03,
                "category_id": rng.randint(1, n_categories),
                "created_at": created, "updated_at": created,
            })  # fmt: skip
            first_variant = len(variants)
            labels, (low, high) = words.FORMS[form]
            count = 3 if pid == 1 else rng.randint(1, min(3, len(labels)))
            mrp = rng.randint(low, high) // 10 * 10 + 9
            for position, label in enumerate(labels[:count]):
                variant_id += 1
                variant_mrp = (mrp + position * mrp // 2) * 100
                off = rng.choice((0, 5, 10, 10, 12, 15, 20, 25, 30, 40))
                in_stock = special or rng.random() > 0.06
                variants.append({
                    "id": variant_id, "product_id": pid, "sku": f"BN{pid:06d}-{position + 1}",
                    "label": label, "mrp": variant_mrp,
                    "price": max(100, variant_mrp * (100 - off) // 100),
                    "stock": rng.randint(5, 500) if in_stock else 0, "position": position,
                })  # fmt: skip
            for position in range(2 if pid == 1 or rng.random() < 0.2 else 1):
                image_id += 1
                images.append({
                    "id": image_id, "product_id": pid, "path": IMAGE_PATH, "alt": name,
                    "width": 400, "height": 400, "position": position,
                })  # fmt: skip
            chosen = {1} if special else set()
            chosen.update(rng.sample(range(1, n_conditions + 1), rng.randint(1, 2)))
            links.extend({"product_id": pid, "condition_id": c} for c in sorted(chosen))
            # The sort keys `refresh_effective_prices` would store (no sale runs yet).
            products[-1]["sort_price"], products[-1]["sort_discount"] = list_price_keys(
                (v["mrp"], v["price"]) for v in variants[first_variant:]
            )
            # The condition words the search index keeps (`shop.search.index`), written
            # with the row: the index rebuild then finds nothing to rewrite.
            products[-1]["search_keywords"] = " ".join(
                sorted(words.CONDITIONS[c - 1] for c in chosen)
            )
        return products, variants, images, links

    def articles(self, n_conditions: int, n_doctors: int, embedded: list[str],
                 active: list[str]) -> tuple[list[dict], list[dict]]:  # fmt: skip
        rng, slugs = self.rng, _Slugs()
        slugs.used.add(BENCH_ARTICLE)
        rows, related = [], []
        for aid in range(1, self.n_articles + 1):
            condition_id = 1 if aid <= 5 else rng.randint(1, n_conditions)
            condition = words.CONDITIONS[condition_id - 1]
            title = rng.choice(words.ARTICLE_TITLES).format(
                condition=condition.lower(), Condition=condition
            ) + rng.choice(words.AUDIENCES)
            if aid == 1:
                slug, title = BENCH_ARTICLE, "Muscle Spasm in the Back: What Helps (Bench)"
                body = self.prose.bench_body(embedded)
            else:
                slug = slugs(title)
                linkable = [r["slug"] for r in rows[-50:]]
                body = self.prose.article_body(condition, active, linkable)
            published = aid <= 5 or rng.random() > 0.05
            created = self.now - timedelta(days=rng.randint(1, 900))
            rows.append({
                "id": aid, "slug": slug, "title": title,
                "summary": f"A practical, doctor-reviewed guide to {condition.lower()}.",
                "body": body,
                "author": f"{rng.choice(words.FIRST_NAMES)} {rng.choice(words.LAST_NAMES)}",
                "condition_id": condition_id, "reviewer_id": rng.randint(1, n_doctors),
                "last_reviewed": date.fromordinal(created.date().toordinal() + 30),
                "published": published, "published_at": created if published else None,
                "created_at": created, "updated_at": created,
            })  # fmt: skip
        # The bench article reads-more to articles 2-5 (published, same condition).
        related.extend({"article_id": 1, "related_id": r} for r in range(2, 6))
        for aid in range(6, self.n_articles + 1):
            others = rng.sample(range(2, self.n_articles + 1), rng.randint(0, 4))
            related.extend(
                {"article_id": aid, "related_id": r} for r in sorted(set(others)) if r != aid
            )
        return rows, related
