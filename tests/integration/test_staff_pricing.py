"""Back office: sales, coupons and their uses, and the shipping rate — seen on the storefront."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from shop.checkout.models import Order
from shop.delivery.service import seed_zones
from shop.demo import seed_demo
from shop.discounts.models import Coupon, CouponRedemption, Sale, ShippingRate
from shop.staff.audit import AuditEntry
from tests.conftest import csrf_token_for
from tests.factories import make_category, make_product, make_user
from tests.helpers import ADDRESS, audits, count, log_in, post


@pytest.fixture()
def staff(client, db):
    """The test client signed in as staff; `staff.token` is its CSRF token."""
    make_user("pricing@example.com", role="staff")
    db.session.commit()
    client.token = log_in(client, "pricing@example.com")
    return client


@pytest.fixture()
def shopper(app, db):
    """A second browser: a guest shopping while staff work."""
    client = app.test_client()
    client.token = csrf_token_for(client)
    return client


def total(html: str, name: str) -> str:
    match = re.search(rf'data-total="{name}">([^<]+)<', html)
    return match.group(1) if match else ""


def add_to_cart(client, variant_id: int, quantity: int = 1):
    response = post(client, "/cart/add", variant_id=str(variant_id), quantity=str(quantity))
    assert response.status_code == 303
    return response


STAFF_URLS = [
    "/staff/sales/",
    "/staff/sales/new",
    "/staff/coupons/",
    "/staff/coupons/new",
    "/staff/shipping",
]


@pytest.mark.parametrize("url", STAFF_URLS)
def test_only_staff_reach_the_pricing_screens(client, db, url):
    response = client.get(url)
    assert response.status_code == 302 and "/account/login" in response.headers["Location"]
    make_user("shopper@example.com")
    db.session.commit()
    log_in(client, "shopper@example.com")
    assert client.get(url).status_code == 403


# --- sales -------------------------------------------------------------------------------------


def sale_fields(**overrides) -> dict:
    fields = {
        "name": "Monsoon sale",
        "kind": "percent",
        "value": "10",
        "starts_at": "",
        "ends_at": "",
        "products": "",
        "active": "y",
    }
    fields.update(overrides)
    return fields


def test_a_sale_on_a_category_changes_the_storefront_price(staff, db):
    pain = make_category("pain-relief", "Pain relief")
    other = make_category("wellness", "Wellness")
    make_product("joint-capsule", category=pain, mrp=79900, price=71900)
    make_product("ashwagandha", category=other, mrp=50000, price=50000)
    db.session.commit()
    page = staff.get("/products/joint-capsule").get_data(as_text=True)
    assert "₹719" in page and "10% OFF" in page

    assert staff.get("/staff/sales/new").status_code == 200
    response = staff.post(
        "/staff/sales/new",
        data={
            "csrf_token": staff.token,
            **sale_fields(kind="fixed", value="100"),
            "starts_at": "2026-01-01T00:00",
            "ends_at": "2099-01-01T00:00",
            "categories": [str(pain.id)],
        },
    )
    assert response.status_code == 303, response.get_data(as_text=True)

    sale = db.session.scalar(select(Sale))
    assert (sale.kind, sale.value, sale.active) == ("fixed", 10000, True)
    # Typed on the shop's clock (Asia/Kolkata, UTC+5:30 by default), stored in UTC.
    assert sale.starts_at == datetime(2025, 12, 31, 18, 30, tzinfo=UTC)
    assert [c.slug for c in sale.categories] == ["pain-relief"] and sale.products == []

    page = staff.get("/products/joint-capsule").get_data(as_text=True)
    assert "₹619" in page and "22% OFF" in page  # ₹619 against ₹799 rounds down to 22
    untouched = staff.get("/products/ashwagandha").get_data(as_text=True)
    assert "₹500" in untouched and "% OFF" not in untouched

    (entry,) = audits(db, "sale")
    assert entry.action == "create" and entry.after["categories"] == ["pain-relief"]
    assert entry.after["value"] == 10000

    listing = staff.get("/staff/sales/").get_data(as_text=True)
    assert "Monsoon sale" in listing and "₹100 off" in listing
    assert 'data-status="running"' in listing


def test_a_sale_on_named_products_can_be_edited_and_deleted(staff, db):
    oil = make_product("joint-pain-oil", mrp=39900, price=34900)
    make_product("hot-cold-gel-pack", mrp=49900, price=44900)
    db.session.commit()
    response = post(
        staff,
        "/staff/sales/new",
        **sale_fields(value="20%", products="joint-pain-oil, hot-cold-gel-pack"),
    )
    assert response.status_code == 303
    sale = db.session.scalar(select(Sale))
    assert sorted(p.slug for p in sale.products) == ["hot-cold-gel-pack", "joint-pain-oil"]
    # ₹279.20 computed, shown down to the rupee (SHOP_SALE_ROUNDING)
    assert "₹279<" in staff.get("/products/joint-pain-oil").get_data(as_text=True)

    form = staff.get(f"/staff/sales/{sale.id}").get_data(as_text=True)
    assert "hot-cold-gel-pack\njoint-pain-oil</textarea>" in form

    response = post(
        staff, f"/staff/sales/{sale.id}", **sale_fields(value="15", products="joint-pain-oil")
    )
    assert response.status_code == 303
    db.session.expire_all()
    assert [p.slug for p in db.session.get(Sale, sale.id).products] == ["joint-pain-oil"]
    assert "₹296<" in staff.get("/products/joint-pain-oil").get_data(as_text=True)  # ₹296.65

    response = post(staff, f"/staff/sales/{sale.id}/delete")
    assert response.status_code == 303 and response.headers["Location"].endswith("/staff/sales/")
    assert count(db, Sale) == 0
    page = staff.get(f"/products/{oil.slug}").get_data(as_text=True)
    assert "₹349" in page and "12% OFF" in page

    create, update, delete = audits(db, "sale")
    assert (create.action, update.action, delete.action) == ("create", "update", "delete")
    assert (update.before["value"], update.after["value"]) == (20, 15)
    assert update.before["products"] == ["hot-cold-gel-pack", "joint-pain-oil"]
    assert delete.before["name"] == "Monsoon sale" and delete.after is None


def test_a_switched_off_sale_does_not_change_prices(staff, db):
    category = make_category()
    make_product("joint-capsule", category=category, mrp=79900, price=71900)
    db.session.commit()
    response = staff.post(
        "/staff/sales/new",
        data={
            "csrf_token": staff.token,
            **sale_fields(value="50", active=""),
            "categories": [str(category.id)],
        },
    )
    assert response.status_code == 303
    assert db.session.scalar(select(Sale.active)) is False
    assert "₹719" in staff.get("/products/joint-capsule").get_data(as_text=True)


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"value": "0"}, "whole number from 1 to 100"),
        ({"value": "101"}, "whole number from 1 to 100"),
        ({"value": "12.5"}, "whole number from 1 to 100"),
        ({"value": ""}, "Enter the discount."),
        ({"kind": "fixed", "value": "abc"}, "Enter the amount off in rupees"),
        ({"kind": "fixed", "value": "0"}, "more than ₹0"),
        ({"kind": "fixed", "value": "10.999"}, "Enter the amount off in rupees"),
        ({"kind": "fixed", "value": "50%"}, "Enter the amount off in rupees"),
        ({"kind": "fixed", "value": "99999999"}, "at most ₹10,00,000"),
        ({"kind": "bogus"}, "Not a valid choice"),
        ({"name": ""}, "Enter a name for the sale."),
        ({"starts_at": "2026-05-01T00:00", "ends_at": "2026-04-01T00:00"}, "after the start"),
        ({"starts_at": "2026-05-01T00:00", "ends_at": "2026-05-01T00:00"}, "after the start"),
        ({"starts_at": "tomorrow"}, "Enter a date and time such as"),
        ({"starts_at": "2026-02-30T10:00"}, "Enter a date and time such as"),
        ({"ends_at": "31/12/2026 10:00"}, "Enter a date and time such as"),
        ({"products": "joint-capsule no-such-thing"}, "No product has the slug: no-such-thing."),
        ({"products": "", "categories": None}, "at least one category or product"),
        ({"categories": "9999"}, "not a valid choice"),
    ],
)
def test_bad_sale_values_are_refused_and_nothing_is_written(staff, db, overrides, message):
    category = make_category()
    make_product("joint-capsule", category=category)
    db.session.commit()
    fields = sale_fields(categories=str(category.id))
    fields.update(overrides)
    fields = {k: v for k, v in fields.items() if v is not None}
    response = post(staff, "/staff/sales/new", **fields)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert count(db, Sale) == 0 and audits(db, "sale") == []


def test_unknown_sales_are_404(staff, db):
    assert staff.get("/staff/sales/999").status_code == 404
    assert post(staff, "/staff/sales/999", **sale_fields()).status_code == 404
    assert post(staff, "/staff/sales/999/delete").status_code == 404


# --- coupons -----------------------------------------------------------------------------------


def coupon_fields(**overrides) -> dict:
    fields = {
        "code": "spring15",
        "description": "15% off for spring",
        "kind": "percent",
        "value": "15",
        "min_subtotal": "500",
        "max_discount": "150",
        "starts_at": "",
        "ends_at": "",
        "usage_limit": "100",
        "per_customer_limit": "1",
        "products": "",
        "active": "y",
    }
    fields.update(overrides)
    return fields


def test_a_coupon_made_in_the_back_office_works_in_the_cart(staff, shopper, db):
    capsule = make_product("joint-capsule", mrp=79900, price=71900)
    db.session.commit()
    response = post(staff, "/staff/coupons/new", **coupon_fields())
    assert response.status_code == 303
    coupon = db.session.scalar(select(Coupon))
    assert response.headers["Location"].endswith(f"/staff/coupons/{coupon.id}")
    assert (coupon.code, coupon.kind, coupon.value) == ("SPRING15", "percent", 15)
    assert (coupon.min_subtotal, coupon.max_discount) == (50000, 15000)
    assert (coupon.usage_limit, coupon.per_customer_limit, coupon.uses) == (100, 1, 0)
    (entry,) = audits(db, "coupon")
    assert entry.action == "create" and entry.after["code"] == "SPRING15"

    add_to_cart(shopper, capsule.variants[0].id, 2)
    applied = post(shopper, "/cart/coupon", code="Spring15")
    assert applied.status_code == 303
    html = shopper.get("/cart").get_data(as_text=True)
    assert total(html, "subtotal") == "₹1,438"
    assert total(html, "discount") == "−₹150"  # 15% is ₹215.70, capped at ₹150
    assert total(html, "total") == "₹1,288"


def test_a_coupon_can_be_edited_and_switched_off(staff, shopper, db):
    capsule = make_product("joint-capsule", mrp=79900, price=71900)
    db.session.commit()
    post(staff, "/staff/coupons/new", **coupon_fields(kind="fixed", value="50", min_subtotal=""))
    coupon = db.session.scalar(select(Coupon))
    assert (coupon.value, coupon.min_subtotal) == (5000, 0)
    form = staff.get(f"/staff/coupons/{coupon.id}/edit").get_data(as_text=True)
    assert 'value="50"' in form and 'value="150"' in form

    response = post(
        staff,
        f"/staff/coupons/{coupon.id}/edit",
        **coupon_fields(kind="fixed", value="75.50", min_subtotal="", active=""),
    )
    assert response.status_code == 303
    db.session.expire_all()
    coupon = db.session.get(Coupon, coupon.id)
    assert (coupon.value, coupon.active) == (7550, False)
    create, update = audits(db, "coupon")
    assert (update.action, update.before["value"], update.after["value"]) == ("update", 5000, 7550)
    assert (update.before["active"], update.after["active"]) == (True, False)

    add_to_cart(shopper, capsule.variants[0].id)
    assert post(shopper, "/cart/coupon", code="SPRING15").status_code == 422


def test_a_coupon_restricted_to_a_category_stores_the_restriction(staff, db):
    category = make_category("hot-and-cold", "Hot and cold")
    make_product("joint-capsule")
    db.session.commit()
    response = staff.post(
        "/staff/coupons/new",
        data={
            "csrf_token": staff.token,
            **coupon_fields(products="joint-capsule"),
            "categories": [str(category.id)],
            "exclude_sale_items": "y",
        },
    )
    assert response.status_code == 303
    coupon = db.session.scalar(select(Coupon))
    assert [p.slug for p in coupon.products] == ["joint-capsule"]
    assert [c.slug for c in coupon.categories] == ["hot-and-cold"]
    assert coupon.exclude_sale_items is True
    page = staff.get(f"/staff/coupons/{coupon.id}").get_data(as_text=True)
    assert "Hot and cold" in page and "not on sale items" in page


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"code": "taken"}, "Another coupon already uses this code."),
        ({"code": "TAKEN "}, "Another coupon already uses this code."),
        ({"code": "10% OFF"}, "Use letters, digits, hyphens and underscores"),
        ({"code": ""}, "Enter a code."),
        ({"code": "X" * 41}, "40"),
        ({"value": "150"}, "whole number from 1 to 100"),
        ({"kind": "fixed", "value": "-5"}, "Enter the amount off in rupees"),
        ({"min_subtotal": "five hundred"}, "Enter an amount in rupees"),
        ({"min_subtotal": "100000000"}, "at most ₹10,00,000"),
        ({"max_discount": "0"}, "A cap must be more than ₹0"),
        ({"usage_limit": "0"}, "at least 1"),
        ({"usage_limit": "lots"}, "Not a valid integer"),
        ({"per_customer_limit": "-1"}, "at least 1"),
        ({"starts_at": "2026-06-01T10:00", "ends_at": "2026-06-01T09:00"}, "after the start"),
        ({"products": "ghost-product"}, "No product has the slug: ghost-product."),
    ],
)
def test_bad_coupon_values_are_refused_and_nothing_is_written(staff, db, overrides, message):
    db.session.add(Coupon(code="TAKEN", kind="percent", value=5))
    db.session.commit()
    response = post(staff, "/staff/coupons/new", **coupon_fields(**overrides))
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert count(db, Coupon) == 1 and audits(db, "coupon") == []


def test_a_usage_limit_below_the_uses_so_far_is_refused(staff, db):
    coupon = Coupon(code="POPULAR", kind="percent", value=10, usage_limit=10, uses=3)
    db.session.add(coupon)
    db.session.commit()
    response = post(
        staff,
        f"/staff/coupons/{coupon.id}/edit",
        **coupon_fields(code="POPULAR", value="10", usage_limit="2"),
    )
    assert response.status_code == 422
    assert "already in use 3 times" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Coupon, coupon.id).usage_limit == 10
    assert audits(db, "coupon") == []

    response = post(
        staff,
        f"/staff/coupons/{coupon.id}/edit",
        **coupon_fields(code="POPULAR", value="10", usage_limit="3"),
    )
    assert response.status_code == 303
    db.session.expire_all()
    assert db.session.get(Coupon, coupon.id).usage_limit == 3


def test_saving_demo_pricing_unchanged_writes_nothing(staff, db):
    seed_demo(db.session)
    db.session.commit()
    welcome = db.session.scalar(select(Coupon).where(Coupon.code == "WELCOME10"))
    response = post(
        staff,
        f"/staff/coupons/{welcome.id}/edit",
        **coupon_fields(
            code="WELCOME10",
            description=welcome.description,
            value="10",
            min_subtotal="500",
            max_discount="100",
            usage_limit="",
            per_customer_limit="1",
        ),
    )
    assert response.status_code == 303
    sale = db.session.scalar(select(Sale))
    response = staff.post(
        f"/staff/sales/{sale.id}",
        data={
            "csrf_token": staff.token,
            **sale_fields(
                # The demo sale runs from midnight UTC: 05:30 on the shop's clock (India).
                name=sale.name,
                value="15",
                starts_at="2026-01-01T05:30",
                ends_at="2030-01-01T05:30",
            ),
            "categories": [str(c.id) for c in sale.categories],
        },
    )
    assert response.status_code == 303
    assert post(staff, "/staff/shipping", fee="49", free_from="499").status_code == 303
    assert "Nothing changed." in staff.get("/staff/shipping").get_data(as_text=True)
    assert count(db, AuditEntry) == 0


def test_a_use_taken_while_staff_edit_the_limit_is_caught_by_the_database(staff, db, monkeypatch):
    from shop.staff.pricing import service as pricing

    coupon = Coupon(code="POPULAR", kind="percent", value=10, usage_limit=10, uses=3)
    db.session.add(coupon)
    db.session.commit()
    checked = []

    def raced(values, row):
        """The first check runs before a checkout's use lands; later ones see it."""
        checked.append(row)
        return {} if len(checked) == 1 else real(values, row)

    real = pricing.coupon_problems
    monkeypatch.setattr(pricing, "coupon_problems", raced)
    response = post(
        staff,
        f"/staff/coupons/{coupon.id}/edit",
        **coupon_fields(code="POPULAR", value="10", usage_limit="2"),
    )
    assert response.status_code == 409
    assert "already in use 3 times" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Coupon, coupon.id).usage_limit == 10
    assert audits(db, "coupon") == []


def test_unknown_coupons_are_404(staff, db):
    assert staff.get("/staff/coupons/999").status_code == 404
    assert staff.get("/staff/coupons/999/edit").status_code == 404
    assert post(staff, "/staff/coupons/999/edit", **coupon_fields()).status_code == 404


def test_coupon_list_searches(staff, db):
    db.session.add_all(
        [
            Coupon(code="WELCOME10", kind="percent", value=10),
            Coupon(code="FLAT50", kind="fixed", value=5000, description="Flat"),
        ]
    )
    db.session.commit()
    html = staff.get("/staff/coupons/?q=welc").get_data(as_text=True)
    assert "WELCOME10" in html and "FLAT50" not in html
    assert "₹50 off" in staff.get("/staff/coupons/").get_data(as_text=True)


def test_the_coupon_page_lists_a_use_held_by_checkout(staff, shopper, db, sandbox):
    capsule = make_product("joint-capsule", mrp=79900, price=71900)
    db.session.commit()
    post(staff, "/staff/coupons/new", **coupon_fields(min_subtotal=""))
    coupon = db.session.scalar(select(Coupon))

    add_to_cart(shopper, capsule.variants[0].id, 2)
    assert post(shopper, "/cart/coupon", code="spring15").status_code == 303
    seed_zones(db.session)
    db.session.commit()
    placed = post(shopper, "/checkout", email="guest@example.com", acknowledge="yes", **ADDRESS)
    assert placed.status_code == 303, placed.get_data(as_text=True)
    order = db.session.scalar(select(Order))
    redemption = db.session.scalar(select(CouponRedemption))
    assert redemption.state == "held" and redemption.order_id == order.id

    # An older use that was released when its order expired.
    db.session.add(
        CouponRedemption(
            coupon_id=coupon.id, customer_key="email:old@example.com", state="released", amount=4000
        )
    )
    db.session.commit()

    html = staff.get(f"/staff/coupons/{coupon.id}").get_data(as_text=True)
    assert re.search(r'data-uses="held">1<', html)
    assert re.search(r'data-uses="final">0<', html)
    assert re.search(r'data-uses="released">1<', html)
    assert re.search(r'data-uses="in-use">1<', html)
    row = html.split(f'data-redemption="{redemption.id}"', 1)[1].split("</tr>", 1)[0]
    assert order.number in row and redemption.customer_key in row
    assert "held" in row and "₹150" in row
    assert "email:old@example.com" in html

    only_old = staff.get(f"/staff/coupons/{coupon.id}?q=old@").get_data(as_text=True)
    assert "email:old@example.com" in only_old and order.number not in only_old


# --- shipping ----------------------------------------------------------------------------------


def test_shipping_is_created_then_changed_and_the_cart_follows(staff, shopper, db):
    oil = make_product("joint-pain-oil", mrp=39900, price=34900)
    db.session.commit()
    assert "No shipping rate is set" in staff.get("/staff/shipping").get_data(as_text=True)
    add_to_cart(shopper, oil.variants[0].id)
    assert total(shopper.get("/cart").get_data(as_text=True), "shipping") == "Free"

    response = post(staff, "/staff/shipping", fee="49", free_from="499")
    assert response.status_code == 303
    rate = db.session.scalar(select(ShippingRate))
    assert (rate.fee, rate.free_from) == (4900, 49900)
    html = shopper.get("/cart").get_data(as_text=True)
    assert (total(html, "shipping"), total(html, "total")) == ("₹49", "₹398")

    form = staff.get("/staff/shipping").get_data(as_text=True)
    assert 'value="49"' in form and 'value="499"' in form

    assert post(staff, "/staff/shipping", fee="59.50", free_from="").status_code == 303
    assert count(db, ShippingRate) == 1
    html = shopper.get("/cart").get_data(as_text=True)
    assert (total(html, "shipping"), total(html, "total")) == ("₹59.50", "₹408.50")

    assert post(staff, "/staff/shipping", fee="59.50", free_from="300").status_code == 303
    assert total(shopper.get("/cart").get_data(as_text=True), "shipping") == "Free"

    create, first, second = audits(db, "shipping_rate")
    assert create.action == "create" and create.before is None and create.after["fee"] == 4900
    assert (first.before["free_from"], first.after["free_from"]) == (49900, None)
    assert (second.before["free_from"], second.after["free_from"]) == (None, 30000)


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"fee": "", "free_from": "499"}, "Enter the shipping fee"),
        ({"fee": "abc", "free_from": ""}, "Enter an amount in rupees"),
        ({"fee": "-5", "free_from": ""}, "Enter an amount in rupees"),
        ({"fee": "49", "free_from": "4.999"}, "Enter an amount in rupees"),
        ({"fee": "99999999", "free_from": ""}, "at most ₹10,00,000"),
    ],
)
def test_bad_shipping_values_are_refused_and_nothing_is_written(staff, db, fields, message):
    db.session.add(ShippingRate(fee=4900, free_from=49900))
    db.session.commit()
    response = post(staff, "/staff/shipping", **fields)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    db.session.expire_all()
    rate = db.session.scalar(select(ShippingRate))
    assert (rate.fee, rate.free_from) == (4900, 49900)
    assert audits(db, "shipping_rate") == []
