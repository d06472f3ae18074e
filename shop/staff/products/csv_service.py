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
from collections.abc import Iterator
from dataclasses import dataclass, field

from sqlalchemy import Engine, select

from shop.catalog.models import Product, Variant
from shop.errors import ShopError
from shop.pricing.money import rupees_text
from shop.staff.audit import audit, audit_many, plain
from shop.staff.products import csv_apply as bulk
from shop.staff.products import csv_rx, service
from shop.staff.products import stock as stock_rule
from shop.staff.products.csv_apply import Current

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
BOOLEANS = {"true": True, "false": False}
LineErrors = list[tuple[int, str]]  # (line number, what is wrong there)

# A spreadsheet runs a cell that starts with one of these as a formula. Export writes such
# text with a leading apostrophe (which spreadsheets hide) and import takes it off again.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def inert(text: str) -> str:
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def uninert(text: str) -> str:
    return text[1:] if text.startswith("'") and text[1:].startswith(FORMULA_STARTS) else text


EXPORT_BATCH = 2000  # rows fetched from the database at a time


def export_rows(engine: Engine) -> Iterator[list]:
    """The header and one row per variant, in the columns the import reads back.

    Reads on its own connection of `engine` (so it runs after the request has ended, as
    a streamed response does) through a server-side cursor fetching EXPORT_BATCH rows at
    a time: memory stays flat whatever the size of the catalogue.
    """
    stmt = (
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
    with engine.connect() as connection:
        rows = connection.execution_options(yield_per=EXPORT_BATCH).execute(stmt)
        yield from _export_lines(rows)


def _export_lines(rows) -> Iterator[list]:
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


def export_chunks(engine: Engine) -> Iterator[str]:
    """The CSV text in pieces of EXPORT_BATCH lines, for a streamed response."""
    out = io.StringIO()
    writer = csv.writer(out)
    for number, row in enumerate(export_rows(engine), start=1):
        writer.writerow(row)
        if number % EXPORT_BATCH == 0:
            yield out.getvalue()
            out.seek(0)
            out.truncate()
    yield out.getvalue()


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


def _row_problem(row: Row, current: Current | None, first: Row | None) -> list[str]:
    if current is None:
        return [
            f"sku: there is no variant {row.sku!r} (the import only updates existing variants)."
        ]
    if row.product_slug != current.slug:
        return [f"product_slug: {row.sku} belongs to {current.slug}, not {row.product_slug!r}."]
    if first is None or first is row:
        return []
    return [
        f"{column}: differs from line {first.line}, which has the same product."
        for column in ("product_name", "active", "hsn", "rx")
        if getattr(first, column) != getattr(row, column)
    ]


def match_rows(rows: list[Row], errors: LineErrors) -> dict[str, Current]:
    """Match rows to variants by SKU and check what must agree across rows."""
    seen: dict[str, int] = {}
    for row in rows:
        if row.sku in seen:
            errors.append((row.line, f"sku: {row.sku} is already on line {seen[row.sku]}."))
        seen.setdefault(row.sku, row.line)
    found = bulk.load_current(list(seen))
    first_of_product: dict[int, Row] = {}
    for row in rows:
        current = found.get(row.sku)
        first = None
        if current is not None and row.product_slug == current.slug:
            first = first_of_product.setdefault(current.product["id"], row)
        errors += [(row.line, problem) for problem in _row_problem(row, current, first)]
    return found


def plan_stock(rows: list[Row], found: dict[str, Current]) -> dict[str, tuple[int, int | None]]:
    """SKU → (stock to write, stock_seen), by the product service's rule; 409 naming
    every conflict."""
    writes: dict[str, tuple[int, int | None]] = {}
    conflicts: list[str] = []
    for row in rows:
        stock, conflict = stock_rule.plan_stock(
            found[row.sku], row.numbers["stock"], row.stock_seen
        )
        if conflict:
            conflicts.append(f"Line {row.line}: {conflict.message}")
        elif stock is not None:
            writes[row.sku] = (stock, row.stock_seen)
    if conflicts:
        raise ShopError(
            409,
            "Nothing was imported: stock changed since this file was exported. "
            + " ".join(conflicts)
            + " Export a fresh file, or correct stock_seen on these lines.",
        )
    return writes


def _entry(kind: str, before: dict, changes: dict, summary: str) -> dict:
    before = plain(before)
    return {
        "action": "update",
        "object_type": kind,
        "object_id": before["id"],
        "before": before,
        "after": before | plain(changes),
        "summary": summary,
    }


def apply_rows(rows: list[Row], found: dict[str, Current]) -> ImportResult:
    """Write the rows that differ from the catalogue in set-based statements, with one
    audit entry per changed product and variant (in file order)."""
    stock = plan_stock(rows, found)
    result = ImportResult(rows=len(rows))
    products: dict[int, dict] = {}
    variants: dict[int, dict] = {}
    entries: list[dict] = []
    done: set[int] = set()
    for row in rows:
        current = found[row.sku]
        product, variant = current.product, current.variant
        if product["id"] not in done:
            done.add(product["id"])
            changes = bulk.product_values(row, product)
            if changes is not None:
                products[product["id"]] = changes
                result.products.append(product["slug"])
                entries.append(
                    _entry("product", product, changes, f"CSV import changed {product['slug']}")
                )
        changes = bulk.variant_values(row, variant)
        if changes is not None:
            variants[variant["id"]] = changes
        if changes is not None or row.sku in stock:
            after = (changes or {}) | ({"stock": stock[row.sku][0]} if row.sku in stock else {})
            result.variants.append(row.sku)
            entries.append(
                _entry("variant", variant, after, f"CSV import changed {row.sku} (line {row.line})")
            )
    if not result.changed:
        return result
    bulk.write_stock(stock, found)
    bulk.write_variants(variants)
    bulk.write_products(products)
    audit_many(entries)
    changed = [found[sku] for sku in result.variants]
    bulk.refresh_derived(
        [current.variant["id"] for current in changed],
        set(products) | {current.product["id"] for current in changed},
    )
    return result


PROGRESS_EVERY = 5000  # rows between progress reports of a background import


def import_products(
    data: bytes, filename: str, progress=None
) -> tuple[ImportResult | None, LineErrors]:
    """Check the whole file, then apply it all or nothing.

    Returns the result, or None and the errors sorted by line. Raises ShopError when the
    file is unreadable, its header is wrong (400) or its stock is stale (409). The caller
    commits. `progress(phase, done, total)`, when given (a background job), is called
    while reading and before writing, never once anything has been written.
    """
    report = progress or (lambda phase, done, total: None)
    header, records = read_csv(data)
    positions = check_header(header)
    errors: LineErrors = []
    rows: list[Row] = []
    for number, (line, values) in enumerate(records):
        if number % PROGRESS_EVERY == 0:
            report("checking rows", number, len(records))
        if row := parse_row(line, values, positions, errors):
            rows.append(row)
    report("matching SKUs", len(records), len(records))
    variants = match_rows(rows, errors)
    if errors:
        return None, sorted(errors, key=lambda error: error[0])
    report("writing", len(records), len(records))
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
