"""Command line and the order of a run: generate, serve, check, load, report, clean up."""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import sys
import tempfile
from contextlib import suppress
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy.engine import make_url

from bench import say
from bench.generate import DatabaseNotEmpty, generate, prepare_database
from bench.load import Result, Target, run_python, run_wrk, targets_for, wrk_available, wrk_version
from bench.report import (
    baseline_drift,
    baseline_rps,
    checks_text,
    errors_text,
    informational_text,
    machine_info,
    ratio,
    spec_checks,
    table,
    write_checks,
    write_checks_text,
    write_json,
)
from bench.scale import run_scale, scale_defaults
from bench.servers import PaymentSandbox, Server, ServerError, clean_environment
from bench.visitors import VisitorError, check, prepare, server_counts

RESULTS_DIR = Path(__file__).resolve().parent / "results"

EXIT_OK, EXIT_PAGE_ERRORS, EXIT_SERVER, EXIT_INTERRUPTED = 0, 1, 2, 130
DRIFT_WARNING = 0.10  # warn when the two bare runs differ by more than this


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench",
        description="Generate a catalogue, serve the shop with gunicorn and measure its "
        "pages against a bare Flask endpoint (SPEC §9).",
    )
    size = parser.add_argument_group("catalogue")
    size.add_argument("--products", type=int, help="products to generate (default 10000)")
    size.add_argument("--articles", type=int, help="articles to generate (default 1000)")
    size.add_argument("--seed", type=int, default=42, help="random seed (default 42)")
    size.add_argument(
        "--database-url",
        help="use this database instead of a scratch SQLite file, e.g. "
        "postgresql+psycopg://postgres@127.0.0.1/remedy_bench (created when missing; "
        "must hold no tables unless --reset-database)",
    )
    size.add_argument(
        "--reset-database",
        action="store_true",
        help="empty the --database-url database first (DROPS EVERYTHING IN IT)",
    )
    size.add_argument(
        "--keep-db", action="store_true", help="keep the scratch SQLite database and server logs"
    )
    load = parser.add_argument_group("load")
    load.add_argument("--duration", type=float, help="seconds measured per target (default 10)")
    load.add_argument("--warmup", type=float, help="warm-up seconds per target (default 2)")
    load.add_argument("--threads", type=int, default=2, help="wrk threads (default 2)")
    load.add_argument(
        "--connections", type=int, default=32, help="concurrent connections (default 32)"
    )
    load.add_argument("--workers", type=int, default=2, help="gunicorn workers (default 2)")
    load.add_argument(
        "--visitors",
        type=int,
        default=100,
        help="shopper sessions prepared for each cart target (add-to-cart, cart, checkout; "
        "default 100)",
    )
    load.add_argument(
        "--tool",
        choices=("auto", "wrk", "python"),
        default="auto",
        help="load generator: wrk when installed (auto), or the Python fallback",
    )
    load.add_argument(
        "--only",
        action="append",
        metavar="TARGET",
        help="measure only this target (repeatable; the bare baseline always runs)",
    )
    load.add_argument(
        "--page-cache-seconds",
        type=int,
        help="set SHOP_PAGE_CACHE_SECONDS for the shop (0 measures uncached pages; "
        "default: the shop's own default)",
    )
    scale = parser.add_argument_group("scale (issue 15; see bench/scale.py)")
    scale.add_argument(
        "--scale",
        type=int,
        metavar="N",
        help="measure the shop at N products (articles default N/20) against the scale "
        "targets: search, deep list pages, the condition page, CSV import/export, "
        "generate-catalogue",
    )
    scale.add_argument(
        "--reuse",
        action="store_true",
        help="with --scale and --database-url: use the catalogue already there when it "
        "holds exactly N products and the articles asked for (no generation)",
    )
    scale.add_argument(
        "--import-rows",
        type=int,
        default=10_000,
        help="with --scale: changed rows in the CSV import (default 10000)",
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="smoke run: 500 products, 50 articles, 3 s per target, 1 s warm-up",
    )
    parser.add_argument(
        "--results-dir", type=Path, default=RESULTS_DIR, help=f"default {RESULTS_DIR}"
    )
    args = parser.parse_args(argv)
    if args.scale is not None:
        scale_defaults(args, parser.error)
    elif args.reuse:
        parser.error("--reuse goes with --scale")
    defaults = (500, 50, 3.0, 1.0) if args.quick else (10_000, 1_000, 10.0, 2.0)
    for name, default in zip(("products", "articles", "duration", "warmup"), defaults, strict=True):
        if getattr(args, name) is None:
            setattr(args, name, default)
    if args.products < 10 or args.articles < 5:
        parser.error("need at least 10 products and 5 articles")
    if args.duration < 1:
        parser.error("--duration must be at least 1 second")
    if args.visitors < 1:
        parser.error("--visitors must be at least 1")
    return args


def _interrupt(signum, frame):
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, _interrupt)
    signal.signal(signal.SIGINT, signal.default_int_handler)  # even when started in background
    scratch = Path(tempfile.mkdtemp(prefix="remedy-bench-"))
    servers: list[Server] = []
    try:
        if args.scale is not None:
            return run_scale(args, scratch, servers)
        return run(args, scratch, servers)
    except KeyboardInterrupt:
        say("interrupted")
        return EXIT_INTERRUPTED
    finally:
        with suppress(KeyboardInterrupt):
            for server in servers:
                server.stop()
        if args.keep_db:
            say(f"kept {scratch} (scratch database and server logs)")
        else:
            shutil.rmtree(scratch, ignore_errors=True)


def run(args: argparse.Namespace, scratch: Path, servers: list[Server]) -> int:
    started = datetime.now(UTC)
    tool = choose_tool(args.tool)
    if tool is None:
        return EXIT_SERVER
    machine = machine_info()
    load_now, cpus = machine["load_average_at_start"], machine["nproc"] or 1
    if load_now and load_now[0] > cpus / 2:
        say(
            f"warning: load average {load_now[0]:.1f} on {cpus} CPUs: something else is "
            "running, so the figures will be noisy"
        )

    # 1. generate
    url = args.database_url or f"sqlite:///{scratch / 'bench.sqlite3'}"
    shown_url = make_url(url).render_as_string(hide_password=True)
    try:
        prepare_database(url, reset=args.reset_database)
    except DatabaseNotEmpty as error:
        say(f"refusing to use {shown_url}: {error}")
        return EXIT_SERVER
    say(f"generating {args.products:,} products and {args.articles:,} articles in {shown_url}")
    catalogue = generate(
        url,
        products=args.products,
        articles=args.articles,
        seed=args.seed,
        high_stock_products=args.visitors,
    )
    say(
        f"catalogue ready in {catalogue.seconds:.1f}s: {catalogue.products:,} products, "
        f"{catalogue.variants:,} variants, {catalogue.articles:,} articles; search index: "
        f"{catalogue.search_index}"
    )

    # 2. serve: the payment sandbox first, since the shop's environment names its port
    payments = PaymentSandbox(clean_environment(), scratch / "payments.log")
    extra = {
        "DATABASE_URL": url,
        "SECRET_KEY": "bench",
        # no POST the benchmark sends is rate-limited: per-worker counters are fine here
        "SHOP_ALLOW_PER_PROCESS_LIMITS": "1",
        **payments.shop_environment(),
    }
    if args.page_cache_seconds is not None:
        extra["SHOP_PAGE_CACHE_SECONDS"] = str(args.page_cache_seconds)
    env = clean_environment(**extra)
    shop = Server("shop", "shop:create_app()", env, scratch / "shop.log", args.workers)
    bare = Server("bare", "bench.bare:app", env, scratch / "bare.log", args.workers)
    servers += [payments, shop, bare]
    try:
        for server in servers:
            server.start()
        payments.wait_until_ready("/")
        shop.wait_until_ready("/healthz")
        bare.wait_until_ready("/")
    except ServerError as error:
        say(str(error))
        return EXIT_SERVER
    say(
        f"shop on {shop.base_url}, bare Flask on {bare.base_url} "
        f"(gunicorn -w {args.workers} -k sync), payment sandbox on {payments.base_url}"
    )
    by_server = {"shop": shop, "bare": bare}

    targets = targets_for(catalogue, args.visitors)
    if args.only:
        unknown = set(args.only) - {t.name for t in targets}
        if unknown:
            say(
                f"unknown target(s) {', '.join(sorted(unknown))}; "
                f"known: {', '.join(t.name for t in targets)}"
            )
            return EXIT_PAGE_ERRORS
        targets = [t for t in targets if t.server == "bare" or t.name in args.only]

    # 3. prepare visitors, check every target answers as expected, then load
    targets, skipped = precheck(targets, by_server)
    if skipped:
        say(
            "skipped, the precheck failed:\n  "
            + "\n  ".join(f"{name}: {why}" for name, why in skipped.items())
        )
        say(shop.log_tail())
    counts_before = server_counts(url)
    targets, results, failures = measure(args, tool, targets, by_server, scratch)
    counts_after = server_counts(url)
    skip_notes = [f"{name}: skipped, precheck failed: {why}" for name, why in skipped.items()]
    failures = skip_notes + failures
    for server in servers:
        if server.process is not None and server.process.poll() is not None:
            failures.append(f"{server.name} server exited during the run")
    writes = write_checks(targets, results, counts_before, counts_after, args.connections)

    # 4. report
    baseline = baseline_rps(results)
    checks = spec_checks(targets, results, baseline)
    load_tool = (
        f"wrk -t{args.threads} -c{args.connections}"
        if tool == "wrk"
        else f"Python fallback load generator, {args.connections} connections"
    )
    print()
    print(
        f"Remedy Shop benchmark, {started:%Y-%m-%d %H:%M} UTC: {catalogue.products:,} "
        f"products, {catalogue.articles:,} articles, {make_url(url).get_backend_name()}; "
        f"{load_tool}, {args.duration:g}s per target; "
        f"gunicorn -w {args.workers} -k sync; {cpus} CPUs"
    )
    print()
    print(table(targets, results, baseline, skipped))
    print(f"(ratio = req/s ÷ {baseline or 0:,.0f}, the mean of the two bare runs)")
    if note := informational_text(targets):
        print(note)
    drift = baseline_drift(results)
    if drift is not None and drift > DRIFT_WARNING:
        print(
            f"WARNING: the bare endpoint's req/s moved {drift:.0%} between the start and the "
            "end of the run; the machine was not quiet, so treat the ratios with care."
        )
    print()
    print(checks_text(checks, results, catalogue.products))
    if writes:
        print()
        print(write_checks_text(writes))
    if failures:
        print()
        print("ERRORS:")
        for failure in failures:
            print(f"  {failure}")
        print(shop.log_tail(40))
        if "checkout" in results or "checkout" in skipped:
            print(payments.log_tail(10))

    payload = {
        "timestamp": started.isoformat(),
        "command": ["python", "-m", "bench", *sys.argv[1:]],
        "settings": {
            "tool": tool,
            "tool_version": wrk_version() if tool == "wrk" else "python http.client threads",
            "threads": args.threads,
            "connections": args.connections,
            "duration_s": args.duration,
            "warmup_s": args.warmup,
            "gunicorn": f"-w {args.workers} -k sync",
            "visitors": args.visitors,
            "payment_sandbox": "python -m shop.payments.sandbox (no webhook URL)",
            "page_cache_seconds": args.page_cache_seconds,
            "seed": args.seed,
        },
        "machine": {**machine, "load_average_at_end": _loadavg()},
        "database": {"backend": make_url(url).get_backend_name(), "url": shown_url},
        "catalogue": catalogue.summary(),
        "baseline_rps": baseline,
        "baseline_drift": drift,
        "targets": [
            {
                "name": t.name,
                "description": t.description,
                "server": t.server,
                "method": t.method,
                "paths": list(t.paths),
                "spec_target": t.spec,
                "informational": t.informational,
                "expect_status": t.expect_status,
                "visitors": len(t.visitors) if t.visitors else None,
                "rotated_fields": {name: len(values) for name, values in t.fields.items()},
                "ratio_to_bare": ratio(results[t.name], baseline),
                **results[t.name].as_dict(),
            }
            for t in targets
            if t.name in results
        ],
        "skipped": [{"name": name, "precheck_error": why} for name, why in skipped.items()],
        "server_side": {
            "before_load": counts_before,
            "after_load": counts_after,
            "checks": writes,
        },
        "checks": [c.as_dict() for c in checks],
        "all_targets_passed": bool(checks) and all(c.passed for c in checks),
        "errors": failures,
    }
    path = write_json(args.results_dir, started, payload)
    print()
    print(f"Figures written to {path} and {path.parent / 'latest.json'}")
    return EXIT_PAGE_ERRORS if failures else EXIT_OK


def choose_tool(wanted: str) -> str | None:
    if wanted == "python":
        return "python"
    if wrk_available():
        return "wrk"
    if wanted == "wrk":
        say("--tool wrk given but wrk is not installed")
        return None
    say(
        "wrk is not installed: using the Python load generator instead. Its figures are far "
        "lower than wrk's and the ratios are only indicative."
    )
    return "python"


def measure(
    args: argparse.Namespace,
    tool: str,
    targets: list[Target],
    by_server: dict[str, Server],
    scratch: Path,
) -> tuple[list[Target], dict[str, Result], list[str]]:
    """Warm up and measure each target in turn, then the bare endpoint once more.

    The second bare run shows whether the machine's speed drifted during the run (other
    work starting or stopping); the ratios use the mean of the two bare runs.
    """
    runner = run_wrk if tool == "wrk" else run_python
    options = {"threads": args.threads, "connections": args.connections, "script_dir": scratch}
    bare = next((t for t in targets if t.server == "bare"), None)
    if bare is not None:
        targets = [*targets, replace(bare, name="bare-end", description="bare endpoint again")]
    results: dict[str, Result] = {}
    failures: list[str] = []
    for target in targets:
        base = by_server[target.server].base_url
        start = target.precheck_requests  # the precheck sent the indices before it
        try:
            warmup = None
            if args.warmup > 0 and target.name != "bare-end":
                warmup = runner(target, base, duration=args.warmup, start=start, **options)
                start = _next_index(warmup, start)
            result = runner(target, base, duration=args.duration, start=start, **options)
        except RuntimeError as error:
            failures.append(f"{target.name}: {error}")
            say(f"{target.name}: load run failed: {error}")
            continue
        if warmup is not None:
            result.warmup_requests = warmup.requests
            result.warmup_non_2xx_3xx = warmup.non_2xx_3xx
            if warmup.non_2xx_3xx:
                failures.append(
                    f"{target.name}: {warmup.non_2xx_3xx} non-2xx/3xx responses of "
                    f"{warmup.requests} during the warm-up"
                )
        results[target.name] = result
        say(
            f"{target.name:<15} {result.rps:>9,.0f} req/s  p50 {result.p50_ms or 0:7.2f} ms  "
            f"p99 {result.p99_ms or 0:7.2f} ms  {errors_text(result)} errors"
        )
        if result.non_2xx_3xx:
            failures.append(
                f"{target.name}: {result.non_2xx_3xx} non-2xx/3xx responses of {result.requests}"
            )
    return targets, results, failures


def _next_index(run: Result, start: int) -> int:
    """Where the next run of a target continues, so it does not repeat requests."""
    if run.last_index is not None:
        return run.last_index + 1
    return start + run.requests


def precheck(
    targets: list[Target], by_server: dict[str, Server]
) -> tuple[list[Target], dict[str, str]]:
    """Prepare each target's visitors and send its first requests once.

    Returns the targets to measure (with their visitor fields filled) and, by name,
    why each other target was skipped: a visitor could not be prepared, or a request
    got another status than `expect_status` (or redirected elsewhere). Missing page
    markers (`Target.shows`) are only warned about.
    """
    ready, skipped = [], {}
    for target in targets:
        base = by_server[target.server].base_url
        try:
            if target.visitors is not None:
                say(f"{target.name}: preparing {len(target.visitors)} visitors")
                target = prepare(target, base)
            for index in range(target.precheck_requests):
                for warning in check(target, base, index):
                    say(f"warning: {target.name}: {warning}")
        except VisitorError as error:
            skipped[target.name] = str(error)
            continue
        ready.append(target)
    return ready, skipped


def _loadavg() -> list[float] | None:
    try:
        return list(os.getloadavg())
    except (AttributeError, OSError):
        return None
