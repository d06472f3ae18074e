"""Figures, targets and the printed table of `python -m bench --scale N` (issue 15).

Pure code (no HTTP, no database), so the maths and the verdicts are unit-tested: the
percentiles of a run, each figure's target, and the table printed at the end.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

SEARCH_P95_MS = 50.0  # search, one client
SEARCH_RPS = 100.0  # search, 16 clients
PAGE_MS = 100.0  # list pages (any sort, any page) and the condition page, uncached
IMPORT_SECONDS = 5.0  # CSV import of 10,000 changed rows
GENERATE_SECONDS = 60.0  # generate-catalogue, PostgreSQL only


def percentile(values: Sequence[float], pct: float) -> float | None:
    """The nearest-rank percentile: the smallest value with at least `pct`% of the values
    at or below it. None for no values."""
    if not values:
        return None
    if not 0 < pct <= 100:
        raise ValueError(f"percentile must be in (0, 100], got {pct}")
    ordered = sorted(values)
    rank = math.ceil(pct / 100 * len(ordered) - 1e-9)
    return ordered[max(0, rank - 1)]


@dataclass
class Timing:
    """One measured page (or set of URLs): latencies, throughput and failures.

    `failures` counts socket errors and timeouts as well as non-2xx/3xx answers: a
    request that did not get a good answer in time is a failure, never just slow.
    """

    name: str
    description: str
    clients: int
    requests: int = 0
    seconds: float = 0.0
    p50_ms: float | None = None
    p95_ms: float | None = None
    p99_ms: float | None = None
    bad_status: int = 0
    socket_errors: int = 0
    paths: list[str] = field(default_factory=list)
    tool: str = "python"
    p50_by_path: dict[str, float] = field(default_factory=dict)  # one client, several URLs

    @classmethod
    def from_latencies(
        cls,
        name: str,
        description: str,
        latencies_ms: Sequence[float],
        *,
        seconds: float,
        clients: int = 1,
        bad_status: int = 0,
        socket_errors: int = 0,
        paths: Sequence[str] = (),
    ) -> Timing:
        return cls(
            name,
            description,
            clients,
            requests=len(latencies_ms) + socket_errors,
            seconds=seconds,
            p50_ms=percentile(latencies_ms, 50),
            p95_ms=percentile(latencies_ms, 95),
            p99_ms=percentile(latencies_ms, 99),
            bad_status=bad_status,
            socket_errors=socket_errors,
            paths=list(paths),
        )

    @property
    def rps(self) -> float:
        return (self.requests - self.socket_errors) / self.seconds if self.seconds else 0.0

    @property
    def failures(self) -> int:
        return self.bad_status + self.socket_errors

    def as_dict(self) -> dict:
        return {**self.__dict__, "rps": round(self.rps, 1), "failures": self.failures}


@dataclass
class Verdict:
    """A figure set against its target. `passed` is None when no target applies."""

    what: str
    value: str
    target: str
    passed: bool | None

    @property
    def word(self) -> str:
        return {True: "PASS", False: "FAIL", None: "info"}[self.passed]

    def as_dict(self) -> dict:
        return {"what": self.what, "value": self.value, "target": self.target,
                "passed": self.passed}  # fmt: skip


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value:,.1f}"


def _failure_note(timing: Timing) -> str:
    if not timing.failures:
        return ""
    return f"; {timing.bad_status} non-2xx/3xx, {timing.socket_errors} socket errors/timeouts"


def timing_verdict(timing: Timing) -> Verdict:
    """Search at one client: p95; search at 16: req/s; pages: p95. Failures fail."""
    value = (
        f"p50 {_ms(timing.p50_ms)} / p95 {_ms(timing.p95_ms)} / p99 {_ms(timing.p99_ms)} ms, "
        f"{timing.rps:,.0f} req/s" + _failure_note(timing)
    )
    if timing.name == "search-16":
        target, passed = f">= {SEARCH_RPS:.0f} req/s", timing.rps >= SEARCH_RPS
    elif timing.name.startswith("search"):
        target = f"p95 < {SEARCH_P95_MS:.0f} ms"
        passed = timing.p95_ms is not None and timing.p95_ms < SEARCH_P95_MS
    else:
        target = f"p95 <= {PAGE_MS:.0f} ms"
        passed = timing.p95_ms is not None and timing.p95_ms <= PAGE_MS
    if timing.failures or not timing.requests:
        passed = False
    label = f"{timing.description} ({timing.clients} client{'s' if timing.clients > 1 else ''})"
    return Verdict(label, value, target, passed)


def bulk_verdicts(bulk: dict | None, error: str | None = None) -> list[Verdict]:
    """The CSV import (target) and export (time and memory, reported) of `bench.bulk`."""
    if bulk is None:
        why = error or "not run"
        return [
            Verdict("CSV import", why, f"< {IMPORT_SECONDS:.0f} s", False),
            Verdict("CSV export", why, "streamed", False),
        ]
    imported = Verdict(
        f"CSV import, {bulk['import_rows']:,} rows ({bulk['import_changed']:,} changed)",
        f"{bulk['import_seconds']:.2f} s, {bulk['import_statements']} SQL statements, "
        f"peak +{bulk['import_peak_mb']:.0f} MB",
        f"< {IMPORT_SECONDS:.0f} s",
        bulk["import_seconds"] < IMPORT_SECONDS,
    )
    exported = Verdict(
        f"CSV export, {bulk['export_rows']:,} rows ({bulk['export_bytes'] / 2**20:.1f} MB)",
        f"{bulk['export_seconds']:.2f} s, peak +{bulk['export_peak_mb']:.0f} MB",
        "streamed: memory flat",
        None,
    )
    return [imported, exported]


def generate_verdict(seconds: float | None, backend: str, products: int) -> Verdict:
    """generate-catalogue's time: a target on PostgreSQL, reported on SQLite."""
    what = f"generate-catalogue, {products:,} products"
    if seconds is None:
        return Verdict(what, "reused the catalogue: not measured", "-", None)
    if backend != "postgresql":
        return Verdict(what, f"{seconds:.1f} s", f"< {GENERATE_SECONDS:.0f} s on PostgreSQL", None)
    return Verdict(
        what, f"{seconds:.1f} s", f"< {GENERATE_SECONDS:.0f} s", seconds < GENERATE_SECONDS
    )


def verdicts_table(verdicts: Sequence[Verdict]) -> str:
    """The printed table: one line per figure with its target and PASS/FAIL/info."""
    rows = [("", "what", "measured", "target")] + [
        (v.word, v.what, v.value, v.target) for v in verdicts
    ]
    widths = [max(len(row[i]) for row in rows) for i in range(3)]
    lines = []
    for n, row in enumerate(rows):
        lines.append(
            "  ".join(cell.ljust(width) for cell, width in zip(row, [*widths, 0], strict=True))
        )
        if n == 0:
            lines.append("  ".join("-" * w for w in [*widths, len("target")]))
    return "\n".join(line.rstrip() for line in lines)


def summary_line(verdicts: Sequence[Verdict]) -> str:
    judged = [v for v in verdicts if v.passed is not None]
    failed = [v.what for v in judged if not v.passed]
    if not failed:
        return f"All {len(judged)} targets met."
    return f"{len(judged) - len(failed)} of {len(judged)} targets met; missed: " + "; ".join(failed)
