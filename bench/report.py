"""Print the results table, check SPEC §9's targets and write the JSON files.

Besides the timings it compares, for the targets that write (add-to-cart, checkout),
the successful requests the load tool counted with what the database says was written
(`write_checks`), which shows whether a 303 really meant "added" or "placed".
"""

from __future__ import annotations

import json
import os
import platform
import sys
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from bench.load import Result, Target

RATIO_TARGET = 0.30
P99_TARGET_MS = 100.0
SEARCH_P95_TARGET_MS = 50.0


@dataclass
class Check:
    target: str
    what: str
    value: float | None
    limit: float
    passed: bool

    def as_dict(self) -> dict:
        return {
            "target": self.target,
            "check": self.what,
            "value": self.value,
            "limit": self.limit,
            "passed": self.passed,
        }


def baseline_rps(results: dict[str, Result]) -> float | None:
    """The bare endpoint's req/s: the mean of its runs at the start and the end."""
    runs = [results[name].rps for name in ("bare", "bare-end") if name in results]
    return sum(runs) / len(runs) if runs else None


def baseline_drift(results: dict[str, Result]) -> float | None:
    """How far apart the two bare runs are, as a fraction of their mean."""
    if "bare" not in results or "bare-end" not in results:
        return None
    first, last = results["bare"].rps, results["bare-end"].rps
    return abs(first - last) / ((first + last) / 2) if first + last else None


def ratio(result: Result, baseline: float | None) -> float | None:
    if not baseline:
        return None
    return result.rps / baseline


def errors_text(result: Result) -> str:
    parts = []
    if result.mostly_failing:
        parts.append(f"MOSTLY NON-2xx/3xx ({result.non_2xx_3xx}/{result.requests})")
    elif result.non_2xx_3xx:
        parts.append(f"{result.non_2xx_3xx} non-2xx/3xx")
    socket = {k: v for k, v in result.socket_errors.items() if v}
    if socket:
        parts.append("socket " + ", ".join(f"{k} {v}" for k, v in socket.items()))
    return "; ".join(parts) or "0"


def _fmt(value: float | None, digits: int = 1) -> str:
    return "-" if value is None else f"{value:,.{digits}f}"


def table(
    targets: list[Target],
    results: dict[str, Result],
    baseline: float | None,
    skipped: dict[str, str] | None = None,
) -> str:
    """The results table; targets whose precheck failed get a row saying so, at the end."""
    header = ("target", "req/s", "p50 ms", "p99 ms", "ratio", "errors")
    rows = [header]
    for target in targets:
        result = results.get(target.name)
        if result is None:
            continue
        rows.append(
            (
                target.name,
                _fmt(result.rps, 0),
                _fmt(result.p50_ms, 2),
                _fmt(result.p99_ms, 2),
                _fmt(ratio(result, baseline), 3),
                errors_text(result),
            )
        )
    for name in skipped or {}:
        rows.append((name, "-", "-", "-", "-", "SKIPPED: precheck failed (see ERRORS)"))
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    lines = []
    for n, row in enumerate(rows):
        cells = [row[0].ljust(widths[0])]
        cells += [cell.rjust(width) for cell, width in zip(row[1:-1], widths[1:-1], strict=True)]
        cells.append(row[-1])
        lines.append("  ".join(cells))
        if n == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


def spec_checks(
    targets: list[Target], results: dict[str, Result], baseline: float | None
) -> list[Check]:
    checks = []
    for target in targets:
        result = results.get(target.name)
        if result is not None and target.ratio_target is not None:
            r = ratio(result, baseline)
            checks.append(
                Check(
                    target.name,
                    f"ratio to bare >= {target.ratio_target:.2f}",
                    r,
                    target.ratio_target,
                    r is not None and r >= target.ratio_target,
                )
            )
        if not target.spec or result is None:
            continue
        r = ratio(result, baseline)
        checks.append(
            Check(
                target.name,
                f"ratio to bare >= {RATIO_TARGET:.2f}",
                r,
                RATIO_TARGET,
                r is not None and r >= RATIO_TARGET,
            )
        )
        p99 = result.p99_ms
        checks.append(
            Check(
                target.name,
                f"p99 < {P99_TARGET_MS:.0f} ms",
                p99,
                P99_TARGET_MS,
                p99 is not None and p99 < P99_TARGET_MS,
            )
        )
    return checks


def checks_text(checks: list[Check], results: dict[str, Result], products: int) -> str:
    lines = ["SPEC §9 targets (article page and 24-product list; add-to-cart and cart page):"]
    for check in checks:
        shown = _fmt(check.value, 3 if "ratio" in check.what else 1)
        verdict = "PASS" if check.passed else "FAIL"
        lines.append(f"  {verdict}  {check.target:<14} {check.what:<22} got {shown}")
    search = results.get("search")
    if search is not None and search.p95_ms is not None:
        note = (
            ""
            if products >= 100_000
            else f" (SPEC asks this at 100,000 products; {products:,} here)"
        )
        lines.append(
            f"  info  search p95 {search.p95_ms:.1f} ms under load, "
            f"target < {SEARCH_P95_TARGET_MS:.0f} ms{note}"
        )
    return "\n".join(lines)


def informational_text(targets: list[Target]) -> str:
    """The note saying which rows have no SPEC §9 target."""
    names = [t.name for t in targets if t.informational]
    if not names:
        return ""
    return f"({', '.join(names)}: informational, no SPEC §9 target applies)"


# Which database count each writing target moves, and how to say it.
WRITES = {
    "add-to-cart": ("cart_units", "units added to carts"),
    "checkout": ("orders", "orders placed"),
}


def write_checks(
    targets: list[Target],
    results: dict[str, Result],
    before: dict[str, int | None],
    after: dict[str, int | None],
    connections: int,
) -> list[dict]:
    """Compare the load tool's successful requests with the rows the database gained.

    The counts are taken after the precheck and after the last run. The load tool does
    not count requests still in flight when a run stops, but the server completes them,
    so the database may hold up to `connections` more per run (warm-up and measured):
    anything outside [successes, successes + 2 × connections] is flagged. A moving
    content version means something invalidated every cached page during the load.
    For add-to-cart it also estimates how many lines its visitors' carts hold at the
    end (each add is a new line: a visitor never adds a variant twice), since a cart's
    size may change what an add costs.
    """
    by_name = {t.name: t for t in targets}
    checks = []
    for name, (key, what) in WRITES.items():
        result = results.get(name)
        if result is None or before.get(key) is None or after.get(key) is None:
            continue
        successes = (result.requests - result.non_2xx_3xx) + (
            result.warmup_requests - result.warmup_non_2xx_3xx
        )
        written = after[key] - before[key]
        slack = 2 * connections
        check = {
            "target": name,
            "what": what,
            "load_tool_successes": successes,
            "database_delta": written,
            "in_flight_allowance": slack,
            "consistent": successes <= written <= successes + slack,
        }
        visitors = by_name[name].visitors if name in by_name else None
        if name == "checkout" and visitors:
            # One open order per cart: a visitor's later submits resume its order.
            # (the precheck's submits placed their orders before the first count)
            floor = min(successes, len(visitors) - by_name[name].precheck_requests)
            check["consistent"] = floor <= written <= successes + slack
        if name == "add-to-cart" and visitors:
            # the starter item, the precheck's add and this run's adds
            lines = len(visitors) + by_name[name].precheck_requests + written
            check["mean_cart_lines_at_end"] = round(lines / len(visitors), 1)
        checks.append(check)
    if "checkout" in results and None not in (
        before.get("orders"), after.get("orders"),
        before.get("orders_with_payment_session"), after.get("orders_with_payment_session"),
    ):  # fmt: skip
        placed = after["orders"] - before["orders"]
        with_session = after["orders_with_payment_session"] - before["orders_with_payment_session"]
        checks.append(
            {
                "target": "checkout",
                "what": "placed orders that got a payment session",
                "load_tool_successes": placed,
                "database_delta": with_session,
                "in_flight_allowance": 0,
                "consistent": with_session == placed,
            }
        )
    if before.get("content_version") is not None and after.get("content_version") is not None:
        moved = after["content_version"] - before["content_version"]
        checks.append(
            {
                "target": "(all)",
                "what": "page-cache content version bumps during the load",
                "load_tool_successes": 0,
                "database_delta": moved,
                "in_flight_allowance": 0,
                "consistent": moved == 0,
            }
        )
    return checks


def write_checks_text(checks: list[dict]) -> str:
    lines = ["Server-side check (database rows written vs successful requests counted by the "
             "load tool):"]  # fmt: skip
    for check in checks:
        verdict = "ok  " if check["consistent"] else "WARN"
        if check["what"].startswith("page-cache"):
            lines.append(
                f"  {verdict}  {check['what']}: {check['database_delta']}"
                + (
                    ""
                    if check["consistent"]
                    else " (cart/checkout writes invalidated cached pages)"
                )
            )
            continue
        lines.append(
            f"  {verdict}  {check['target']:<12} {check['what']}: {check['database_delta']:,} "
            f"in the database, {check['load_tool_successes']:,} successes counted"
            + (f" (+ up to {check['in_flight_allowance']} in flight)"
               if check["in_flight_allowance"] else "")
            + (f"; its visitors' carts end with ~{check['mean_cart_lines_at_end']:g} lines"
               if "mean_cart_lines_at_end" in check else "")
        )  # fmt: skip
    return "\n".join(lines)


def machine_info() -> dict:
    info = {
        "nproc": os.cpu_count(),
        "usable_cpus": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None,
        "python": sys.version.split()[0],
        "implementation": platform.python_implementation(),
        "platform": platform.platform(),
        "cpu_model": _cpu_model(),
        "load_average_at_start": list(os.getloadavg()) if hasattr(os, "getloadavg") else None,
    }
    try:
        import gunicorn

        info["gunicorn"] = gunicorn.__version__
    except ImportError:
        pass
    return info


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor()


def write_json(results_dir: Path, stamp: datetime, payload: dict) -> Path:
    results_dir.mkdir(parents=True, exist_ok=True)
    text = json.dumps(payload, indent=2, sort_keys=False, default=str) + "\n"
    path = results_dir / f"bench-{stamp.strftime('%Y%m%dT%H%M%SZ')}.json"
    path.write_text(text)
    (results_dir / "latest.json").write_text(text)
    return path
