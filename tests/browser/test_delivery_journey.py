"""The delivery journey in Chromium: article → card → cart → pincode check (1–3 days for
560001) → checkout with a new address → sandbox Pay → the order page shows the address →
staff ship it with a tracking number → the customer's "shipped" e-mail has the link."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from shop.demo import seed_demo
from shop.mail import OutboxMessage
from tests.factories import DEFAULT_PASSWORD, make_user

pytestmark = pytest.mark.browser


@pytest.fixture()
def shop_url(app, db, live_server, sandbox, monkeypatch):
    seed_demo(db.session)
    make_user("dispatch@example.com", role="staff")
    db.session.commit()
    monkeypatch.setitem(app.config, "SHOP_BASE_URL", live_server)
    sandbox.point_webhooks_at(live_server + "/stripe/webhook")
    return live_server


def test_from_article_to_a_shipped_order_with_a_tracking_link(browser, page, shop_url, db):
    page.goto(shop_url + "/articles/muscle-spasm-in-back")
    card = page.locator("article.product-card-embed").filter(
        has=page.locator('a[href^="/products/joint-capsule?ref="]')
    )
    card.get_by_role("button", name="Add to cart").click()
    page.locator("[data-cart-count]").filter(has_text="1").wait_for()

    page.goto(shop_url + "/cart")
    # the pincode check answers in place (with the script) ...
    page.get_by_label("Check delivery to your PIN code").fill("560001")
    page.get_by_role("button", name="Check", exact=True).click()
    page.locator(".pincode-result").filter(has_text="Delivery in 1–3 days").wait_for()
    assert page.url.endswith("/cart")
    # ... and as a plain page without it
    plain = browser.new_context(java_script_enabled=False).new_page()
    try:
        plain.goto(shop_url + "/products/joint-capsule")
        plain.get_by_label("Check delivery to your PIN code").fill("744101")
        plain.get_by_role("button", name="Check", exact=True).click()
        plain.wait_for_url("**/delivery/check?pincode=744101")
        assert (
            "We do not deliver to 744101 yet" in plain.locator("[data-pincode-answer]").inner_text()
        )
    finally:
        plain.context.close()

    page.get_by_role("link", name="Checkout").click()
    page.wait_for_url("**/checkout")
    page.get_by_label("E-mail for your receipt").fill("buyer@example.com")
    page.get_by_label("Full name").fill("Asha Rao")
    page.get_by_label("Mobile number").fill("98450 12345")
    page.get_by_label("House, building, street").fill("12 MG Road")
    page.get_by_label("Area, landmark (optional)").fill("Near the metro")
    page.get_by_label("City or town").fill("Bengaluru")
    page.get_by_label("State or union territory").select_option("29")
    page.get_by_label("PIN code").fill("56000A")
    page.locator('input[name="acknowledge"]').check()
    page.get_by_role("button", name=re.compile(r"^Pay ₹")).click()
    # a typo is shown beside its field, with everything typed kept
    page.locator("#delivery-pincode-error").filter(has_text="6 digits").wait_for()
    assert page.get_by_label("Full name").input_value() == "Asha Rao"
    assert page.get_by_label("State or union territory").input_value() == "29"
    page.get_by_label("PIN code").fill("560001")
    page.locator('input[name="acknowledge"]').check()
    page.get_by_role("button", name=re.compile(r"^Pay ₹")).click()

    page.wait_for_url("**/pay/cs_*")
    page.get_by_role("button", name="Pay", exact=True).click()
    page.wait_for_url("**/account/orders/RS-*")
    assert page.locator("[data-order-state]").get_attribute("data-order-state") == "paid"
    address = page.locator("[data-delivery-address]").inner_text()
    assert "Asha Rao" in address and "12 MG Road" in address
    assert "Karnataka 560001" in address and "+919845012345" in address
    number = re.search(r"/account/orders/(RS-[A-Z0-9-]+)", page.url).group(1)

    staff = browser.new_context().new_page()
    try:
        staff.goto(shop_url + f"/account/login?next=/staff/orders/{number}")
        staff.get_by_label("E-mail").fill("dispatch@example.com")
        staff.get_by_label("Password").fill(DEFAULT_PASSWORD)
        staff.get_by_role("button", name="Sign in").click()
        staff.wait_for_url(f"**/staff/orders/{number}")
        assert "12 MG Road" in staff.locator("[data-delivery-address]").inner_text()
        # both fields are required (the server checks too: see test_delivery.py)
        assert staff.get_by_label("Courier").get_attribute("required") is not None
        staff.get_by_label("Courier").select_option("bluedart")
        staff.get_by_label("Tracking (AWB) number").fill("BD20261129")
        staff.get_by_role("button", name="Mark shipped").click()
        staff.locator(".flash-success").filter(has_text="is marked shipped").wait_for()
        slip = staff.get_by_role("link", name="Packing slip (print)")
        slip.click()
        staff.wait_for_url(f"**/staff/orders/{number}/packing-slip")
        assert "12 MG Road" in staff.locator("[data-delivery-address]").inner_text()
    finally:
        staff.context.close()

    page.reload()
    assert page.locator("[data-order-state]").get_attribute("data-order-state") == "shipped"
    link = page.get_by_role("link", name="track your parcel")
    assert "trackNo=BD20261129" in link.get_attribute("href")

    db.session.expire_all()
    mail = db.session.scalars(
        select(OutboxMessage).where(
            OutboxMessage.to == "buyer@example.com", OutboxMessage.subject.contains("on its way")
        )
    ).one()
    assert (
        "https://www.bluedart.com/web/guest/trackdartresult?trackFor=0&trackNo=BD20261129"
        in mail.body
    )
