"""In Chromium: a guest opens the paid order from the confirmation e-mail's link, follows
the invoice links and downloads the PDF, whose text names the invoice and the GSTIN."""

from __future__ import annotations

import io
import re

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from shop.demo import seed_demo
from shop.invoices.models import Invoice
from shop.mail import OutboxMessage
from tests.integration.test_checkout import fill_cart, pay, place, session_id_of

pytestmark = pytest.mark.browser


def test_the_guest_downloads_the_invoice_pdf(page, app, db, live_server, sandbox):
    seed_demo(db.session)
    db.session.commit()
    shopper = app.test_client()
    fill_cart(shopper, db, slug="joint-pain-oil", quantity=1)
    pay(shopper, sandbox, session_id_of(place(shopper, email="pdf-guest@example.com")))
    db.session.expire_all()
    invoice = db.session.scalars(select(Invoice)).one()
    mail = db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id.desc())).first()
    order_link = re.search(r"https?://\S+/account/orders/RS-[A-Z0-9-]+\?key=\S+", mail.body)
    assert order_link, mail.body
    path = order_link.group(0).split("/account/", 1)[1]

    page.goto(f"{live_server}/account/{path}")
    page.locator("[data-invoice-link]").click()
    page.wait_for_url("**/invoice?key=*")
    assert page.locator("[data-invoice-number]").inner_text() == invoice.number
    assert page.locator("[data-seller-gstin]").inner_text() == invoice.seller_gstin
    href = page.locator("[data-invoice-pdf]").get_attribute("href")
    response = page.request.get(live_server + href)
    assert response.ok and response.headers["content-type"] == "application/pdf"
    body = response.body()
    assert body.startswith(b"%PDF")
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(body)).pages)
    assert invoice.number in text and invoice.seller_gstin in text and "₹398" in text
