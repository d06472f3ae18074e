"""One open order per cart, unpaid-order limits, throttling, and the cart after paying.

Issue 17 #3, #4 and #5: a second submit reuses the order and its Stripe session, a
changed cart replaces it, a visitor cannot hold stock with endless unpaid orders, and
paying takes out of the cart only what was bought.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import select

from shop.cart.models import CartLine
from shop.checkout.models import Order
from shop.checkout.states import OrderState
from shop.demo import seed_demo
from tests.conftest import csrf_token_for
from tests.helpers import ADDRESS
from tests.integration.test_checkout import (
    GUEST,
    coupon_state,
    events_for,
    fill_cart,
    place,
    session_id_of,
    stock,
)
from tests.payments import deliver


@pytest.fixture()
def demo(db):
    seed_demo(db.session)
    db.session.commit()


def sessions_created(sandbox) -> list[dict]:
    return [
        r
        for r in sandbox.requests()
        if r["method"] == "POST" and r["path"] == "/v1/checkout/sessions"
    ]


def orders(db) -> list[Order]:
    db.session.expire_all()
    return list(db.session.scalars(select(Order).order_by(Order.id)))


# --- one open order per cart --------------------------------------------------------------


def test_a_second_submit_of_the_same_cart_reuses_the_order_and_its_session(
    client, db, demo, sandbox
):
    before = stock(db, "joint-capsule")
    fill_cart(client, db, coupon="WELCOME10")
    first = place(client)
    second = place(client)
    assert first.status_code == second.status_code == 303
    assert first.headers["Location"] == second.headers["Location"]
    assert len(orders(db)) == 1
    assert len({r["params"]["client_reference_id"] for r in sessions_created(sandbox)}) == 1
    assert stock(db, "joint-capsule") == before - 2  # held once
    assert coupon_state(db) == (1, ["held"])


def test_a_changed_cart_abandons_the_old_order_and_places_a_new_one(client, db, demo, sandbox):
    before = stock(db, "joint-capsule")
    fill_cart(client, db)
    old_session = session_id_of(place(client))
    fill_cart(client, db, quantity=1)  # now 3 capsules
    response = place(client)
    assert response.status_code == 303
    new_session = session_id_of(response)
    assert new_session != old_session
    old, new = orders(db)
    assert old.state == OrderState.CANCELLED and new.state == OrderState.PENDING_PAYMENT
    assert new.lines[0].quantity == 3
    assert stock(db, "joint-capsule") == before - 3
    # the old session was expired at Stripe: it can no longer take money
    assert events_for(sandbox, old_session, "checkout.session.expired")


def test_a_changed_cart_whose_old_order_was_paid_meanwhile_is_told_so(client, db, demo, sandbox):
    fill_cart(client, db)
    old_session = session_id_of(place(client))
    sandbox.act(old_session, "pay")  # paid in another tab; the webhook is late
    fill_cart(client, db, slug="joint-pain-oil", quantity=1)
    response = place(client)
    assert response.status_code == 409
    assert "has just been paid" in response.get_data(as_text=True)
    (order,) = orders(db)
    assert order.state == OrderState.PAID and not order.needs_review
    cart = client.get("/cart").get_data(as_text=True)
    assert "Joint Care Capsules" not in cart and "Joint Pain" in cart


def test_an_expired_session_is_not_reused(client, db, demo, sandbox):
    fill_cart(client, db)
    old_session = session_id_of(place(client))
    sandbox.act(old_session, "expire")  # its webhook has not arrived
    response = place(client)
    assert response.status_code == 303 and session_id_of(response) != old_session
    old, new = orders(db)
    assert old.state == OrderState.CANCELLED and new.state == OrderState.PENDING_PAYMENT


def test_concurrent_double_submits_make_one_order_and_one_payable_session(
    client, db, demo, sandbox
):
    before = stock(db, "joint-capsule")
    fill_cart(client, db)
    token = csrf_token_for(client)
    start = threading.Barrier(4)

    def submit():
        start.wait()
        return client.post(
            "/checkout",
            data={"csrf_token": token, "email": GUEST, "acknowledge": "yes", **ADDRESS},
        )

    with ThreadPoolExecutor(max_workers=4) as pool:
        responses = list(pool.map(lambda _: submit(), range(4)))
    assert [r.status_code for r in responses] == [303] * 4
    assert len({r.headers["Location"] for r in responses}) == 1
    (order,) = orders(db)
    assert order.state == OrderState.PENDING_PAYMENT
    assert stock(db, "joint-capsule") == before - 2
    created = {r["params"]["client_reference_id"] for r in sessions_created(sandbox)}
    assert created == {order.number}
    assert order.stripe_session_url == responses[0].headers["Location"]


# --- limits ------------------------------------------------------------------------------------


def test_unpaid_orders_per_address_are_limited(app, db, demo, sandbox, monkeypatch):
    monkeypatch.setitem(app.config, "CHECKOUT_MAX_UNPAID_PER_IP", 2)
    before = stock(db, "joint-capsule")
    statuses = []
    for i in range(3):
        shopper = app.test_client()
        fill_cart(shopper, db, quantity=1)
        response = place(shopper, email=f"visitor{i}@example.com")
        statuses.append(response.status_code)
    assert statuses == [303, 303, 429]
    assert "unpaid orders" in response.get_data(as_text=True)
    assert len(orders(db)) == 2
    assert stock(db, "joint-capsule") == before - 2  # the refused one holds nothing


def test_unpaid_orders_per_customer_are_limited(app, db, demo, sandbox, monkeypatch):
    monkeypatch.setitem(app.config, "CHECKOUT_MAX_UNPAID_PER_IP", 100)
    statuses = []
    for _ in range(4):
        shopper = app.test_client()  # a fresh cart each time, the same e-mail
        fill_cart(shopper, db, quantity=1)
        statuses.append(place(shopper).status_code)
    assert statuses == [303, 303, 303, 429]


def test_checkout_submits_are_throttled(app, client, db, demo, sandbox, monkeypatch):
    monkeypatch.setitem(app.config, "CHECKOUT_RATE_LIMIT", "3 per minute")
    fill_cart(client, db)
    statuses = [place(client).status_code for _ in range(4)]
    assert statuses == [303, 303, 303, 429]
    assert len(orders(db)) == 1


# --- the cart after paying (issue 17 #5) ------------------------------------------------------


def _cart_lines(db) -> dict[str, int]:
    db.session.expire_all()
    return {
        line.variant.product.slug: line.quantity for line in db.session.scalars(select(CartLine))
    }


def test_paying_removes_only_what_was_ordered(client, db, demo, sandbox):
    fill_cart(client, db, quantity=2)
    session_id = session_id_of(place(client))
    fill_cart(client, db, quantity=1)  # one more capsule, after the order
    fill_cart(client, db, slug="joint-pain-oil", quantity=1)
    sandbox.act(session_id, "pay")
    (event,) = events_for(sandbox, session_id, "checkout.session.completed")
    assert deliver(client, event).status_code == 200
    assert orders(db)[0].state == OrderState.PAID
    assert _cart_lines(db) == {"joint-capsule": 1, "joint-pain-oil": 1}


def test_a_delayed_payment_also_removes_what_was_ordered(client, db, demo, sandbox):
    fill_cart(client, db, quantity=2, coupon="WELCOME10")
    session_id = session_id_of(place(client))
    sandbox.act(session_id, "pay_delayed")
    (completed,) = events_for(sandbox, session_id, "checkout.session.completed")
    assert deliver(client, completed).status_code == 200
    # the transfer is still clearing, but the shopper is done: the cart empties now
    # (issue 16), and paying later takes nothing more out of it
    assert _cart_lines(db) == {}
    assert orders(db)[0].state == OrderState.PENDING_PAYMENT
    fill_cart(client, db, slug="joint-pain-oil", quantity=1)
    fill_cart(client, db, quantity=1)  # the same capsules again, a new purchase
    sandbox.act(session_id, "async_succeed")
    (succeeded,) = events_for(sandbox, session_id, "checkout.session.async_payment_succeeded")
    assert deliver(client, succeeded).status_code == 200
    assert orders(db)[0].state == OrderState.PAID
    assert _cart_lines(db) == {"joint-pain-oil": 1, "joint-capsule": 1}


def test_an_order_flagged_for_review_does_not_block_the_cart(client, db, demo, sandbox):
    fill_cart(client, db)
    session_id = session_id_of(place(client))
    sandbox.act(session_id, "tamper", amount_total=100)
    sandbox.act(session_id, "pay")
    (event,) = events_for(sandbox, session_id, "checkout.session.completed")
    assert deliver(client, event).status_code == 200
    assert orders(db)[0].needs_review
    response = place(client)
    assert response.status_code == 303 and session_id_of(response) != session_id
    flagged, new = orders(db)
    assert flagged.state == OrderState.PENDING_PAYMENT and flagged.needs_review  # for staff
    assert new.state == OrderState.PENDING_PAYMENT and not new.needs_review
