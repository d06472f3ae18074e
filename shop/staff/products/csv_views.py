"""Back office: the CSV export and the import form (multipart field `file`)."""

from __future__ import annotations

from datetime import date

from flask import Response, flash, redirect, render_template, request, url_for
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from sqlalchemy.exc import IntegrityError

from shop.errors import ShopError
from shop.extensions import db
from shop.staff.base import bp, menu_item
from shop.staff.products.csv_service import COLUMNS, export_chunks, import_products

menu_item(16, "staff.products_import", "CSV")

MAX_CSV_BYTES = 5 * 1024 * 1024
MAX_ERRORS_SHOWN = 200


class ImportForm(FlaskForm):
    file = FileField("CSV file")


@bp.get("/products/export.csv")
def products_export():
    """Every variant with its product, in the columns the import reads back.

    Streamed: the body is written batch by batch while the database is read, so a
    catalogue of any size costs the worker the same memory.
    """
    filename = f"products-{date.today().isoformat()}.csv"
    return Response(
        export_chunks(db.engine),
        mimetype="text/csv",
        headers={
            "Content-Disposition": f'attachment; filename="{filename}"',
            "Cache-Control": "no-store",
        },
    )


def _import_page(form: ImportForm, status: int = 200, errors=(), problem: str = ""):
    db.session.rollback()
    return render_template(
        "staff/catalog/csv_import.html",
        form=form,
        errors=list(errors)[:MAX_ERRORS_SHOWN],
        error_count=len(errors),
        problem=problem,
        columns=COLUMNS,
    ), status


def _read_upload(form: ImportForm) -> tuple[bytes, str]:
    """The uploaded file's bytes and name; ShopError when there is none or it is too big."""
    if not form.validate_on_submit():
        raise ShopError(400, "The form had expired; reload it and try again.")
    upload = form.file.data
    if upload is None or not upload.filename:
        raise ShopError(400, "Choose a CSV file to import.")
    data = upload.stream.read(MAX_CSV_BYTES + 1)
    if len(data) > MAX_CSV_BYTES:
        raise ShopError(
            413,
            f"The file is larger than {MAX_CSV_BYTES // (1024 * 1024)} MB; "
            "split it and import the parts one by one.",
        )
    return data, upload.filename


@bp.route("/products/import", methods=["GET", "POST"])
def products_import():
    """The upload form, and the import itself: all rows checked first, all or nothing."""
    form = ImportForm()
    if request.method == "GET":
        return _import_page(form)
    try:
        result, errors = import_products(*_read_upload(form))
    except ShopError as error:
        return _import_page(form, error.status, problem=error.message)
    if errors:
        return _import_page(
            form, 422, errors=errors, problem="Nothing was imported: fix these lines and try again."
        )
    try:
        db.session.commit()
    except IntegrityError:
        return _import_page(
            form,
            409,
            problem="The catalogue changed while importing; export a fresh file and try again.",
        )
    if result.changed:
        flash(
            f"Imported {result.rows} rows: {len(result.variants)} variants and "
            f"{len(result.products)} products changed.",
            "success",
        )
    else:
        flash(f"Nothing to change: all {result.rows} rows match the catalogue.", "notice")
    return redirect(url_for("staff.products_import"), 303)
