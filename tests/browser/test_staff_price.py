"""In Chromium: staff sign in, change the capsules' price, and shoppers see it at once."""

from __future__ import annotations

import pytest

from shop.demo import seed_demo
from tests.factories import DEFAULT_PASSWORD, make_user

pytestmark = pytest.mark.browser


@pytest.fixture()
def demo_shop(db, live_server):
    seed_demo(db.session)
    make_user("pricing@example.com", role="staff")
    db.session.commit()
    return live_server


def test_staff_change_the_capsules_price_and_the_shop_shows_it(browser, page, demo_shop):
    shopper = browser.new_context().new_page()
    try:
        shopper.goto(demo_shop + "/products/joint-capsule")
        assert shopper.locator(".price-now").first.inner_text() == "₹719"
        assert shopper.locator(".badge-off").first.inner_text() == "10% OFF"

        page.goto(demo_shop + "/account/login?next=/staff/products/")
        page.get_by_label("E-mail").fill("pricing@example.com")
        page.get_by_label("Password").fill(DEFAULT_PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url("**/staff/products/")

        page.get_by_label("Name, slug or SKU").fill("capsules")
        page.get_by_role("button", name="Filter").click()
        page.get_by_role("link", name="Joint Care Capsules").click()
        page.wait_for_url("**/staff/products/*")
        price = page.get_by_label("Price (₹) of 60 capsules")
        assert price.input_value() == "719"
        assert page.get_by_label("MRP (₹) of 60 capsules").input_value() == "799"
        price.fill("699")
        page.get_by_role("button", name="Save", exact=True).click()
        page.locator(".flash-success").filter(has_text="Saved Joint Care Capsules").wait_for()
        assert page.get_by_label("Price (₹) of 60 capsules").input_value() == "699"

        shopper.reload()
        assert shopper.locator(".price-now").first.inner_text() == "₹699"
        assert shopper.locator(".price-mrp").first.inner_text().endswith("₹799")
        assert shopper.locator(".badge-off").first.inner_text() == "12% OFF"
    finally:
        shopper.context.close()


def test_a_price_above_the_mrp_is_refused_next_to_the_field(page, demo_shop):
    page.goto(demo_shop + "/account/login?next=/staff/products/")
    page.get_by_label("E-mail").fill("pricing@example.com")
    page.get_by_label("Password").fill(DEFAULT_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/staff/products/")
    page.get_by_role("link", name="Joint Care Capsules").click()
    page.get_by_label("Price (₹) of 60 capsules").fill("899")
    page.get_by_role("button", name="Save", exact=True).click()
    error = page.locator("#variants-0-price-error")
    error.wait_for()
    assert error.inner_text() == "Price cannot be above the MRP."
    page.goto(demo_shop + "/products/joint-capsule")
    assert page.locator(".price-now").first.inner_text() == "₹719"
