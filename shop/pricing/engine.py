"""The pricing engine: from cart lines to the amounts a shopper pays (SPEC §6).

Everything here is a pure function over frozen dataclasses. There is no Flask, no
database and no clock: the caller loads sales, the coupon and the shipping rule, and
passes `now`. Money is an `int` number of paise everywhere; no floats are used.

The rules, in the order they are applied:

1. **Sales** are automatic. A sale applies to a line when the line's product or category
   is listed on it, and it is active when `starts_at <= now < ends_at` (a missing bound
   is open). Each active sale is tried alone on the list price and the lowest result
   wins; sales never stack. A percent sale takes off `price × pct / 100` rounded half up
   to the paisa; a fixed sale takes off its value per unit. A price never goes below 0.
   Equal results keep the sale with the lower id, so the answer never depends on order.
   A sale that takes nothing off is ignored, so the line does not count as on sale.
   The sale price is then rounded down to the shop's step (`Sale.round_to`, whole rupees
   by default; `shop.pricing.rounding`), never above the computed price. This is the one
   place a sale price is made: cards, product pages, the cart, checkout and the order
   lines all take it from `best_sale_price`.
2. **The coupon** (at most one) is checked against the lines after sales. It is refused,
   checking in this order, when it is switched off, not started, expired, used up
   overall, used up by this customer, when the order subtotal is below its minimum, or
   when no line is eligible. A line is eligible when it matches the coupon's product or
   category restriction (no restriction = every line), unless the coupon excludes sale
   items and the line is on sale. The discount is a percent of the eligible subtotal
   (rounded half up) or a fixed amount, then limited by the cap, then by the eligible
   subtotal, so it never makes a line or the order negative.
3. **Allocation**: the coupon discount is split over the eligible lines in proportion to
   their subtotals by largest remainder, so line amounts add up exactly to the order.
4. **Tax**: prices include GST. Each line's tax part is
   `round_half_up(total × rate / (100 + rate))`, where `total` is after the coupon.
5. **Shipping** is a flat fee, free when the subtotal after the coupon reaches
   `free_from`. An empty cart pays no shipping.

`Totals.savings` is the saving against MRP from list prices and sales; the coupon
discount is reported on its own. Datetimes must all be naive or all be aware.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Literal

from shop.pricing.money import format_money, percent_off
from shop.pricing.rounding import round_sale_price

__all__ = [
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

Kind = Literal["percent", "fixed"]


# --- inputs -------------------------------------------------------------------------


@dataclass(frozen=True)
class Sale:
    """An automatic discount on some products and/or categories."""

    id: int
    kind: Kind
    value: int  # percent: whole percent 1..100; fixed: paise off each unit
    product_ids: frozenset[int]  # both empty = applies to nothing
    category_ids: frozenset[int]
    starts_at: datetime | None
    ends_at: datetime | None
    # the shop's rounding step for sale prices, in paise (1 = none, 100 = whole rupees)
    round_to: int = 1


@dataclass(frozen=True)
class LineInput:
    """One cart line as the caller knows it; prices are per unit, tax inclusive."""

    key: int | str
    product_id: int
    category_id: int
    mrp: int
    price: int  # list price before sales, <= mrp
    quantity: int
    gst_rate: int  # whole percent

    def __post_init__(self) -> None:
        for name in ("mrp", "price", "quantity", "gst_rate"):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool):
                raise TypeError(f"{name} must be an int, not {type(value).__name__}")
        if self.quantity < 1:
            raise ValueError("quantity must be at least 1")
        if not 0 <= self.price <= self.mrp:
            raise ValueError("price must be between 0 and mrp")
        if self.gst_rate < 0:
            raise ValueError("gst_rate must not be negative")


@dataclass(frozen=True)
class Coupon:
    """A code the shopper enters. Use counts include held and final uses."""

    code: str
    kind: Kind
    value: int  # percent 1..100, or paise
    min_subtotal: int = 0  # on the order subtotal after sales, before the coupon
    max_discount: int | None = None
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    active: bool = True
    usage_limit: int | None = None
    times_used: int = 0
    per_customer_limit: int | None = None
    customer_uses: int = 0  # 0 when the customer is not known yet
    product_ids: frozenset[int] = frozenset()  # both empty = the whole order
    category_ids: frozenset[int] = frozenset()
    exclude_sale_items: bool = False


@dataclass(frozen=True)
class Shipping:
    fee: int
    free_from: int | None  # None = never free


# --- outputs ------------------------------------------------------------------------


@dataclass(frozen=True)
class PricedLine:
    key: int | str
    product_id: int
    category_id: int
    quantity: int
    gst_rate: int
    mrp: int  # per unit
    list_price: int  # per unit, before sales
    unit_price: int  # per unit, after the best sale
    sale_id: int | None
    mrp_total: int
    subtotal: int  # unit_price × quantity
    discount: int  # this line's share of the coupon discount
    total: int  # subtotal - discount
    tax: int  # GST part of total
    percent_off: int  # badge for unit_price against mrp, rounded down


@dataclass(frozen=True)
class CouponResult:
    ok: bool
    reason: str | None  # machine code when refused
    message: str  # words for the shopper
    discount: int  # 0 when refused


@dataclass(frozen=True)
class Totals:
    lines: tuple[PricedLine, ...]
    mrp_total: int
    subtotal: int  # after sales, before the coupon
    savings: int  # mrp_total - subtotal
    coupon: CouponResult | None
    discount: int  # coupon discount
    shipping: int
    free_shipping_gap: int  # more needed (after the coupon) for free shipping; 0 if n/a
    total: int  # subtotal - discount + shipping
    tax: int

    @property
    def item_count(self) -> int:
        return sum(line.quantity for line in self.lines)


# --- arithmetic ---------------------------------------------------------------------


def round_half_up_div(numerator: int, denominator: int) -> int:
    """Return numerator / denominator rounded to the nearest int, halves going up."""
    if numerator < 0 or denominator <= 0:
        raise ValueError("round_half_up_div needs numerator >= 0 and denominator > 0")
    return (2 * numerator + denominator) // (2 * denominator)


def tax_part(amount: int, rate: int) -> int:
    """Return the GST included in a tax-inclusive amount at a whole-percent rate."""
    return round_half_up_div(amount * rate, 100 + rate)


def allocate(amount: int, weights: Sequence[int]) -> list[int]:
    """Split `amount` in proportion to `weights` so the parts add up exactly.

    Each part starts as its rounded-down share; the paise left over go one each to the
    parts with the largest remainders, earlier positions first on ties.
    """
    if amount < 0 or any(w < 0 for w in weights):
        raise ValueError("allocate needs a non-negative amount and weights")
    whole = sum(weights)
    if whole == 0:
        if amount:
            raise ValueError("cannot allocate a positive amount over zero weights")
        return [0] * len(weights)
    parts = [amount * w // whole for w in weights]
    remainders = [amount * w % whole for w in weights]
    left_over = amount - sum(parts)
    by_remainder = sorted(range(len(weights)), key=lambda i: (-remainders[i], i))
    for i in by_remainder[:left_over]:
        parts[i] += 1
    return parts


def _is_open(starts_at: datetime | None, ends_at: datetime | None, now: datetime) -> bool:
    return (starts_at is None or starts_at <= now) and (ends_at is None or now < ends_at)


# --- sales --------------------------------------------------------------------------


def _apply_sale(sale: Sale, price: int) -> int:
    """The price after this sale alone, rounded down to the shop's step (see `rounding`)."""
    if sale.kind == "percent":
        reduced = max(price - round_half_up_div(price * sale.value, 100), 0)
    else:
        reduced = max(price - sale.value, 0)
    return round_sale_price(reduced, sale.round_to)


def best_sale_price(
    line: LineInput, sales: Iterable[Sale], now: datetime
) -> tuple[int, int | None]:
    """Return (unit price, sale id) for the best single sale, or (price, None)."""
    best_price, best_id = line.price, None
    for sale in sales:
        applies = line.product_id in sale.product_ids or line.category_id in sale.category_ids
        if not applies or not _is_open(sale.starts_at, sale.ends_at, now):
            continue
        price = _apply_sale(sale, line.price)
        if price < best_price or (
            price == best_price and best_id is not None and sale.id < best_id
        ):
            best_price, best_id = price, sale.id
    return best_price, best_id


def _price_line(line: LineInput, sales: Sequence[Sale], now: datetime) -> PricedLine:
    unit_price, sale_id = best_sale_price(line, sales, now)
    subtotal = unit_price * line.quantity
    return PricedLine(
        key=line.key,
        product_id=line.product_id,
        category_id=line.category_id,
        quantity=line.quantity,
        gst_rate=line.gst_rate,
        mrp=line.mrp,
        list_price=line.price,
        unit_price=unit_price,
        sale_id=sale_id,
        mrp_total=line.mrp * line.quantity,
        subtotal=subtotal,
        discount=0,
        total=subtotal,
        tax=tax_part(subtotal, line.gst_rate),
        percent_off=percent_off(line.mrp, unit_price),
    )


# --- coupons ------------------------------------------------------------------------


def is_eligible(coupon: Coupon, line: PricedLine) -> bool:
    """Whether the coupon's discount may be spread onto this line."""
    if coupon.exclude_sale_items and line.sale_id is not None:
        return False
    if not coupon.product_ids and not coupon.category_ids:
        return True
    return line.product_id in coupon.product_ids or line.category_id in coupon.category_ids


def _refuse(reason: str, message: str) -> CouponResult:
    return CouponResult(ok=False, reason=reason, message=message, discount=0)


def check_coupon(coupon: Coupon, lines: Sequence[PricedLine], now: datetime) -> CouponResult:
    """Decide whether the coupon applies to these priced lines, and for how much."""
    code = coupon.code
    if not coupon.active:
        return _refuse("inactive", f"{code} is not available.")
    if coupon.starts_at is not None and now < coupon.starts_at:
        return _refuse("not_started", f"{code} is not valid yet.")
    if coupon.ends_at is not None and now >= coupon.ends_at:
        return _refuse("expired", f"{code} has expired.")
    if coupon.usage_limit is not None and coupon.times_used >= coupon.usage_limit:
        return _refuse("limit_reached", f"{code} has been fully used.")
    if coupon.per_customer_limit is not None and (
        coupon.customer_uses >= coupon.per_customer_limit
    ):
        return _refuse("already_used", f"You have already used {code} as often as allowed.")
    if sum(line.subtotal for line in lines) < coupon.min_subtotal:
        return _refuse(
            "min_subtotal",
            f"{code} needs an order of {format_money(coupon.min_subtotal)} or more "
            "(after sale prices).",
        )
    eligible = sum(line.subtotal for line in lines if is_eligible(coupon, line))
    if eligible == 0:
        words = f"{code} does not apply to the items in your cart."
        if coupon.exclude_sale_items:
            words += " Items already on sale are not included."
        return _refuse("not_applicable", words)

    if coupon.kind == "percent":
        discount = round_half_up_div(eligible * coupon.value, 100)
    else:
        discount = coupon.value
    if coupon.max_discount is not None:
        discount = min(discount, coupon.max_discount)
    discount = max(min(discount, eligible), 0)
    return CouponResult(ok=True, reason=None, message="Coupon applied.", discount=discount)


# --- the whole cart -----------------------------------------------------------------


def _shipping_for(paid_subtotal: int, shipping: Shipping, empty: bool) -> tuple[int, int]:
    """Return (fee, gap to free shipping) for the subtotal after the coupon."""
    if empty:
        return 0, 0
    if shipping.free_from is None:
        return shipping.fee, 0
    if paid_subtotal >= shipping.free_from:
        return 0, 0
    return shipping.fee, shipping.free_from - paid_subtotal


def calculate_totals(
    lines: Sequence[LineInput],
    *,
    sales: Iterable[Sale] = (),
    coupon: Coupon | None = None,
    shipping: Shipping,
    now: datetime,
) -> Totals:
    """Price a cart: sales, then the coupon, then tax and shipping."""
    sales = tuple(sales)
    priced = [_price_line(line, sales, now) for line in lines]

    result = check_coupon(coupon, priced, now) if coupon is not None else None
    if result is not None and result.ok:
        eligible = [i for i, line in enumerate(priced) if is_eligible(coupon, line)]
        shares = allocate(result.discount, [priced[i].subtotal for i in eligible])
        for i, share in zip(eligible, shares, strict=True):
            line = priced[i]
            total = line.subtotal - share
            priced[i] = replace(
                line, discount=share, total=total, tax=tax_part(total, line.gst_rate)
            )

    mrp_total = sum(line.mrp_total for line in priced)
    subtotal = sum(line.subtotal for line in priced)
    discount = sum(line.discount for line in priced)
    fee, gap = _shipping_for(subtotal - discount, shipping, empty=not priced)
    return Totals(
        lines=tuple(priced),
        mrp_total=mrp_total,
        subtotal=subtotal,
        savings=mrp_total - subtotal,
        coupon=result,
        discount=discount,
        shipping=fee,
        free_shipping_gap=gap,
        total=subtotal - discount + fee,
        tax=sum(line.tax for line in priced),
    )
