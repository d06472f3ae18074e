"""Rounding of sale prices to what Indian shelves show (whole rupees by default).

A sale computes a price to the paisa (a percent off rounds half up, SPEC §6); the shop
then shows and charges that price rounded *down* to its step, so the rounded price is
never above the computed one and a shopper never pays more than the sale promised.
A computed price below one step is left as it is, so a sale never makes a product free
by rounding.
"""

from __future__ import annotations

NO_ROUNDING = 1  # paise: the computed price as it is
RUPEE = 100


def round_sale_price(price: int, step: int) -> int:
    """`price` (paise) rounded down to a multiple of `step` paise; below one step unchanged."""
    if not isinstance(price, int) or isinstance(price, bool) or price < 0:
        raise ValueError("price must be a whole number of paise, not negative")
    if not isinstance(step, int) or isinstance(step, bool) or step < 1:
        raise ValueError("step must be a whole number of paise, at least 1")
    if price < step:
        return price
    return price - price % step


def parse_rounding(text: str) -> int:
    """The step in paise for a `SHOP_SALE_ROUNDING` value: `none`, `rupee` or whole rupees."""
    value = text.strip().lower()
    if value in ("none", "paisa", "0"):
        return NO_ROUNDING
    if value in ("", "rupee"):
        return RUPEE
    if value.isdigit() and value.isascii() and 0 < int(value) <= 1000:
        return int(value) * RUPEE
    raise ValueError(
        f"SHOP_SALE_ROUNDING must be 'none', 'rupee' or whole rupees from 1 to 1000, not {text!r}"
    )
