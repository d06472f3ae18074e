"""Every staff money and number field: blank, whitespace, NUL, huge, negative → 4xx.

Issue 17 #11: `/staff/shipping` with `fee=" "` answered 500. Each form here is posted
once per bad value per field, and must answer 422 with a message (400 for a NUL, which
the request edge refuses before any view) and write nothing.
"""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from shop.catalog.models import Category, Product
from shop.content.models import Doctor
from shop.discounts.models import Coupon, Sale, ShippingRate
from shop.staff.audit import AuditEntry
from tests.conftest import csrf_token_for
from tests.factories import make_category, make_user
from tests.helpers import log_in

BAD = [" ", "   ", "\x00", "1\x002", "-5", "-0.5", "1e9", "99999999999999999999999", "NaN", "½"]


@pytest.fixture()
def staff(client, db):
    make_user("numbers@example.com", role="staff")
    db.session.commit()
    log_in(client, "numbers@example.com")
    return client


def _product(category_id: int) -> dict:
    return {
        "slug": "joint-oil",
        "name": "Joint Oil",
        "category_id": str(category_id),
        "gst_rate": "12",
        "max_per_order": "10",
        "active": "y",
        "variants-0-sku": "JO-1",
        "variants-0-label": "100 ml",
        "variants-0-mrp": "399",
        "variants-0-price": "349",
        "variants-0-stock": "5",
    }


FORMS = {
    "shipping": ("/staff/shipping", ShippingRate, {"fee": "49", "free_from": "499"}),
    "sale": (
        "/staff/sales/new",
        Sale,
        {"name": "Sale", "kind": "fixed", "value": "50", "categories": "{category}"},
    ),
    "coupon": (
        "/staff/coupons/new",
        Coupon,
        {
            "code": "SPRING",
            "kind": "fixed",
            "value": "50",
            "min_subtotal": "500",
            "max_discount": "150",
            "usage_limit": "100",
            "per_customer_limit": "1",
            "active": "y",
        },
    ),
    "category": (
        "/staff/categories/new",
        Category,
        {"slug": "oils", "name": "Oils", "position": "1"},
    ),
    "doctor": (
        "/staff/doctors/new",
        Doctor,
        {"slug": "dr-rao", "name": "Dr Rao", "specialty": "Physio", "years_experience": "12"},
    ),
    "product": ("/staff/products/new", Product, "product"),
}
FIELDS = [
    ("shipping", "fee"),
    ("shipping", "free_from"),
    ("sale", "value"),
    ("coupon", "value"),
    ("coupon", "min_subtotal"),
    ("coupon", "max_discount"),
    ("coupon", "usage_limit"),
    ("coupon", "per_customer_limit"),
    ("category", "position"),
    ("doctor", "years_experience"),
    ("product", "max_per_order"),
    ("product", "variants-0-mrp"),
    ("product", "variants-0-price"),
    ("product", "variants-0-stock"),
]
# Blank is allowed where the field says "empty for none"; whitespace counts as blank there.
OPTIONAL = {"free_from", "min_subtotal", "max_discount", "usage_limit", "per_customer_limit"}


def _fields(name: str, category_id: int) -> dict:
    url, model, base = FORMS[name]
    if base == "product":
        return _product(category_id)
    return {k: v.replace("{category}", str(category_id)) for k, v in base.items()}


def _rows(db, model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


@pytest.mark.parametrize(("form", "field"), FIELDS)
def test_bad_numbers_are_422_and_write_nothing(staff, db, form, field):
    category = make_category("base")
    db.session.commit()
    url, model, _ = FORMS[form]
    valid = _fields(form, category.id)
    before = _rows(db, model)
    for bad in BAD:
        if field in OPTIONAL and not bad.strip():
            continue
        data = valid | {field: bad, "csrf_token": csrf_token_for(staff)}
        response = staff.post(url, data=data)
        if "\x00" in bad:  # control characters are refused at the request edge
            assert response.status_code == 400, (field, bad, response.status_code)
        else:
            assert response.status_code == 422, (field, bad, response.status_code)
            assert 'class="field-error"' in response.get_data(as_text=True), (field, bad)
        assert _rows(db, model) == before
    assert db.session.scalars(select(AuditEntry)).all() == []
    # The same form with good values is accepted, so the refusals above were the field's.
    response = staff.post(url, data=valid | {"csrf_token": csrf_token_for(staff)})
    assert response.status_code == 303, response.get_data(as_text=True)


@pytest.mark.parametrize("blank", ["", " ", "    "])
def test_optional_amounts_left_blank_mean_none(staff, db, blank):
    data = {"fee": "49", "free_from": blank, "csrf_token": csrf_token_for(staff)}
    assert staff.post("/staff/shipping", data=data).status_code == 303
    rate = db.session.scalar(select(ShippingRate))
    assert (rate.fee, rate.free_from) == (4900, None)


@pytest.mark.parametrize("fee", ["", " ", "   "])
def test_a_blank_shipping_fee_says_what_to_enter(staff, db, fee):
    response = staff.post("/staff/shipping", data={"fee": fee, "csrf_token": csrf_token_for(staff)})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "Enter the shipping fee (0 for free)." in page or "in rupees" in page
    assert db.session.scalar(select(ShippingRate)) is None
