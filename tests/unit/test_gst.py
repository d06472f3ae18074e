"""GST arithmetic: splits, invoice lines, credit notes, GSTINs and document numbers."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shop.pricing.engine import tax_part
from shop.pricing.gst import (
    Split,
    Supply,
    credit_splits,
    document_number,
    financial_year,
    gstin_check_char,
    gstin_problem,
    invoice_lines,
    principal_rate,
    split_tax,
    total_of,
)

RATES = st.sampled_from([0, 5, 12, 18, 28])


@st.composite
def supplies(draw):
    count = draw(st.integers(0, 6))
    result = []
    for i in range(count):
        rate = draw(RATES)
        amount = draw(st.integers(0, 5_000_000))
        result.append(
            Supply(
                f"item {i}",
                "3004",
                draw(st.integers(1, 9)),
                "pcs",
                rate,
                amount,
                tax_part(amount, rate),
            )
        )
    return result


def test_split_examples():
    assert split_tax(11200, 1200, intra_state=True) == Split(10000, 600, 600, 0)
    assert split_tax(11201, 1201, intra_state=True) == Split(10000, 600, 601, 0)  # odd → SGST
    assert split_tax(11200, 1200, intra_state=False) == Split(10000, 0, 0, 1200)


@given(st.integers(0, 10**9), st.integers(0, 10**9), st.booleans())
def test_split_always_adds_up_to_the_tax(a, b, intra):
    amount, tax = max(a, b), min(a, b)
    split = split_tax(amount, tax, intra_state=intra)
    assert split.tax == tax and split.total == amount
    if intra:
        assert split.igst == 0 and split.sgst - split.cgst in (0, 1)
    else:
        assert split.cgst == split.sgst == 0


@given(supplies(), st.integers(0, 10_000), st.booleans())
def test_invoice_always_sums_to_the_order_total(lines, shipping, intra):
    result = invoice_lines(lines, shipping, intra_state=intra)
    order_total = sum(s.amount for s in lines) + shipping
    assert total_of([line.split for line in result]).total == order_total
    for supply, line in zip(lines, result, strict=False):
        assert line.split.tax == supply.tax
        assert line.split.taxable == supply.amount - supply.tax
    shipping_lines = [line for line in result if line.is_shipping]
    assert len(shipping_lines) == (1 if shipping else 0)
    if shipping:
        assert shipping_lines[0].rate == principal_rate(lines)
        assert shipping_lines[0].split.tax == tax_part(shipping, principal_rate(lines))


def test_shipping_takes_the_rate_of_the_largest_taxable_value():
    lines = [
        Supply("oil", "3004", 1, "pcs", 12, 34900, tax_part(34900, 12)),
        Supply("pack", "9019", 1, "pcs", 18, 29900, tax_part(29900, 18)),
    ]
    ship = invoice_lines(lines, 4900, intra_state=False)[-1]
    assert ship.rate == 12 and ship.split == Split(4900 - 525, 0, 0, 525)


@given(supplies(), st.integers(0, 10_000), st.booleans(), st.data())
def test_credit_notes_split_in_proportion_and_reverse_the_invoice(lines, shipping, intra, data):
    invoice = [line.split for line in invoice_lines(lines, shipping, intra_state=intra)]
    total = sum(s.total for s in invoice)
    refunds = data.draw(st.lists(st.integers(1, max(total, 1)), max_size=5))
    remaining, refunded = invoice, 0
    for refund in refunds:
        amount = min(refund, total - refunded)
        if amount <= 0:
            break
        credit = credit_splits(remaining, amount)
        assert total_of(credit).total == amount
        for c, r in zip(credit, remaining, strict=True):
            assert c.taxable <= r.taxable
            assert min(c.cgst, c.sgst, c.igst, c.taxable) >= 0
            assert c.cgst <= r.cgst and c.sgst <= r.sgst and c.igst <= r.igst
            if not intra:
                assert c.cgst == c.sgst == 0
        remaining = [r - c for r, c in zip(remaining, credit, strict=True)]
        refunded += amount
    # Refunding what is left reverses the invoice exactly, line by line and per tax head.
    last = credit_splits(remaining, total - refunded)
    assert [r - c for r, c in zip(remaining, last, strict=True)] == [Split(0, 0, 0, 0)] * len(
        invoice
    )


def test_credit_note_tax_is_proportional():
    invoice = [split_tax(11200, 1200, intra_state=True)]
    assert credit_splits(invoice, 5600) == [Split(5000, 300, 300, 0)]
    with pytest.raises(ValueError):
        credit_splits(invoice, 11201)


def test_gstin_check_digit_matches_a_published_example():
    assert gstin_check_char("27AAPFU0939F1Z") == "V"
    assert gstin_problem("27AAPFU0939F1ZV") is None
    assert "check character" in gstin_problem("27AAPFU0939F1ZA")
    for bad in ("", "27AAPFU0939F1Z", "27aapfu0939f1zv", "2XAAPFU0939F1ZV", "27AAPFU0939F1YV"):
        assert gstin_problem(bad) is not None


@given(st.text(alphabet="0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ", min_size=15, max_size=15))
def test_one_wrong_check_character_is_always_caught(value):
    good = value[:14] + gstin_check_char(value[:14])
    for char in "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ":
        if char != good[14]:
            assert gstin_problem(good[:14] + char) is not None


def test_financial_year_turns_on_the_first_of_april_in_india():
    assert financial_year(datetime(2026, 3, 31, 18, 29, tzinfo=UTC)) == "2526"  # 23:59 IST
    assert financial_year(datetime(2026, 3, 31, 18, 30, tzinfo=UTC)) == "2627"  # 00:00 IST
    assert financial_year(datetime(2099, 12, 1, tzinfo=UTC)) == "9900"


@given(st.integers(1, 9_999_999))
def test_document_numbers_fit_sixteen_characters(n):
    number = document_number("RS", "2627", n)
    assert len(number) <= 16 and number.startswith("RS/2627/")
    assert document_number("RS", "2627", 1) == "RS/2627/000001"
