"""The CSV import as a background job (files larger than a request should hold)."""

from __future__ import annotations

from shop.errors import ShopError
from shop.jobs.service import JobFailed, Progress
from shop.staff.products.csv_service import ImportResult, import_products

MAX_ERRORS_KEPT = 200


def outcome(result: ImportResult) -> str:
    """What an import did, in a sentence for the staff member."""
    if not result.changed:
        return f"Nothing to change: all {result.rows} rows match the catalogue."
    return (
        f"Imported {result.rows} rows: {len(result.variants)} variants and "
        f"{len(result.products)} products changed."
    )


def run_import(payload: bytes, filename: str, progress: Progress) -> tuple[str, dict]:
    """Check and apply the file, all or nothing (the job runner commits or rolls back)."""
    try:
        result, errors = import_products(payload, filename, progress)
    except ShopError as error:
        raise JobFailed(error.message) from error
    if errors:
        raise JobFailed(
            "Nothing was imported: fix these lines and try again.",
            {"errors": errors[:MAX_ERRORS_KEPT], "error_count": len(errors)},
        )
    summary = {
        "rows": result.rows,
        "variants": len(result.variants),
        "products": len(result.products),
    }
    return outcome(result), summary
