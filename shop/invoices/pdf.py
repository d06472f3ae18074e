"""The tax invoice and its credit notes as PDFs, drawn with fpdf2 (pure Python,
installed by pip alone).

The DejaVu Sans fonts shipped in `fonts/` (Bitstream Vera licence, see fonts/LICENSE)
carry the rupee sign, so amounts read as they do on the HTML invoice.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from fpdf import FPDF

from shop.invoices.models import CreditNote, Invoice
from shop.invoices.service import DocumentRow, credit_note_rows, invoice_rows
from shop.pricing.gst import Split
from shop.pricing.money import format_money

FONTS = Path(__file__).parent / "fonts"


class _Document(FPDF):
    def footer(self) -> None:
        self.set_y(-12)
        self.set_font("DejaVu", size=7)
        self.cell(0, 5, f"Page {self.page_no()}/{{nb}}", align="C")


INVOICE_NOTE = (
    "Prices include GST. Tax is payable on reverse charge: No. "
    "This is a computer-generated invoice and needs no signature."
)
CREDIT_NOTE_NOTE = (
    "This credit note reduces the value and the GST of the invoice it refers to by the "
    "amounts above, for money refunded to the buyer. It is computer-generated and needs "
    "no signature."
)


@dataclass(frozen=True)
class Sheet:
    """What a tax document shows: its title, the facts under the seller, the buyer, the
    rows, the totals and a closing note."""

    title: str
    seller: Invoice  # the seller as the invoice froze it
    facts: list[tuple[str, str]]
    buyer_heading: str
    buyer: list[str]
    rows: list[DocumentRow]
    total: Split
    total_label: str
    closing: str


def invoice_pdf(invoice: Invoice, *, buyer: list[str], place_of_supply: str) -> bytes:
    """Render `invoice` (with the buyer's name and address lines) to PDF bytes."""
    facts = [
        ("Invoice number", invoice.number),
        ("Invoice date", invoice.issued_on.strftime("%d %b %Y")),
        ("Order", invoice.order.number),
        ("Place of supply", place_of_supply),
    ]
    sheet = Sheet(
        "TAX INVOICE",
        invoice,
        facts,
        "Billed and shipped to",
        buyer,
        invoice_rows(invoice),
        invoice.split,
        "Invoice total",
        INVOICE_NOTE,
    )
    return _render(sheet, f"Tax invoice {invoice.number}")


def credit_note_pdf(note: CreditNote, *, buyer: list[str], place_of_supply: str) -> bytes:
    """Render a refund's credit note (against its invoice) to PDF bytes."""
    invoice = note.invoice
    facts = [
        ("Credit note number", note.number),
        ("Credit note date", note.issued_on.strftime("%d %b %Y")),
        ("Against invoice", f"{invoice.number} of {invoice.issued_on:%d %b %Y}"),
        ("Order", invoice.order.number),
        ("Place of supply", place_of_supply),
        ("Reason", "Refund to the buyer"),
    ]
    sheet = Sheet(
        "CREDIT NOTE",
        invoice,
        facts,
        "Buyer",
        buyer,
        credit_note_rows(note),
        note.split,
        "Credit note total",
        CREDIT_NOTE_NOTE,
    )
    return _render(sheet, f"Credit note {note.number}")


def _render(sheet: Sheet, title: str) -> bytes:
    pdf = _Document(orientation="P", unit="mm", format="A4")
    pdf.set_title(title)
    pdf.set_author(sheet.seller.seller_name)
    pdf.add_font("DejaVu", "", str(FONTS / "DejaVuSans.ttf"))
    pdf.add_font("DejaVu", "B", str(FONTS / "DejaVuSans-Bold.ttf"))
    pdf.set_auto_page_break(auto=True, margin=16)
    pdf.add_page()
    _head(pdf, sheet)
    _table(pdf, sheet.rows, intra=sheet.seller.intra_state)
    _totals(pdf, sheet)
    return bytes(pdf.output())


def _head(pdf: FPDF, sheet: Sheet) -> None:
    width, seller = pdf.epw, sheet.seller
    pdf.set_font("DejaVu", "B", 16)
    pdf.cell(width, 9, sheet.title, new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("DejaVu", "B", 10)
    pdf.cell(width, 6, seller.seller_name, new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("DejaVu", "", 9)
    pdf.multi_cell(width, 4.5, seller.seller_address, new_x="LMARGIN", new_y="NEXT")
    pdf.cell(
        width,
        5,
        f"GSTIN: {seller.seller_gstin}    State code: {seller.seller_state}",
        new_x="LMARGIN",
        new_y="NEXT",
    )
    pdf.ln(3)
    for label, value in sheet.facts:
        pdf.set_font("DejaVu", "B", 9)
        pdf.cell(36, 5, label)
        pdf.set_font("DejaVu", "", 9)
        pdf.multi_cell(width - 36, 5, value, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)
    pdf.set_font("DejaVu", "B", 9)
    pdf.cell(width, 5, sheet.buyer_heading, new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("DejaVu", "", 9)
    for line in sheet.buyer:
        pdf.multi_cell(width, 4.5, line, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(3)


def _table(pdf: FPDF, rows: list[DocumentRow], *, intra: bool) -> None:
    heads = ["CGST", "SGST"] if intra else ["IGST"]
    header = ["#", "Description", "HSN/SAC", "Qty", "Taxable value", "Rate", *heads, "Amount"]
    widths = [7, 58, 17, 14, 24, 11, *([18, 18] if intra else [24]), 23]
    scale = pdf.epw / sum(widths)
    widths = [w * scale for w in widths]
    pdf.set_font("DejaVu", "B", 8)
    for text, w in zip(header, widths, strict=True):
        pdf.cell(w, 6, text, border=1, align="C")
    pdf.ln()
    pdf.set_font("DejaVu", "", 8)
    for line in rows:
        split = line.split
        tax_cells = (
            [format_money(split.cgst), format_money(split.sgst)]
            if intra
            else [format_money(split.igst)]
        )
        row = [
            str(line.position),
            line.description,
            line.hsn,
            line.quantity,
            format_money(split.taxable),
            f"{line.rate}%",
            *tax_cells,
            format_money(split.total),
        ]
        # The description wraps; every cell of the row takes its height.
        lines_needed = len(pdf.multi_cell(widths[1], 5, row[1], dry_run=True, output="LINES"))
        height = 5 * max(1, lines_needed)
        y = pdf.get_y()
        if y + height > pdf.page_break_trigger:
            pdf.add_page()
            y = pdf.get_y()
        x = pdf.l_margin
        for i, (text, w) in enumerate(zip(row, widths, strict=True)):
            pdf.set_xy(x, y)
            if i == 1:
                pdf.multi_cell(w, 5, text, border=0, max_line_height=5)
                pdf.set_xy(x, y)
                pdf.rect(x, y, w, height)
            else:
                pdf.cell(w, height, text, border=1, align="L" if i < 4 else "R")
            x += w
        pdf.set_xy(pdf.l_margin, y + height)


def _totals(pdf: FPDF, sheet: Sheet) -> None:
    width, total = pdf.epw, sheet.total
    pdf.ln(3)
    totals = [("Taxable value", total.taxable)]
    if sheet.seller.intra_state:
        totals += [("CGST", total.cgst), ("SGST", total.sgst)]
    else:
        totals += [("IGST", total.igst)]
    totals += [(sheet.total_label, total.total)]
    for label, amount in totals:
        bold = label == sheet.total_label
        pdf.set_font("DejaVu", "B" if bold else "", 10 if bold else 9)
        pdf.cell(width - 40, 6, label, align="R")
        pdf.cell(40, 6, format_money(amount), align="R", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
    pdf.set_font("DejaVu", "", 7.5)
    pdf.multi_cell(width, 4, sheet.closing, new_x="LMARGIN", new_y="NEXT")
