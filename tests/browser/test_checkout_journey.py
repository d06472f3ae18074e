"""The whole journey in Chromium: article → card → cart → WELCOME10 → checkout → sandbox Pay
→ the success page shows the order paid."""

from __future__ import annotations

import pytest

from shop.demo import seed_demo

pytestmark = pytest.mark.browser


@pytest.fixture()
def shop_url(app, db, live_server, sandbox, monkeypatch):
    seed_demo(db.session)
    db.session.commit()
    # links sent to Stripe must lead back to this server, and webhooks must reach it
    monkeypatch.setitem(app.config, "SHOP_BASE_URL", live_server)
    sandbox.point_webhooks_at(live_server + "/stripe/webhook")
    return live_server


def test_from_article_to_a_paid_order(page, shop_url):
    page.goto(shop_url + "/articles/muscle-spasm-in-back")
    card = page.locator("article.product-card-embed").filter(
        has=page.locator('a[href^="/products/joint-capsule?ref="]')
    )
    card.locator('input[name="quantity"]').fill("2")
    card.get_by_role("button", name="Add to cart").click()
    page.locator("[data-cart-count]").filter(has_text="2").wait_for()

    page.goto(shop_url + "/cart")
    page.get_by_label("Coupon code").fill("WELCOME10")
    page.get_by_role("button", name="Apply").click()
    page.wait_for_url("**/cart")
    assert page.locator('[data-total="total"]').inner_text() == "₹1,338"
    page.get_by_role("link", name="Checkout").click()
    page.wait_for_url("**/checkout")

    page.get_by_label("E-mail for your receipt").fill("reader@example.com")
    page.get_by_label("Full name").fill("Reader Rao")
    page.get_by_label("Mobile number").fill("9845012345")
    page.get_by_label("House, building, street").fill("12 MG Road")
    page.get_by_label("City or town").fill("Bengaluru")
    page.get_by_label("State or union territory").select_option("29")
    page.get_by_label("PIN code").fill("560001")
    page.locator('input[name="acknowledge"]').check()
    page.get_by_role("button", name="Pay ₹1,338").click()

    page.wait_for_url("**/pay/cs_*")  # the sandbox's hosted payment page
    assert "1,338.00" in page.content() or "1338.00" in page.content()
    # one breakdown, as on the shop's pages: the line at its price, the coupon once
    assert page.locator("tbody tr td.num").last.inner_text() == "INR 1438.00"
    rows = page.locator("tfoot tr[data-row]")
    assert [r.get_attribute("data-row") for r in rows.all()] == [
        "subtotal",
        "discount",
        "shipping",
        "total",
    ]
    assert page.locator('tr[data-row="discount"] td.num').inner_text() == "−INR 100.00"
    page.get_by_role("button", name="Pay", exact=True).click()

    page.wait_for_url("**/account/orders/RS-*")
    assert page.locator("[data-order-state]").get_attribute("data-order-state") == "paid"
    assert "Paid" in page.locator(".order-state").inner_text()
    assert page.locator('[data-total="total"]').inner_text() == "₹1,338"
    assert page.locator("[data-cart-count]").inner_text() == "0"
