"""Payment line items in whole units: the quantity stays, the amounts add up exactly."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shop.pricing.units import unit_groups


@given(total=st.integers(0, 10**9), quantity=st.integers(1, 1000))
def test_groups_keep_the_quantity_and_the_total(total, quantity):
    groups = unit_groups(total, quantity)
    assert 1 <= len(groups) <= 2
    assert sum(units for _, units in groups) == quantity
    assert sum(unit * units for unit, units in groups) == total
    assert all(units > 0 and unit >= 0 for unit, units in groups)
    amounts = [unit for unit, _ in groups]
    assert max(amounts) - min(amounts) <= 1


def test_an_even_split_is_one_group():
    assert unit_groups(133800, 2) == [(66900, 2)]
    assert unit_groups(1001, 2) == [(500, 1), (501, 1)]


@pytest.mark.parametrize("total, quantity", [(100, 0), (-1, 1)])
def test_nonsense_is_refused(total, quantity):
    with pytest.raises(ValueError):
        unit_groups(total, quantity)
