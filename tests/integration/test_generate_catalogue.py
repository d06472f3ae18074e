"""`flask --app shop generate-catalogue`: a synthetic catalogue, never over a real shop."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import event, func, select

from shop.catalog.models import Product, Variant
from shop.checkout.models import Order
from shop.content.models import Article
from tests.factories import make_product


def counts(db) -> tuple[int, int, int]:
    return tuple(
        db.session.scalar(select(func.count()).select_from(model))
        for model in (Product, Variant, Article)
    )


def test_it_fills_an_empty_catalogue_that_pages_and_new_products_work_with(runner, db, client):
    result = runner.invoke(args=["generate-catalogue", "--products", "40", "--articles", "6"])
    assert result.exit_code == 0, result.output
    products, variants, articles = counts(db)
    assert (products, articles) == (40, 6)
    assert 40 <= variants <= 120
    assert f"Generated 40 products ({variants} variants), 6 articles" in result.output
    slug = db.session.scalar(select(Product.slug).where(Product.active).order_by(Product.id))
    assert client.get(f"/products/{slug}").status_code == 200
    assert client.get("/articles/bench-article").status_code == 200
    make_product("added-later")  # the id sequences were moved past the generated rows
    db.session.commit()


def test_generated_rows_hold_their_sort_keys_and_condition_words_already(db):
    """The generator writes what the price refresh and the search index would, so neither
    rewrites a row afterwards (at 100,000 products each rewrite cost 8–15 s on PostgreSQL
    and doubled the products table)."""
    from shop.catalog.prices import refresh_effective_prices
    from shop.demo.generator import fill_catalogue
    from shop.search.index import refresh_all_products

    with db.engine.begin() as conn:
        fill_catalogue(conn, products=300, articles=5, seed=7)
    keys = dict(db.session.execute(select(Product.id, Product.sort_price)).all())
    assert all(keys.values())
    assert refresh_effective_prices(db.session) == 0
    rewritten: list[int] = []  # rows changed by each UPDATE of the condition words
    connection = db.session.connection()

    def watch(conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().startswith("UPDATE products SET search_keywords"):
            rewritten.append(cursor.rowcount)

    event.listen(connection, "after_cursor_execute", watch)
    try:
        refresh_all_products(connection)
    finally:
        event.remove(connection, "after_cursor_execute", watch)
    assert rewritten == [0]  # one chunk of 300 ids, no row changed
    db.session.rollback()


def test_it_refuses_a_database_that_holds_orders(runner, db):
    db.session.add(
        Order(
            email="someone@example.com",
            customer_key="someone@example.com",
            currency="INR",
            mrp_total=100,
            subtotal=100,
            total=100,
            hold_expires_at=datetime.now(UTC),
        )
    )
    db.session.commit()
    result = runner.invoke(args=["generate-catalogue", "--products", "10", "--articles", "5"])
    assert result.exit_code == 1
    assert "This database holds 1 orders, so it looks like a real shop" in result.output
    assert counts(db) == (0, 0, 0)


def test_it_refuses_a_catalogue_that_is_not_empty(runner, db):
    make_product("already-here")
    db.session.commit()
    result = runner.invoke(args=["generate-catalogue", "--products", "10", "--articles", "5"])
    assert result.exit_code == 1
    assert "The catalogue is not empty" in result.output and "1 products" in result.output
    assert counts(db)[0] == 1


def test_sizes_below_the_minimum_are_refused(runner, db):
    result = runner.invoke(args=["generate-catalogue", "--products", "3"])
    assert result.exit_code == 2 and "--products" in result.output
    assert counts(db) == (0, 0, 0)
