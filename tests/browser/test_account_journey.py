"""In Chromium: register, sign in and out, fill a guest cart, sign in — the cart comes along."""

from __future__ import annotations

import pytest

from shop.demo import seed_demo

pytestmark = pytest.mark.browser

PASSWORD = "a calm blue river"


@pytest.fixture()
def demo_shop(db, live_server):
    seed_demo(db.session)
    db.session.commit()
    return live_server


def test_register_logout_login_merges_the_guest_cart(page, demo_shop):
    page.goto(demo_shop + "/account/register")
    page.get_by_label("E-mail").fill("reader@example.com")
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Repeat the password").fill(PASSWORD)
    page.get_by_role("button", name="Create account").click()
    # the same answer whether or not the address had an account: the inbox is told which
    page.get_by_role("heading", name="Check your e-mail").wait_for()
    page.get_by_role("main").get_by_role("link", name="Sign in").click()
    page.get_by_label("E-mail").fill("reader@example.com")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(demo_shop + "/")
    page.goto(demo_shop + "/account/")
    assert "Signed in as reader@example.com" in page.locator("main").inner_text()

    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url(demo_shop + "/")
    assert page.get_by_role("link", name="Sign in").is_visible()

    # as a guest: two oils into the cart, without JavaScript's help needed
    page.goto(demo_shop + "/products/joint-pain-oil")
    page.locator('input[name="quantity"]').first.fill("2")
    page.get_by_role("button", name="Add to cart").first.click()
    page.locator("[data-cart-count]").filter(has_text="2").wait_for()

    page.goto(demo_shop + "/account/login?next=/cart")
    page.get_by_label("E-mail").fill("reader@example.com")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/cart")
    assert page.locator("[data-cart-count]").inner_text() == "2"
    assert page.locator('[data-total="subtotal"]').inner_text() == "₹698"
    assert "Joint Pain Relief Oil" in page.locator(".cart-table").inner_text()
