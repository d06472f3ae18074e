"""Checkout, orders and webhooks through the real stripe library and the sandbox (SPEC §7)."""

from __future__ import annotations

import re
import time

import pytest
from sqlalchemy import func, select

from shop.cart.models import CartLine
from shop.catalog.models import Product, Variant
from shop.checkout.models import Order, OrderEvent
from shop.demo import seed_demo
from shop.discounts.models import Coupon, CouponRedemption
from shop.errors import ShopError
from shop.mail import OutboxMessage
from shop.payments.gateway import gateway
from shop.payments.models import ProcessedEvent, Refund
from shop.payments.refunds import refund_order
from tests.conftest import csrf_token_for
from tests.helpers import ADDRESS
from tests.payments import deliver, event_body

GUEST = "guest@example.com"


@pytest.fixture()
def demo(db):
    seed_demo(db.session)
    db.session.commit()


def variant(db, slug: str) -> Variant:
    return db.session.scalar(select(Product).where(Product.slug == slug)).variants[0]


def fill_cart(client, db, slug="joint-capsule", quantity=2, coupon=None):
    token = csrf_token_for(client)
    response = client.post(
        "/cart/add",
        data={
            "csrf_token": token,
            "quantity": str(quantity),
            "variant_id": variant(db, slug).id,
            "ref": "muscle-spasm-in-back",
        },
    )
    assert response.status_code == 303, response.get_data(as_text=True)
    if coupon:
        assert (
            client.post("/cart/coupon", data={"csrf_token": token, "code": coupon}).status_code
            == 303
        )


def place(client, email=GUEST, acknowledge="yes", **extra):
    """POST /checkout as the review form does (warnings acknowledged unless told not to)."""
    data = {"csrf_token": csrf_token_for(client), "email": email, **ADDRESS, **extra}
    if acknowledge:
        data["acknowledge"] = acknowledge
    return client.post("/checkout", data=data)


def session_id_of(response) -> str:
    match = re.search(r"/pay/(cs_[A-Za-z0-9_]+)$", response.headers["Location"])
    assert match, response.headers.get("Location")
    return match.group(1)


def the_order(db) -> Order:
    db.session.expire_all()
    return db.session.scalars(select(Order)).one()


def events_for(sandbox, session_id: str, event_type: str) -> list[dict]:
    return [
        event_body(r)
        for r in sandbox.events(event_type)
        if r["event"]["data"]["object"].get("id") == session_id
    ]


def pay(client, sandbox, session_id: str) -> None:
    """The shopper pays on the hosted page; Stripe's webhook reaches the shop."""
    sandbox.act(session_id, "pay")
    (event,) = events_for(sandbox, session_id, "checkout.session.completed")
    assert deliver(client, event).status_code == 200


def stock(db, slug: str) -> int:
    db.session.expire_all()
    return variant(db, slug).stock


def coupon_state(db, code="WELCOME10"):
    db.session.expire_all()
    coupon = db.session.scalar(select(Coupon).where(Coupon.code == code))
    states = db.session.scalars(select(CouponRedemption.state)).all()
    return coupon.uses, states


# --- the happy path ---------------------------------------------------------------------------


def test_checkout_places_the_order_with_holds_and_a_matching_stripe_session(
    client, db, demo, sandbox
):
    before = stock(db, "joint-capsule")
    fill_cart(client, db, coupon="WELCOME10")
    review = client.get("/checkout")
    assert review.status_code == 200
    assert "₹1,338" in review.get_data(as_text=True)
    response = place(client)
    assert response.status_code == 303
    assert "/pay/cs_" in response.headers["Location"]

    order = the_order(db)
    assert order.state == "pending_payment" and order.email == GUEST
    assert (order.subtotal, order.discount, order.shipping, order.total) == (
        143800,
        10000,
        0,
        133800,
    )
    assert re.fullmatch(r"RS-[A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4}", order.number)
    assert [line.ref for line in order.lines] == ["muscle-spasm-in-back"]
    assert order.lines[0].unit_price == 71900 and order.lines[0].mrp == 79900
    assert sum(line.total for line in order.lines) + order.shipping == order.total
    assert stock(db, "joint-capsule") == before - 2
    assert coupon_state(db) == (1, ["held"])

    (create,) = [
        r
        for r in sandbox.requests()
        if r["method"] == "POST" and r["path"] == "/v1/checkout/sessions"
    ]
    params = create["params"]
    assert create["idempotency_key"] == f"order-{order.number}-session"
    assert params["client_reference_id"] == order.number
    assert params["metadata"]["order_number"] == order.number
    assert params["customer_email"] == GUEST
    assert int(params["expires_at"]) == int(order.hold_expires_at.timestamp())
    items = params["line_items"]
    items = items.values() if isinstance(items, dict) else items
    amounts = [int(i["price_data"]["unit_amount"]) * int(i["quantity"]) for i in items]
    # the items at their price; the coupon goes as a Stripe coupon, shipping as an option
    assert sum(amounts) == order.subtotal == 143800
    assert set(params["discounts"]["0"]) == {"coupon"}
    rate = params["shipping_options"]["0"]["shipping_rate_data"]
    assert rate["fixed_amount"]["amount"] == str(order.shipping)
    with client.application.app_context():
        session = gateway().retrieve_session(session_id_of(response))
    assert session["amount_total"] == order.total == 133800
    assert session["total_details"]["amount_discount"] == order.discount


def test_paying_marks_the_order_paid_once(client, db, demo, sandbox):
    fill_cart(client, db, coupon="WELCOME10")
    session_id = session_id_of(place(client))
    pay(client, sandbox, session_id)
    order = the_order(db)
    assert order.state == "paid" and order.paid_at is not None
    assert order.stripe_payment_intent.startswith("pi_")
    assert coupon_state(db) == (1, ["final"])
    assert db.session.scalar(select(func.count()).select_from(CartLine)) == 0
    mail = db.session.scalars(select(OutboxMessage).where(OutboxMessage.to == GUEST)).one()
    assert order.number in mail.subject and "₹1,338" in mail.body
    link = re.search(r"http://shop\.test(/account/orders/\S+)", mail.body).group(1)
    status_page = client.get(link)
    assert status_page.status_code == 200
    assert 'data-order-state="paid"' in status_page.get_data(as_text=True)


def test_success_page_completes_the_order_before_the_webhook(client, db, demo, sandbox):
    fill_cart(client, db)
    session_id = session_id_of(place(client))
    sandbox.act(session_id, "pay")  # the webhook has not arrived yet
    response = client.get(f"/checkout/success?session_id={session_id}")
    assert response.status_code == 303
    page = client.get(response.headers["Location"])
    assert 'data-order-state="paid"' in page.get_data(as_text=True)
    # now the webhook arrives, late: acknowledged, no second effect
    (event,) = events_for(sandbox, session_id, "checkout.session.completed")
    assert deliver(client, event).status_code == 200
    paid_events = db.session.scalars(
        select(OrderEvent).where(
            OrderEvent.to_state == "paid", OrderEvent.from_state != OrderEvent.to_state
        )
    ).all()
    assert len(paid_events) == 1
    assert db.session.scalar(select(func.count()).select_from(OutboxMessage)) == 1


def test_duplicate_and_reordered_events_have_one_effect(client, db, demo, sandbox):
    fill_cart(client, db, coupon="WELCOME10")
    session_id = session_id_of(place(client))
    sandbox.act(session_id, "pay")
    (completed,) = events_for(sandbox, session_id, "checkout.session.completed")
    for _ in range(3):
        assert deliver(client, completed).status_code == 200
    # an "expired" arriving after the payment must not cancel the paid order
    expired = {
        **completed,
        "id": "evt_late_expired",
        "type": "checkout.session.expired",
        "data": {"object": {**completed["data"]["object"], "status": "expired"}},
    }
    assert deliver(client, expired).status_code == 200
    order = the_order(db)
    assert order.state == "paid"
    assert coupon_state(db) == (1, ["final"])
    assert db.session.scalar(select(func.count()).select_from(ProcessedEvent)) == 2


def test_delayed_payment_waits_then_succeeds(client, db, demo, sandbox):
    fill_cart(client, db)
    session_id = session_id_of(place(client))
    sandbox.act(session_id, "pay_delayed")
    (completed,) = events_for(sandbox, session_id, "checkout.session.completed")
    deliver(client, completed)
    assert the_order(db).state == "pending_payment"
    sandbox.act(session_id, "async_succeed")
    (succeeded,) = events_for(sandbox, session_id, "checkout.session.async_payment_succeeded")
    deliver(client, succeeded)
    assert the_order(db).state == "paid"


def test_delayed_payment_that_fails_releases_the_holds(client, db, demo, sandbox):
    before = stock(db, "joint-capsule")
    fill_cart(client, db, coupon="WELCOME10")
    session_id = session_id_of(place(client))
    sandbox.act(session_id, "pay_delayed")
    sandbox.act(session_id, "async_fail")
    (failed,) = events_for(sandbox, session_id, "checkout.session.async_payment_failed")
    deliver(client, failed)
    assert the_order(db).state == "cancelled"
    assert stock(db, "joint-capsule") == before
    assert coupon_state(db) == (0, ["released"])


# --- decline, cancel, expiry ----------------------------------------------------------------------


def test_decline_then_cancel_returns_to_an_intact_cart(client, db, demo, sandbox):
    before = stock(db, "joint-capsule")
    fill_cart(client, db, coupon="WELCOME10")
    session_id = session_id_of(place(client))
    sandbox.act(session_id, "decline")
    assert the_order(db).state == "pending_payment"
    order = the_order(db)
    response = client.get(f"/checkout/cancel?order={order.number}")
    assert response.status_code == 303 and response.headers["Location"].endswith("/cart")
    assert the_order(db).state == "cancelled"
    assert stock(db, "joint-capsule") == before
    assert coupon_state(db) == (0, ["released"])
    cart = client.get("/cart").get_data(as_text=True)
    assert "Joint Care Capsules" in cart and "WELCOME10" in cart


def test_a_stranger_cannot_cancel_someone_elses_order(app, client, db, demo, sandbox):
    fill_cart(client, db)
    place(client)
    order = the_order(db)
    stranger = app.test_client()
    stranger.get(f"/checkout/cancel?order={order.number}")
    assert the_order(db).state == "pending_payment"


def test_expiry_releases_stock_and_coupon(client, db, demo, sandbox):
    before = stock(db, "joint-capsule")
    fill_cart(client, db, coupon="WELCOME10")
    session_id = session_id_of(place(client))
    sandbox.act(session_id, "expire")
    (expired,) = events_for(sandbox, session_id, "checkout.session.expired")
    assert deliver(client, expired).status_code == 200
    assert the_order(db).state == "cancelled"
    assert stock(db, "joint-capsule") == before
    assert coupon_state(db) == (0, ["released"])
    assert deliver(client, expired).status_code == 200  # a repeat gives nothing back twice
    assert stock(db, "joint-capsule") == before


def test_expire_orders_command_is_the_safety_net(client, db, demo, sandbox, runner):
    from datetime import timedelta

    from shop.database import utcnow

    before = stock(db, "joint-capsule")
    fill_cart(client, db, coupon="WELCOME10")
    place(client)
    fresh = runner.invoke(args=["expire-orders"])
    assert "Cancelled 0" in fresh.output
    order = the_order(db)
    order.hold_expires_at = utcnow() - timedelta(minutes=1)
    db.session.commit()
    result = runner.invoke(args=["expire-orders"])
    assert result.exit_code == 0 and order.number in result.output
    assert the_order(db).state == "cancelled"
    assert stock(db, "joint-capsule") == before
    assert coupon_state(db) == (0, ["released"])


def test_a_tampered_amount_is_sent_for_review_not_paid(client, db, demo, sandbox):
    fill_cart(client, db)
    session_id = session_id_of(place(client))
    sandbox.act(session_id, "tamper", amount_total=100)
    sandbox.act(session_id, "pay")
    (completed,) = events_for(sandbox, session_id, "checkout.session.completed")
    deliver(client, completed)
    order = the_order(db)
    assert order.state == "pending_payment" and order.needs_review
    assert "not marked paid" in order.events[-1].note
    sandbox.act(session_id, "tamper", amount_total=order.total, currency="usd")
    deliver(
        client,
        {
            **completed,
            "id": "evt_currency",
            "data": {
                "object": {
                    **completed["data"]["object"],
                    "amount_total": order.total,
                    "currency": "usd",
                }
            },
        },
    )
    assert the_order(db).state == "pending_payment"


# --- webhook signatures -----------------------------------------------------------------------


def _an_event(session_id="cs_test_x"):
    return {
        "id": "evt_forged",
        "object": "event",
        "type": "checkout.session.completed",
        "data": {"object": {"id": session_id, "payment_status": "paid"}},
    }


def test_forged_stale_and_malformed_webhooks_are_400_and_write_nothing(client, db):
    event = _an_event()
    assert deliver(client, event, secret="whsec_wrong").status_code == 400
    assert deliver(client, event, at=int(time.time()) - 301).status_code == 400
    assert deliver(client, event, payload=b"{not json").status_code == 400
    assert deliver(client, {"id": "evt_1", "type": "x"}).status_code == 400  # no data.object
    assert client.post("/stripe/webhook", data=b"{}").status_code == 400  # no signature
    body_signed_for_another = deliver(client, event, payload=b'{"id": "evt_2"}')
    assert body_signed_for_another.status_code == 400
    assert db.session.scalar(select(func.count()).select_from(ProcessedEvent)) == 0


def test_unknown_event_types_are_acknowledged(client, db):
    response = deliver(
        client,
        {"id": "evt_unknown", "type": "customer.created", "data": {"object": {"id": "cus_1"}}},
    )
    assert response.status_code == 200 and response.get_json()["status"] == "ignored"


def test_the_webhook_needs_no_csrf_token_but_everything_else_does(client, db, demo):
    assert client.post("/checkout", data={"email": GUEST}).status_code == 400


# --- refunds ------------------------------------------------------------------------------------


def _paid_order(client, db, sandbox) -> Order:
    fill_cart(client, db)
    session_id = session_id_of(place(client))
    pay(client, sandbox, session_id)
    return the_order(db)


def test_partial_then_full_refund(client, db, demo, sandbox):
    order = _paid_order(client, db, sandbox)
    refund_order(order, 20000, actor="staff:a@b", reason="one damaged box", request_id="r1")
    db.session.commit()
    assert the_order(db).state == "partially_refunded"
    again = refund_order(
        the_order(db), 20000, actor="staff:a@b", reason="one damaged box", request_id="r1"
    )  # the same form submitted twice
    db.session.commit()
    assert the_order(db).amount_refunded == 20000
    assert db.session.scalar(select(func.count()).select_from(Refund)) == 1
    assert again.stripe_refund_id.startswith("re_")
    # Stripe's charge.refunded notice for the same refund changes nothing more
    (notice,) = [event_body(r) for r in sandbox.events("charge.refunded")]
    assert deliver(client, notice).status_code == 200
    assert the_order(db).amount_refunded == 20000

    with pytest.raises(ShopError):
        refund_order(the_order(db), order.total, actor="staff", reason="too much", request_id="r2")
    db.session.rollback()
    rest = the_order(db).refundable
    refund_order(the_order(db), rest, actor="staff", reason="the rest", request_id="r3")
    db.session.commit()
    order = the_order(db)
    assert order.state == "refunded" and order.amount_refunded == order.total


def test_refunds_of_unpaid_orders_are_refused(client, db, demo, sandbox):
    fill_cart(client, db)
    place(client)
    with pytest.raises(ShopError) as info:
        refund_order(the_order(db), 100, actor="staff", reason="x", request_id="r")
    assert info.value.status == 409


# --- bad input and faults -------------------------------------------------------------------------


def _nothing_held(db, before: int) -> None:
    assert db.session.scalar(select(func.count()).select_from(Order)) == 0
    assert stock(db, "joint-capsule") == before


def test_empty_cart_is_refused(client, db, demo, sandbox):
    response = place(client)
    assert response.status_code == 422 and "empty" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Order)) == 0


def test_bad_guest_email_is_refused(client, db, demo, sandbox):
    before = stock(db, "joint-capsule")
    fill_cart(client, db)
    response = place(client, email="not an email")
    assert response.status_code == 422
    _nothing_held(db, before)


def test_items_that_ran_out_are_refused_with_409(client, db, demo, sandbox):
    fill_cart(client, db, quantity=3)
    capsule = variant(db, "joint-capsule")
    capsule.stock = 2
    db.session.commit()
    response = place(client)
    assert response.status_code == 409
    assert "Joint Care Capsules" in response.get_data(as_text=True)
    _nothing_held(db, 2)


def test_a_coupon_that_became_invalid_is_refused(client, db, demo, sandbox):
    before = stock(db, "joint-capsule")
    fill_cart(client, db, coupon="WELCOME10")
    coupon = db.session.scalar(select(Coupon).where(Coupon.code == "WELCOME10"))
    coupon.active = False
    db.session.commit()
    response = place(client)
    assert response.status_code == 422 and "WELCOME10" in response.get_data(as_text=True)
    _nothing_held(db, before)


def test_per_customer_coupon_limit_counts_guest_emails(client, app, db, demo, sandbox):
    fill_cart(client, db, coupon="WELCOME10")
    place(client)
    again = app.test_client()
    fill_cart(again, db, coupon="WELCOME10")
    response = place(again)  # the same e-mail address
    assert response.status_code in (409, 422)
    assert "already used" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Order)) == 1


def test_warnings_must_be_acknowledged(client, db, demo, sandbox):
    tablets = db.session.scalar(select(Product).where(Product.max_per_order == 2))
    fill_cart(client, db, slug=tablets.slug, quantity=1)
    for unchecked in ("", "no"):
        response = place(client, acknowledge=unchecked)
        assert response.status_code == 422 and "warnings" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Order)) == 0
    assert place(client).status_code == 303


@pytest.mark.parametrize(
    "fault", [{"fail_next": 5, "status": 500}, {"delay_next": 5, "seconds": 3}]
)
def test_stripe_down_or_slow_leaves_no_hold_and_the_cart_intact(client, db, demo, sandbox, fault):
    before = stock(db, "joint-capsule")
    fill_cart(client, db, coupon="WELCOME10")
    sandbox.post("/faults", fault)
    response = place(client)
    assert response.status_code == 503
    assert "nothing was charged" in response.get_data(as_text=True)
    assert the_order(db).state == "cancelled"
    assert stock(db, "joint-capsule") == before
    assert coupon_state(db) == (0, ["released"])
    assert "Joint Care Capsules" in client.get("/cart").get_data(as_text=True)


def test_success_with_a_bad_session_id(client, db):
    assert client.get("/checkout/success").status_code == 400
    assert client.get("/checkout/success?session_id=<script>").status_code == 400
    assert client.get("/checkout/success?session_id=cs_test_unknown").status_code == 404


# --- orders pages -------------------------------------------------------------------------------


def test_customers_see_only_their_own_orders(app, client, db, demo, sandbox):
    from tests.factories import DEFAULT_PASSWORD, make_user

    make_user("a@example.com")
    make_user("b@example.com")
    db.session.commit()
    client.post(
        "/account/login",
        data={
            "csrf_token": csrf_token_for(client),
            "email": "a@example.com",
            "password": DEFAULT_PASSWORD,
        },
    )
    fill_cart(client, db)
    assert place(client).status_code == 303
    order = the_order(db)
    assert order.email == "a@example.com" and order.user_id is not None
    listing = client.get("/account/orders").get_data(as_text=True)
    assert order.number in listing
    assert client.get(f"/account/orders/{order.number}").status_code == 200

    other = app.test_client()
    other.post(
        "/account/login",
        data={
            "csrf_token": csrf_token_for(other),
            "email": "b@example.com",
            "password": DEFAULT_PASSWORD,
        },
    )
    assert order.number not in other.get("/account/orders").get_data(as_text=True)
    assert other.get(f"/account/orders/{order.number}").status_code == 404
    assert other.get(f"/account/orders/{order.number}?key=forged").status_code == 404
    assert app.test_client().get("/account/orders").status_code == 302
