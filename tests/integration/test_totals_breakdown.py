"""Totals read the same way everywhere (issue 16): each line at its price, the subtotal,
the coupon taken off once, shipping, the total — on the cart, the checkout review, the
order page and the confirmation e-mail. The payment provider's line items name each
product once with its real quantity and still add up to the order total exactly; and a
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


def _hosted_rows(location: str) -> list[tuple[str, int, str]]:
    with urllib.request.urlopen(location, timeout=5) as response:
        html = response.read().decode()
    rows = re.findall(
        r'<tr><td>([^<]+)</td><td class="num">(\d+)</td>\s*<td class="num">([^<]+)</td></tr>',
        html,
    )
    return [(name, int(qty), amount) for name, qty, amount in rows]


def test_payment_line_items_name_the_quantity_once_and_add_up(client, db, demo, sandbox):
    fill_cart(client, db, quantity=2, coupon="WELCOME10")
    fill_cart(client, db, slug="joint-pain-oil", quantity=3)
    response = place(client)
    rows = _hosted_rows(response.headers["Location"])
    assert all("×" not in name for name, _, _ in rows)
    by_name: dict[str, int] = {}
    for name, qty, _ in rows:
        by_name[name] = by_name.get(name, 0) + qty
    order = the_order(db)
    assert by_name == {
        f"{line.product_name} — {line.variant_label} (coupon WELCOME10 applied)": line.quantity
        for line in order.lines
    }
    # the items add up to exactly what the order costs
    paise = [int(amount.split()[-1].replace(".", "")) for _, _, amount in rows]
    assert sum(paise) == order.total


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
