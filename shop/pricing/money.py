"""Money as integer paise: showing it, reading it, and the "% OFF" badge.

- `format_money` is the only way the shop turns paise into text for people
  (templates reach it as the `money` filter): Babel, `en_IN` grouping, the rupee sign,
  and paise shown only when there are some: ₹719, ₹1,23,456, ₹349.50.
- `percent_off` never rounds a discount up: ₹399 → ₹349 is 12% OFF, not 13%.
"""

from __future__ import annotations

import re
from decimal import Decimal
from functools import lru_cache

from babel.numbers import format_currency

_WHOLE = "¤#,##,##0"
_WITH_PAISE = "¤#,##,##0.00"
_RUPEES_RE = re.compile(r"^(?P<whole>\d{1,12})(?:\.(?P<frac>\d{1,2}))?$")


@lru_cache(maxsize=4096)
def format_money(paise: int, currency: str = "INR", locale: str = "en_IN") -> str:
    """Format an amount of minor units for display: ₹719, ₹1,23,456, ₹349.50."""
    if not isinstance(paise, int) or isinstance(paise, bool):
        raise TypeError(f"money must be an int number of paise, not {type(paise).__name__}")
    pattern = _WHOLE if paise % 100 == 0 else _WITH_PAISE
    return format_currency(
        Decimal(paise) / 100,
        currency,
        format=pattern,
        locale=locale,
        currency_digits=False,
    )


def parse_rupees(text: str) -> int:
    """Read a price written as on a tag ("719", "349.50", "₹1,23,456") into paise.

    Raises ValueError for anything else: negative numbers, more than two decimals,
    exponents, blanks.
    """
    cleaned = text.strip().replace("₹", "").replace(",", "").strip()
    match = _RUPEES_RE.match(cleaned)
    if not match:
        raise ValueError(f"not an amount in rupees: {text!r}")
    frac = (match["frac"] or "").ljust(2, "0")
    return int(match["whole"]) * 100 + int(frac)


def rupees_text(paise: int) -> str:
    """Write paise as plain rupees for files: 71900 → "719", 34950 → "349.50"."""
    whole, frac = divmod(paise, 100)
    return str(whole) if frac == 0 else f"{whole}.{frac:02d}"


def percent_off(mrp: int, price: int) -> int:
    """Return the whole-percent discount from MRP, rounded down (0 when none)."""
    if mrp <= 0 or price >= mrp:
        return 0
    return (100 * (mrp - price)) // mrp


def net_of_refund(amount: int, order_total: int, refunded: int) -> int:
    """What is left of a line's `amount` once the order's refund is spread over it.

    A refund is shared by the order's lines in proportion to their amounts (the share
    rounded half up to the paisa): nothing refunded leaves `amount`, everything refunded
    leaves 0, and the result is never negative nor above `amount`.
    """
    if order_total <= 0 or refunded <= 0:
        return amount
    refunded = min(refunded, order_total)
    share = (2 * amount * refunded + order_total) // (2 * order_total)
    return amount - min(share, amount)
