"""Back office: products and prices as CSV, exported and imported (SPEC §4, §8).

One row per variant, money in rupees as on a price tag. The import updates existing
variants matched by SKU (and their product's name and active flag); it never creates or
deletes anything. Every row is checked before anything is written, so a file is applied
whole or not at all, and only the rows that differ from the catalogue are written: an
exported file imported unchanged changes nothing and leaves no audit entries.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import date

from flask import Response, flash, redirect, render_template, request, url_for
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import contains_eager

from shop.catalog.models import Product, Variant
from shop.extensions import db
from shop.pricing.money import rupees_text
from shop.staff.audit import audit, snapshot
from shop.staff.base import bp, menu_item
from shop.staff.catalog import read_variant_values, sku_problem

menu_item(16, "staff.products_import", "CSV")

COLUMNS = (
    "sku",
    "product_slug",
    "product_name",
    "variant_label",
    "mrp",
    "price",
    "stock",
    "active",
)
MAX_CSV_BYTES = 5 * 1024 * 1024
MAX_ERRORS_SHOWN = 200
LOOKUP_CHUNK = 500  # SKUs per IN (...) query, well under SQLite's bound-parameter limit
BOOLEANS = {"true": True, "false": False}


class CsvError(Exception):
    """The file cannot be read as our CSV at all (400 or 413)."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


class ImportForm(FlaskForm):
    file = FileField("CSV file")


# --- export -------------------------------------------------------------------------------


# A spreadsheet runs a cell that starts with one of these as a formula. Export writes such
# text with a leading apostrophe (which spreadsheets hide) and import takes it off again.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def inert(text: str) -> str:
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def uninert(text: str) -> str:
    return text[1:] if text.startswith("'") and text[1:].startswith(FORMULA_STARTS) else text


@bp.get("/products/export.csv")
def products_export():
    """Every variant with its product, in the columns the import reads back."""
    rows = db.session.execute(
        select(
            Variant.sku,
            Product.slug,
            Product.name,
            Variant.label,
            Variant.mrp,
            Variant.price,
            Variant.stock,
            Product.active,
        )
        .join(Variant.product)
        .order_by(Product.slug, Variant.position, Variant.id)
    )
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(COLUMNS)
    for sku, slug, name, label, mrp, price, stock, active in rows:
        writer.writerow(
            [
                sku,
                slug,
                inert(name),
                inert(label),
                rupees_text(mrp),
                rupees_text(price),
                stock,
                "true" if active else "false",
            ]
        )
    filename = f"products-{date.today().isoformat()}.csv"
    return Response(
        out.getvalue(),
        mimetype="text/csv",
        headers={
            "Content-Disposition": f'attachment; filename="{filename}"',
            "Cache-Control": "no-store",
        },
    )


# --- import -------------------------------------------------------------------------------


@dataclass
class Row:
    """One data line of the file, read and checked."""

    line: int
    sku: str
    product_slug: str
    product_name: str
    variant_label: str
    active: bool | None
    numbers: dict[str, int] = field(default_factory=dict)


@dataclass
class ImportResult:
    rows: int = 0
    variants: list[str] = field(default_factory=list)  # SKUs updated
    products: list[str] = field(default_factory=list)  # slugs updated

    @property
    def changed(self) -> bool:
        return bool(self.variants or self.products)


def read_csv(data: bytes) -> tuple[list[str], list[tuple[int, list[str]]]]:
    """Decode and split the file: its header and (line number, values) per record.

    The line number is where the record starts (the header is line 1), so a quoted value
    spanning lines does not shift the numbers of the rows after it. Blank lines are
    skipped. Raises CsvError for anything that is not UTF-8 CSV text.
    """
    try:
        text = data.decode("utf-8-sig")  # spreadsheets often start UTF-8 files with a BOM
    except UnicodeDecodeError as error:
        raise CsvError(
            "This file is not UTF-8 text; save it as “CSV UTF-8” and try again."
        ) from error
    if "\x00" in text:
        raise CsvError("This file is not CSV text.")
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    records: list[tuple[int, list[str]]] = []
    end = 0
    try:
        for values in reader:
            start, end = end + 1, reader.line_num
            if values:
                records.append((start, values))
    except csv.Error as error:
        raise CsvError(f"Line {end + 1} cannot be read as CSV: {error}.") from error
    if not records:
        raise CsvError("The file is empty; it needs the header line and one line per variant.")
    (_, header), *rows = records
    return [name.strip().lower() for name in header], rows


def check_header(header: list[str]) -> dict[str, int]:
    """The position of each column, or CsvError naming what is wrong with the header."""
    expected = "The first line must name the columns: " + ",".join(COLUMNS) + "."
    missing = [name for name in COLUMNS if name not in header]
    unknown = [name for name in header if name not in COLUMNS]
    repeated = sorted({name for name in header if header.count(name) > 1})
    problems = []
    if missing:
        problems.append("missing " + ", ".join(missing))
    if unknown:
        problems.append("unknown " + ", ".join(repr(name) for name in unknown))
    if repeated:
        problems.append("repeated " + ", ".join(repeated))
    if problems:
        raise CsvError(f"{expected} This header has: {'; '.join(problems)}.")
    return {name: header.index(name) for name in COLUMNS}


LineErrors = list[tuple[int, str]]  # (line number, what is wrong there)


def parse_rows(
    records: list[tuple[int, list[str]]], positions: dict[str, int], errors: LineErrors
) -> list[Row]:
    """Read every record into a Row, adding (line, message) to `errors` per problem."""
    rows = []
    for line, values in records:
        if len(values) != len(COLUMNS):
            errors.append((line, f"expected {len(COLUMNS)} values, found {len(values)}."))
            continue
        cell = {name: values[positions[name]].strip() for name in COLUMNS}
        cell["product_name"] = uninert(cell["product_name"])
        cell["variant_label"] = uninert(cell["variant_label"])
        problems = []
        problem = sku_problem(cell["sku"])
        if problem:
            problems.append(f"sku: {problem}")
        if not cell["product_slug"]:
            problems.append("product_slug: enter the product's slug.")
        if not cell["product_name"] or len(cell["product_name"]) > 200:
            problems.append("product_name: enter a name of at most 200 characters.")
        if not cell["variant_label"] or len(cell["variant_label"]) > 120:
            problems.append("variant_label: enter a label of at most 120 characters.")
        active = BOOLEANS.get(cell["active"].lower())
        if active is None:
            problems.append(f"active: write true or false, not {cell['active']!r}.")
        numbers, number_errors = read_variant_values(cell["mrp"], cell["price"], cell["stock"])
        problems += [f"{name}: {message}" for name, message in number_errors.items()]
        errors += [(line, problem) for problem in problems]
        rows.append(
            Row(
                line,
                cell["sku"],
                cell["product_slug"],
                cell["product_name"],
                cell["variant_label"],
                active,
                numbers,
            )
        )
    return rows


def load_variants(skus: list[str]) -> dict[str, Variant]:
    """The variants with these SKUs, with their products, in a few queries."""
    found: dict[str, Variant] = {}
    for start in range(0, len(skus), LOOKUP_CHUNK):
        chunk = skus[start : start + LOOKUP_CHUNK]
        stmt = (
            select(Variant)
            .join(Variant.product)
            .options(contains_eager(Variant.product))
            .where(Variant.sku.in_(chunk))
        )
        found |= {variant.sku: variant for variant in db.session.scalars(stmt)}
    return found


def match_rows(rows: list[Row], errors: LineErrors) -> dict[str, Variant]:
    """Match rows to variants by SKU and check what must agree across rows."""
    seen: dict[str, int] = {}
    for row in rows:
        if row.sku in seen:
            errors.append((row.line, f"sku: {row.sku} is already on line {seen[row.sku]}."))
        seen.setdefault(row.sku, row.line)
    variants = load_variants(list(seen))
    first_of_product: dict[int, Row] = {}
    for row in rows:
        variant = variants.get(row.sku)
        if variant is None:
            errors.append(
                (
                    row.line,
                    f"sku: there is no variant {row.sku!r} (the import "
                    "only updates existing variants).",
                )
            )
            continue
        if row.product_slug != variant.product.slug:
            errors.append(
                (
                    row.line,
                    f"product_slug: {row.sku} belongs to "
                    f"{variant.product.slug}, not {row.product_slug!r}.",
                )
            )
            continue
        first = first_of_product.setdefault(variant.product_id, row)
        if first is not row:
            for column in ("product_name", "active"):
                if getattr(first, column) != getattr(row, column):
                    errors.append(
                        (
                            row.line,
                            f"{column}: differs from line {first.line}, "
                            f"which has the same product.",
                        )
                    )
    return variants


def apply_rows(rows: list[Row], variants: dict[str, Variant]) -> ImportResult:
    """Write the rows that differ from the catalogue, each with an audit entry."""
    result = ImportResult(rows=len(rows))
    done_products: set[int] = set()
    for row in rows:
        variant = variants[row.sku]
        product = variant.product
        if product.id not in done_products:
            done_products.add(product.id)
            wanted = {"name": row.product_name, "active": row.active}
            if product.name.strip() != row.product_name or product.active != row.active:
                before = snapshot(product)
                for name, value in wanted.items():
                    setattr(product, name, value)
                db.session.flush()
                audit(
                    "update",
                    "product",
                    product.id,
                    before=before,
                    after=snapshot(product),
                    summary=f"CSV import changed {product.slug}",
                )
                result.products.append(product.slug)
        wanted = {"label": row.variant_label} | row.numbers
        if variant.label.strip() != row.variant_label or any(
            getattr(variant, name) != value for name, value in row.numbers.items()
        ):
            before = snapshot(variant)
            for name, value in wanted.items():
                setattr(variant, name, value)
            db.session.flush()
            audit(
                "update",
                "variant",
                variant.id,
                before=before,
                after=snapshot(variant),
                summary=f"CSV import changed {variant.sku} (line {row.line})",
            )
            result.variants.append(variant.sku)
    return result


def import_products(data: bytes, filename: str) -> tuple[ImportResult | None, LineErrors]:
    """Check the whole file, then apply it all or nothing.

    Returns the result, or None and the errors sorted by line. Raises CsvError when the
    file is unreadable or its header is wrong. The caller commits.
    """
    header, records = read_csv(data)
    positions = check_header(header)
    errors: LineErrors = []
    rows = parse_rows(records, positions, errors)
    variants = match_rows(rows, errors)
    if errors:
        return None, sorted(errors, key=lambda error: error[0])
    with db.session.no_autoflush:
        result = apply_rows(rows, variants)
    if result.changed:
        audit(
            "import",
            "catalogue",
            filename[:80] or "products.csv",
            after={
                "rows": result.rows,
                "variants": result.variants[:1000],
                "products": result.products[:1000],
            },
            summary=f"CSV import of {result.rows} rows: {len(result.variants)} variants and "
            f"{len(result.products)} products changed",
        )
    return result, []


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


@bp.route("/products/import", methods=["GET", "POST"])
def products_import():
    """The upload form, and the import itself (multipart field `file`)."""
    form = ImportForm()
    if request.method == "GET":
        return _import_page(form)
    if not form.validate_on_submit():
        return _import_page(form, 400, problem="The form had expired; reload it and try again.")
    upload = form.file.data
    if upload is None or not upload.filename:
        return _import_page(form, 400, problem="Choose a CSV file to import.")
    data = upload.stream.read(MAX_CSV_BYTES + 1)
    try:
        if len(data) > MAX_CSV_BYTES:
            raise CsvError(
                f"The file is larger than {MAX_CSV_BYTES // (1024 * 1024)} MB; "
                "split it and import the parts one by one.",
                413,
            )
        result, errors = import_products(data, upload.filename)
    except CsvError as error:
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
