"""`flask --app shop generate-catalogue`: a large synthetic catalogue for load tests."""

from __future__ import annotations

import time

import click
from sqlalchemy import func, select, text

from shop.extensions import db

CATALOGUE_TABLES = ("categories", "conditions", "doctors", "products", "articles")


def refusal() -> str | None:
    """Why this database must not be filled, or None: it holds orders (a real shop), or
    its catalogue is not empty (generated ids start at 1)."""
    from shop.checkout.models import Order

    orders = db.session.scalar(select(func.count()).select_from(Order))
    if orders:
        return (
            f"This database holds {orders} orders, so it looks like a real shop: "
            "generate-catalogue only fills a scratch or load-test database. Nothing was changed."
        )
    filled = {
        table: count
        for table in CATALOGUE_TABLES
        if (count := db.session.scalar(text(f"SELECT COUNT(*) FROM {table}")))  # noqa: S608
    }
    if filled:
        held = ", ".join(f"{count} {table}" for table, count in filled.items())
        return (
            f"The catalogue is not empty ({held}): generate-catalogue fills an empty one. "
            "Use a new database (flask --app shop db upgrade). Nothing was changed."
        )
    return None


def tidy_up(engine) -> None:
    """Statistics for the planner; on PostgreSQL also a VACUUM, because the price refresh
    and the search index rewrote every product row (200,000 dead rows at 100k products
    doubled search times until autovacuum came by)."""
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE"))
    else:
        with engine.begin() as conn:
            conn.execute(text("ANALYZE"))


@click.command("generate-catalogue")
@click.option("--products", type=click.IntRange(10, 2_000_000), default=10_000, show_default=True)
@click.option("--articles", type=click.IntRange(5, 500_000), default=1_000, show_default=True)
@click.option("--seed", type=int, default=42, show_default=True, help="same seed, same catalogue")
def generate_catalogue_command(products: int, articles: int, seed: int) -> None:
    """Fill an empty catalogue with invented products (1–3 variants each) and articles.

    Refuses a database that holds orders or already has a catalogue.
    """
    from shop.catalog.prices import refresh_effective_prices
    from shop.catalog.search import rebuild_index
    from shop.demo.generator import fill_catalogue

    problem = refusal()
    db.session.rollback()
    if problem:
        raise click.ClickException(problem)
    started = time.perf_counter()
    with db.engine.begin() as conn:
        catalogue = fill_catalogue(conn, products=products, articles=articles, seed=seed)
    with db.engine.begin() as conn:
        # Statistics first: planned on the empty tables' statistics, the price refresh's
        # per-product subqueries scan every variant (hours at 100,000 products on PG).
        conn.execute(text("ANALYZE products"))
        conn.execute(text("ANALYZE variants"))
    refresh_effective_prices(db.session)  # the list's stored sort prices, in SQL
    rebuild_index()
    db.session.commit()
    tidy_up(db.engine)
    click.echo(
        f"Generated {catalogue.products} products ({catalogue.variants} variants), "
        f"{catalogue.articles} articles, {catalogue.categories} categories, "
        f"{catalogue.conditions} conditions and {catalogue.doctors} doctors "
        f"in {time.perf_counter() - started:.1f} s."
    )
