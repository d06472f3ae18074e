"""Back office: the CSV export and the import form (multipart field `file`).

Files up to `SHOP_IMPORT_INLINE_BYTES` are imported in the request; larger ones (up to
MAX_CSV_BYTES) are queued as a background job and the staff member is sent to its
progress page, which refreshes itself until the job has finished.
"""

from __future__ import annotations

from datetime import date

from flask import Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from shop.errors import ShopError
from shop.extensions import db
from shop.jobs import service as jobs
from shop.jobs.models import Job
from shop.staff.base import bp, get_or_404, menu_item
from shop.staff.products.csv_job import outcome
from shop.staff.products.csv_service import COLUMNS, export_chunks, import_products

menu_item(16, "staff.products_import", "CSV")

MAX_CSV_BYTES = 40 * 1024 * 1024  # a 180,000-variant export is about 16 MB
RECENT_JOBS = 5
TOO_LARGE = (
    f"The file is larger than {MAX_CSV_BYTES // (1024 * 1024)} MB; "
    "split it and import the parts one by one."
)
MAX_ERRORS_SHOWN = 200


@bp.url_value_preprocessor
def _allow_large_csv(endpoint: str | None, values) -> None:
    """The import takes files above the shop's usual body limit. Set here because these
    preprocessors run before any `before_request` (which may read the form)."""
    if endpoint == "staff.products_import":
        request.max_content_length = MAX_CSV_BYTES + 64 * 1024  # the form around the file
        if (request.content_length or 0) > request.max_content_length:
            abort(413, description=TOO_LARGE)


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
    recent = db.session.scalars(select(Job).order_by(Job.id.desc()).limit(RECENT_JOBS)).all()
    return render_template(
        "staff/catalog/csv_import.html",
        form=form,
        errors=list(errors)[:MAX_ERRORS_SHOWN],
        error_count=len(errors),
        problem=problem,
        columns=COLUMNS,
        recent_jobs=recent,
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
        raise ShopError(413, TOO_LARGE)
    return data, upload.filename


@bp.route("/products/import", methods=["GET", "POST"])
def products_import():
    """The upload form, and the import itself: all rows checked first, all or nothing."""
    form = ImportForm()
    if request.method == "GET":
        return _import_page(form)
    try:
        data, filename = _read_upload(form)
    except ShopError as error:
        return _import_page(form, error.status, problem=error.message)
    if len(data) > current_app.config["SHOP_IMPORT_INLINE_BYTES"]:
        job = jobs.enqueue("csv_import", data, filename)
        return redirect(url_for("staff.job_status", job_id=job.id), 303)
    try:
        result, errors = import_products(data, filename)
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
    flash(outcome(result), "success" if result.changed else "notice")
    return redirect(url_for("staff.products_import"), 303)


@bp.get("/jobs/<int:job_id>")
def job_status(job_id: int):
    """A background job's progress; the page reloads itself until the job has finished."""
    job = get_or_404(Job, job_id)
    return render_template("staff/job.html", job=job, refresh_seconds=2)
