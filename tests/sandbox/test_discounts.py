"""Coupons and shipping options on Checkout Sessions, through the real stripe library:
the totals Stripe would compute, each item's share of the coupon, the hosted page's
breakdown, and the requests Stripe would refuse."""

from __future__ import annotations

import html

import pytest
import stripe
from hypothesis import given
from hypothesis import strategies as st

from shop.payments.sandbox.discounts import allocate

SHIPPING = {
    "shipping_rate_data": {
        "type": "fixed_amount",
        "display_name": "Standard delivery",
        "fixed_amount": {"amount": 4900, "currency": "inr"},
    }
}


def _coupon(stripe_client, amount_off=10000, **extra):
    params = {"amount_off": amount_off, "currency": "inr", "duration": "once", **extra}
    return stripe_client.v1.coupons.create(params=params)


def test_a_coupon_and_shipping_make_the_total(make_session, stripe_client):
    coupon = _coupon(stripe_client, name="WELCOME10", max_redemptions=1)
    session = make_session(discounts=[{"coupon": coupon.id}], shipping_options=[SHIPPING])

    assert session.amount_subtotal == 141700
    assert session.total_details.amount_discount == 10000
    assert session.total_details.amount_shipping == 4900
    assert session.shipping_cost.amount_total == 4900
    assert session.amount_total == 141700 - 10000 + 4900
    items = stripe_client.v1.checkout.sessions.line_items.list(session.id).data
    # 69800 and 71900 share ₹100 in proportion: 4926.4… and 5073.5… paise
    assert [i.amount_discount for i in items] == [4926, 5074]
    assert [i.amount_subtotal - i.amount_discount for i in items] == [i.amount_total for i in items]


def test_the_hosted_page_lists_items_at_their_price_then_coupon_shipping_total(
    make_session, stripe_client, control
):
    coupon = _coupon(stripe_client, name="WELCOME10")
    session = make_session(discounts=[{"coupon": coupon.id}], shipping_options=[SHIPPING])
    _, page = control.page(f"/pay/{session.id}")
    text = html.unescape(page)

    assert "INR 698.00" in text and "INR 719.00" in text  # the items, not net of the coupon
    order = [
        text.index(label)
        for label in (
            "Subtotal</th>",
            "Coupon WELCOME10</th>",
            "Shipping (Standard delivery)</th>",
            "Total due</th>",
        )
    ]
    assert order == sorted(order)
    assert "−INR 100.00" in text and "INR 49.00" in text and "INR 1366.00" in text


def test_free_shipping_reads_free_and_no_coupon_means_no_coupon_row(make_session, control):
    free = {
        "shipping_rate_data": {
            "type": "fixed_amount",
            "display_name": "Standard delivery",
            "fixed_amount": {"amount": 0, "currency": "inr"},
        }
    }
    session = make_session(shipping_options=[free])
    _, page = control.page(f"/pay/{session.id}")
    assert 'data-row="discount"' not in page
    assert "Free" in page
    assert session.amount_total == 141700


def test_a_one_use_coupon_is_spent_by_a_paid_session(make_session, stripe_client, control):
    coupon = _coupon(stripe_client, max_redemptions=1)
    first = make_session(discounts=[{"coupon": coupon.id}])
    control.form(f"/pay/{first.id}/pay")
    assert stripe_client.v1.coupons.retrieve(coupon.id).times_redeemed == 1
    with pytest.raises(stripe.InvalidRequestError) as error:
        make_session(discounts=[{"coupon": coupon.id}])
    assert error.value.code == "coupon_expired"


def test_a_coupon_never_takes_more_than_the_items(make_session, stripe_client):
    coupon = _coupon(stripe_client, amount_off=500000)
    session = make_session(discounts=[{"coupon": coupon.id}], shipping_options=[SHIPPING])
    assert session.total_details.amount_discount == 141700
    assert session.amount_total == 4900  # shipping is never discounted


@pytest.mark.parametrize(
    "params, code",
    [
        ({"discounts": [{"coupon": "nope"}]}, "resource_missing"),
        ({"discounts": [{"coupon": "a"}, {"coupon": "b"}]}, "parameter_invalid"),
        ({"shipping_options": [SHIPPING, SHIPPING]}, "parameter_invalid"),
    ],
)
def test_bad_discounts_and_shipping_are_refused(make_session, params, code):
    with pytest.raises(stripe.InvalidRequestError) as error:
        make_session(**params)
    assert error.value.code == code


def test_only_amount_off_coupons_in_the_shops_currency(make_session, stripe_client):
    with pytest.raises(stripe.InvalidRequestError):
        stripe_client.v1.coupons.create(params={"percent_off": 10, "duration": "once"})
    usd = stripe_client.v1.coupons.create(
        params={"amount_off": 100, "currency": "usd", "duration": "once"}
    )
    with pytest.raises(stripe.InvalidRequestError):
        make_session(discounts=[{"coupon": usd.id}])


@given(
    amounts=st.lists(st.integers(0, 10**7), min_size=1, max_size=8),
    discount=st.integers(0, 10**8),
)
def test_allocation_adds_up_and_never_exceeds_an_item(amounts, discount):
    shares = allocate(amounts, discount)
    assert sum(shares) == min(discount, sum(amounts))
    assert all(0 <= share <= amount for share, amount in zip(shares, amounts, strict=True))
