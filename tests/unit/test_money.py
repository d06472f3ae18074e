"""Money display and the % OFF rule (SPEC §6)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shop.pricing.money import format_money, parse_rupees, percent_off, rupees_text

paise = st.integers(min_value=0, max_value=10**12)


@pytest.mark.parametrize(
    ("amount", "shown"),
    [
        (71900, "₹719"),
        (12345600, "₹1,23,456"),
        (34950, "₹349.50"),
        (0, "₹0"),
        (5, "₹0.05"),
        (100, "₹1"),
        (10000000, "₹1,00,000"),
        (1234567890, "₹1,23,45,678.90"),
    ],
)
def test_format_money_uses_indian_grouping_and_hides_zero_paise(amount, shown):
    assert format_money(amount) == shown


@pytest.mark.parametrize("bad", [719.0, "719", None, True])
def test_format_money_refuses_anything_but_int(bad):
    with pytest.raises(TypeError):
        format_money(bad)


@pytest.mark.parametrize(
    ("mrp", "price", "off"),
    [
        (39900, 34900, 12),
        (79900, 71900, 10),
        (79900, 69900, 12),
        (100, 100, 0),
        (100, 99, 1),
        (10000, 9901, 0),
        (100, 150, 0),
        (3, 1, 66),
    ],
)
def test_percent_off_rounds_down(mrp, price, off):
    assert percent_off(mrp, price) == off


@pytest.mark.parametrize(
    ("text", "amount"),
    [
        ("719", 71900),
        ("349.50", 34950),
        ("349.5", 34950),
        ("₹1,23,456", 12345600),
        (" 12 ", 1200),
        ("0.05", 5),
    ],
)
def test_parse_rupees(text, amount):
    assert parse_rupees(text) == amount


@pytest.mark.parametrize("bad", ["", "-5", "1.234", "1e3", "abc", "12.", ".5", "NaN", "1 2"])
def test_parse_rupees_refuses_what_is_not_a_price(bad):
    with pytest.raises(ValueError):
        parse_rupees(bad)


@given(mrp=st.integers(min_value=1, max_value=10**9), price=st.integers(min_value=1))
def test_shown_discount_never_overstates_the_true_discount(mrp, price):
    price = min(price, mrp)
    shown = percent_off(mrp, price)
    # shown% of MRP is never more than what is really taken off …
    assert shown * mrp <= 100 * (mrp - price)
    # … and it is the largest whole percent with that property
    assert (shown + 1) * mrp > 100 * (mrp - price)
    assert 0 <= shown <= 99


@given(paise)
def test_formatting_round_trips(amount):
    assert parse_rupees(format_money(amount)) == amount
    assert parse_rupees(rupees_text(amount)) == amount


@given(paise)
def test_paise_shown_only_when_not_zero(amount):
    shown = format_money(amount)
    assert ("." in shown) == (amount % 100 != 0)
    assert shown.startswith("₹")


@given(
    st.integers(min_value=1, max_value=10**9),
    st.data(),
)
def test_net_of_refund_stays_within_the_line_and_follows_the_refund(order_total, data):
    from shop.pricing.money import net_of_refund

    amount = data.draw(st.integers(min_value=0, max_value=order_total))
    refunded = data.draw(st.integers(min_value=0, max_value=order_total))
    net = net_of_refund(amount, order_total, refunded)
    assert 0 <= net <= amount
    assert net_of_refund(amount, order_total, 0) == amount
    assert net_of_refund(amount, order_total, order_total) == 0
    more = data.draw(st.integers(min_value=refunded, max_value=order_total))
    assert net_of_refund(amount, order_total, more) <= net  # more refunded, less left


def test_net_of_refund_of_half_an_order():
    from shop.pricing.money import net_of_refund

    assert net_of_refund(71900, 143800, 71900) == 35950
    assert net_of_refund(34900, 34900 + 4900, 0) == 34900
