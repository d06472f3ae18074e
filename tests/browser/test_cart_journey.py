"""In Chromium: add the capsules from the article's card, apply WELCOME10, read totals."""

from __future__ import annotations

import pytest

from shop.demo import seed_demo

pytestmark = pytest.mark.browser


@pytest.fixture()
def demo_shop(db, live_server):
    seed_demo(db.session)
    db.session.commit()
    return live_server


def test_capsules_from_the_article_with_welcome10(page, demo_shop):
    page.goto(demo_shop + "/articles/muscle-spasm-in-back")
    card = page.locator("article.product-card-embed").filter(
        has=page.locator('a[href^="/products/joint-capsule?ref="]')
    )
    card.locator('input[name="quantity"]').fill("2")
    card.get_by_role("button", name="Add to cart").click()
    # the script adds without leaving the page and updates the header's count
    page.locator("[data-cart-count]").filter(has_text="2").wait_for()
    assert page.url.endswith("/articles/muscle-spasm-in-back")
    assert "View cart" in card.inner_text()

    page.goto(demo_shop + "/cart")
    assert page.locator('[data-total="subtotal"]').inner_text() == "₹1,438"
    assert page.locator('[data-total="shipping"]').inner_text() == "Free"
    page.get_by_label("Coupon code").fill("welcome10")
    page.get_by_role("button", name="Apply").click()
    page.wait_for_url("**/cart")
    assert page.locator('[data-total="discount"]').inner_text() == "−₹100"
    assert page.locator('[data-total="total"]').inner_text() == "₹1,338"
    assert "You save ₹260" in page.locator(".cart-summary").inner_text()


def test_adding_works_without_javascript(browser, demo_shop):
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    try:
        page.goto(demo_shop + "/products/joint-pain-oil")
        page.get_by_role("button", name="Add to cart").first.click()
        page.wait_for_url("**/cart")
        assert page.locator('[data-total="total"]').inner_text() == "₹398"
        assert "Add ₹150 more for free shipping" in page.content()
    finally:
        context.close()
