"""Staff type and read times on the shop's clock (`SHOP_TIMEZONE`); the database keeps UTC."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from shop.checkout.models import OrderEvent
from shop.discounts.models import Coupon, Sale
from shop.staff.audit import AuditEntry
from tests.factories import make_category, make_product, make_user
from tests.helpers import audits, count, log_in, post
from tests.integration.test_staff_orders import place_order


@pytest.fixture()
def staff(client, db):
    make_user("clock@example.com", role="staff")
    db.session.commit()
    client.token = log_in(client, "clock@example.com")
    return client


@pytest.fixture()
def london(app, monkeypatch):
    """The shop moved to a zone with summer time (GMT in winter, BST in summer)."""
    monkeypatch.setitem(app.config, "SHOP_TIMEZONE", "Europe/London")


def coupon_fields(**overrides) -> dict:
    fields = {
        "code": "CLOCK10",
        "kind": "percent",
        "value": "10",
        "starts_at": "",
        "ends_at": "",
        "products": "clock-balm",
        "active": "y",
    }
    return fields | overrides


def stored_coupon(db) -> Coupon:
    db.session.expire_all()
    return db.session.scalars(select(Coupon)).one()


def test_sale_times_are_typed_and_shown_in_india_by_default(staff, db):
    category = make_category("clock-care")
    make_product("clock-balm", category=category)
    db.session.commit()
    response = post(
        staff,
        "/staff/sales/new",
        name="Noon sale",
        kind="percent",
        value="10",
        starts_at="2026-07-01T12:00",
        ends_at="2026-07-02T00:15",
        products="clock-balm",
        active="y",
    )
    assert response.status_code == 303, response.get_data(as_text=True)
    db.session.expire_all()
    sale = db.session.scalars(select(Sale)).one()
    assert sale.starts_at == datetime(2026, 7, 1, 6, 30, tzinfo=UTC)
    assert sale.ends_at == datetime(2026, 7, 1, 18, 45, tzinfo=UTC)

    form = staff.get(f"/staff/sales/{sale.id}").get_data(as_text=True)
    assert 'value="2026-07-01T12:00"' in form and 'value="2026-07-02T00:15"' in form
    assert "Times are on the shop's clock: Asia/Kolkata." in form
    listing = staff.get("/staff/sales/").get_data(as_text=True)
    assert "2026-07-01 12:00 IST" in listing and "2026-07-02 00:15 IST" in listing

    # Saving the form unchanged moves nothing: what is shown reads back as the same moment.
    again = post(
        staff,
        f"/staff/sales/{sale.id}",
        name="Noon sale",
        kind="percent",
        value="10",
        starts_at="2026-07-01T12:00",
        ends_at="2026-07-02T00:15",
        products="clock-balm",
        active="y",
    )
    assert again.status_code == 303
    assert len(audits(db, "sale")) == 1


def test_london_converts_summer_and_winter_times_both_ways(staff, db, london):
    make_product("clock-balm", category=make_category("clock-care"))
    db.session.commit()
    fields = coupon_fields(starts_at="2026-07-01T12:00", ends_at="2027-01-10T12:00")
    response = post(staff, "/staff/coupons/new", **fields)
    assert response.status_code == 303, response.get_data(as_text=True)
    coupon = stored_coupon(db)
    assert coupon.starts_at == datetime(2026, 7, 1, 11, 0, tzinfo=UTC)  # BST is UTC+1
    assert coupon.ends_at == datetime(2027, 1, 10, 12, 0, tzinfo=UTC)  # GMT is UTC

    page = staff.get(f"/staff/coupons/{coupon.id}").get_data(as_text=True)
    assert "2026-07-01 12:00 BST" in page and "2027-01-10 12:00 GMT" in page
    form = staff.get(f"/staff/coupons/{coupon.id}/edit").get_data(as_text=True)
    assert 'value="2026-07-01T12:00"' in form and 'value="2027-01-10T12:00"' in form
    assert "Europe/London" in form


def test_a_time_the_clocks_skip_is_422_and_writes_nothing(staff, db, london):
    make_product("clock-balm", category=make_category("clock-care"))
    db.session.commit()
    response = post(staff, "/staff/coupons/new", **coupon_fields(starts_at="2026-03-29T01:30"))
    assert response.status_code == 422
    assert "does not exist in Europe/London" in response.get_data(as_text=True)
    assert count(db, Coupon) == 0 and audits(db, "coupon") == []


MALFORMED = ["2026-13-01T10:00", "2026-02-30T10:00", "01/07/2026 10:00", "noon", "2026-07-01T25:00"]
OUT_OF_RANGE = ["0001-01-01T00:00", "0001-01-01T05:00"]


@pytest.mark.parametrize("typed", MALFORMED)
def test_a_malformed_time_is_422_and_writes_nothing(staff, db, typed):
    make_product("clock-balm", category=make_category("clock-care"))
    db.session.commit()
    response = post(staff, "/staff/coupons/new", **coupon_fields(ends_at=typed))
    assert response.status_code == 422
    assert "Enter a date and time such as" in response.get_data(as_text=True)
    assert count(db, Coupon) == 0 and audits(db, "coupon") == []


def test_audit_log_and_order_pages_show_the_shop_clock(app, staff, db, london):
    moment = datetime(2026, 7, 1, 6, 30, 5, tzinfo=UTC)
    make_product("clock-balm", category=make_category("clock-care"))
    db.session.commit()
    assert post(staff, "/staff/coupons/new", **coupon_fields()).status_code == 303
    entry = db.session.scalars(select(AuditEntry)).one()
    entry.created_at = moment
    db.session.commit()
    listing = staff.get("/staff/audit/").get_data(as_text=True)
    assert "01 Jul 2026 07:30:05 BST" in listing
    detail = staff.get(f"/staff/audit/{entry.id}").get_data(as_text=True)
    assert "01 Jul 2026 07:30:05 BST" in detail and "UTC" not in detail.split("<main")[-1]


def test_order_pages_and_the_order_note_use_the_shop_clock(app, db, staff, london):
    from shop.demo import seed_demo

    seed_demo(db.session)
    db.session.commit()
    order = place_order(app, db)
    placed = db.session.scalars(select(OrderEvent).where(OrderEvent.order_id == order.id)).first()
    # The note was written while the shop was in London: its hold time says BST or GMT.
    assert placed.note.endswith(("BST.", "GMT."))
    order.created_at = datetime(2026, 1, 15, 9, 0, tzinfo=UTC)
    placed.created_at = datetime(2026, 7, 15, 9, 0, tzinfo=UTC)
    db.session.commit()
    page = staff.get(f"/staff/orders/{order.number}").get_data(as_text=True)
    assert "placed 15 Jan 2026 09:00 GMT" in page
    assert "15 Jul 2026 10:00:00 BST" in page
    listing = staff.get("/staff/orders/").get_data(as_text=True)
    assert "15 Jan 2026 09:00 GMT" in listing


@pytest.mark.parametrize("typed", OUT_OF_RANGE)
def test_a_time_before_the_first_year_in_utc_is_422(staff, db, typed):
    make_product("clock-balm", category=make_category("clock-care"))
    db.session.commit()
    response = post(staff, "/staff/coupons/new", **coupon_fields(starts_at=typed))
    assert response.status_code == 422
    assert "outside the calendar" in response.get_data(as_text=True)
    assert count(db, Coupon) == 0


def test_the_dashboards_today_starts_at_midnight_on_the_shop_clock(app, db, staff, monkeypatch):
    from shop import localtime
    from shop.demo import seed_demo

    seed_demo(db.session)
    db.session.commit()
    late, early = place_order(app, db), place_order(app, db, email="second@example.com")
    late.state, early.state = "paid", "paid"
    # 2 July 08:30 in India; India's 2 July began at 18:30 UTC on 1 July.
    monkeypatch.setattr(localtime, "utcnow", lambda: datetime(2026, 7, 2, 3, 0, tzinfo=UTC))
    late.created_at = datetime(2026, 7, 1, 19, 0, tzinfo=UTC)  # 00:30 on 2 July in India
    early.created_at = datetime(2026, 7, 1, 18, 0, tzinfo=UTC)  # 23:30 on 1 July in India
    db.session.commit()
    page = staff.get("/staff/").get_data(as_text=True)
    assert '<span class="stat" data-stat="orders-today">1</span>' in page
