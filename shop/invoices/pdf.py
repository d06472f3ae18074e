"""The tax invoice as a PDF, drawn with fpdf2 (pure Python, installed by pip alone).

The DejaVu Sans fonts shipped in `fonts/` (Bitstream Vera licence, see fonts/LICENSE)
carry the rupee sign, so amounts read as they do on the HTML invoice.
"""

from __future__ import annotations

from pathlib import Path

from fpdf import FPDF

from shop.invoices.models import Invoice
from shop.pricing.money import format_money

FONTS = Path(__file__).parent / "fonts"


class _Document(FPDF):
    def footer(self) -> None:
        self.set_y(-12)
        self.set_font("DejaVu", size=7)
        self.cell(0, 5, f"Page {self.page_no()}/{{nb}}", align="C")


def invoice_pdf(invoice: Invoice, *, buyer: list[str], place_of_supply: str) -> bytes:
    """Render `invoice` (with the buyer's name and address lines) to PDF bytes."""
    pdf = _Document(orientation="P", unit="mm", format="A4")
    pdf.set_title(f"Tax invoice {invoice.number}")
    pdf.set_author(invoice.seller_name)
    pdf.add_font("DejaVu", "", str(FONTS / "DejaVuSans.ttf"))
    pdf.add_font("DejaVu", "B", str(FONTS / "DejaVuSans-Bold.ttf"))
    pdf.set_auto_page_break(auto=True, margin=16)
    pdf.add_page()
    width = pdf.epw

    pdf.set_font("DejaVu", "B", 16)
    pdf.cell(width, 9, "TAX INVOICE", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("DejaVu", "B", 10)
    pdf.cell(width, 6, invoice.seller_name, new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("DejaVu", "", 9)
    pdf.multi_cell(width, 4.5, invoice.seller_address, new_x="LMARGIN", new_y="NEXT")
    pdf.cell(
        width,
        5,
        f"GSTIN: {invoice.seller_gstin}    State code: {invoice.seller_state}",
        new_x="LMARGIN",
        new_y="NEXT",
    )
    pdf.ln(3)

    facts = [
        ("Invoice number", invoice.number),
        ("Invoice date", invoice.issued_on.strftime("%d %b %Y")),
        ("Order", invoice.order.number),
        ("Place of supply", place_of_supply),
    ]
    for label, value in facts:
        pdf.set_font("DejaVu", "B", 9)
        pdf.cell(32, 5, label)
        pdf.set_font("DejaVu", "", 9)
        pdf.multi_cell(width - 32, 5, value, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)
    pdf.set_font("DejaVu", "B", 9)
    pdf.cell(width, 5, "Billed and shipped to", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("DejaVu", "", 9)
    for line in buyer:
        pdf.multi_cell(width, 4.5, line, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(3)

    intra = invoice.intra_state
    heads = ["CGST", "SGST"] if intra else ["IGST"]
    header = ["#", "Description", "HSN/SAC", "Qty", "Taxable value", "Rate", *heads, "Amount"]
    widths = [7, 58, 17, 14, 24, 11, *([18, 18] if intra else [24]), 23]
    scale = width / sum(widths)
    widths = [w * scale for w in widths]
    pdf.set_font("DejaVu", "B", 8)
    for text, w in zip(header, widths, strict=True):
        pdf.cell(w, 6, text, border=1, align="C")
    pdf.ln()
    pdf.set_font("DejaVu", "", 8)
    for line in invoice.lines:
        tax_cells = (
            [format_money(line.cgst), format_money(line.sgst)]
            if intra
            else [format_money(line.igst)]
        )
        row = [
            str(line.position),
            line.description,
            line.hsn,
            f"{line.quantity} {line.unit}",
            format_money(line.taxable),
            f"{line.rate}%",
            *tax_cells,
            format_money(line.total),
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

    pdf.ln(3)
    totals = [("Taxable value", invoice.taxable)]
    if intra:
        totals += [("CGST", invoice.cgst), ("SGST", invoice.sgst)]
    else:
        totals += [("IGST", invoice.igst)]
    totals += [("Invoice total", invoice.total)]
    for label, amount in totals:
        bold = label == "Invoice total"
        pdf.set_font("DejaVu", "B" if bold else "", 10 if bold else 9)
        pdf.cell(width - 40, 6, label, align="R")
        pdf.cell(40, 6, format_money(amount), align="R", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
    pdf.set_font("DejaVu", "", 7.5)
    pdf.multi_cell(
        width,
        4,
        "Prices include GST. Tax is payable on reverse charge: No. "
        "This is a computer-generated invoice and needs no signature.",
        new_x="LMARGIN",
        new_y="NEXT",
    )
    return bytes(pdf.output())
