"""CSV export and import at catalogue scale: time, memory and statements (`--scale`).

Runs in this process against a generated catalogue: streams the whole export (chunks are
dropped as a socket would send them) measuring time and peak memory growth, then imports
a file with `changed` rows edited (price and stock, with `stock_seen`) and commits it,
counting the SQL statements sent.
"""

from __future__ import annotations

import csv
import io
import resource
import time
from dataclasses import dataclass

from sqlalchemy import event

IMPORT_TARGET_SECONDS = 5.0


@dataclass
class BulkResult:
    export_rows: int = 0
    export_seconds: float = 0.0
    export_bytes: int = 0
    export_peak_mb: float = 0.0
    import_rows: int = 0
    import_changed: int = 0
    import_seconds: float = 0.0
    import_statements: int = 0
    import_peak_mb: float = 0.0

    def summary(self) -> dict:
        return {k: round(v, 2) if isinstance(v, float) else v for k, v in self.__dict__.items()}


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def edited_file(text: str, changed: int) -> tuple[bytes, int]:
    """The exported text with the first `changed` rows' price and stock edited."""
    rows = list(csv.reader(io.StringIO(text)))
    header = rows[0]
    price, stock, mrp = header.index("price"), header.index("stock"), header.index("mrp")
    edited = rows[: changed + 1]
    for row in edited[1:]:
        row[price] = row[mrp]  # price back to the MRP: always a change unless already there
        row[stock] = str(int(row[stock]) + 1)
    out = io.StringIO()
    csv.writer(out).writerows(edited)
    return out.getvalue().encode(), len(edited) - 1


def measure(url: str, *, changed: int = 10_000) -> BulkResult:
    from shop import create_app
    from shop.extensions import db
    from shop.staff.products.csv_service import export_chunks, import_products

    app = create_app(
        {"SQLALCHEMY_DATABASE_URI": url, "TESTING": False, "SECRET_KEY": "bench",
         "SHOP_PAYMENTS_SANDBOX": True}
    )  # fmt: skip
    result = BulkResult()
    with app.app_context():
        baseline = _peak_mb()
        started = time.perf_counter()
        head: list[str] = []
        for chunk in export_chunks(db.engine):
            result.export_bytes += len(chunk)
            result.export_rows += chunk.count("\n")
            if sum(len(c) for c in head) < 4 * 1024 * 1024:
                head.append(chunk)  # enough rows for the import file
        result.export_seconds = time.perf_counter() - started
        result.export_peak_mb = _peak_mb() - baseline
        result.export_rows -= 1  # the header
        data, result.import_rows = edited_file("".join(head), changed)
        statements: list[str] = []

        def count(conn, cursor, statement, parameters, context, executemany):
            statements.append(statement)

        baseline = _peak_mb()
        event.listen(db.engine, "before_cursor_execute", count)
        with app.test_request_context():
            started = time.perf_counter()
            outcome, errors = import_products(data, "bench.csv")
            if errors:
                raise RuntimeError(f"bench import refused: {errors[:3]}")
            db.session.commit()
            result.import_seconds = time.perf_counter() - started
        event.remove(db.engine, "before_cursor_execute", count)
        result.import_peak_mb = _peak_mb() - baseline
        result.import_changed = len(outcome.variants)
        result.import_statements = len(statements)
        db.session.remove()
        db.engine.dispose()
    return result


def report(result: BulkResult) -> list[str]:
    """Lines for the console, with the targets."""
    verdict = "ok" if result.import_seconds < IMPORT_TARGET_SECONDS else "SLOW"
    return [
        f"CSV export: {result.export_rows:,} rows, {result.export_bytes / 2**20:.1f} MB in "
        f"{result.export_seconds:.1f} s; peak memory +{result.export_peak_mb:.0f} MB "
        "(target: flat, independent of rows)",
        f"CSV import: {result.import_rows:,} rows ({result.import_changed:,} changed) in "
        f"{result.import_seconds:.1f} s, {result.import_statements} SQL statements; peak "
        f"memory +{result.import_peak_mb:.0f} MB (target < {IMPORT_TARGET_SECONDS:.0f} s: "
        f"{verdict})",
    ]


if __name__ == "__main__":
    import json
    import sys

    # python -m bench.bulk URL [ROWS] [--json]; --json prints the figures as one JSON line
    arguments = [a for a in sys.argv[1:] if a != "--json"]
    outcome = measure(arguments[0], changed=int(arguments[1]) if len(arguments) > 1 else 10_000)
    if "--json" in sys.argv:
        print(json.dumps(outcome.summary()))
    else:
        print("\n".join(report(outcome)))
