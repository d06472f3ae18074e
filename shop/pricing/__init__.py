"""Pricing: pure functions over integers and plain dataclasses.

Nothing in this package imports Flask or touches the database; callers load what a
calculation needs and pass it in. Money is always an `int` number of paise.
"""

from shop.pricing.engine import (
    Coupon,
    CouponResult,
    LineInput,
    PricedLine,
    Sale,
    Shipping,
    Totals,
    allocate,
    best_sale_price,
    calculate_totals,
    check_coupon,
    is_eligible,
    round_half_up_div,
    tax_part,
)
from shop.pricing.money import format_money, parse_rupees, percent_off, rupees_text

__all__ = [
    "format_money",
    "parse_rupees",
    "percent_off",
    "rupees_text",
    "Coupon",
    "CouponResult",
    "LineInput",
    "PricedLine",
    "Sale",
    "Shipping",
    "Totals",
    "allocate",
    "best_sale_price",
    "calculate_totals",
    "check_coupon",
    "is_eligible",
    "round_half_up_div",
    "tax_part",
]
