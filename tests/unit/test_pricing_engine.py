"""The pricing engine (SPEC §6, demo data §10): worked examples, then properties."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shop.pricing.engine import (
    Coupon,
    LineInput,
    Sale,
    Shipping,
    allocate,
    best_sale_price,
    calculate_totals,
    round_half_up_div,
    tax_part,
)

NOW = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)
DEMO_SHIPPING = Shipping(fee=4900, free_from=49900)
WELCOME10 = Coupon(
    code="WELCOME10",
    kind="percent",
    value=10,
    min_subtotal=50000,
    max_discount=10000,
    per_customer_limit=1,
)
FLAT50 = Coupon(code="FLAT50", kind="fixed", value=5000, min_subtotal=39900)
EXPIRED20 = Coupon(code="EXPIRED20", kind="percent", value=20, ends_at=NOW - timedelta(days=1))


def capsules(quantity: int = 2) -> LineInput:
    return LineInput(
        key=1, product_id=2, category_id=1, mrp=79900, price=71900, quantity=quantity, gst_rate=12
    )


def oil(quantity: int = 1) -> LineInput:
    return LineInput(
        key=2, product_id=1, category_id=1, mrp=39900, price=34900, quantity=quantity, gst_rate=12
    )


def simple_line(
    price: int,
    *,
    key: int = 1,
    product_id: int = 9,
    category_id: int = 5,
    quantity: int = 1,
    gst_rate: int = 12,
) -> LineInput:
    return LineInput(
        key=key,
        product_id=product_id,
        category_id=category_id,
        mrp=price,
        price=price,
        quantity=quantity,
        gst_rate=gst_rate,
    )


def product_sale(sale_id: int, kind: str, value: int, *, starts_at=None, ends_at=None) -> Sale:
    """A sale on product 9, the product `simple_line` uses."""
    return Sale(
        id=sale_id,
        kind=kind,
        value=value,
        product_ids=frozenset({9}),
        category_ids=frozenset(),
        starts_at=starts_at,
        ends_at=ends_at,
    )


def totals(lines, **kwargs):
    kwargs.setdefault("shipping", DEMO_SHIPPING)
    kwargs.setdefault("now", NOW)
    return calculate_totals(lines, **kwargs)


# --- worked examples ----------------------------------------------------------------


def test_two_capsules_ship_free_and_show_savings_on_mrp():
    t = totals([capsules()])
    assert (t.mrp_total, t.subtotal, t.savings) == (159800, 143800, 16000)
    assert (t.shipping, t.free_shipping_gap, t.total) == (0, 0, 143800)
    assert t.lines[0].percent_off == 10
    assert t.item_count == 2


def test_welcome10_is_capped_at_100_rupees():
    t = totals([capsules()], coupon=WELCOME10)
    assert t.coupon.ok and t.coupon.reason is None
    assert t.coupon.message == "Coupon applied."
    assert (t.discount, t.total) == (10000, 133800)
    assert t.lines[0].total == 133800
    assert t.tax == 14336  # 133800 × 12 / 112 = 14335.71…


def test_one_oil_pays_shipping_and_flat50_needs_399_rupees():
    t = totals([oil()], coupon=FLAT50)
    assert (t.subtotal, t.shipping, t.total) == (34900, 4900, 39800)
    assert t.free_shipping_gap == 15000
    assert t.lines[0].percent_off == 12
    assert not t.coupon.ok and t.coupon.reason == "min_subtotal"
    assert t.coupon.message == "FLAT50 needs an order of ₹399 or more (after sale prices)."
    assert t.discount == 0 and t.coupon.discount == 0


def test_flat50_applies_from_399_rupees():
    t = totals([oil(2)], coupon=FLAT50)
    assert t.coupon.ok and (t.subtotal, t.discount, t.total) == (69800, 5000, 64800)


def test_expired_coupon_is_refused():
    t = totals([capsules()], coupon=EXPIRED20)
    assert t.coupon.reason == "expired" and "EXPIRED20" in t.coupon.message
    assert t.total == 143800


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"active": False}, "inactive"),
        ({"starts_at": NOW + timedelta(seconds=1)}, "not_started"),
        ({"ends_at": NOW}, "expired"),
        ({"usage_limit": 5, "times_used": 5}, "limit_reached"),
        ({"customer_uses": 1}, "already_used"),
        ({"min_subtotal": 143801}, "min_subtotal"),
        ({"product_ids": frozenset({99})}, "not_applicable"),
        # the order of checks: the first failing rule is the one reported
        ({"active": False, "ends_at": NOW}, "inactive"),
        ({"usage_limit": 1, "times_used": 1, "customer_uses": 1}, "limit_reached"),
        ({"customer_uses": 1, "min_subtotal": 10**9}, "already_used"),
        ({"min_subtotal": 10**9, "product_ids": frozenset({99})}, "min_subtotal"),
    ],
)
def test_refusal_reasons(changes, reason):
    t = totals([capsules()], coupon=replace(WELCOME10, **changes))
    assert not t.coupon.ok and t.coupon.reason == reason and t.discount == 0


def test_sales_never_stack_the_best_one_wins():
    sales = [
        Sale(
            id=1,
            kind="percent",
            value=10,
            product_ids=frozenset({9}),
            category_ids=frozenset(),
            starts_at=None,
            ends_at=None,
        ),
        Sale(
            id=2,
            kind="percent",
            value=40,
            product_ids=frozenset(),
            category_ids=frozenset({5}),
            starts_at=None,
            ends_at=None,
        ),
    ]
    assert best_sale_price(simple_line(10000), sales, NOW) == (6000, 2)


def test_equal_sales_keep_the_lower_id_and_inactive_sales_are_ignored():
    sales = [
        product_sale(7, "fixed", 2000),
        product_sale(3, "percent", 20),
        product_sale(1, "percent", 90, ends_at=NOW),  # ended exactly now
        product_sale(2, "percent", 90, starts_at=NOW + timedelta(seconds=1)),
    ]
    assert best_sale_price(simple_line(10000), sales, NOW) == (8000, 3)
    assert best_sale_price(simple_line(10000), reversed(sales), NOW) == (8000, 3)


def test_percent_coupon_is_taken_from_the_sale_price():
    sale = product_sale(1, "percent", 40)
    coupon = Coupon(code="TEN", kind="percent", value=10)
    t = totals([simple_line(10000)], sales=[sale], coupon=coupon)
    assert t.lines[0].unit_price == 6000 and t.discount == 600


def test_coupon_excluding_sale_items_skips_lines_on_sale():
    sale = product_sale(1, "percent", 40)
    coupon = Coupon(code="NOSALE", kind="percent", value=10, exclude_sale_items=True)
    lines = [simple_line(10000), simple_line(20000, key=2, product_id=8)]
    t = totals(lines, sales=[sale], coupon=coupon)
    assert [line.discount for line in t.lines] == [0, 2000]
    only_sale = totals(lines[:1], sales=[sale], coupon=coupon)
    assert only_sale.coupon.reason == "not_applicable"


def test_a_fixed_coupon_larger_than_the_eligible_lines_takes_only_what_they_cost():
    coupon = Coupon(code="BIG", kind="fixed", value=10**6, category_ids=frozenset({5}))
    lines = [simple_line(3000), simple_line(2000, key=2, category_id=6)]
    t = totals(lines, coupon=coupon)
    assert [line.total for line in t.lines] == [0, 2000]
    assert t.discount == t.coupon.discount == 3000


def test_a_100_percent_coupon_leaves_only_shipping():
    lines = [
        simple_line(333, key=1),
        simple_line(333, key=2, quantity=2, gst_rate=5),
        simple_line(1, key=3, gst_rate=18),
    ]
    t = totals(lines, coupon=Coupon(code="FREE", kind="percent", value=100))
    assert [line.total for line in t.lines] == [0, 0, 0]
    assert t.tax == 0 and t.discount == t.subtotal == 1000
    assert t.total == t.shipping == 4900


@pytest.mark.parametrize(
    ("paid", "shipping", "gap"), [(49900, 0, 0), (49899, 4900, 1), (49901, 0, 0)]
)
def test_free_shipping_threshold_is_on_the_discounted_subtotal(paid, shipping, gap):
    coupon = Coupon(code="OFF", kind="fixed", value=1000)
    t = totals([simple_line(paid + 1000)], coupon=coupon)
    assert (t.shipping, t.free_shipping_gap, t.total) == (shipping, gap, paid + shipping)


def test_empty_cart_and_never_free_shipping():
    assert totals([]).total == 0 and totals([]).shipping == 0
    t = totals([simple_line(10**7)], shipping=Shipping(fee=4900, free_from=None))
    assert (t.shipping, t.free_shipping_gap) == (4900, 0)


def test_arithmetic_helpers():
    assert [round_half_up_div(n, 2) for n in range(5)] == [0, 1, 1, 2, 2]
    assert round_half_up_div(149, 100) == 1 and round_half_up_div(150, 100) == 2
    assert tax_part(11200, 12) == 1200 and tax_part(100, 0) == 0
    assert allocate(10, [1, 1, 1]) == [4, 3, 3]
    assert allocate(5, [0, 3, 0, 7]) == [0, 2, 0, 3]
    assert allocate(0, [0, 0]) == [0, 0] and allocate(0, []) == []
    with pytest.raises(ValueError):
        allocate(1, [0, 0])
    with pytest.raises(ValueError):
        round_half_up_div(-1, 2)


@pytest.mark.parametrize(
    "changes", [{"quantity": 0}, {"price": 80000}, {"price": -1}, {"mrp": 79900.0}]
)
def test_line_input_refuses_bad_values(changes):
    with pytest.raises((ValueError, TypeError)):
        replace(capsules(), **changes)


# --- properties over random carts ---------------------------------------------------

PRODUCTS = st.integers(min_value=1, max_value=6)
CATEGORIES = st.integers(min_value=1, max_value=3)
moments = st.integers(min_value=-10, max_value=10).map(lambda d: NOW + timedelta(days=d))
maybe_moment = st.none() | moments
id_sets = st.frozensets(PRODUCTS, max_size=3)
category_sets = st.frozensets(CATEGORIES, max_size=2)


@st.composite
def cart_lines(draw):
    count = draw(st.integers(min_value=1, max_value=10))
    lines = []
    for key in range(count):
        price = draw(st.integers(1, 10**7) | st.integers(1, 2000))  # small carts too
        mrp = draw(st.integers(min_value=price, max_value=10**7))
        lines.append(
            LineInput(
                key=key,
                product_id=draw(PRODUCTS),
                category_id=draw(CATEGORIES),
                mrp=mrp,
                price=price,
                quantity=draw(st.integers(min_value=1, max_value=10)),
                gst_rate=draw(st.sampled_from([0, 5, 12, 18])),
            )
        )
    return lines


@st.composite
def sale_lists(draw):
    sales = []
    for sale_id in draw(st.lists(st.integers(1, 50), max_size=3, unique=True)):
        kind = draw(st.sampled_from(["percent", "fixed"]))
        value = draw(st.integers(1, 100) if kind == "percent" else st.integers(1, 10**7))
        sales.append(
            Sale(
                id=sale_id,
                kind=kind,
                value=value,
                product_ids=draw(id_sets),
                category_ids=draw(category_sets),
                starts_at=draw(maybe_moment),
                ends_at=draw(maybe_moment),
            )
        )
    return sales


@st.composite
def coupons(draw):
    kind = draw(st.sampled_from(["percent", "fixed"]))
    value = draw(st.integers(1, 100) if kind == "percent" else st.integers(1, 10**8))
    return Coupon(
        code="TEST",
        kind=kind,
        value=value,
        min_subtotal=draw(st.sampled_from([0, 0, 100, 10**5, 10**7, 10**8])),
        max_discount=draw(st.none() | st.integers(0, 10**7)),
        starts_at=draw(st.none() | st.just(NOW - timedelta(days=1)) | maybe_moment),
        ends_at=draw(st.none() | st.just(NOW + timedelta(days=1)) | maybe_moment),
        active=draw(st.sampled_from([True, True, True, True, False])),
        usage_limit=draw(st.none() | st.none() | st.integers(1, 3)),
        times_used=draw(st.integers(0, 1)),
        per_customer_limit=draw(st.none() | st.just(1)),
        customer_uses=draw(st.sampled_from([0, 0, 0, 1])),
        product_ids=draw(st.just(frozenset()) | id_sets),
        category_ids=draw(st.just(frozenset()) | category_sets),
        exclude_sale_items=draw(st.booleans()),
    )


shippings = st.builds(
    Shipping, fee=st.integers(0, 10**4), free_from=st.none() | st.integers(0, 10**8)
)


def single_sale_price(price: int, sale: Sale) -> int:
    """The rule written again with Fractions, as an independent check."""
    if sale.kind == "percent":
        taken = int(Fraction(price * sale.value, 100) + Fraction(1, 2))
    else:
        taken = sale.value
    return max(price - taken, 0)


def eligible_for(coupon: Coupon, line) -> bool:
    restricted = coupon.product_ids or coupon.category_ids
    matches = line.product_id in coupon.product_ids or line.category_id in coupon.category_ids
    on_sale = line.sale_id is not None
    return (matches or not restricted) and not (coupon.exclude_sale_items and on_sale)


@given(
    lines=cart_lines(),
    sales=sale_lists(),
    coupon=st.none() | coupons(),
    shipping=shippings,
    now=moments,
)
def test_cart_properties(lines, sales, coupon, shipping, now):
    t = calculate_totals(lines, sales=sales, coupon=coupon, shipping=shipping, now=now)

    # the pieces add up exactly and nothing is negative
    assert sum(line.total for line in t.lines) == t.total - t.shipping
    assert t.total == t.subtotal - t.discount + t.shipping
    assert t.discount == sum(line.discount for line in t.lines)
    assert t.savings == t.mrp_total - t.subtotal >= 0
    assert t.total >= 0 and all(line.total >= 0 for line in t.lines)
    assert t.tax == sum(line.tax for line in t.lines)

    for line_in, line in zip(lines, t.lines, strict=True):
        # sales never stack: the best single sale, or the list price
        active = [
            s
            for s in sales
            if (line_in.product_id in s.product_ids or line_in.category_id in s.category_ids)
            and (s.starts_at is None or s.starts_at <= now)
            and (s.ends_at is None or now < s.ends_at)
        ]
        assert line.unit_price == min(
            [line_in.price] + [single_sale_price(line_in.price, s) for s in active]
        )
        assert line.subtotal == line.unit_price * line.quantity
        assert 0 <= line.discount <= line.subtotal
        # the badge never overstates the discount
        assert line.percent_off * line.mrp <= 100 * (line.mrp - line.unit_price)
        # tax is the exact GST part, rounded to the nearest paisa
        exact = Fraction(line.total * line.gst_rate, 100 + line.gst_rate)
        assert abs(line.tax - exact) <= Fraction(1, 2)

    # the coupon never gives more than the eligible lines are worth, nor more than its cap
    if coupon is None or not t.coupon.ok:
        assert t.discount == 0
    else:
        eligible = [line for line in t.lines if eligible_for(coupon, line)]
        eligible_subtotal = sum(line.subtotal for line in eligible)
        assert t.discount == t.coupon.discount <= eligible_subtotal
        assert t.subtotal >= coupon.min_subtotal
        if coupon.max_discount is not None:
            assert t.discount <= coupon.max_discount
        assert all(line.discount == 0 for line in t.lines if not eligible_for(coupon, line))

    # shipping: free at or above the threshold on the discounted subtotal
    paid = t.subtotal - t.discount
    if shipping.free_from is not None and paid >= shipping.free_from:
        assert (t.shipping, t.free_shipping_gap) == (0, 0)
    elif shipping.free_from is None:
        assert (t.shipping, t.free_shipping_gap) == (shipping.fee, 0)
    else:
        assert (t.shipping, t.free_shipping_gap) == (shipping.fee, shipping.free_from - paid)

    # deterministic: same input, same output; the order of the sales does not matter
    again = calculate_totals(
        lines, sales=list(reversed(sales)), coupon=coupon, shipping=shipping, now=now
    )
    assert again == t


@given(weights=st.lists(st.integers(0, 10**7), max_size=12), data=st.data())
def test_allocate_properties(weights, data):
    whole = sum(weights)
    amount = data.draw(st.integers(0, whole)) if whole else 0
    parts = allocate(amount, weights)
    assert sum(parts) == amount
    assert allocate(amount, weights) == parts
    for part, weight in zip(parts, weights, strict=True):
        assert 0 <= part <= weight
        if weight == 0:
            assert part == 0
        else:  # each part is within one paisa of its exact share
            assert abs(part - Fraction(amount * weight, whole)) < 1
