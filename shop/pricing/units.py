"""Whole-unit amounts for payment line items.

A payment provider shows each line as "unit amount × quantity". An order line's total
(after its share of the coupon) does not always divide evenly by its quantity, so it is
given as at most two groups of units whose amounts differ by one paisa: the quantity
stays the one the shopper ordered and the amounts still add up exactly.
"""

from __future__ import annotations


def unit_groups(total: int, quantity: int) -> list[tuple[int, int]]:
    """Split `total` paise over `quantity` units as [(unit_amount, units), …].

    At most two groups; the units add up to `quantity` and unit × units to `total`.
    """
    if quantity <= 0 or total < 0:
        raise ValueError("unit_groups needs a positive quantity and a non-negative total")
    base, extra = divmod(total, quantity)
    groups = [(base, quantity - extra), (base + 1, extra)]
    return [(unit, units) for unit, units in groups if units]
