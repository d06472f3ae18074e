"""Prescription orders (SPEC §15): upload, manual capture, the pharmacist's decision.

Everything runs through the real stripe library against the sandbox, on SQLite and
PostgreSQL.
"""

from __future__ import annotations

import io
import re
from datetime import timedelta

import pytest
from PIL import Image
from sqlalchemy import func, select

from shop.catalog.models import Product, Variant
from shop.checkout.models import Order
from shop.delivery.service import seed_zones
from shop.invoices.models import Invoice
from shop.mail import OutboxMessage
from shop.prescriptions.models import Prescription
from shop.staff.audit import AuditEntry
from shop.storage import private_storage
from tests.conftest import csrf_token_for
from tests.factories import make_product, make_user
from tests.helpers import ADDRESS, log_in
from tests.payments import deliver, event_body

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


def png_bytes(size=(40, 30)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, "white").save(out, "PNG")
    return out.getvalue()


@pytest.fixture()
def rx(db):
    seed_zones(db.session)
    product = make_product("rx-relaxant", name="Relaxant Rx", stock=5, mrp=20000, price=18000)
    product.prescription_required = True
    db.session.commit()
    return product.variants[0].id


def add(client, variant_id: int, quantity: int = 1):
    token = csrf_token_for(client)
    response = client.post(
        "/cart/add", data={"csrf_token": token, "variant_id": variant_id, "quantity": quantity}
    )
    assert response.status_code == 303


def place(client, upload=("prescription.pdf", PDF), email="rx@example.com", **extra):
    data = {"csrf_token": csrf_token_for(client), "email": email, **ADDRESS, **extra}
    if upload is not None:
        name, content = upload
        data["prescription"] = (io.BytesIO(content), name)
    return client.post("/checkout", data=data, content_type="multipart/form-data")


def session_of(response) -> str:
    return re.search(r"/pay/(cs_[A-Za-z0-9_]+)$", response.headers["Location"]).group(1)


def the_order(db) -> Order:
    db.session.expire_all()
    return db.session.scalars(select(Order)).one()


def authorise(client, sandbox, db) -> Order:
    """Place a prescription order and pay for it on the sandbox's page (authorised only)."""
    placed = place(client)
    assert placed.status_code == 303, placed.get_data(as_text=True)
    session_id = session_of(placed)
    sandbox.act(session_id, "pay")
    assert client.get(f"/checkout/success?session_id={session_id}").status_code == 303
    return the_order(db)


@pytest.fixture()
def pharmacist(app, db):
    make_user("pharma@example.com", role="pharmacist")
    db.session.commit()
    client = app.test_client()
    client.token = log_in(client, "pharma@example.com")
    return client


def decide(pharmacist, order: Order, action: str, **data):
    return pharmacist.post(
        f"/staff/prescriptions/{order.number}/{action}",
        data={"csrf_token": pharmacist.token, **data},
    )


def test_the_whole_path_upload_authorise_approve_paid_with_invoice(
    client, db, rx, sandbox, pharmacist
):
    add(client, rx, 2)
    order = authorise(client, sandbox, db)
    assert order.state == "awaiting_review"
    intent = order.stripe_payment_intent
    assert intent and intent.startswith("pi_")
    (create,) = [r for r in sandbox.requests() if r["path"] == "/v1/checkout/sessions"]
    assert create["params"]["payment_intent_data"]["capture_method"] == "manual"
    rx_row = db.session.scalars(select(Prescription)).one()
    assert rx_row.content_type == "application/pdf" and rx_row.authorised_at is not None
    assert re.fullmatch(r"[0-9a-f]{32}\.pdf", rx_row.storage_key)
    assert private_storage().open(rx_row.storage_key) == PDF
    assert db.session.scalar(select(func.count()).select_from(Invoice)) == 0
    assert db.session.get(Variant, rx).stock == 3  # still held while in review
    page = client.get(f"/account/orders/{order.number}?key=" + _key(client, order))
    assert "Waiting for a pharmacist" in page.get_data(as_text=True)

    queue = pharmacist.get("/staff/prescriptions/")
    assert queue.status_code == 200 and order.number in queue.get_data(as_text=True)
    file = pharmacist.get(f"/staff/prescriptions/{order.number}/file")
    assert file.status_code == 200 and file.data == PDF
    assert file.headers["Content-Disposition"].startswith("attachment;")
    assert file.headers["X-Content-Type-Options"] == "nosniff"

    approved = decide(pharmacist, order, "approve")
    assert approved.status_code == 303
    order = the_order(db)
    assert order.state == "paid"
    assert db.session.scalars(select(Invoice)).one().order_id == order.id
    subjects = [m.subject for m in db.session.scalars(select(OutboxMessage))]
    assert any("under review" in s for s in subjects)
    assert f"Your Remedy Shop order {order.number}" in subjects  # the usual confirmation
    captures = [r for r in sandbox.requests() if r["path"].endswith(f"{intent}/capture")]
    assert len(captures) == 1
    entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "approve")).one()
    assert entry.actor_email == "pharma@example.com" and entry.object_id == order.number

    # approving again, or rejecting now, is a conflict that changes nothing
    assert decide(pharmacist, order, "approve").status_code == 409
    assert decide(pharmacist, order, "reject", reason="Changed my mind here").status_code == 409
    assert len([r for r in sandbox.requests() if r["path"].endswith("/capture")]) == 1
    assert the_order(db).state == "paid"


def _key(client, order) -> str:
    from shop.checkout.service import status_key

    return status_key(order)


def test_webhooks_alone_move_the_order_to_review_and_repeat_safely(client, db, rx, sandbox):
    add(client, rx)
    placed = place(client)
    session_id = session_of(placed)
    sandbox.act(session_id, "pay")
    (authorised,) = [
        event_body(r) for r in sandbox.events("payment_intent.amount_capturable_updated")
    ]
    (completed,) = [event_body(r) for r in sandbox.events("checkout.session.completed")]
    stripe = client.application.test_client()
    for event in (authorised, authorised, completed):
        assert deliver(stripe, event).status_code == 200
    order = the_order(db)
    assert order.state == "awaiting_review"
    moves = [
        e for e in order.events if e.to_state == "awaiting_review" and e.from_state != e.to_state
    ]
    assert len(moves) == 1


def test_reject_releases_the_authorisation_stock_and_tells_the_customer(
    client, db, rx, sandbox, pharmacist
):
    add(client, rx, 2)
    order = authorise(client, sandbox, db)
    too_short = decide(pharmacist, order, "reject", reason="no")
    assert too_short.status_code == 422 and the_order(db).state == "awaiting_review"
    reason = "The prescription is older than six months."
    assert decide(pharmacist, order, "reject", reason=reason).status_code == 303
    order = the_order(db)
    assert order.state == "cancelled"
    assert db.session.get(Variant, rx).stock == 5
    assert any(r["path"].endswith("/cancel") for r in sandbox.requests())
    mail = db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.subject.like("%was cancelled"))
    ).one()
    assert reason in mail.body
    page = client.get(f"/account/orders/{order.number}?key=" + _key(client, order))
    assert reason in page.get_data(as_text=True)
    assert decide(pharmacist, order, "approve").status_code == 409  # approving a rejected one
    assert db.session.scalars(select(AuditEntry).where(AuditEntry.action == "reject")).one()


def test_a_failed_capture_keeps_the_order_in_review_with_the_error(
    client, db, rx, sandbox, pharmacist
):
    add(client, rx)
    order = authorise(client, sandbox, db)
    sandbox.post("/faults", {"fail_next": 2, "status": 500})  # the call and its retry
    failed = decide(pharmacist, order, "approve")
    assert failed.status_code == 503
    assert "could not capture" in failed.get_data(as_text=True)
    order = the_order(db)
    assert order.state == "awaiting_review"
    assert "could not capture" in db.session.scalars(select(Prescription)).one().payment_error
    detail = pharmacist.get(f"/staff/prescriptions/{order.number}")
    assert b"data-payment-error" in detail.data
    assert decide(pharmacist, order, "approve").status_code == 303  # Stripe is back
    assert the_order(db).state == "paid"


def test_capture_confirmed_by_webhook_finishes_an_interrupted_approval(client, db, rx, sandbox):
    from shop.payments.gateway import gateway

    add(client, rx)
    order = authorise(client, sandbox, db)
    gateway().capture_payment(order.stripe_payment_intent, order.number)  # no commit followed
    (succeeded,) = [event_body(r) for r in sandbox.events("payment_intent.succeeded")]
    assert deliver(client.application.test_client(), succeeded).status_code == 200
    assert the_order(db).state == "paid"


def test_expire_orders_cancels_reviews_past_the_deadline(client, db, rx, sandbox, runner, app):
    add(client, rx)
    order = authorise(client, sandbox, db)
    row = db.session.scalars(select(Prescription)).one()
    row.authorised_at -= timedelta(days=app.config["SHOP_RX_REVIEW_DAYS"] - 1)
    db.session.commit()
    assert "prescription" not in runner.invoke(args=["expire-orders"]).output
    assert the_order(db).state == "awaiting_review"
    row = db.session.scalars(select(Prescription)).one()
    row.authorised_at -= timedelta(days=2)
    db.session.commit()
    result = runner.invoke(args=["expire-orders"])
    assert result.exception is None, result.exception
    assert f"past due: {order.number}" in result.output
    order = the_order(db)
    assert order.state == "cancelled"
    assert db.session.scalars(select(Prescription)).one().decision == "expired"
    assert db.session.get(Variant, rx).stock == 5


@pytest.mark.parametrize(
    ("upload", "status", "words"),
    [
        (None, 422, "upload your prescription"),
        (("empty.pdf", b""), 422, "file is empty"),
        (("page.pdf", b"<html><script>alert(1)</script></html>"), 422, "PDF, JPEG or PNG"),
        (("big.pdf", PDF + b"0" * (5 * 1024 * 1024)), 413, "larger than 5 MB"),
        (("notes.txt", b"just some text"), 422, "PDF, JPEG or PNG"),
    ],
)
def test_bad_uploads_are_refused_and_write_nothing(client, db, rx, sandbox, upload, status, words):
    add(client, rx)
    response = place(client, upload=upload)
    assert response.status_code == status
    assert words in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Order)) == 0
    assert db.session.get(Variant, rx).stock == 5
    assert not sandbox.requests()


def test_an_image_bomb_is_refused(client, db, rx, sandbox):
    out = io.BytesIO()
    Image.new("1", (12000, 12000)).save(out, "PNG")  # 144 megapixels, a few kB compressed
    add(client, rx)
    response = place(client, upload=("scan.png", out.getvalue()))
    assert response.status_code == 422
    assert db.session.scalar(select(func.count()).select_from(Order)) == 0


def test_png_and_jpeg_are_accepted_by_content(client, db, rx, sandbox):
    add(client, rx)
    response = place(client, upload=("photo.pdf", png_bytes()))  # the name does not matter
    assert response.status_code == 303
    assert db.session.scalars(select(Prescription)).one().content_type == "image/png"


def test_only_the_customer_pharmacists_and_admins_open_the_file(
    app, client, db, rx, sandbox, pharmacist
):
    make_user("owner@example.com")
    make_user("other@example.com")
    make_user("staffer@example.com", role="staff")
    make_user("boss@example.com", role="admin")
    db.session.commit()
    client.token = log_in(client, "owner@example.com")
    add(client, rx)
    order = authorise(client, sandbox, db)
    mine = client.get(f"/account/orders/{order.number}/prescription")
    assert mine.status_code == 200 and mine.data == PDF
    assert mine.headers["Content-Disposition"].startswith("attachment;")
    other = app.test_client()
    log_in(other, "other@example.com")
    assert other.get(f"/account/orders/{order.number}/prescription").status_code == 404
    assert app.test_client().get(f"/account/orders/{order.number}/prescription").status_code == 404
    staffer = app.test_client()
    log_in(staffer, "staffer@example.com")
    assert staffer.get(f"/staff/prescriptions/{order.number}/file").status_code == 403
    assert staffer.get("/staff/prescriptions/").status_code == 403
    boss = app.test_client()
    log_in(boss, "boss@example.com")
    assert boss.get(f"/staff/prescriptions/{order.number}/file").status_code == 200
    assert boss.get("/staff/prescriptions/").status_code == 200
    assert pharmacist.get("/staff/orders/").status_code == 403  # only the queue
    assert pharmacist.get("/staff/prescriptions/RS-AAAA-BBBB-CCCC").status_code == 404


def test_a_cart_without_prescription_medicine_pays_as_before(client, db, rx, sandbox):
    plain = make_product("plain", stock=5).variants[0].id
    db.session.commit()
    add(client, plain)
    response = place(client, upload=None)
    assert response.status_code == 303
    (create,) = [r for r in sandbox.requests() if r["path"] == "/v1/checkout/sessions"]
    assert "capture_method" not in (create["params"].get("payment_intent_data") or {})
    db.session.expire_all()
    assert db.session.get(Product, db.session.get(Variant, plain).product_id)


def test_two_pharmacists_approving_at_once_capture_and_invoice_once(
    app, client, db, rx, sandbox, pharmacist
):
    import threading
    from concurrent.futures import ThreadPoolExecutor

    make_user("pharma2@example.com", role="pharmacist")
    db.session.commit()
    second = app.test_client()
    second.token = log_in(second, "pharma2@example.com")
    add(client, rx)
    order = authorise(client, sandbox, db)
    start = threading.Barrier(2)

    def approve(who):
        start.wait()
        return decide(who, order, "approve").status_code

    with ThreadPoolExecutor(max_workers=2) as pool:
        statuses = sorted(pool.map(approve, [pharmacist, second]))
    assert statuses == [303, 409]
    assert the_order(db).state == "paid"
    assert db.session.scalar(select(func.count()).select_from(Invoice)) == 1
    approvals = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "approve")).all()
    assert len(approvals) == 1


def test_the_capture_webhook_arriving_before_the_capture_returns_is_still_an_approval(
    client, db, rx, sandbox, pharmacist, monkeypatch
):
    """Stripe may deliver payment_intent.succeeded (and the shop commit it) while the
    pharmacist's capture call is still waiting for its answer; the approval is a 303, the
    order is paid and invoiced once, and the decision is recorded as the pharmacist's."""
    from shop.payments.gateway import StripeGateway

    add(client, rx)
    order = authorise(client, sandbox, db)
    real_capture = StripeGateway.capture_payment
    webhook = client.application.test_client()

    def capture_then_webhook(self, intent_id, order_number):
        captured = real_capture(self, intent_id, order_number)
        (succeeded,) = [event_body(r) for r in sandbox.events("payment_intent.succeeded")]
        assert deliver(webhook, succeeded).status_code == 200
        return captured

    monkeypatch.setattr(StripeGateway, "capture_payment", capture_then_webhook)
    approved = decide(pharmacist, order, "approve")
    assert approved.status_code == 303, approved.get_data(as_text=True)
    order = the_order(db)
    assert order.state == "paid"
    assert db.session.scalar(select(func.count()).select_from(Invoice)) == 1
    prescription = db.session.scalars(select(Prescription)).one()
    assert (prescription.decision, prescription.decided_by) == (
        "approved",
        "pharmacist:pharma@example.com",
    )
    assert any(
        entry.actor_email == "pharma@example.com"
        for entry in db.session.scalars(select(AuditEntry).where(AuditEntry.action == "approve"))
    )
