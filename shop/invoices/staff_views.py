"""Back office: an order's invoice and credit note PDFs and the monthly GST register
(page and CSV).

The routes join the one staff blueprint, so its guard (staff and admins only) covers them.
"""

from __future__ import annotations

import csv
import io

from flask import Response, abort, render_template, request
from sqlalchemy import select

from shop.checkout.models import Order, looks_like_order_number
from shop.database import utcnow
from shop.extensions import db
from shop.invoices import service
from shop.invoices.views import credit_note_pdf_response, pdf_response
from shop.pricing.gst import IST
from shop.pricing.money import rupees_text
from shop.staff.base import bp, menu_item

menu_item(60, "staff.gst_report", "GST register")

# The columns of SPEC §12 in its order, then what a credit note refers to.
CSV_COLUMNS = [
    "number",
    "date",
    "order",
    "state_code",
    "taxable_value",
    "cgst",
    "sgst",
    "igst",
    "total",
    "type",
    "refers_to",
]


def _order(number: str) -> Order:
    order = (
        db.session.scalar(select(Order).where(Order.number == number))
        if looks_like_order_number(number)
        else None
    )
    if order is None:
        abort(404, description="There is no such order.")
    return order


@bp.get("/orders/<number>/invoice.pdf")
def order_invoice_pdf(number: str):
    return pdf_response(service.invoice_for(_order(number)))


@bp.get("/orders/<number>/credit-notes/<slug>.pdf")
def order_credit_note_pdf(number: str, slug: str):
    return credit_note_pdf_response(service.credit_note_for(_order(number), slug))


def _signed(paise: int) -> str:
    """Rupees as on a price tag, with a minus sign for credit notes."""
    return ("-" if paise < 0 else "") + rupees_text(abs(paise))


def _this_month() -> str:
    return utcnow().astimezone(IST).strftime("%Y-%m")


@bp.get("/reports/gst")
def gst_report():
    month = request.args.get("month") or _this_month()
    rows = service.register(month)
    return render_template(
        "invoices/staff_register.html",
        month=month,
        rows=rows,
        totals=service.register_totals(rows),
        invoices=[row for row in rows if row.kind == "invoice"],
        notes=[row for row in rows if row.kind != "invoice"],
    )


@bp.get("/reports/gst.csv")
def gst_report_csv():
    month = request.args.get("month", "")
    rows = service.register(month)  # 422 for anything but YYYY-MM
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for row in rows:
        split = row.split
        writer.writerow(
            [
                row.number,
                row.issued_on.isoformat(),
                row.order_number,
                row.state,
                _signed(split.taxable),
                _signed(split.cgst),
                _signed(split.sgst),
                _signed(split.igst),
                _signed(split.total),
                row.kind,
                row.refers_to,
            ]
        )
    return Response(
        out.getvalue(),
        mimetype="text/csv",
        headers={
            "Content-Disposition": f'attachment; filename="gst-register-{month}.csv"',
            "Cache-Control": "no-store",
        },
    )
