"""`flask --app shop generate-catalogue`: a synthetic catalogue, never over a real shop."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import func, select

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
