"""Tax invoices, credit notes and the GST register (SPEC §12), on SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import io
import re
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from pypdf import PdfReader
from sqlalchemy import func, select

from shop import create_app
from shop.checkout.models import Order
from shop.config import DEMO_SELLER, ConfigError
from shop.database import utcnow
from shop.demo import seed_demo
from shop.invoices.models import CreditNote, DocumentCounter, Invoice
from shop.payments.refunds import refund_order
from shop.pricing.gst import IST, financial_year
from shop.pricing.money import format_money
from tests.factories import make_user
from tests.helpers import log_in
from tests.integration.test_checkout import events_for, fill_cart, pay, place, session_id_of
from tests.payments import deliver

GUEST = "guest@example.com"


@pytest.fixture()
def demo(db):
    seed_demo(db.session)
    db.session.commit()


def fetch(db, session_id: str) -> Order:
    db.session.expire_all()
    return db.session.scalars(select(Order).where(Order.stripe_session_id == session_id)).one()


def buy(app, db, sandbox, *, slug="joint-capsule", quantity=2, email=GUEST, pay_now=True):
    """A shopper in their own browser orders (and pays); returns (client, order)."""
    shopper = app.test_client()
    fill_cart(shopper, db, slug=slug, quantity=quantity)
    session_id = session_id_of(place(shopper, email=email))
    if pay_now:
        pay(shopper, sandbox, session_id)
    return shopper, fetch(db, session_id)


def key_of(db, order: Order) -> str:
    from shop.checkout.service import status_key

    return status_key(order)


def invoices(db) -> list[Invoice]:
    db.session.expire_all()
    return list(db.session.scalars(select(Invoice).order_by(Invoice.id)))


def this_year() -> str:
    return financial_year(utcnow())


# --- issue ------------------------------------------------------------------------------------


def test_paying_issues_one_invoice_that_adds_up_to_the_order(app, db, demo, sandbox):
    _, order = buy(app, db, sandbox, slug="joint-pain-oil", quantity=1)  # ₹349 + ₹49 shipping
    (invoice,) = invoices(db)
    assert invoice.number == f"RS/{this_year()}/000001" and len(invoice.number) <= 16
    assert invoice.order_id == order.id and invoice.total == order.total == 39800
    assert invoice.seller_gstin == DEMO_SELLER["SHOP_SELLER_GSTIN"]
    product, shipping = invoice.lines
    assert product.hsn == "30049011" and product.rate == 12 and product.quantity == 1
    assert product.taxable + product.tax == 34900 and product.tax == order.lines[0].tax
    # Shipping is its own line at the principal supply's rate, within the seller's state.
    assert shipping.is_shipping and shipping.rate == 12 and shipping.total == 4900
    assert shipping.tax == 525 and (shipping.cgst, shipping.sgst) == (262, 263)
    assert invoice.intra_state and invoice.igst == 0
    # Without a recorded delivery state the supply is taken as intra-state, and says so.
    assert invoice.state_assumed == (order.delivery is None)
    assert sum(line.total for line in invoice.lines) == invoice.total
    assert sum(line.cgst + line.sgst for line in invoice.lines) == invoice.tax
    # Shipping's tax joins the order's tax figure; the total stays.
    db.session.refresh(order)
    assert order.tax == invoice.tax == product.tax + 525 and order.total == 39800


def test_repeated_webhooks_and_success_visits_keep_one_invoice(app, db, demo, sandbox):
    shopper, order = buy(app, db, sandbox)
    (event,) = events_for(sandbox, order.stripe_session_id, "checkout.session.completed")
    event["id"] = event["id"] + "-again"  # a new event id: not deduplicated by the event log
    assert deliver(shopper, event).status_code == 200
    assert shopper.get(f"/checkout/success?session_id={order.stripe_session_id}").status_code in (
        200,
        303,
    )
    assert len(invoices(db)) == 1
    assert db.session.scalar(select(DocumentCounter.last)) == 1


def test_webhook_and_success_page_racing_give_one_invoice(app, db, demo, sandbox):
    shopper, order = buy(app, db, sandbox, pay_now=False)
    sandbox.act(order.stripe_session_id, "pay")
    (event,) = events_for(sandbox, order.stripe_session_id, "checkout.session.completed")
    start = threading.Barrier(4, timeout=30)

    def webhook():
        start.wait()
        return deliver(app.test_client(), event).status_code

    def success():
        start.wait()
        return (
            app.test_client()
            .get(f"/checkout/success?session_id={order.stripe_session_id}")
            .status_code
        )

    with ThreadPoolExecutor(max_workers=4) as pool:
        futures = [pool.submit(task) for task in (webhook, success, webhook, success)]
        results = [future.result(timeout=60) for future in futures]
    assert all(status < 500 for status in results), results
    assert fetch(db, order.stripe_session_id).state == "paid"
    assert len(invoices(db)) == 1
    assert db.session.scalar(select(DocumentCounter.last)) == 1


def test_parallel_payments_are_numbered_without_gaps_or_repeats(app, db, demo, sandbox):
    orders = [buy(app, db, sandbox, email=f"p{i}@example.com", pay_now=False)[1] for i in range(8)]
    events = []
    for order in orders:
        sandbox.act(order.stripe_session_id, "pay")
        (event,) = events_for(sandbox, order.stripe_session_id, "checkout.session.completed")
        events.append(event)
    start = threading.Barrier(len(events), timeout=30)

    def complete(event):
        client = app.test_client()
        start.wait()
        return deliver(client, event).status_code

    with ThreadPoolExecutor(max_workers=len(events)) as pool:
        assert list(pool.map(complete, events)) == [200] * len(events)
    numbers = sorted(invoice.number for invoice in invoices(db))
    assert numbers == [f"RS/{this_year()}/{n:06d}" for n in range(1, 9)]
    assert len({invoice.order_id for invoice in invoices(db)}) == 8


def test_an_unpaid_order_has_no_invoice_and_takes_no_number(app, db, demo, sandbox):
    shopper, order = buy(app, db, sandbox, pay_now=False)
    key = key_of(db, order)
    assert shopper.get(f"/account/orders/{order.number}/invoice?key={key}").status_code == 404
    assert shopper.get(f"/account/orders/{order.number}/invoice.pdf?key={key}").status_code == 404
    assert invoices(db) == [] and db.session.scalar(select(func.count(DocumentCounter.last))) == 0
    page = shopper.get(f"/account/orders/{order.number}?key={key}").get_data(as_text=True)
    assert "data-invoice-link" not in page
    # The next paid order still gets number 1.
    buy(app, db, sandbox, email="next@example.com")
    assert [i.number for i in invoices(db)] == [f"RS/{this_year()}/000001"]


# --- documents and who may see them -----------------------------------------------------------


def test_guest_reaches_the_invoice_through_the_signed_link_only(app, db, demo, sandbox):
    shopper, order = buy(app, db, sandbox)
    (invoice,) = invoices(db)
    key = key_of(db, order)
    page = shopper.get(f"/account/orders/{order.number}?key={key}").get_data(as_text=True)
    assert "data-invoice-link" in page and f"/account/orders/{order.number}/invoice?key=" in page
    html = shopper.get(f"/account/orders/{order.number}/invoice?key={key}")
    assert html.status_code == 200 and html.headers["Cache-Control"] == "no-store"
    pdf = shopper.get(f"/account/orders/{order.number}/invoice.pdf?key={key}")
    assert pdf.status_code == 200 and pdf.headers["Cache-Control"] == "no-store"
    text = html.get_data(as_text=True)
    assert invoice.number in text and DEMO_SELLER["SHOP_SELLER_GSTIN"] in text
    assert format_money(invoice.total) in text and "30049011" in text
    stranger = app.test_client()
    for suffix in ("invoice", "invoice.pdf"):
        assert stranger.get(f"/account/orders/{order.number}/{suffix}").status_code == 404
        assert (
            stranger.get(f"/account/orders/{order.number}/{suffix}?key=forged").status_code == 404
        )
        assert stranger.get(f"/account/orders/RS-NONE-NONE-NONE/{suffix}").status_code == 404
        assert stranger.get(f"/account/orders/{'X' * 300}/{suffix}").status_code == 404


def test_signed_in_customer_sees_own_invoice_and_not_anothers(app, db, demo, sandbox):
    make_user("owner@example.com")
    make_user("other@example.com")
    db.session.commit()
    owner = app.test_client()
    log_in(owner, "owner@example.com")
    fill_cart(owner, db)
    session_id = session_id_of(place(owner, email="owner@example.com"))
    pay(owner, sandbox, session_id)
    order = fetch(db, session_id)
    assert owner.get(f"/account/orders/{order.number}/invoice").status_code == 200
    other = app.test_client()
    log_in(other, "other@example.com")
    assert other.get(f"/account/orders/{order.number}/invoice").status_code == 404
    assert other.get(f"/account/orders/{order.number}/invoice.pdf").status_code == 404


def test_the_pdf_is_a_real_pdf_naming_the_invoice(app, db, demo, sandbox):
    shopper, order = buy(app, db, sandbox, slug="joint-pain-oil", quantity=1)
    (invoice,) = invoices(db)
    response = shopper.get(f"/account/orders/{order.number}/invoice.pdf?key={key_of(db, order)}")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert response.data.startswith(b"%PDF")
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(response.data)).pages)
    assert invoice.number in text and DEMO_SELLER["SHOP_SELLER_GSTIN"] in text
    assert "₹398" in text and "Shipping" in text and "30049011" in text


def test_staff_get_the_pdf_and_customers_do_not(app, db, demo, sandbox):
    shopper, order = buy(app, db, sandbox)
    make_user("inv-staff@example.com", role="staff")
    db.session.commit()
    assert shopper.get(f"/staff/orders/{order.number}/invoice.pdf").status_code in (302, 403)
    staff = app.test_client()
    log_in(staff, "inv-staff@example.com")
    response = staff.get(f"/staff/orders/{order.number}/invoice.pdf")
    assert response.status_code == 200 and response.data.startswith(b"%PDF")
    assert "data-invoice-pdf" in staff.get(f"/staff/orders/{order.number}").get_data(as_text=True)
    assert staff.get("/staff/orders/RS-NONE-NONE-NONE/invoice.pdf").status_code == 404
    unpaid = buy(app, db, sandbox, email="unpaid@example.com", pay_now=False)[1]
    assert staff.get(f"/staff/orders/{unpaid.number}/invoice.pdf").status_code == 404


def test_the_confirmation_mail_links_the_invoice(app, db, demo, sandbox):
    from shop.mail import OutboxMessage

    _, order = buy(app, db, sandbox)
    mail = db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id.desc())).first()
    link = re.search(r"(http\S+/invoice\?key=\S+)", mail.body)
    assert link and order.number in link.group(1)
    path = link.group(1).split("5000", 1)[-1] if "5000" in link.group(1) else link.group(1)
    assert app.test_client().get(path).status_code == 200


# --- credit notes -----------------------------------------------------------------------------


def test_refunds_issue_credit_notes_that_reverse_the_invoice(app, db, demo, sandbox):
    _, order = buy(app, db, sandbox, slug="joint-pain-oil", quantity=3)  # ₹1,047, free shipping
    (invoice,) = invoices(db)
    refund_order(order, 34900, actor="staff:test", reason="one damaged", request_id="r1")
    db.session.commit()
    db.session.expire_all()
    (note,) = db.session.scalars(select(CreditNote)).all()
    assert note.number == f"RC/{this_year()}/000001" and note.invoice_id == invoice.id
    assert note.total == 34900 and note.tax == round(invoice.tax / 3)
    assert note.cgst + note.sgst == note.tax and note.igst == 0
    refund_order(order, order.total - 34900, actor="staff:test", reason="rest", request_id="r2")
    db.session.commit()
    db.session.expire_all()
    notes = db.session.scalars(select(CreditNote).order_by(CreditNote.id)).all()
    assert [n.number for n in notes] == [f"RC/{this_year()}/{n:06d}" for n in (1, 2)]
    for head in ("taxable", "cgst", "sgst", "igst", "total"):
        assert sum(getattr(n, head) for n in notes) == getattr(invoice, head), head
    # A repeated refund request (same one-time id) issues nothing more.
    refund_order(order, 100, actor="staff:test", reason="rest", request_id="r2")
    db.session.commit()
    assert db.session.scalar(select(func.count()).select_from(CreditNote)) == 2


# --- the GST register -------------------------------------------------------------------------


def paise(text: str) -> int:
    """Rupees as the register writes them ("-349.50") back into paise."""
    sign = -1 if text.startswith("-") else 1
    whole, _, frac = text.lstrip("-").partition(".")
    return sign * (int(whole) * 100 + int(frac.ljust(2, "0")))


def staff_client(app, db):
    make_user("gst-staff@example.com", role="staff")
    db.session.commit()
    client = app.test_client()
    log_in(client, "gst-staff@example.com")
    return client


@pytest.mark.parametrize("month", ["2026-13", "abc", "", "2026-1", "2026-00", "२०२६-०४", "x" * 500])
def test_a_malformed_month_is_422(app, db, month):
    staff = staff_client(app, db)
    assert staff.get("/staff/reports/gst.csv", query_string={"month": month}).status_code == 422
    if month:  # the page without a month shows the current one
        assert staff.get("/staff/reports/gst", query_string={"month": month}).status_code == 422


def test_the_register_reconciles_with_paid_and_refunded_orders(app, db, demo, sandbox):
    _, small = buy(app, db, sandbox, slug="joint-pain-oil", quantity=1)
    _, big = buy(app, db, sandbox, slug="joint-capsule", quantity=2, email="b@example.com")
    buy(app, db, sandbox, email="c@example.com", pay_now=False)  # unpaid: not in the register
    refund_order(big, 10001, actor="staff:test", reason="partial", request_id="g1")
    db.session.commit()
    staff = staff_client(app, db)
    month = utcnow().astimezone(IST).strftime("%Y-%m")
    response = staff.get(f"/staff/reports/gst.csv?month={month}")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert [r["type"] for r in rows] == ["invoice", "invoice", "credit note"]
    assert {r["order"] for r in rows} == {small.number, big.number}

    db.session.expire_all()
    orders = db.session.scalars(select(Order).where(Order.paid_at.is_not(None))).all()
    net = sum(o.total for o in orders) - sum(o.amount_refunded for o in orders)
    assert sum(paise(r["total"]) for r in rows) == net
    for r in rows:
        parts = [paise(r[h]) for h in ("taxable_value", "cgst", "sgst", "igst")]
        assert sum(parts) == paise(r["total"]) and r["state_code"] == "29"
    assert sum(paise(r["cgst"]) + paise(r["sgst"]) for r in rows) == sum(
        o.tax for o in orders
    ) - sum(n.tax for n in db.session.scalars(select(CreditNote)))
    page = staff.get(f"/staff/reports/gst?month={month}").get_data(as_text=True)
    assert format_money(net) in page
    # Another month holds none of it.
    empty = staff.get("/staff/reports/gst.csv?month=2001-01").get_data(as_text=True)
    assert empty.strip().count("\n") == 0


def test_the_register_is_for_staff_only(app, db, client):
    assert client.get("/staff/reports/gst.csv?month=2026-04").status_code == 302
    make_user("cust@example.com")
    db.session.commit()
    log_in(client, "cust@example.com")
    assert client.get("/staff/reports/gst.csv?month=2026-04").status_code == 403


# --- seller settings --------------------------------------------------------------------------


def _production_env(monkeypatch, **values):
    monkeypatch.setenv("SECRET_KEY", "x" * 40)
    monkeypatch.setenv("SHOP_PAYMENTS_SANDBOX", "1")
    monkeypatch.delenv("FLASK_DEBUG", raising=False)
    for name, value in values.items():
        monkeypatch.setenv(name, value)


@pytest.mark.parametrize(
    ("gstin", "message"),
    [
        ("29ABCDE1234F1ZX", "check character"),
        ("29ABCDE1234F1Z", "15 characters"),
        ("27AAPFU0939F1ZV", "belongs to state 27"),
    ],
)
def test_a_malformed_seller_gstin_refuses_to_start(monkeypatch, database_url, gstin, message):
    _production_env(
        monkeypatch,
        SHOP_SELLER_NAME="Real Co",
        SHOP_SELLER_ADDRESS="1 Road, Bengaluru",
        SHOP_SELLER_GSTIN=gstin,
        SHOP_SELLER_STATE="29",
    )
    with pytest.raises(ConfigError, match=message):
        create_app({"SQLALCHEMY_DATABASE_URI": database_url})


def test_a_well_formed_seller_starts_and_missing_ones_get_the_demo_company(
    monkeypatch, database_url
):
    _production_env(
        monkeypatch,
        SHOP_SELLER_NAME="Real Co",
        SHOP_SELLER_ADDRESS="1 Road, Mumbai",
        SHOP_SELLER_GSTIN="27aapfu0939f1zv",
        SHOP_SELLER_STATE="27",
    )
    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url})
    assert app.config["SHOP_SELLER_GSTIN"] == "27AAPFU0939F1ZV"
    testing = create_app({"TESTING": True, "SHOP_SELLER_GSTIN": "", "SHOP_SELLER_NAME": ""})
    assert testing.config["SHOP_SELLER_GSTIN"] == DEMO_SELLER["SHOP_SELLER_GSTIN"]
    assert "fictitious" in testing.config["SHOP_SELLER_NAME"]


# --- HSN codes --------------------------------------------------------------------------------


def test_every_demo_product_has_an_hsn_code(db, demo):
    from shop.catalog.models import Product
    from shop.demo import data

    codes = dict(db.session.execute(select(Product.slug, Product.hsn)).all())
    assert set(codes) >= {p.slug for p in data.PRODUCTS}
    assert all(re.fullmatch(r"[0-9]{4,8}", code) for code in codes.values())


def test_staff_set_the_hsn_code_in_the_product_form(app, db, demo):
    from shop.catalog.models import Product
    from tests.integration.test_staff_catalog import form_data
    from tests.integration.test_staff_catalog import post as post_form

    staff = staff_client(app, db)
    oil = db.session.scalar(select(Product).where(Product.slug == "joint-pain-oil"))
    assert 'name="hsn"' in staff.get(f"/staff/products/{oil.id}").get_data(as_text=True)
    for bad in ("30", "123456789", "30A4", "३००४"):
        response = post_form(staff, f"/staff/products/{oil.id}", form_data(oil) | {"hsn": bad})
        assert response.status_code == 422, bad
    db.session.expire_all()
    assert db.session.get(Product, oil.id).hsn == "30049011"
    response = post_form(staff, f"/staff/products/{oil.id}", form_data(oil) | {"hsn": "3004"})
    assert response.status_code == 303
    db.session.expire_all()
    assert db.session.get(Product, oil.id).hsn == "3004"


def test_the_product_csv_carries_the_hsn_code(app, db, demo):
    from shop.catalog.models import Product
    from tests.integration.test_staff_csv import upload

    staff = staff_client(app, db)
    exported = staff.get("/staff/products/export.csv").get_data(as_text=True)
    header, *lines = exported.splitlines()
    columns = header.split(",")
    assert columns[columns.index("hsn") :][:2] == ["hsn", "stock_seen"]
    assert upload(staff, exported).status_code == 303  # unchanged: nothing changes
    oil = [line for line in lines if ",joint-pain-oil," in line]

    def with_hsn(line: str, code: str) -> str:
        cells = line.split(",")
        cells[columns.index("hsn")] = code
        return ",".join(cells)

    changed = "\n".join([header, *(with_hsn(line, "9999") for line in oil)])
    assert upload(staff, changed).status_code == 303
    db.session.expire_all()
    assert db.session.scalar(select(Product.hsn).where(Product.slug == "joint-pain-oil")) == "9999"
    bad = "\n".join([header, *(with_hsn(line, "99") for line in oil)])
    response = upload(staff, bad)
    assert response.status_code == 422 and "hsn" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.scalar(select(Product.hsn).where(Product.slug == "joint-pain-oil")) == "9999"


# --- place of supply --------------------------------------------------------------------------


def test_inter_state_orders_get_igst_and_the_register_reconciles_by_head(app, db, demo, sandbox):
    """One order delivered in Karnataka (the seller's state), one in Maharashtra, a refund."""
    intra_client = app.test_client()
    fill_cart(intra_client, db, slug="joint-pain-oil", quantity=1)
    pay(intra_client, sandbox, session_id_of(place(intra_client, email="ka@example.com")))
    inter_client = app.test_client()
    fill_cart(inter_client, db, slug="joint-capsule", quantity=3)
    mumbai = {"city": "Mumbai", "state": "27", "pincode": "400001"}
    inter_session = session_id_of(place(inter_client, email="mh@example.com", **mumbai))
    pay(inter_client, sandbox, inter_session)
    intra, inter = invoices(db)
    assert intra.intra_state and intra.supply_state == "29" and intra.igst == 0
    assert intra.cgst + intra.sgst == intra.tax > 0 and not intra.state_assumed
    assert not inter.intra_state and inter.supply_state == "27"
    assert inter.cgst == inter.sgst == 0 and inter.igst == inter.tax > 0
    assert "Maharashtra" in inter.supply_state_name
    order = fetch(db, inter_session)
    refund_order(order, 50000, actor="staff:test", reason="partial", request_id="mh1")
    db.session.commit()
    staff = staff_client(app, db)
    month = utcnow().astimezone(IST).strftime("%Y-%m")
    rows = list(
        csv.DictReader(
            io.StringIO(staff.get(f"/staff/reports/gst.csv?month={month}").get_data(as_text=True))
        )
    )
    assert [r["state_code"] for r in rows] == ["29", "27", "27"]
    db.session.expire_all()
    notes = db.session.scalars(select(CreditNote)).all()

    def total(head: str) -> int:
        return sum(paise(r[head]) for r in rows)

    assert total("igst") == inter.igst - sum(n.igst for n in notes)
    assert total("cgst") == intra.cgst and total("sgst") == intra.sgst
    assert total("total") == intra.total + inter.total - 50000
