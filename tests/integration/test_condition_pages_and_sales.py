"""Condition pages show a bounded selection; sale prices are rounded and labelled, and
the cart, checkout and order charge exactly the rounded price."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from shop.catalog import queries
from shop.checkout.models import Order
from shop.database import utcnow
from shop.discounts.models import Sale
from tests.factories import make_condition, make_product
from tests.integration.test_checkout import place, session_id_of


def _names(html: str) -> list[str]:
    return re.findall(r'class="product-card-name">([^<]+)<', html)


def test_a_condition_page_shows_a_bounded_selection_and_links_to_all(client, db, monkeypatch):
    monkeypatch.setattr(queries, "CONDITION_PRODUCTS", 3)
    spasm = make_condition("muscle-spasm", "Muscle spasm")
    for i in range(5):
        spasm.products.append(make_product(f"p{i}", name=f"Remedy {i}", mrp=10000, price=9000 - i))
    db.session.commit()
    html = client.get("/conditions/muscle-spasm").get_data(as_text=True)
    assert len(_names(html)) == 3
    assert 'href="/products/?condition=muscle-spasm"' in html
    listed = client.get("/products/?condition=muscle-spasm").get_data(as_text=True)
    assert len(_names(listed)) == 5


def test_a_small_condition_needs_no_see_all_link(client, db):
    spasm = make_condition("muscle-spasm", "Muscle spasm")
    spasm.products.append(make_product("only", name="Only Remedy"))
    db.session.commit()
    html = client.get("/conditions/muscle-spasm").get_data(as_text=True)
    assert _names(html) == ["Only Remedy"]
    assert "See all products" not in html


def test_the_condition_page_query_count_does_not_grow(client, db, count_queries):
    from shop.cache import clear_process_caches

    spasm = make_condition("muscle-spasm", "Muscle spasm")
    spasm.products.append(make_product("first"))
    db.session.commit()

    def queries_for() -> int:
        clear_process_caches(client.application)
        with count_queries() as counter:
            assert client.get("/conditions/muscle-spasm").status_code == 200
        return counter.count

    one = queries_for()
    for i in range(20):
        spasm.products.append(make_product(f"more-{i}"))
    db.session.commit()
    assert queries_for() == one


def test_a_sale_price_is_rounded_down_and_labelled_with_its_end(client, db):
    product = make_product("oil", name="Warm Oil", mrp=34950, price=34950)
    ends = datetime(2099, 12, 5, 12, 0, tzinfo=UTC)  # 5 Dec in India too
    sale = Sale(name="Winter", kind="percent", value=10, ends_at=ends)  # ₹314.55 → ₹314
    sale.products.append(product)
    db.session.add(sale)
    db.session.commit()
    page = client.get("/products/oil").get_data(as_text=True)
    assert "₹314" in page and "₹314.55" not in page
    assert "Sale" in page and "ends 5 Dec" in page
    card = client.get("/products/").get_data(as_text=True)
    assert "₹314" in card and "ends 5 Dec" in card


def test_the_sale_end_is_the_date_on_the_shops_clock(app, client, db, monkeypatch):
    """20:00 UTC on 5 Dec is already 6 Dec in India but still 5 Dec in New York."""
    product = make_product("oil", name="Warm Oil", mrp=34950, price=34950)
    sale = Sale(
        name="Winter", kind="percent", value=10, ends_at=datetime(2099, 12, 5, 20, 0, tzinfo=UTC)
    )
    sale.products.append(product)
    db.session.add(sale)
    db.session.commit()
    assert "ends 6 Dec" in client.get("/products/oil").get_data(as_text=True)

    from shop.cache import clear_process_caches

    monkeypatch.setitem(app.config, "SHOP_TIMEZONE", "America/New_York")
    clear_process_caches(app)
    for path in ("/products/oil", "/products/"):
        page = client.get(path).get_data(as_text=True)
        assert "ends 5 Dec" in page and "ends 6 Dec" not in page, path


def test_no_sale_no_label(client, db):
    make_product("plain", name="Plain Balm", mrp=10000, price=9000)
    db.session.commit()
    assert "badge-sale" not in client.get("/products/plain").get_data(as_text=True)


def test_the_cart_checkout_and_order_charge_the_rounded_price(client, db, sandbox):
    from shop.delivery.service import seed_zones
    from tests.conftest import csrf_token_for

    seed_zones(db.session)
    product = make_product("oil", name="Warm Oil", mrp=34950, price=34950, stock=20)
    sale = Sale(name="Week", kind="percent", value=10, ends_at=utcnow() + timedelta(days=3))
    sale.products.append(product)
    db.session.add(sale)
    db.session.commit()
    token = csrf_token_for(client)
    client.post(
        "/cart/add",
        data={"csrf_token": token, "variant_id": product.variants[0].id, "quantity": "3"},
    )
    assert "₹942" in client.get("/cart").get_data(as_text=True)  # 3 × ₹314
    assert "₹942" in client.get("/checkout").get_data(as_text=True)
    response = place(client)
    assert response.status_code == 303, response.get_data(as_text=True)
    session_id_of(response)
    order = db.session.scalar(select(Order))
    assert order.lines[0].unit_price == 31400
    assert order.lines[0].subtotal == 94200
    assert order.subtotal == 94200
