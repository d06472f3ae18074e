"""GST arithmetic for tax invoices and credit notes (SPEC §12): pure, paise only.

- A line's tax is the tax part recorded on the order line (prices include GST); its
  taxable value is `amount − tax`.
- Intra-state supply (delivery state == seller state) splits the tax into CGST + SGST,
  halves that add up exactly to the tax; an odd paisa goes to SGST. Otherwise IGST.
- Shipping is a line of its own, taxed at the rate of the principal supply: the line
  with the largest taxable value (the first one on ties).
- The invoice always sums to the order total: every line's parts add up to its amount.
- A credit note for a refund spreads the refunded value over what is still uncredited
  on each invoice line, in proportion (largest remainder), with each line's tax and its
  CGST/SGST/IGST taken in the same proportions. Credit notes that together refund the
  whole order reverse the invoice exactly, to the paisa and per tax head.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, timezone

from shop.pricing.engine import allocate, round_half_up_div, tax_part


@dataclass(frozen=True)
class Split:
    """A tax-inclusive amount in its parts: taxable + cgst + sgst + igst == total."""

    taxable: int
    cgst: int
    sgst: int
    igst: int

    @property
    def tax(self) -> int:
        return self.cgst + self.sgst + self.igst

    @property
    def total(self) -> int:
        return self.taxable + self.tax

    def __add__(self, other: Split) -> Split:
        return Split(
            self.taxable + other.taxable,
            self.cgst + other.cgst,
            self.sgst + other.sgst,
            self.igst + other.igst,
        )

    def __sub__(self, other: Split) -> Split:
        return Split(
            self.taxable - other.taxable,
            self.cgst - other.cgst,
            self.sgst - other.sgst,
            self.igst - other.igst,
        )


ZERO = Split(0, 0, 0, 0)


def split_tax(amount: int, tax: int, *, intra_state: bool) -> Split:
    """Split a tax-inclusive `amount` whose GST part is `tax` into its invoice heads."""
    if amount < 0 or tax < 0 or tax > amount:
        raise ValueError("split_tax needs 0 <= tax <= amount")
    if not intra_state:
        return Split(amount - tax, 0, 0, tax)
    cgst = tax // 2  # the odd paisa, if any, goes to SGST
    return Split(amount - tax, cgst, tax - cgst, 0)


@dataclass(frozen=True)
class Supply:
    """One order line as the invoice needs it (amount after discounts, tax inclusive)."""

    description: str
    hsn: str
    quantity: int
    unit: str
    rate: int
    amount: int
    tax: int


@dataclass(frozen=True)
class InvoiceLineAmounts:
    description: str
    hsn: str
    quantity: int
    unit: str
    rate: int
    split: Split
    is_shipping: bool = False


SHIPPING_DESCRIPTION = "Shipping and handling"
SHIPPING_HSN = "996812"  # SAC for courier services


def principal_rate(supplies: Sequence[Supply]) -> int:
    """The GST rate of the line with the largest taxable value (first on ties; 0 if none)."""
    best: Supply | None = None
    for supply in supplies:
        if best is None or supply.amount - supply.tax > best.amount - best.tax:
            best = supply
    return best.rate if best is not None else 0


def invoice_lines(
    supplies: Sequence[Supply], shipping: int, *, intra_state: bool
) -> list[InvoiceLineAmounts]:
    """The invoice's lines: each supply split by tax head, then shipping as its own line."""
    lines = [
        InvoiceLineAmounts(
            s.description,
            s.hsn,
            s.quantity,
            s.unit,
            s.rate,
            split_tax(s.amount, s.tax, intra_state=intra_state),
        )
        for s in supplies
    ]
    if shipping:
        rate = principal_rate(supplies)
        lines.append(
            InvoiceLineAmounts(
                SHIPPING_DESCRIPTION,
                SHIPPING_HSN,
                1,
                "service",
                rate,
                split_tax(shipping, tax_part(shipping, rate), intra_state=intra_state),
                is_shipping=True,
            )
        )
    return lines


def total_of(splits: Sequence[Split]) -> Split:
    result = ZERO
    for split in splits:
        result = result + split
    return result


def credit_splits(remaining: Sequence[Split], amount: int) -> list[Split]:
    """Credit `amount` over the invoice lines' still-uncredited parts, in proportion.

    `remaining[i]` is line i of the invoice less what earlier credit notes took from it.
    The result adds up exactly to `amount`, and no line gets more than it has left; when
    `amount` is everything left, the result is `remaining` itself.
    """
    left = sum(r.total for r in remaining)
    if amount < 0 or amount > left:
        raise ValueError("a credit must be between 0 and what is left on the invoice")
    shares = allocate(amount, [r.total for r in remaining])
    result = []
    for share, rest in zip(shares, remaining, strict=True):
        if share == rest.total:
            result.append(rest)
            continue
        tax = round_half_up_div(share * rest.tax, rest.total) if rest.total else 0
        if rest.igst:
            result.append(Split(share - tax, 0, 0, tax))
        else:
            # CGST rounded down, SGST the rest: neither can overtake what it has left.
            cgst = tax * rest.cgst // rest.tax if rest.tax else 0
            result.append(Split(share - tax, cgst, tax - cgst, 0))
    return result


# --- GSTIN: 2-digit state code, 10-character PAN, entity number, "Z", check character ---

_GSTIN_CHARS = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
_GSTIN_RE = re.compile(r"[0-9]{2}[A-Z]{5}[0-9]{4}[A-Z][1-9A-Z]Z[0-9A-Z]")


def gstin_check_char(first14: str) -> str:
    """The official mod-36 check character of a GSTIN's first 14 characters."""
    total = 0
    for i, char in enumerate(first14):
        product = _GSTIN_CHARS.index(char) * (2 if i % 2 else 1)
        total += product // 36 + product % 36
    return _GSTIN_CHARS[(36 - total % 36) % 36]


def gstin_problem(value: str) -> str | None:
    """Why `value` is not a well-formed GSTIN, or None when it is."""
    if not _GSTIN_RE.fullmatch(value):
        return (
            "a GSTIN has 15 characters: a 2-digit state code, a 10-character PAN "
            "(5 letters, 4 digits, 1 letter), an entity number, Z and a check character"
        )
    if gstin_check_char(value[:14]) != value[14]:
        return "its check character (the 15th) does not match the first 14"
    return None


# --- document numbers: consecutive per series and Indian financial year (April–March) ---

IST = timezone(timedelta(hours=5, minutes=30), "IST")  # India keeps no summer time


def financial_year(moment: datetime) -> str:
    """The financial year of a moment, as four digits: 2026-04-01 IST to 2027-03-31 → 2627.

    Naive datetimes are taken as UTC (how the shop stores them).
    """
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    local = moment.astimezone(IST)
    start = local.year if local.month >= 4 else local.year - 1
    return f"{start % 100:02d}{(start + 1) % 100:02d}"


def document_date(moment: datetime) -> date:
    """The date a tax document bears: its moment on India's calendar, whatever the shop's zone.

    Naive datetimes are taken as UTC (how the shop stores them).
    """
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(IST).date()


def document_number(series: str, year: str, sequence: int) -> str:
    """RS/2627/000001: at most 16 characters up to the ten-millionth document of a year."""
    if sequence < 1:
        raise ValueError("document sequences start at 1")
    number = f"{series}/{year}/{sequence:06d}"
    if len(number) > 16:
        raise ValueError(f"document number {number} is longer than 16 characters")
    return number
