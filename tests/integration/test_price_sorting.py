"""Sorting the product list by price uses the price the shopper pays, sales included."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select, update

from shop.catalog.models import Product, Variant
from shop.catalog.queries import effective_price_sql
from shop.database import utcnow
from shop.discounts.models import Sale
from shop.pricing import engine
from tests.factories import make_category, make_product


def _names(client, url: str) -> list[str]:
    html = client.get(url).get_data(as_text=True)
    return re.findall(r'class="product-card-name">([^<]+)<', html)


@pytest.fixture()
def three(db):
    """List prices ₹100 < ₹150 < ₹290; a 60% sale on the dearest makes it ₹116."""
    oils = make_category("oils", "Oils")
    alpha = make_product("a", name="Alpha Balm", mrp=10000, price=10000)
    make_product("c", name="Gamma Caps", mrp=20000, price=15000)
    beta = make_product("b", name="Beta Oil", mrp=30000, price=29000, category=oils)
    db.session.commit()
    return alpha, beta, oils


def test_a_product_sale_reorders_the_price_sorts(client, db, three):
    _alpha, beta, _oils = three
    assert _names(client, "/products/?sort=price_asc") == ["Alpha Balm", "Gamma Caps", "Beta Oil"]
    sale = Sale(name="Oil week", kind="percent", value=60)
    sale.products.append(beta)
    db.session.add(sale)
    db.session.commit()
    assert _names(client, "/products/?sort=price_asc") == ["Alpha Balm", "Beta Oil", "Gamma Caps"]
    assert _names(client, "/products/?sort=price_desc") == ["Gamma Caps", "Beta Oil", "Alpha Balm"]
    # 61% off MRP now: the best discount
    assert _names(client, "/products/?sort=discount")[0] == "Beta Oil"


def test_a_category_sale_and_a_fixed_sale_count_too(client, db, three):
    alpha, _beta, oils = three
    by_category = Sale(name="Oils", kind="fixed", value=20000)  # ₹290 → ₹90
    by_category.categories.append(oils)
    cheaper = Sale(name="Balm", kind="fixed", value=50000)  # more than the price: ₹0
    cheaper.products.append(alpha)
    db.session.add_all([by_category, cheaper])
    db.session.commit()
    assert _names(client, "/products/?sort=price_asc") == ["Alpha Balm", "Beta Oil", "Gamma Caps"]


def test_a_sale_not_running_now_does_not_count(client, db, three):
    _alpha, beta, _oils = three
    later = Sale(name="Later", kind="percent", value=90, starts_at=utcnow() + timedelta(days=1))
    over = Sale(name="Over", kind="percent", value=90, ends_at=utcnow() - timedelta(days=1))
    off = Sale(name="Off", kind="percent", value=90, active=False)
    for sale in (later, over, off):
        sale.products.append(beta)
    db.session.add_all([later, over, off])
    db.session.commit()
    assert _names(client, "/products/?sort=price_asc") == ["Alpha Balm", "Gamma Caps", "Beta Oil"]


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    price=st.integers(min_value=1, max_value=5_000_000),
    sales=st.lists(
        st.tuples(
            st.sampled_from(["percent", "fixed"]),
            st.integers(min_value=1, max_value=99),
            st.integers(min_value=1, max_value=6_000_000),
            st.sampled_from(["product", "category", "other"]),
        ),
        max_size=4,
    ),
)
def test_the_sql_price_equals_the_pricing_engine(db, price, sales):
    """The ORDER BY expression computes exactly what `engine.best_sale_price` does."""
    product = db.session.scalar(select(Product).where(Product.slug == "probe"))
    if product is None:
        product = make_product("probe", category=make_category("probe-cat"))
        db.session.commit()
    variant_id = product.variants[0].id
    db.session.execute(
        update(Variant).where(Variant.id == variant_id).values(price=price, mrp=price)
    )
    now = utcnow()
    targets = {
        "product": (frozenset({product.id}), frozenset()),
        "category": (frozenset(), frozenset({product.category_id})),
        "other": (frozenset({product.id + 1000}), frozenset()),
    }
    rules = [
        engine.Sale(
            id=i + 1,
            kind=kind,
            value=pct if kind == "percent" else fixed,
            product_ids=targets[on][0],
            category_ids=targets[on][1],
            starts_at=None,
            ends_at=None,
        )
        for i, (kind, pct, fixed, on) in enumerate(sales)
    ]
    line = engine.LineInput(
        key=1,
        product_id=product.id,
        category_id=product.category_id,
        mrp=price,
        price=price,
        quantity=1,
        gst_rate=12,
    )
    expected, _sale = engine.best_sale_price(line, rules, now)
    got = db.session.scalar(
        select(effective_price_sql(rules, now))
        .select_from(Variant)
        .join(Product, Product.id == Variant.product_id)
        .where(Variant.id == variant_id)
    )
    db.session.rollback()
    assert got == expected
