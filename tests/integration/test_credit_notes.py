"""Credit notes as documents (SPEC §12): the customer views and downloads each one like
the tax invoice (HTML and PDF, guests through their signed link), staff get the PDF, and
the rows of a note add up to it and to what was refunded."""

from __future__ import annotations

import io

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from shop.config import DEMO_SELLER
from shop.invoices.models import CreditNote
from shop.invoices.service import credit_note_rows
from shop.payments.refunds import refund_order
from shop.pricing.gst import total_of
from shop.pricing.money import format_money
from tests.factories import make_user
from tests.helpers import log_in
from tests.integration.test_invoices import buy, demo, invoices, key_of, this_year  # noqa: F401


@pytest.fixture()
def refunded(app, db, demo, sandbox):  # noqa: F811
    """A guest's paid order (3 × joint pain oil) refunded in two parts: two credit notes."""
    shopper, order = buy(app, db, sandbox, slug="joint-pain-oil", quantity=3)
    refund_order(order, 34900, actor="staff:test", reason="one damaged", request_id="c1")
    db.session.commit()
    refund_order(order, 20000, actor="staff:test", reason="goodwill", request_id="c2")
    db.session.commit()
    db.session.expire_all()
    notes = list(db.session.scalars(select(CreditNote).order_by(CreditNote.id)))
    return shopper, order, notes


def _slug(note: CreditNote) -> str:
    return note.number.replace("/", "-")


def test_each_note_s_rows_add_up_to_it_and_the_notes_to_the_refunds(db, refunded):
    _, order, notes = refunded
    assert [n.number for n in notes] == [f"RC/{this_year()}/{n:06d}" for n in (1, 2)]
    for note in notes:
        rows = credit_note_rows(note)
        assert rows and total_of([row.split for row in rows]) == note.split
        assert all(row.quantity == "" for row in rows)  # a credit of value, not of units
    assert sum(note.total for note in notes) == order.amount_refunded == 54900


def test_the_guest_views_and_downloads_a_credit_note_through_the_signed_link(app, db, refunded):
    shopper, order, (first, second) = refunded
    (invoice,) = invoices(db)
    key = key_of(db, order)
    base = f"/account/orders/{order.number}"
    page = shopper.get(f"{base}?key={key}").get_data(as_text=True)
    assert f"{base}/credit-notes/{_slug(first)}?key=" in page
    assert f"{base}/credit-notes/{_slug(second)}.pdf?key=" in page

    html = shopper.get(f"{base}/credit-notes/{_slug(second)}?key={key}")
    assert html.status_code == 200 and html.headers["Cache-Control"] == "no-store"
    text = html.get_data(as_text=True)
    assert f"data-credit-note-number>{second.number}<" in text
    assert f"{invoice.number} of" in text and DEMO_SELLER["SHOP_SELLER_GSTIN"] in text
    assert f"data-credit-note-total>{format_money(second.total)}<" in text
    assert f"data-cgst>{format_money(second.cgst)}<" in text
    # the invoice page links its notes too
    invoice_page = shopper.get(f"{base}/invoice?key={key}").get_data(as_text=True)
    assert f"/credit-notes/{_slug(first)}?key=" in invoice_page

    pdf = shopper.get(f"{base}/credit-notes/{_slug(first)}.pdf?key={key}")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    assert pdf.headers["Cache-Control"] == "no-store"
    assert f'filename="credit-note-{_slug(first)}.pdf"' in pdf.headers["Content-Disposition"]
    words = "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.data)).pages)
    assert "CREDIT NOTE" in words and first.number in words and invoice.number in words
    assert format_money(first.total) in words and DEMO_SELLER["SHOP_SELLER_GSTIN"] in words


def test_nobody_else_reaches_a_credit_note(app, db, refunded):
    _, order, (note, _) = refunded
    base = f"/account/orders/{order.number}/credit-notes"
    stranger = app.test_client()
    make_user("nosy@example.com")
    db.session.commit()
    log_in(stranger, "nosy@example.com")
    for suffix in (_slug(note), _slug(note) + ".pdf"):
        assert stranger.get(f"{base}/{suffix}").status_code == 404
        assert stranger.get(f"{base}/{suffix}?key=forged").status_code == 404


def test_an_unknown_or_another_order_s_note_is_404(app, db, sandbox, refunded):
    shopper, order, (note, _) = refunded
    key = key_of(db, order)
    base = f"/account/orders/{order.number}/credit-notes"
    for slug in (f"RC-{this_year()}-000009", "RC-2627-000001.pdf.pdf", "x" * 300, "..%2f"):
        assert shopper.get(f"{base}/{slug}?key={key}").status_code == 404, slug
        assert shopper.get(f"{base}/{slug}.pdf?key={key}").status_code == 404, slug
    # another paid order of the same guest, never refunded: the first order's note is not its
    other_shopper, other = buy(app, db, sandbox, slug="joint-pain-oil", quantity=1)
    other_key = key_of(db, other)
    path = f"/account/orders/{other.number}/credit-notes/{_slug(note)}?key={other_key}"
    assert other_shopper.get(path).status_code == 404


def test_staff_download_the_credit_note_pdf_and_customers_do_not(app, db, refunded):
    shopper, order, (note, _) = refunded
    path = f"/staff/orders/{order.number}/credit-notes/{_slug(note)}.pdf"
    assert shopper.get(path).status_code in (302, 403)
    make_user("cn-staff@example.com", role="staff")
    db.session.commit()
    staff = app.test_client()
    log_in(staff, "cn-staff@example.com")
    response = staff.get(path)
    assert response.status_code == 200 and response.data.startswith(b"%PDF")
    detail = staff.get(f"/staff/orders/{order.number}").get_data(as_text=True)
    assert path in detail
    assert (
        staff.get(f"/staff/orders/{order.number}/credit-notes/RC-0000-000001.pdf").status_code
        == 404
    )
    assert staff.get("/staff/orders/RS-NONE-NONE-NONE/credit-notes/x.pdf").status_code == 404
