"""Load targets and the two load generators: wrk, and a Python fallback.

A `Target` is data: a name, which server it hits and the paths it rotates through.
`wrk` runs every target with a small generated Lua script: with one path it only adds a
`done()` hook that prints exact percentiles as JSON (including p95, which `--latency`
does not show); with several paths it also defines `request()` to cycle through them,
each wrk thread starting at a different point.

What is reported comes from wrk's own text output: `Requests/sec`, the 50% and 99% lines
of `Latency Distribution`, `Non-2xx or 3xx responses` and `Socket errors`.

The fallback (used when wrk is missing, or with `--tool python`) keeps the same number of
keep-alive connections busy from Python threads with `http.client`. It is itself limited
by the GIL and shares the CPUs with the servers, so its absolute figures are much lower
than wrk's; ratios between targets measured with it remain indicative only.
"""

from __future__ import annotations

import http.client
import json
import re
import shutil
import subprocess
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

LUA_DIR = Path(__file__).resolve().parent / "lua"


@dataclass(frozen=True)
class Target:
    """One thing to measure."""

    name: str
    server: str  # "shop" or "bare"
    paths: tuple[str, ...]  # rotated through, one per request
    description: str = ""
    method: str = "GET"
    spec: bool = False  # a SPEC §9 target: ratio to bare >= 0.30 and p99 < 100 ms
    script: str | None = None  # a hand-written Lua script in bench/lua/ replacing ours
    precheck: bool = True  # GET every path once and require 200 before the load


def targets_for(catalogue) -> list[Target]:
    """Everything one run measures, in order. The first target is the baseline."""
    queries = catalogue.queries
    return [
        Target("bare", "bare", ("/",), "bare Flask endpoint (baseline)"),
        Target(
            "article",
            "shop",
            (f"/articles/{catalogue.bench_article}",),
            "article page with 3 embedded products",
            spec=True,
        ),
        Target("product-list", "shop", ("/products/",), "product list, 24 per page", spec=True),
        Target("product", "shop", (f"/products/{catalogue.product_slug}",), "product page"),
        Target(
            "search",
            "shop",
            tuple(f"/search?q={q}" for q in queries),
            f"site search, {len(queries)} queries rotated",
        ),
        Target(
            "product-search",
            "shop",
            tuple(f"/products/?q={q}" for q in queries),
            f"product list filtered by q, {len(queries)} queries rotated",
        ),
        # Add-to-cart, once POST /cart/add exists (SPEC §7). A POST needs the session
        # cookie and its CSRF token, so it takes a hand-written script, e.g.
        # bench/lua/add_to_cart.lua, that GETs the product page first (wrk's `response()`
        # hook reads `Set-Cookie` and the `csrf_token` field from the body), then sends
        # `variant_id=…&quantity=1&csrf_token=…` with that cookie. Rotate variants or start
        # a new session every few requests, or max_per_order turns the adds into 409s,
        # which the report would show as "mostly non-2xx":
        # Target("add-to-cart", "shop", ("/cart/add",), "add to cart", method="POST",
        #        script="add_to_cart.lua", precheck=False),
    ]


@dataclass
class Result:
    """Figures for one target; times in milliseconds."""

    target: str
    tool: str
    requests: int = 0
    seconds: float = 0.0
    rps: float = 0.0
    p50_ms: float | None = None
    p75_ms: float | None = None
    p90_ms: float | None = None
    p95_ms: float | None = None
    p99_ms: float | None = None
    max_ms: float | None = None
    non_2xx_3xx: int = 0
    socket_errors: dict[str, int] = field(default_factory=dict)
    raw_output: str = ""

    @property
    def socket_error_count(self) -> int:
        return sum(self.socket_errors.values())

    @property
    def mostly_failing(self) -> bool:
        return self.requests > 0 and self.non_2xx_3xx * 2 > self.requests

    def as_dict(self) -> dict:
        data = asdict(self)
        data.pop("raw_output")
        return data


# ------------------------------------------------------------------------------ wrk

_UNITS_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}
_DURATION_S = {"us": 1e-6, "ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0}


def wrk_available() -> bool:
    return shutil.which("wrk") is not None


def wrk_version() -> str:
    try:
        out = subprocess.run(["wrk", "-v"], capture_output=True, text=True, timeout=5)
    except OSError:
        return ""
    return (out.stdout + out.stderr).splitlines()[0].strip() if out.stdout + out.stderr else ""


def lua_script(target: Target) -> str:
    """The Lua script wrk runs for `target` (see the module docstring)."""
    if target.script:
        return (LUA_DIR / target.script).read_text()
    lines = [f"-- generated by bench for target {target.name!r}"]
    if len(target.paths) > 1 or target.method != "GET":
        quoted = ", ".join(json.dumps(p) for p in target.paths)
        lines += [
            f"local paths = {{{quoted}}}",
            "local threads = 0",
            "function setup(thread)",
            "  thread:set('offset', threads * 7)",
            "  threads = threads + 1",
            "end",
            "local counter = nil",
            "request = function()",
            "  if counter == nil then counter = offset or 0 end",
            "  counter = counter + 1",
            f"  return wrk.format({json.dumps(target.method)}, paths[(counter % #paths) + 1])",
            "end",
        ]
    lines += [
        "done = function(summary, latency, requests)",
        "  local e = summary.errors",
        '  io.write(string.format(\'BENCH-JSON {"requests": %d, "duration_us": %d, '
        '"status_errors": %d, "p50_us": %.1f, "p90_us": %.1f, "p95_us": %.1f, '
        '"p99_us": %.1f, "max_us": %.1f}\\n\',',
        "    summary.requests, summary.duration, e.status,",
        "    latency:percentile(50), latency:percentile(90), latency:percentile(95),",
        "    latency:percentile(99), latency.max))",
        "end",
    ]
    return "\n".join(lines) + "\n"


def parse_wrk(output: str) -> dict:
    """Pull the figures out of wrk's text report (and our `done()` JSON line)."""
    figures: dict = {"socket_errors": {}, "non_2xx_3xx": 0}
    if m := re.search(r"Requests/sec:\s+([\d.]+)", output):
        figures["rps"] = float(m[1])
    if m := re.search(r"(\d+) requests in ([\d.]+)(us|ms|s|m|h)", output):
        figures["requests"] = int(m[1])
        figures["seconds"] = float(m[2]) * _DURATION_S[m[3]]
    if "Latency Distribution" in output:
        block = output.split("Latency Distribution", 1)[1]
        for pct, value, unit in re.findall(r"^\s+(\d+)%\s+([\d.]+)(us|ms|s|m)\s*$", block, re.M):
            figures[f"p{pct}_ms"] = float(value) * _UNITS_MS[unit]
    if m := re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output):
        figures["non_2xx_3xx"] = int(m[1])
    if m := re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output
    ):
        names = ("connect", "read", "write", "timeout")
        figures["socket_errors"] = {n: int(v) for n, v in zip(names, m.groups(), strict=True)}
    if m := re.search(r"^BENCH-JSON (\{.*\})\s*$", output, re.M):
        extra = json.loads(m[1])
        figures["p90_ms"] = extra["p90_us"] / 1000
        figures["p95_ms"] = extra["p95_us"] / 1000
        figures["max_ms"] = extra["max_us"] / 1000
    return figures


def run_wrk(
    target: Target,
    base_url: str,
    *,
    duration: float,
    threads: int,
    connections: int,
    script_dir: Path,
) -> Result:
    script = script_dir / f"{target.name}.lua"
    script.write_text(lua_script(target))
    command = [
        "wrk",
        f"-t{threads}",
        f"-c{connections}",
        f"-d{max(1, round(duration))}s",
        "--latency",
        "-s",
        str(script),
        base_url + target.paths[0],
    ]
    done = subprocess.run(command, capture_output=True, text=True, timeout=duration + 60)
    output = done.stdout + done.stderr
    if done.returncode != 0 or "Requests/sec" not in output:
        raise RuntimeError(f"wrk failed for {target.name} (exit {done.returncode}):\n{output}")
    figures = parse_wrk(output)
    return Result(target=target.name, tool="wrk", raw_output=output, **figures)


# -------------------------------------------------------------------- Python fallback


def run_python(
    target: Target, base_url: str, *, duration: float, connections: int, **_ignored
) -> Result:
    """Keep `connections` keep-alive connections busy for `duration` seconds."""
    if target.script:
        raise RuntimeError(f"{target.name} needs wrk (it uses the Lua script {target.script})")
    parts = urlsplit(base_url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    latencies: list[list[float]] = [[] for _ in range(connections)]
    statuses_bad = [0] * connections
    errors = [0] * connections
    start_gate = threading.Barrier(connections + 1)
    deadline_box: list[float] = []

    def worker(index: int) -> None:
        conn: http.client.HTTPConnection | None = None
        counter = index * 7
        start_gate.wait()
        deadline = deadline_box[0]
        while time.monotonic() < deadline:
            path = target.paths[counter % len(target.paths)]
            counter += 1
            began = time.perf_counter()
            try:
                if conn is None:
                    conn = http.client.HTTPConnection(host, port, timeout=10)
                conn.request(target.method, path)
                response = conn.getresponse()
                response.read()
                if response.will_close:
                    conn.close()
                    conn = None
            except (OSError, http.client.HTTPException):
                errors[index] += 1
                if conn is not None:
                    conn.close()
                conn = None
                continue
            latencies[index].append(time.perf_counter() - began)
            if not 200 <= response.status < 400:
                statuses_bad[index] += 1
        if conn is not None:
            conn.close()

    workers = [threading.Thread(target=worker, args=(i,), daemon=True) for i in range(connections)]
    for thread in workers:
        thread.start()
    began = time.monotonic()
    deadline_box.append(began + duration)
    start_gate.wait()
    for thread in workers:
        thread.join()
    elapsed = time.monotonic() - began
    merged = sorted(x for per in latencies for x in per)
    result = Result(
        target=target.name,
        tool="python",
        requests=len(merged),
        seconds=elapsed,
        rps=len(merged) / elapsed if elapsed else 0.0,
        non_2xx_3xx=sum(statuses_bad),
        socket_errors={"connect/read": sum(errors)},
    )
    if merged:
        result.p50_ms, result.p90_ms, result.p95_ms, result.p99_ms = (
            _percentile(merged, p) * 1000 for p in (50, 90, 95, 99)
        )
        result.max_ms = merged[-1] * 1000
    return result


def _percentile(ordered: list[float], pct: float) -> float:
    index = min(len(ordered) - 1, max(0, round(pct / 100 * len(ordered)) - 1))
    return ordered[index]
