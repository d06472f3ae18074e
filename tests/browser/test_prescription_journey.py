"""A prescription order in Chromium: the Rx product page → cart notice → checkout with
the prescription uploaded → sandbox Pay (authorised only) → "being reviewed" → the
pharmacist opens the queue, downloads the file and approves → the order is paid and its
tax invoice is linked."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from shop.checkout.models import Order
from shop.demo import seed_demo
from shop.invoices.models import Invoice
from tests.factories import DEFAULT_PASSWORD, make_user

pytestmark = pytest.mark.browser

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


@pytest.fixture()
def shop_url(app, db, live_server, sandbox, monkeypatch):
    seed_demo(db.session)
    make_user("pharmacist.test@example.com", role="pharmacist")
    db.session.commit()
    monkeypatch.setitem(app.config, "SHOP_BASE_URL", live_server)
    sandbox.point_webhooks_at(live_server + "/stripe/webhook")
    return live_server


def test_prescription_order_from_upload_to_paid_with_invoice(browser, page, shop_url, db):
    page.goto(shop_url + "/products/spasmorelax-d-tablets")
    assert page.locator("[data-rx-badge]").first.inner_text() == "Prescription required"
    page.get_by_role("button", name="Add to cart").first.click()
    page.locator("[data-cart-count]").filter(has_text="1").wait_for()

    page.goto(shop_url + "/cart")
    assert "Prescription required" in page.locator("[data-rx-notice]").inner_text()
    page.get_by_role("link", name="Checkout").click()
    page.wait_for_url("**/checkout")
    page.get_by_label("E-mail for your receipt").fill("rx.buyer@example.com")
    page.get_by_label("Full name").fill("Asha Rao")
    page.get_by_label("Mobile number").fill("98450 12345")
    page.get_by_label("House, building, street").fill("12 MG Road")
    page.get_by_label("City or town").fill("Bengaluru")
    page.get_by_label("State or union territory").select_option("29")
    page.get_by_label("PIN code").fill("560001")
    page.get_by_label(re.compile("Your prescription")).set_input_files(
        {"name": "prescription.pdf", "mimeType": "application/pdf", "buffer": PDF}
    )
    page.locator('input[name="acknowledge"]').check()
    page.get_by_role("button", name=re.compile(r"^Pay ₹")).click()

    page.wait_for_url("**/pay/cs_*")
    page.get_by_role("button", name="Pay", exact=True).click()
    page.wait_for_url("**/account/orders/RS-*")
    assert page.locator("[data-order-state]").get_attribute("data-order-state") == (
        "awaiting_review"
    )
    assert "not charged" in page.locator("[data-prescription]").inner_text()
    number = re.search(r"RS-[A-Z0-9-]+", page.url).group(0)

    pharmacist = browser.new_context(accept_downloads=True).new_page()
    try:
        pharmacist.goto(shop_url + "/account/login?next=/staff/prescriptions/")
        pharmacist.get_by_label("E-mail").fill("pharmacist.test@example.com")
        pharmacist.get_by_label("Password").fill(DEFAULT_PASSWORD)
        pharmacist.get_by_role("button", name="Sign in").click()
        pharmacist.wait_for_url("**/staff/prescriptions/")
        pharmacist.get_by_role("link", name=number).click()
        with pharmacist.expect_download() as download:
            pharmacist.locator("[data-prescription-file]").click()
        assert download.value.suggested_filename == f"prescription-{number}.pdf"
        with open(download.value.path(), "rb") as saved:
            assert saved.read() == PDF
        pharmacist.locator("[data-approve]").click()
        pharmacist.wait_for_url("**/staff/prescriptions/")
        pharmacist.locator("[data-empty-queue]").wait_for()
    finally:
        pharmacist.context.close()

    page.reload()
    assert page.locator("[data-order-state]").get_attribute("data-order-state") == "paid"
    invoice_link = page.locator("[data-invoice-link]")
    assert invoice_link.is_visible()
    db.session.expire_all()
    order = db.session.scalar(select(Order).where(Order.number == number))
    assert db.session.scalar(select(Invoice).where(Invoice.order_id == order.id)) is not None
