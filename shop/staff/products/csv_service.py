"""Products and prices as CSV (SPEC §4, §8): reading, checking and applying a file.

One row per variant, money in rupees as on a price tag. The import updates existing
variants matched by SKU (and their product's name and active flag); it never creates or
deletes anything. Every row is checked before anything is written, so a file is applied
whole or not at all, and only the rows that differ from the catalogue are written: an
exported file imported unchanged changes nothing and leaves no audit entries.

Stock follows the product service's rule (README, "Stock edits"): the export carries
`stock_seen`, the stock at export time. A row whose `stock` equals its `stock_seen`
leaves the stock alone (units sold since stay sold); a changed one applies only while
the catalogue still holds `stock_seen`, otherwise the whole file is refused (409) with
the line and the current value. A file without the `stock_seen` column (or a row with it
empty) sets stock explicitly.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import contains_eager

from shop.catalog.models import Product, Variant
from shop.errors import ShopError
from shop.extensions import db
from shop.pricing.money import rupees_text
from shop.staff.audit import audit, snapshot
from shop.staff.products import csv_rx, service
from shop.staff.products import stock as stock_rule
from shop.staff.saving import Tracked, record_changes

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
# hsn: the product's HSN code (SPEC §12); prescription and limit columns: `csv_rx` (§15)
OPTIONAL_COLUMNS = ("hsn", "stock_seen", *csv_rx.COLUMNS)
EXPORT_COLUMNS = COLUMNS + OPTIONAL_COLUMNS
LOOKUP_CHUNK = 500  # SKUs per IN (...) query, well under SQLite's bound-parameter limit
BOOLEANS = {"true": True, "false": False}
LineErrors = list[tuple[int, str]]  # (line number, what is wrong there)

# A spreadsheet runs a cell that starts with one of these as a formula. Export writes such
# text with a leading apostrophe (which spreadsheets hide) and import takes it off again.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def inert(text: str) -> str:
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def uninert(text: str) -> str:
    return text[1:] if text.startswith("'") and text[1:].startswith(FORMULA_STARTS) else text


def export_rows():
    """The header and one row per variant, in the columns the import reads back."""
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
            Product.hsn,
            *csv_rx.EXPORTED,
        )
        .join(Variant.product)
        .order_by(Product.slug, Variant.position, Variant.id)
    )
    yield EXPORT_COLUMNS
    for sku, slug, name, label, mrp, price, stock, active, hsn, *rx in rows:
        yield [
            sku,
            slug,
            inert(name),
            inert(label),
            rupees_text(mrp),
            rupees_text(price),
            stock,
            "true" if active else "false",
            hsn,
            stock,
            *csv_rx.export_values(*rx),
        ]


def export_csv() -> str:
    out = io.StringIO()
    csv.writer(out).writerows(export_rows())
    return out.getvalue()


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
    stock_seen: int | None = None
    hsn: str | None = None  # None: the file leaves the product's HSN code alone
    rx: dict = field(default_factory=dict)  # prescription and limit values it sets


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
    skipped. Raises ShopError(400) for anything that is not UTF-8 CSV text.
    """
    try:
        text = data.decode("utf-8-sig")  # spreadsheets often start UTF-8 files with a BOM
    except UnicodeDecodeError as error:
        raise ShopError(
            400, "This file is not UTF-8 text; save it as “CSV UTF-8” and try again."
        ) from error
    if "\x00" in text:
        raise ShopError(400, "This file is not CSV text.")
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    records: list[tuple[int, list[str]]] = []
    end = 0
    try:
        for values in reader:
            start, end = end + 1, reader.line_num
            if values:
                records.append((start, values))
    except csv.Error as error:
        raise ShopError(400, f"Line {end + 1} cannot be read as CSV: {error}.") from error
    if not records:
        raise ShopError(
            400, "The file is empty; it needs the header line and one line per variant."
        )
    (_, header), *rows = records
    return [name.strip().lower() for name in header], rows


def check_header(header: list[str]) -> dict[str, int]:
    """The position of each column, or ShopError(400) naming what is wrong."""
    expected = "The first line must name the columns: " + ",".join(COLUMNS) + "."
    missing = [name for name in COLUMNS if name not in header]
    unknown = [name for name in header if name not in EXPORT_COLUMNS]
    repeated = sorted({name for name in header if header.count(name) > 1})
    problems = []
    if missing:
        problems.append("missing " + ", ".join(missing))
    if unknown:
        problems.append("unknown " + ", ".join(repr(name) for name in unknown))
    if repeated:
        problems.append("repeated " + ", ".join(repeated))
    if problems:
        raise ShopError(400, f"{expected} This header has: {'; '.join(problems)}.")
    return {name: header.index(name) for name in EXPORT_COLUMNS if name in header}


def _cell_problems(cell: dict[str, str]) -> list[str]:
    problems = []
    problem = service.sku_problem(cell["sku"])
    if problem:
        problems.append(f"sku: {problem}")
    if not cell["product_slug"]:
        problems.append("product_slug: enter the product's slug.")
    if not cell["product_name"] or len(cell["product_name"]) > 200:
        problems.append("product_name: enter a name of at most 200 characters.")
    if not cell["variant_label"] or len(cell["variant_label"]) > 120:
        problems.append("variant_label: enter a label of at most 120 characters.")
    if cell["active"].lower() not in BOOLEANS:
        problems.append(f"active: write true or false, not {cell['active']!r}.")
    if cell.get("hsn") and not service.HSN_RE.match(cell["hsn"]):
        problems.append(f"hsn: {service.HSN_MESSAGE}")
    return problems


def parse_row(line: int, values: list[str], positions: dict[str, int], errors: LineErrors):
    """Read one record into a Row, adding (line, message) to `errors` per problem."""
    if len(values) != len(positions):
        errors.append((line, f"expected {len(positions)} values, found {len(values)}."))
        return None
    cell = {name: values[index].strip() for name, index in positions.items()}
    cell["product_name"] = uninert(cell["product_name"])
    cell["variant_label"] = uninert(cell["variant_label"])
    problems = _cell_problems(cell)
    numbers, number_errors = service.read_variant_values(cell["mrp"], cell["price"], cell["stock"])
    problems += [f"{name}: {message}" for name, message in number_errors.items()]
    seen = None
    if cell.get("stock_seen"):
        seen, problem = stock_rule.read_stock(cell["stock_seen"])
        if problem:
            problems.append(f"stock_seen: {problem}")
    rx, rx_problems = csv_rx.read_values(cell)
    errors += [(line, problem) for problem in problems + rx_problems]
    active = BOOLEANS.get(cell["active"].lower())
    return Row(
        line,
        cell["sku"],
        cell["product_slug"],
        cell["product_name"],
        cell["variant_label"],
        active,
        numbers,
        seen,
        cell.get("hsn") or None,
        rx,
    )


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


def _row_problem(row: Row, variant: Variant | None, first: Row | None) -> list[str]:
    if variant is None:
        return [
            f"sku: there is no variant {row.sku!r} (the import only updates existing variants)."
        ]
    if row.product_slug != variant.product.slug:
        return [
            f"product_slug: {row.sku} belongs to {variant.product.slug}, not {row.product_slug!r}."
        ]
    if first is None or first is row:
        return []
    return [
        f"{column}: differs from line {first.line}, which has the same product."
        for column in ("product_name", "active", "hsn", "rx")
        if getattr(first, column) != getattr(row, column)
    ]


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
        first = None
        if variant is not None and row.product_slug == variant.product.slug:
            first = first_of_product.setdefault(variant.product_id, row)
        errors += [(row.line, problem) for problem in _row_problem(row, variant, first)]
    return variants


def plan_stock(rows: list[Row], variants: dict[str, Variant]) -> dict[str, int]:
    """SKU → stock to write, by the product service's rule; 409 naming every conflict."""
    writes: dict[str, int] = {}
    conflicts: list[str] = []
    for row in rows:
        stock, conflict = stock_rule.plan_stock(
            variants[row.sku], row.numbers["stock"], row.stock_seen
        )
        if conflict:
            conflicts.append(f"Line {row.line}: {conflict.message}")
        elif stock is not None:
            writes[row.sku] = stock
    if conflicts:
        raise ShopError(
            409,
            "Nothing was imported: stock changed since this file was exported. "
            + " ".join(conflicts)
            + " Export a fresh file, or correct stock_seen on these lines.",
        )
    return writes


def _product_tracked(product: Product, row: Row) -> Tracked:
    before = snapshot(product)
    service.set_product_listing(product, row.product_name, row.active)
    if row.hsn is not None:
        product.hsn = row.hsn
    csv_rx.apply(product, row.rx)
    return Tracked(
        "product", product, before, snapshot, lambda p, _: f"CSV import changed {p.slug}"
    )


def _variant_tracked(variant: Variant, row: Row, before: dict) -> Tracked:
    """Track the variant from `before` (taken ahead of any stock write) and apply the row."""
    service.set_variant_values(variant, {"label": row.variant_label} | row.numbers)
    return Tracked(
        "variant",
        variant,
        before,
        snapshot,
        lambda v, _: f"CSV import changed {v.sku} (line {row.line})",
    )


def apply_rows(rows: list[Row], variants: dict[str, Variant]) -> ImportResult:
    """Write the rows that differ from the catalogue, each with an audit entry."""
    stock = plan_stock(rows, variants)
    befores = {row.sku: snapshot(variants[row.sku]) for row in rows}
    for row in rows:  # stock first, while nothing else is pending
        if row.sku in stock:
            stock_rule.write_stock(variants[row.sku], stock[row.sku], row.stock_seen)
    result = ImportResult(rows=len(rows))
    tracked: list[Tracked] = []
    done: set[int] = set()
    with db.session.no_autoflush:
        for row in rows:
            variant = variants[row.sku]
            product = variant.product
            if product.id not in done:
                done.add(product.id)
                if (
                    product.name.strip() != row.product_name
                    or product.active != row.active
                    or (row.hsn is not None and product.hsn != row.hsn)
                    or csv_rx.differs(product, row.rx)
                ):
                    tracked.append(_product_tracked(product, row))
                    result.products.append(product.slug)
            if row.sku in stock or _differs(variant, row):
                tracked.append(_variant_tracked(variant, row, befores[row.sku]))
                result.variants.append(variant.sku)
    db.session.flush()
    record_changes(tracked)
    return result


def _differs(variant: Variant, row: Row) -> bool:
    return (
        variant.label.strip() != row.variant_label
        or variant.mrp != row.numbers["mrp"]
        or variant.price != row.numbers["price"]
    )


def import_products(data: bytes, filename: str) -> tuple[ImportResult | None, LineErrors]:
    """Check the whole file, then apply it all or nothing.

    Returns the result, or None and the errors sorted by line. Raises ShopError when the
    file is unreadable, its header is wrong (400) or its stock is stale (409). The caller
    commits.
    """
    header, records = read_csv(data)
    positions = check_header(header)
    errors: LineErrors = []
    rows = [row for line, values in records if (row := parse_row(line, values, positions, errors))]
    variants = match_rows(rows, errors)
    if errors:
        return None, sorted(errors, key=lambda error: error[0])
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
