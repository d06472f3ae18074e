"""Sale prices are rounded down to the shop's step, never above the computed price."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shop.pricing import engine
from shop.pricing.rounding import RUPEE, parse_rounding, round_sale_price

NOW = datetime(2026, 11, 29, tzinfo=UTC)
prices = st.integers(min_value=0, max_value=10_000_000)
steps = st.sampled_from([1, 100, 500, 1000]) | st.integers(min_value=1, max_value=100_000)


@given(price=prices, step=steps)
def test_never_above_the_computed_price_and_within_one_step(price, step):
    rounded = round_sale_price(price, step)
    assert rounded <= price
    assert price - rounded < step


@given(price=prices, step=steps)
def test_a_multiple_of_the_step_unless_below_one_step(price, step):
    rounded = round_sale_price(price, step)
    if price >= step:
        assert rounded % step == 0 and rounded > 0
    else:
        assert rounded == price  # a cheap item never becomes free by rounding


@given(price=prices, step=steps)
def test_rounding_twice_changes_nothing(price, step):
    once = round_sale_price(price, step)
    assert round_sale_price(once, step) == once


@given(a=prices, b=prices, step=steps)
def test_order_is_kept(a, b, step):
    low, high = sorted((a, b))
    assert round_sale_price(low, step) <= round_sale_price(high, step)


def test_examples():
    assert round_sale_price(34_950, RUPEE) == 34_900  # ₹349.50 → ₹349
    assert round_sale_price(34_900, RUPEE) == 34_900
    assert round_sale_price(99, RUPEE) == 99
    assert round_sale_price(34_950, 1) == 34_950
    assert round_sale_price(34_950, 1000) == 34_000


@pytest.mark.parametrize("bad", [(-1, 100), (100, 0), (1.5, 100), (100, True)])
def test_bad_input_is_refused(bad):
    with pytest.raises(ValueError):
        round_sale_price(*bad)


def test_configuration_values():
    assert parse_rounding("rupee") == 100
    assert parse_rounding("none") == 1
    assert parse_rounding("10") == 1000
    for bad in ("half", "-1", "1001", "1.5"):
        with pytest.raises(ValueError):
            parse_rounding(bad)


@given(
    price=st.integers(min_value=1, max_value=5_000_000),
    percent=st.integers(min_value=1, max_value=100),
    step=st.sampled_from([1, 100, 1000]),
)
def test_the_engine_charges_the_rounded_sale_price(price, percent, step):
    sale = engine.Sale(1, "percent", percent, frozenset({7}), frozenset(), None, None, step)
    line = engine.LineInput(
        key=1, product_id=7, category_id=1, mrp=price, price=price, quantity=3, gst_rate=12
    )
    unrounded = max(price - engine.round_half_up_div(price * percent, 100), 0)
    unit, _sale = engine.best_sale_price(line, [sale], NOW)
    assert unit == round_sale_price(unrounded, step)
    totals = engine.calculate_totals(
        [line], sales=[sale], shipping=engine.Shipping(0, None), now=NOW
    )
    assert totals.lines[0].unit_price == unit
    assert totals.subtotal == unit * 3
