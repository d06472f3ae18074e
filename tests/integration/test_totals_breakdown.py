"""Totals read the same way everywhere (issue 16): each line at its price, the subtotal,
the coupon taken off once, shipping, the total — on the cart, the checkout review, the
order page and the confirmation e-mail. The payment page (the sandbox standing in for
Stripe Checkout) reads the same way: items at their price with their quantity once, the
coupon, shipping, the total; and a
delayed bank transfer empties the cart as a card payment does."""

from __future__ import annotations

import re
import urllib.request

import pytest
from sqlalchemy import select

from shop.cart.models import CartLine
from shop.checkout.models import Order
from shop.checkout.states import OrderState
from shop.demo import seed_demo
from shop.mail import OutboxMessage
from tests.integration.test_checkout import (
    events_for,
    fill_cart,
    place,
    session_id_of,
    the_order,
)
from tests.payments import deliver


@pytest.fixture()
def demo(db):
    seed_demo(db.session)
    db.session.commit()


def _totals(html: str) -> dict[str, str]:
    return dict(re.findall(r'data-total="([a-z]+)">([^<]+)<', html))


def _line_amounts(html: str) -> list[str]:
    return re.findall(r'<td class="num">(₹[^<]+)</td>', html)


def test_cart_review_and_order_page_show_one_breakdown(client, db, demo, sandbox):
    fill_cart(client, db, quantity=2, coupon="WELCOME10")  # 2 × ₹719, ₹100 off
    expected = {"subtotal": "₹1,438", "discount": "−₹100", "shipping": "Free", "total": "₹1,338"}

    cart = client.get("/cart").get_data(as_text=True)
    assert {k: v for k, v in _totals(cart).items() if k in expected} == expected
    review = client.get("/checkout").get_data(as_text=True)
    assert _totals(review) == expected
    assert _line_amounts(review) == ["₹1,438"]  # the line at its price, not net of the coupon

    session_id = session_id_of(place(client))
    sandbox.act(session_id, "pay")
    response = client.get(f"/checkout/success?session_id={session_id}")
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert the_order(db).state == OrderState.PAID
    assert _totals(page) == expected
    assert _line_amounts(page) == ["₹1,438"]


def test_the_confirmation_e_mail_has_the_same_breakdown(client, db, demo, sandbox):
    fill_cart(client, db, quantity=2, coupon="WELCOME10")
    session_id = session_id_of(place(client))
    sandbox.act(session_id, "pay")
    client.get(f"/checkout/success?session_id={session_id}")
    body = db.session.scalars(select(OutboxMessage)).one().body
    lines = [line.strip() for line in body.splitlines()]
    start = lines.index("2 × Joint Care Capsules (60 capsules)  ₹1,438")
    assert lines[start + 1 : start + 6] == [
        "",
        "Subtotal: ₹1,438",
        "Coupon WELCOME10: −₹100",
        "Shipping: free",
        "Total paid: ₹1,338 (includes GST ₹143.36)",
    ]


def _hosted_page(location: str) -> tuple[list[tuple[str, int, str]], dict[str, tuple[str, str]]]:
    """The items (name, quantity, amount) and the rows under them of the payment page."""
    with urllib.request.urlopen(location, timeout=5) as response:
        html = response.read().decode()
    rows = re.findall(
        r'<tr><td>([^<]+)</td><td class="num">(\d+)</td>\s*<td class="num">([^<]+)</td></tr>',
        html,
    )
    totals = re.findall(
        r'<tr data-row="([a-z]+)"><th scope="row">([^<]+)</th><td></td>\s*'
        r'<td class="num">([^<]+)</td></tr>',
        html,
    )
    items = [(name, int(qty), amount) for name, qty, amount in rows]
    return items, {key: (label, amount) for key, label, amount in totals}


def _paise(amount: str) -> int:
    return int(amount.split()[-1].replace(".", ""))


def test_the_payment_page_shows_the_shops_breakdown(client, db, demo, sandbox):
    """Items at their price with their quantity once, the coupon taken off once, then
    shipping and the total — as Stripe's own Checkout page reads."""
    fill_cart(client, db, quantity=2, coupon="WELCOME10")
    fill_cart(client, db, slug="joint-pain-oil", quantity=3)
    response = place(client)
    items, totals = _hosted_page(response.headers["Location"])
    order = the_order(db)
    assert [(name, qty, _paise(amount)) for name, qty, amount in items] == [
        (f"{line.product_name} — {line.variant_label}", line.quantity, line.subtotal)
        for line in order.lines
    ]
    assert all("×" not in name and "coupon" not in name for name, _, _ in items)
    assert order.discount == 10000 and order.shipping == 0
    assert totals == {
        "subtotal": ("Subtotal", f"INR {order.subtotal // 100}.00"),
        "discount": ("Coupon WELCOME10", "−INR 100.00"),
        "shipping": ("Shipping (Standard delivery)", "Free"),
        "total": ("Total due", f"INR {order.total // 100}.{order.total % 100:02d}"),
    }
    assert order.subtotal - order.discount + order.shipping == order.total


def test_the_payment_page_shows_a_shipping_fee_and_no_coupon_row_without_one(
    client, db, demo, sandbox
):
    fill_cart(client, db, slug="joint-pain-oil", quantity=1)
    order_response = place(client)
    order = the_order(db)
    assert order.shipping > 0 and order.discount == 0
    items, totals = _hosted_page(order_response.headers["Location"])
    assert len(items) == 1
    assert "discount" not in totals
    assert _paise(totals["shipping"][1]) == order.shipping
    assert _paise(totals["total"][1]) == order.total == order.subtotal + order.shipping


def test_paying_through_the_page_charges_the_order_total(client, db, demo, sandbox):
    fill_cart(client, db, quantity=2, coupon="WELCOME10")
    session_id = session_id_of(place(client))
    sandbox.act(session_id, "pay")
    client.get(f"/checkout/success?session_id={session_id}")
    order = the_order(db)
    assert order.state == OrderState.PAID  # Stripe's amount_total matched the order total
    (coupon_call,) = [r for r in sandbox.requests() if r["path"] == "/v1/coupons"]
    assert coupon_call["idempotency_key"] == f"order-{order.number}-coupon"
    assert coupon_call["params"]["amount_off"] == str(order.discount)


def test_a_delayed_transfer_empties_the_shoppers_cart_and_count(client, db, demo, sandbox):
    fill_cart(client, db, quantity=2)
    session_id = session_id_of(place(client))
    sandbox.act(session_id, "pay_delayed")
    # the shopper comes back from the bank: the order waits, the cart is empty
    response = client.get(f"/checkout/success?session_id={session_id}")
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert the_order(db).state == OrderState.PENDING_PAYMENT
    assert "data-cart-count>0<" in page
    assert db.session.scalars(select(CartLine)).all() == []
    # when the transfer clears the order is paid and nothing more leaves the cart
    fill_cart(client, db, slug="joint-pain-oil", quantity=1)
    sandbox.act(session_id, "async_succeed")
    (succeeded,) = events_for(sandbox, session_id, "checkout.session.async_payment_succeeded")
    assert deliver(client, succeeded).status_code == 200
    assert the_order(db).state == OrderState.PAID
    db.session.expire_all()
    assert [line.quantity for line in db.session.scalars(select(CartLine))] == [1]
    # its cancel link now only points to the paid order
    number = db.session.scalars(select(Order.number)).one()
    response = client.get(f"/checkout/cancel?order={number}")
    assert f"/account/orders/{number}" in response.headers["Location"]
    assert the_order(db).state == OrderState.PAID


def test_checkout_offers_no_pay_button_while_a_line_is_out_of_stock(client, db, demo, sandbox):
    fill_cart(client, db, quantity=1)
    fill_cart(client, db, slug="joint-pain-oil", quantity=1)
    oil = db.session.scalar(
        select(CartLine)
        .join(CartLine.variant)
        .where(CartLine.quantity == 1)
        .order_by(CartLine.id.desc())
    ).variant
    oil.stock = 0
    db.session.commit()
    review = client.get("/checkout").get_data(as_text=True)
    assert "Pay ₹" not in review and 'name="acknowledge"' not in review
    assert "data-cannot-pay" in review
    assert "Out of stock — remove it to check out." in review  # beside the line


def test_order_history_shows_states_in_words(client, db, demo, sandbox):
    from tests.factories import make_user
    from tests.helpers import log_in

    make_user("history@example.com")
    db.session.commit()
    log_in(client, "history@example.com")
    fill_cart(client, db, quantity=1)
    place(client)
    html = client.get("/account/orders").get_data(as_text=True)
    assert 'data-order-state="pending_payment">Waiting for payment<' in html
    assert "pending payment" not in html
