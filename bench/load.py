"""Load targets and the two load generators: wrk, and a Python fallback.

A `Target` is data: a name, which server it hits, the paths it rotates through and, for
targets that need more than a plain GET, header and body templates whose `{name}`
placeholders are filled from `fields`, lists of values rotated with the request.

Which request is sent
    Every request of a run has an index k, counted up from the run's `start`. Request k
    uses path `paths[k % len(paths)]` and, for each field, value `values[k % len(values)]`.
    Fields of the same length therefore stay aligned: the visitor targets (add-to-cart,
    cart, checkout) hold one `cookie`, `csrf` and `visitor` value per prepared visitor, so
    request k always sends visitor k's cookie with visitor k's token. The add-to-cart
    target's `variant_id` list has a length coprime with the number of visitors, so each
    (visitor, variant) pair recurs only after visitors × variants requests and a visitor
    practically never adds the same variant twice (max_per_order would refuse it).
    Each run reports the last index it used, and the next run of the same target (the
    warm-up, then the measured run) continues after it instead of starting over.

wrk
    Every target runs with a small generated Lua script. With one path and no templates
    it only adds a `done()` hook that prints exact percentiles as JSON (including p95,
    which `--latency` does not show). Otherwise it also defines `request()`: wrk thread t
    of T sends indices start + t, start + t + T, ..., so threads never send the same
    index, and `done()` reports the highest index sent. What is reported comes from
    wrk's own text output: `Requests/sec`, the 50% and 99% lines of `Latency
    Distribution`, `Non-2xx or 3xx responses` (wrk counts every status of 400 and more,
    so a 303 is a success and a 409 or 422 a failure) and `Socket errors`.

Python fallback
    Used when wrk is missing, or with `--tool python`: keeps the same number of
    keep-alive connections busy from Python threads with `http.client`, taking indices
    from one shared counter. It is itself limited by the GIL and shares the CPUs with the
    servers, so its absolute figures are much lower than wrk's; ratios between targets
    measured with it remain indicative only.
"""

from __future__ import annotations

import http.client
import itertools
import json
import math
import re
import shutil
import string
import subprocess
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

LUA_DIR = Path(__file__).resolve().parent / "lua"
FORM_TYPE = "application/x-www-form-urlencoded"
VISITOR_FIELDS = ("cookie", "csrf", "visitor")  # filled in by bench.visitors
MONEY_RATIO_TARGET = 0.20  # SPEC §9: add-to-cart and a 3-line cart page


@dataclass(frozen=True)
class Visitors:
    """Shoppers to prepare before the load, one per entry of `carts`.

    Each visitor GETs `landing` (which gives it a session cookie and a CSRF token), adds
    every variant id of its entry with POST /cart/add (quantity 1), follows the redirect
    to /cart, and keeps the session cookie the server returned last. `bench.visitors`
    does this and fills the target's `cookie`, `csrf` and `visitor` (its number) fields.
    """

    carts: tuple[tuple[int, ...], ...]
    landing: str

    def __len__(self) -> int:
        return len(self.carts)


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
    precheck: bool = True  # send requests 0..len(paths)-1 once before the load
    expect_status: int = 200  # what the precheck requires
    expect_location: str | None = None  # the precheck requires it in a redirect's Location
    # The precheck warns when a marker is missing from the page (count None) or does not
    # appear exactly `count` times.
    shows: tuple[tuple[str, int | None], ...] = ()
    headers: dict[str, str] = field(default_factory=dict)  # templates, see module doc
    body: str | None = None  # a form body template; sent as FORM_TYPE
    fields: dict[str, tuple[str, ...]] = field(default_factory=dict)
    visitors: Visitors | None = None  # sessions to prepare before the precheck
    informational: bool = False  # reported, but no SPEC §9 target applies
    # A SPEC §9 money-path target: the ratio to bare must reach this (no p99 target).
    ratio_target: float | None = None

    def request(self, index: int) -> tuple[str, dict[str, str], bytes | None]:
        """Path, headers and body of request number `index` (the rule in the docstring)."""
        values = {name: seq[index % len(seq)] for name, seq in self.fields.items()}
        headers = {name: value.format_map(values) for name, value in self.all_headers().items()}
        body = self.body.format_map(values).encode() if self.body is not None else None
        return self.paths[index % len(self.paths)], headers, body

    def all_headers(self) -> dict[str, str]:
        """The header templates plus the form Content-Type when there is a body."""
        if self.body is not None and "Content-Type" not in self.headers:
            return {**self.headers, "Content-Type": FORM_TYPE}
        return dict(self.headers)

    @property
    def dynamic(self) -> bool:
        """Whether requests differ from one another (else wrk sends one fixed request)."""
        return (
            len(self.paths) > 1
            or self.method != "GET"
            or bool(self.headers)
            or self.body is not None
            or bool(self.fields)
        )

    @property
    def precheck_requests(self) -> int:
        """How many request indices the precheck uses (the load continues after them)."""
        return len(self.paths) if self.precheck else 0


def coprime_prefix(values: list, other: int) -> list:
    """The longest prefix of `values` whose length shares no factor with `other`."""
    length = len(values)
    while length > 1 and math.gcd(length, other) != 1:
        length -= 1
    return values[:length]


def targets_for(catalogue, visitors: int = 100) -> list[Target]:
    """Everything one run measures, in order. The first target is the baseline.

    `visitors` is the number of shopper sessions prepared for each of the cart targets
    (add-to-cart, cart, checkout); see `Visitors` and `bench.visitors`.
    """
    queries = catalogue.queries
    landing = f"/products/{catalogue.product_slug}"
    pool = coprime_prefix(catalogue.cart_variants, visitors)
    cookie = {"Cookie": "{cookie}"}
    checkout = catalogue.checkout_variants
    return [
        Target("bare", "bare", ("/",), "bare Flask endpoint (baseline)"),
        Target(
            "article",
            "shop",
            (f"/articles/{catalogue.bench_article}",),
            "article page with 3 embedded products",
            spec=True,
            shows=tuple((f"/products/{slug}", None) for slug in catalogue.embedded_products),
        ),
        Target("product-list", "shop", ("/products/",), "product list, 24 per page", spec=True),
        Target("product", "shop", (landing,), "product page (one slug: the cached page)"),
        Target(
            "article-click",
            "shop",
            tuple(
                f"/products/{slug}?ref={catalogue.bench_article}&pos={pos}"
                for pos, slug in enumerate(catalogue.embedded_products, start=1)
            ),
            "product page reached from the article's cards (counts the click, sets the "
            "attribution cookie)",
            informational=True,
        ),
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
        Target(
            "add-to-cart",
            "shop",
            ("/cart/add",),
            f"POST /cart/add (HTML form, 303 to /cart), {visitors} visitors with a cart, "
            f"{len(pool):,} variants rotated",
            method="POST",
            expect_status=303,
            expect_location="/cart",
            headers=cookie,
            body="csrf_token={csrf}&variant_id={variant_id}&quantity=1",
            fields={"variant_id": tuple(str(v) for v in pool)},
            visitors=Visitors(
                tuple((catalogue.starter_variant,) for _ in range(visitors)), landing
            ),
            ratio_target=MONEY_RATIO_TARGET,
        ),
        Target(
            "cart",
            "shop",
            ("/cart",),
            f"GET /cart holding 3 items, {visitors} visitors rotated",
            headers=cookie,
            shows=(('data-line-id="', 3),),
            visitors=Visitors(
                tuple(
                    tuple(pool[(3 * i + j) % len(pool)] for j in range(3)) for i in range(visitors)
                ),
                landing,
            ),
            ratio_target=MONEY_RATIO_TARGET,
        ),
        Target(
            "checkout",
            "shop",
            ("/checkout",),
            f"POST /checkout placing an order (1 unit; holds stock, creates a sandbox "
            f"Checkout Session; 303 to its page), {visitors} visitors rotated",
            method="POST",
            expect_status=303,
            expect_location="/pay/",
            headers=cookie,
            body=(
                "csrf_token={csrf}&email=bench{visitor}%40example.com&acknowledge=yes"
                "&name=Bench+Visitor&phone=9845012345&line1=1+Bench+Road&city=Bengaluru"
                "&state=29&pincode=560001"
            ),
            visitors=Visitors(
                tuple((checkout[i % len(checkout)],) for i in range(visitors)), landing
            ),
            informational=True,
        ),
    ]


@dataclass
class Result:
    """Figures for one measured run of a target; times in milliseconds.

    `warmup_requests` and `warmup_non_2xx_3xx` come from the warm-up run before it, whose
    timings are thrown away but whose failures still count. `last_index` is the highest
    request index sent (None when every request was the same).
    """

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
    last_index: int | None = None
    warmup_requests: int = 0
    warmup_non_2xx_3xx: int = 0
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


def lua_string(value: str) -> str:
    """`value` as a Lua 5.1 string literal (non-ASCII bytes as decimal escapes)."""
    out = []
    for byte in value.encode():
        char = chr(byte)
        if char in ('"', "\\"):
            out.append("\\" + char)
        elif 32 <= byte < 127:
            out.append(char)
        else:
            out.append(f"\\{byte:03d}")
    return '"' + "".join(out) + '"'


def lua_template(template: str, fields: dict[str, tuple[str, ...]]) -> str:
    """A Lua expression building `template` for index `k` (see `Target.request`)."""
    parts = []
    for literal, name, spec, conversion in string.Formatter().parse(template):
        if literal:
            parts.append(lua_string(literal))
        if name is not None:
            if name not in fields or spec or conversion:
                raise ValueError(f"template {template!r}: unknown or formatted field {name!r}")
            parts.append(f"f_{name}[(k % #f_{name}) + 1]")
    return " .. ".join(parts) or '""'


def lua_script(target: Target, *, start: int = 0, threads: int = 1) -> str:
    """The Lua script wrk runs for `target` (see the module docstring)."""
    if target.script:
        return (LUA_DIR / target.script).read_text()
    lines = [f"-- generated by bench for target {target.name!r}"]
    if target.dynamic:
        lines.append("local paths = {" + ", ".join(lua_string(p) for p in target.paths) + "}")
        for name, values in target.fields.items():
            if not name.isidentifier():
                raise ValueError(f"field name {name!r} is not an identifier")
            lines.append(f"local f_{name} = {{" + ", ".join(lua_string(v) for v in values) + "}")
        headers = ", ".join(
            f"[{lua_string(name)}] = {lua_template(value, target.fields)}"
            for name, value in target.all_headers().items()
        )
        body = "nil" if target.body is None else lua_template(target.body, target.fields)
        lines += [
            f"local start, stride = {start}, {threads}",
            "local threads = {}",
            "function setup(thread)",
            "  thread:set('first', start + #threads)",
            "  table.insert(threads, thread)",
            "end",
            "local k = nil",
            "request = function()",
            "  if k == nil then k = first else k = k + stride end",
            "  last = k",
            f"  return wrk.format({lua_string(target.method)}, paths[(k % #paths) + 1], "
            f"{{{headers}}}, {body})",
            "end",
        ]
    lines += [
        "done = function(summary, latency, requests)",
        "  local e = summary.errors",
        "  local last = -1",
        "  for _, thread in ipairs(threads or {}) do",
        "    local sent = thread:get('last')",
        "    if sent ~= nil and sent > last then last = sent end",
        "  end",
        '  io.write(string.format(\'BENCH-JSON {"requests": %d, "duration_us": %d, '
        '"status_errors": %d, "p50_us": %.1f, "p90_us": %.1f, "p95_us": %.1f, '
        '"p99_us": %.1f, "max_us": %.1f, "last_index": %d}\\n\',',
        "    summary.requests, summary.duration, e.status,",
        "    latency:percentile(50), latency:percentile(90), latency:percentile(95),",
        "    latency:percentile(99), latency.max, last))",
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
        if extra.get("last_index", -1) >= 0:
            figures["last_index"] = extra["last_index"]
    return figures


def run_wrk(
    target: Target,
    base_url: str,
    *,
    duration: float,
    threads: int,
    connections: int,
    script_dir: Path,
    start: int = 0,
) -> Result:
    """One wrk run of `target`, its request indices counted from `start`."""
    script = script_dir / f"{target.name}.lua"
    script.write_text(lua_script(target, start=start, threads=threads))
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
    target: Target,
    base_url: str,
    *,
    duration: float,
    connections: int,
    start: int = 0,
    **_ignored,
) -> Result:
    """Keep `connections` keep-alive connections busy for `duration` seconds."""
    if target.script:
        raise RuntimeError(f"{target.name} needs wrk (it uses the Lua script {target.script})")
    parts = urlsplit(base_url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    latencies: list[list[float]] = [[] for _ in range(connections)]
    statuses_bad = [0] * connections
    errors = [0] * connections
    highest = [-1] * connections
    indices = itertools.count(start)  # next() on it is atomic under the GIL
    start_gate = threading.Barrier(connections + 1)
    deadline_box: list[float] = []

    def worker(slot: int) -> None:
        conn: http.client.HTTPConnection | None = None
        start_gate.wait()
        deadline = deadline_box[0]
        while time.monotonic() < deadline:
            index = next(indices)
            highest[slot] = index
            path, headers, body = target.request(index)
            began = time.perf_counter()
            try:
                if conn is None:
                    conn = http.client.HTTPConnection(host, port, timeout=10)
                conn.request(target.method, path, body=body, headers=headers)
                response = conn.getresponse()
                response.read()
                if response.will_close:
                    conn.close()
                    conn = None
            except (OSError, http.client.HTTPException):
                errors[slot] += 1
                if conn is not None:
                    conn.close()
                conn = None
                continue
            latencies[slot].append(time.perf_counter() - began)
            if not 200 <= response.status < 400:
                statuses_bad[slot] += 1
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
        last_index=max(highest) if max(highest) >= 0 else None,
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
