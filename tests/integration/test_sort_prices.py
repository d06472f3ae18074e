"""The stored sort prices follow every price change: forms, SQL, sales and the clock."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from shop.cache import clear_process_caches
from shop.catalog import prices, queries
from shop.catalog.models import PriceSchedule, Product, Variant
from shop.database import utcnow
from shop.discounts.models import Sale
from tests.factories import make_category, make_condition, make_product


def _names(client, url: str) -> list[str]:
    html = client.get(url).get_data(as_text=True)
    return re.findall(r'class="product-card-name">([^<]+)<', html)


def _stored(db, product) -> tuple[int, int]:
    return db.session.execute(
        select(Product.sort_price, Product.sort_discount).where(Product.id == product.id)
    ).one()


@pytest.fixture()
def three(db):
    """List prices ₹100 < ₹150 < ₹290."""
    alpha = make_product("a", name="Alpha Balm", mrp=10000, price=10000)
    gamma = make_product("c", name="Gamma Caps", mrp=20000, price=15000)
    beta = make_product("b", name="Beta Oil", mrp=30000, price=29000)
    db.session.commit()
    return alpha, gamma, beta


def test_new_products_store_their_lowest_price_and_best_discount(db):
    product = make_product(variants=[{"mrp": 20000, "price": 15000}, {"mrp": 10000, "price": 9990}])
    db.session.commit()
    assert _stored(db, product) == (9990, 2500)


def test_a_price_changed_through_the_orm_reorders_the_list(client, db, three):
    alpha, _gamma, _beta = three
    alpha.variants[0].price = 30000
    alpha.variants[0].mrp = 30000
    db.session.commit()
    assert _names(client, "/products/?sort=price_asc") == ["Gamma Caps", "Beta Oil", "Alpha Balm"]


def test_sql_writes_are_put_right_by_refresh_effective_prices(client, db, three):
    alpha, _gamma, _beta = three
    variant_id = alpha.variants[0].id
    db.session.execute(update(Variant).where(Variant.id == variant_id).values(mrp=50000))
    db.session.execute(update(Variant).where(Variant.id == variant_id).values(price=40000))
    assert prices.refresh_effective_prices(db.session, [alpha.id]) == 1
    db.session.commit()
    assert _names(client, "/products/?sort=price_asc")[-1] == "Alpha Balm"
    assert _stored(db, alpha) == (40000, 2000)


def test_a_sale_rounds_down_to_the_rupee_in_the_sort_too(db, three):
    _alpha, gamma, _beta = three
    sale = Sale(name="Odd", kind="percent", value=33)  # ₹150 → ₹100.50 → ₹100
    sale.products.append(gamma)
    db.session.add(sale)
    db.session.commit()
    assert _stored(db, gamma)[0] == 10000


def test_a_sale_starting_later_counts_once_its_time_has_come(client, db, three):
    _alpha, _gamma, beta = three
    later = utcnow() + timedelta(hours=1)
    sale = Sale(name="Later", kind="percent", value=90, starts_at=later)
    sale.products.append(beta)
    db.session.add(sale)
    db.session.commit()
    assert _names(client, "/products/?sort=price_asc")[0] == "Alpha Balm"
    schedule = db.session.get(PriceSchedule, 1)
    assert schedule.due_at == later
    # An hour passes: move the sale and the schedule back by the same amount.
    now = utcnow()
    db.session.execute(
        update(Sale).where(Sale.id == sale.id).values(starts_at=now - timedelta(minutes=1))
    )
    db.session.execute(
        update(PriceSchedule).values(
            refreshed_at=now - timedelta(minutes=2), due_at=now - timedelta(minutes=1)
        )
    )
    db.session.commit()
    clear_process_caches(client.application)  # the cached page's 30 s are over too
    assert _names(client, "/products/?sort=price_asc")[0] == "Beta Oil"  # ₹29 now
    db.session.expire_all()
    assert db.session.get(PriceSchedule, 1).due_at is None  # nothing else is coming


def test_a_sale_ending_is_caught_up_by_the_command_and_only_once(db, runner, three):
    _alpha, _gamma, beta = three
    ends = utcnow() + timedelta(hours=2)
    sale = Sale(name="Short", kind="fixed", value=20000, ends_at=ends)
    sale.products.append(beta)
    db.session.add(sale)
    db.session.commit()
    assert _stored(db, beta)[0] == 9000
    assert "Nothing was due" in runner.invoke(args=["refresh-prices"]).output
    now = utcnow()
    db.session.execute(update(Sale).values(ends_at=now - timedelta(seconds=1)))
    db.session.execute(
        update(PriceSchedule).values(refreshed_at=now - timedelta(hours=1), due_at=now)
    )
    db.session.commit()
    assert "Caught up" in runner.invoke(args=["refresh-prices"]).output
    assert _stored(db, beta)[0] == 29000
    assert prices.catch_up(db.session) is False  # claimed already: nothing to do twice


def test_the_migration_backfill_asks_for_a_full_refresh(db, runner, three):
    _alpha, _gamma, beta = three
    sale = Sale(name="Open", kind="fixed", value=20000)
    sale.products.append(beta)
    db.session.add(sale)
    db.session.commit()
    db.session.execute(update(Product).values(sort_price=0, sort_discount=0))
    long_ago = prices.FULL_REFRESH_BEFORE - timedelta(days=1)
    db.session.execute(update(PriceSchedule).values(refreshed_at=long_ago, due_at=long_ago))
    db.session.commit()
    assert prices.catch_up(db.session) is True
    db.session.commit()
    assert _stored(db, beta) == (9000, 7000)
    result = runner.invoke(args=["refresh-prices", "--all"])
    assert "0 product(s) changed" in result.output  # the catch-up did every product


def test_deleting_a_sale_and_moving_a_category_refresh_too(db, three):
    alpha, _gamma, beta = three
    oils = make_category("oils")
    sale = Sale(name="Oils", kind="percent", value=50)
    sale.categories.append(oils)
    db.session.add(sale)
    db.session.commit()
    beta.category = oils
    db.session.commit()
    assert _stored(db, beta)[0] == 14500
    db.session.delete(sale)
    db.session.commit()
    assert _stored(db, beta)[0] == 29000
    assert _stored(db, alpha)[0] == 10000


def test_the_count_stops_at_the_cap_and_no_page_lies_past_it(client, db, monkeypatch):
    for i in range(5):
        make_product(f"p{i}", name=f"Product {i}")
    db.session.commit()
    monkeypatch.setattr(queries, "LIST_CAP", 3)
    monkeypatch.setattr(queries, "PER_PAGE", 2)
    page = client.get("/products/?sort=price_desc")
    assert "3+ products" in page.get_data(as_text=True)
    assert client.get("/products/?sort=price_desc&page=2").status_code == 200
    assert client.get("/products/?sort=price_desc&page=3").status_code == 404


def test_the_list_filters_by_condition(client, db, three):
    alpha, _gamma, beta = three
    spasm = make_condition("muscle-spasm", "Muscle spasm")
    spasm.products.extend([alpha, beta])
    db.session.commit()
    names = _names(client, "/products/?condition=muscle-spasm&sort=price_asc")
    assert names == ["Alpha Balm", "Beta Oil"]
    assert client.get("/products/?condition=no-such-thing").status_code == 404
