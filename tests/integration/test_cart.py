"""The cart over HTTP: SPEC §4 field names, live prices, coupons and every bad input."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from shop.cart.models import Cart, CartLine
from shop.catalog.models import Product, Variant
from shop.demo import seed_demo
from tests.conftest import csrf_token_for


@pytest.fixture()
def demo(db):
    seed_demo(db.session)
    db.session.commit()


def variant_of(db, slug: str) -> Variant:
    product = db.session.scalar(select(Product).where(Product.slug == slug))
    return product.variants[0]


def add(client, csrf, variant_id, quantity="1", **extra):
    data = {"csrf_token": csrf, "variant_id": str(variant_id), "quantity": str(quantity), **extra}
    return client.post("/cart/add", data=data)


def total(html: str, name: str) -> str:
    match = re.search(rf'data-total="{name}">([^<]+)<', html)
    return match.group(1) if match else ""


def line_count(db) -> int:
    return db.session.scalar(select(func.count()).select_from(CartLine))


def test_two_capsules_with_welcome10(client, db, demo, csrf):
    capsule = variant_of(db, "joint-capsule")
    response = add(client, csrf, capsule.id, 2, ref="muscle-spasm-in-back")
    assert response.status_code == 303 and response.headers["Location"].endswith("/cart")
    html = client.get("/cart").get_data(as_text=True)
    assert total(html, "subtotal") == "₹1,438"
    assert total(html, "mrp") == "₹1,598"
    assert total(html, "shipping") == "Free"
    assert total(html, "total") == "₹1,438"
    assert "You save ₹160" in html

    applied = client.post("/cart/coupon", data={"csrf_token": csrf, "code": "welcome10"})
    assert applied.status_code == 303
    html = client.get("/cart").get_data(as_text=True)
    assert total(html, "discount") == "−₹100"  # 10% would be ₹143.80: capped at ₹100
    assert total(html, "total") == "₹1,338"
    assert "You save ₹260" in html
    line = db.session.scalars(select(CartLine)).one()
    assert line.ref == "muscle-spasm-in-back" and line.quantity == 2


def test_one_oil_pays_shipping_and_flat50_is_refused_for_the_minimum(client, db, demo, csrf):
    oil = variant_of(db, "joint-pain-oil")
    add(client, csrf, oil.id)
    html = client.get("/cart").get_data(as_text=True)
    assert total(html, "subtotal") == "₹349"
    assert total(html, "shipping") == "₹49"
    assert total(html, "total") == "₹398"
    assert "Add ₹150 more for free shipping" in html

    refused = client.post("/cart/coupon", data={"csrf_token": csrf, "code": "FLAT50"})
    assert refused.status_code == 422
    assert "₹399" in refused.get_data(as_text=True)
    assert db.session.scalar(select(Cart.coupon_code)) is None
    assert total(client.get("/cart").get_data(as_text=True), "total") == "₹398"


@pytest.mark.parametrize(
    ("code", "words"),
    [
        ("EXPIRED20", "expired"),
        ("NOPE", "not a coupon code we know"),
        ("", "Enter a coupon"),
        ("x" * 41, "not a coupon code"),
    ],
)
def test_refused_coupons_say_why_and_apply_nothing(client, db, demo, csrf, code, words):
    add(client, csrf, variant_of(db, "joint-capsule").id, 2)
    response = client.post("/cart/coupon", data={"csrf_token": csrf, "code": code})
    assert response.status_code == 422
    assert words in response.get_data(as_text=True).lower() or words in response.get_data(
        as_text=True
    )
    assert db.session.scalar(select(Cart.coupon_code)) is None


def test_coupon_on_an_empty_cart_is_refused(client, db, demo, csrf):
    response = client.post("/cart/coupon", data={"csrf_token": csrf, "code": "WELCOME10"})
    assert response.status_code == 422
    assert db.session.scalar(select(func.count()).select_from(Cart)) == 0


def test_removing_the_coupon(client, db, demo, csrf):
    add(client, csrf, variant_of(db, "joint-capsule").id, 2)
    client.post("/cart/coupon", data={"csrf_token": csrf, "code": "WELCOME10"})
    assert client.post("/cart/coupon/remove", data={"csrf_token": csrf}).status_code == 303
    assert total(client.get("/cart").get_data(as_text=True), "total") == "₹1,438"


def test_the_demo_sale_lowers_the_gel_pack_price(client, db, demo, csrf):
    gel = variant_of(db, "hot-cold-gel-pack")
    add(client, csrf, gel.id)
    html = client.get("/cart").get_data(as_text=True)
    from shop.pricing.money import format_money
    from shop.pricing.rounding import RUPEE, round_sale_price

    # 15% off, half up to the paisa, then down to the rupee (SHOP_SALE_ROUNDING)
    expected = round_sale_price(gel.price - (gel.price * 15 + 50) // 100, RUPEE)

    assert total(html, "subtotal") == format_money(expected)
    product_page = client.get("/products/hot-cold-gel-pack").get_data(as_text=True)
    assert format_money(expected) in product_page


def test_adding_the_same_variant_twice_grows_one_line(client, db, demo, csrf):
    capsule = variant_of(db, "joint-capsule")
    add(client, csrf, capsule.id)
    add(client, csrf, capsule.id, 2)
    line = db.session.scalars(select(CartLine)).one()
    assert line.quantity == 3


def test_header_count_and_json_answer(client, db, demo, csrf):
    response = client.post(
        "/cart/add",
        data={
            "csrf_token": csrf,
            "variant_id": variant_of(db, "joint-capsule").id,
            "quantity": "2",
        },
        headers={"Accept": "application/json"},
    )
    assert response.status_code == 200
    assert response.get_json()["count"] == 2
    html = client.get("/products/").get_data(as_text=True)
    assert re.search(r"data-cart-count>2<", html)


@pytest.mark.parametrize(
    ("quantity", "status"),
    [
        ("0", 422),
        ("-1", 422),
        ("abc", 400),
        ("1.5", 400),
        ("", 400),
        ("1e3", 400),
        ("99999999999999999999", 422),
        ("11", 422),
    ],
)
def test_bad_quantities_on_add_are_refused_and_write_nothing(
    client, db, demo, csrf, quantity, status
):
    response = add(client, csrf, variant_of(db, "joint-capsule").id, quantity)
    assert response.status_code == status
    assert line_count(db) == 0


def test_max_per_order_and_stock_limits(client, db, demo, csrf):
    tablets = db.session.scalar(select(Product).where(Product.max_per_order == 2))
    response = add(client, csrf, tablets.variants[0].id, 3)
    assert response.status_code == 422
    assert "at most 2" in response.get_data(as_text=True)

    capsule = variant_of(db, "joint-capsule")
    capsule.stock = 1
    db.session.commit()
    response = add(client, csrf, capsule.id, 2)
    assert response.status_code == 409
    assert "Only 1" in response.get_data(as_text=True)
    assert line_count(db) == 0


@pytest.mark.parametrize(
    ("variant_id", "status"), [("abc", 400), ("", 400), ("-3", 400), ("999999", 404)]
)
def test_unknown_or_malformed_variants(client, db, demo, csrf, variant_id, status):
    assert add(client, csrf, variant_id).status_code == status
    assert line_count(db) == 0


def test_inactive_products_cannot_be_added(client, db, demo, csrf):
    capsule = variant_of(db, "joint-capsule")
    capsule.product.active = False
    db.session.commit()
    assert add(client, csrf, capsule.id).status_code == 404
    assert line_count(db) == 0


def test_a_bad_ref_is_refused(client, db, demo, csrf):
    response = add(client, csrf, variant_of(db, "joint-capsule").id, ref="<script>")
    assert response.status_code == 400
    assert line_count(db) == 0


def test_missing_csrf_token_is_400_and_writes_nothing(client, db, demo):
    response = client.post(
        "/cart/add", data={"variant_id": variant_of(db, "joint-capsule").id, "quantity": "1"}
    )
    assert response.status_code == 400
    assert "security token" in response.get_data(as_text=True)
    assert line_count(db) == 0
    for url in ("/cart/update", "/cart/remove", "/cart/coupon", "/cart/coupon/remove"):
        assert client.post(url, data={"line_id": "1", "quantity": "1"}).status_code == 400


def _only_line(db) -> CartLine:
    return db.session.scalars(select(CartLine)).one()


def test_update_and_remove(client, db, demo, csrf):
    add(client, csrf, variant_of(db, "joint-capsule").id)
    line = _only_line(db)
    response = client.post(
        "/cart/update", data={"csrf_token": csrf, "line_id": line.id, "quantity": "3"}
    )
    assert response.status_code == 303
    assert _only_line(db).quantity == 3
    client.post("/cart/update", data={"csrf_token": csrf, "line_id": line.id, "quantity": "0"})
    assert line_count(db) == 0
    add(client, csrf, variant_of(db, "joint-capsule").id)
    line = _only_line(db)
    assert (
        client.post("/cart/remove", data={"csrf_token": csrf, "line_id": line.id}).status_code
        == 303
    )
    assert line_count(db) == 0


@pytest.mark.parametrize(
    ("line_id", "quantity", "status"),
    [
        ("x", "1", 400),
        ("", "1", 400),
        (None, "-1", 422),
        (None, "one", 400),
        (None, "99", 422),
        ("424242", "1", 404),
    ],
)
def test_bad_updates_change_nothing(client, db, demo, csrf, line_id, quantity, status):
    add(client, csrf, variant_of(db, "joint-capsule").id)
    line = _only_line(db)
    response = client.post(
        "/cart/update",
        data={
            "csrf_token": csrf,
            "line_id": line.id if line_id is None else line_id,
            "quantity": quantity,
        },
    )
    assert response.status_code == status
    assert _only_line(db).quantity == 1


def test_someone_elses_line_is_404(app, client, db, demo, csrf):
    add(client, csrf, variant_of(db, "joint-capsule").id)
    victim_line = _only_line(db)
    stranger = app.test_client()
    token = csrf_token_for(stranger)
    for url, data in (("/cart/update", {"quantity": "5"}), ("/cart/remove", {})):
        response = stranger.post(url, data={"csrf_token": token, "line_id": victim_line.id, **data})
        assert response.status_code == 404
    assert _only_line(db).quantity == 1


def test_price_change_is_announced_once(client, db, demo, csrf):
    capsule = variant_of(db, "joint-capsule")
    add(client, csrf, capsule.id)
    capsule.price = 69900
    db.session.commit()
    html = client.get("/cart").get_data(as_text=True)
    assert "price dropped from ₹719 to ₹699" in html
    assert total(html, "subtotal") == "₹699"
    assert "price dropped" not in client.get("/cart").get_data(as_text=True)


def test_unavailable_items_are_flagged_and_left_out_of_the_totals(client, db, demo, csrf):
    capsule, oil = variant_of(db, "joint-capsule"), variant_of(db, "joint-pain-oil")
    add(client, csrf, capsule.id)
    add(client, csrf, oil.id)
    capsule.stock = 0
    db.session.commit()
    html = client.get("/cart").get_data(as_text=True)
    assert "Out of stock — remove it to check out." in html
    assert total(html, "subtotal") == "₹349"
