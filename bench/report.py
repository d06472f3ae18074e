"""Print the results table, check SPEC §9's targets and write the JSON files."""

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


def table(targets: list[Target], results: dict[str, Result], baseline: float | None) -> str:
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
    lines = ["SPEC §9 targets (article page and 24-product list):"]
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
