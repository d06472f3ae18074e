"""`python -m bench --scale N`: the shop at catalogue scale, against issue 15's targets.

1. Catalogue: the real migrations (`flask db upgrade`), then `flask --app shop
   generate-catalogue --products N --articles M` in its own process, timed by the wall
   clock, start-up included (the target, < 60 s at 100,000 products, applies on
   PostgreSQL). With `--reuse`, a database that
   already holds N products and M articles is used as it is (generation not timed).
2. The shop under gunicorn as in the normal bench, with the page cache off
   (`SHOP_PAGE_CACHE_SECONDS=0`): every figure is an uncached render.
3. One client (a keep-alive `http.client` connection, one request at a time): search
   rotating realistic queries (a typo among them), the product list sorted by price and
   by discount at page 1 and at the deepest page the list serves, and the condition page
   with the most products. Then search again with 16 clients (wrk, or the Python load
   generator). A socket error, a timeout (10 s for one client; wrk's own 2 s under load)
   or a non-2xx/3xx answer is a failure.
4. The gunicorn servers stop; `python -m bench.bulk` then streams the whole CSV export
   and imports `--import-rows` changed rows in a fresh process, so its peak memory is
   its own.
5. A table of every figure with its target, and the JSON in bench/results/.
"""

from __future__ import annotations

import argparse
import http.client
import json
import math
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import quote, urlsplit

from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import make_url

from bench import say
from bench.generate import DatabaseNotEmpty, prepare_database
from bench.load import Target, run_python, run_wrk, wrk_available
from bench.report import machine_info, write_json
from bench.scale_report import (
    Timing,
    Verdict,
    bulk_verdicts,
    generate_verdict,
    percentile,
    summary_line,
    timing_verdict,
    verdicts_table,
)
from bench.servers import PROJECT_ROOT, Server, ServerError, clean_environment

# Realistic shopper searches: single words, two words, and common misspellings.
SEARCH_QUERIES = (
    "turmeric",
    "joint pain",
    "ashwagandha capsules",
    "knee oil",
    "capsuls",
    "ashwaganda",
    "jont pain",
    "sleep",
    "herbal balm",
    "ginger tablets",
)
REQUEST_TIMEOUT = 10.0  # seconds; a slower answer counts as a timeout (a failure)
SEARCH_CLIENTS = 16
EXIT_OK, EXIT_FAILED, EXIT_SERVER = 0, 1, 2


def scale_defaults(args: argparse.Namespace, error) -> None:
    """Fill `products`/`articles` from `--scale` and check the scale options."""
    if args.quick:
        error("--scale and --quick do not go together")
    if args.products is not None and args.products != args.scale:
        error("--scale N sets the products: leave out --products")
    if args.scale < 100:
        error("--scale must be at least 100")
    args.products = args.scale
    if args.articles is None:
        args.articles = max(5, args.scale // 20)
    if args.reuse and not args.database_url:
        error("--reuse needs --database-url (the scratch SQLite database is always new)")
    if args.import_rows < 1:
        error("--import-rows must be at least 1")


def command_env(url: str, **extra: str) -> dict[str, str]:
    return clean_environment(
        DATABASE_URL=url, SECRET_KEY="bench", SHOP_PAYMENTS_SANDBOX="1", **extra
    )


def flask(url: str, *arguments: str) -> float:
    """Run `flask --app shop ARGUMENTS` against `url`; its wall-clock seconds."""
    command = [sys.executable, "-m", "flask", "--app", "shop", *arguments]
    started = time.perf_counter()
    done = subprocess.run(
        command, cwd=PROJECT_ROOT, env=command_env(url), capture_output=True, text=True
    )
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(arguments)} failed:\n{done.stdout}{done.stderr}")
    return seconds


def held_catalogue(url: str) -> tuple[int, int] | None:
    """(products, articles) in the database at `url`, or None without a catalogue."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite" and not Path(parsed.database or "").exists():
        return None
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            if not {"products", "articles"} <= set(inspect(conn).get_table_names()):
                return None
            return (
                conn.scalar(text("SELECT COUNT(*) FROM products")),
                conn.scalar(text("SELECT COUNT(*) FROM articles")),
            )
    except Exception:  # noqa: BLE001 - a database that does not exist yet holds nothing
        return None
    finally:
        engine.dispose()


def catalogue(args: argparse.Namespace, url: str) -> float | None:
    """Generate the catalogue (its seconds) or reuse the one held (None)."""
    if args.reuse and held_catalogue(url) == (args.products, args.articles):
        say(f"reusing the catalogue in the database ({args.products:,} products)")
        flask(url, "db", "upgrade")
        return None
    prepare_database(url, reset=args.reset_database)
    say("creating the schema (flask db upgrade)")
    flask(url, "db", "upgrade")
    say(f"generate-catalogue --products {args.products} --articles {args.articles}")
    seconds = flask(
        url,
        "generate-catalogue",
        f"--products={args.products}",
        f"--articles={args.articles}",
        f"--seed={args.seed}",
    )
    say(f"catalogue generated in {seconds:.1f} s")
    return seconds


def deepest_page(active: int, cap: int, per_page: int) -> int:
    """The last page the product list serves: its end, or the cap's for a longer list."""
    return max(1, min(math.ceil(cap / per_page), math.ceil(active / per_page)))


def pages(url: str) -> dict[str, list[str]]:
    """The URLs measured: search queries, list sorts at page 1 and the deepest page, and
    the condition with the most products."""
    from shop.catalog.queries import LIST_CAP, PER_PAGE

    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            active = conn.scalar(text("SELECT COUNT(*) FROM products WHERE active"))
            condition = conn.scalar(
                text(
                    "SELECT c.slug FROM conditions c JOIN product_conditions pc "
                    "ON pc.condition_id = c.id GROUP BY c.id, c.slug "
                    "ORDER BY COUNT(*) DESC, c.id LIMIT 1"
                )
            )
    finally:
        engine.dispose()
    deep = deepest_page(active, LIST_CAP, PER_PAGE)
    found = {"search": [f"/search?q={quote(q)}" for q in SEARCH_QUERIES]}
    for sort, label in (("price_asc", "price"), ("discount", "discount")):
        found[f"list-{label}-1"] = [f"/products/?sort={sort}"]
        found[f"list-{label}-deep"] = [f"/products/?sort={sort}&page={deep}"]
    found["condition"] = [f"/conditions/{condition}"]
    return found


DESCRIPTIONS = {
    "search": "search, {n} queries incl. typos",
    "list-price-1": "list by price, page 1",
    "list-price-deep": "list by price, page {page}",
    "list-discount-1": "list by discount, page 1",
    "list-discount-deep": "list by discount, page {page}",
    "condition": "condition page {path}",
}


def describe(name: str, paths: list[str]) -> str:
    page = paths[0].rsplit("page=", 1)[-1] if "page=" in paths[0] else "1"
    return DESCRIPTIONS[name].format(n=len(paths), page=page, path=paths[0])


def one_client(base: str, name: str, paths: list[str], duration: float) -> Timing:
    """Requests one after another over a keep-alive connection for `duration` seconds."""
    parts = urlsplit(base)
    conn: http.client.HTTPConnection | None = None
    latencies, bad, errors, index = [], 0, 0, 0
    by_path: dict[str, list[float]] = {path: [] for path in paths}
    started = time.perf_counter()
    while time.perf_counter() - started < duration:
        path = paths[index % len(paths)]
        index += 1
        began = time.perf_counter()
        try:
            if conn is None:
                conn = http.client.HTTPConnection(
                    parts.hostname, parts.port, timeout=REQUEST_TIMEOUT
                )
            conn.request("GET", path)
            response = conn.getresponse()
            response.read()
        except (OSError, http.client.HTTPException):
            errors += 1
            if conn is not None:
                conn.close()
            conn = None
            continue
        latencies.append((time.perf_counter() - began) * 1000)
        by_path[path].append(latencies[-1])
        if not 200 <= response.status < 400:
            bad += 1
    if conn is not None:
        conn.close()
    seconds = time.perf_counter() - started
    timing = Timing.from_latencies(
        name, describe(name, paths), latencies, seconds=seconds, bad_status=bad,
        socket_errors=errors, paths=paths,
    )  # fmt: skip
    if len(paths) > 1:
        timing.p50_by_path = {p: percentile(v, 50) for p, v in by_path.items() if v}
    return timing


def many_clients(
    base: str, paths: list[str], args: argparse.Namespace, tool: str, scratch: Path
) -> Timing:
    """Search with SEARCH_CLIENTS connections (wrk, else the Python generator)."""
    target = Target("search-16", "shop", tuple(paths), "search")
    runner = run_wrk if tool == "wrk" else run_python
    options = {"threads": min(args.threads, SEARCH_CLIENTS), "connections": SEARCH_CLIENTS,
               "script_dir": scratch}  # fmt: skip
    if args.warmup > 0:
        runner(target, base, duration=args.warmup, **options)
    result = runner(target, base, duration=args.duration, **options)
    return Timing(
        "search-16",
        describe("search", paths),
        SEARCH_CLIENTS,
        requests=result.requests,
        seconds=result.seconds,
        p50_ms=result.p50_ms,
        p95_ms=result.p95_ms,
        p99_ms=result.p99_ms,
        bad_status=result.non_2xx_3xx,
        socket_errors=result.socket_error_count,
        paths=paths,
        tool=tool,
    )


def bulk(url: str, rows: int) -> tuple[dict | None, str | None]:
    """`python -m bench.bulk URL ROWS --json` in its own process: its figures or an error."""
    command = [sys.executable, "-m", "bench.bulk", url, str(rows), "--json"]
    done = subprocess.run(
        command, cwd=PROJECT_ROOT, env=command_env(url), capture_output=True, text=True
    )
    if done.returncode != 0:
        return None, f"bench.bulk failed: {(done.stderr or done.stdout).strip()[-500:]}"
    return json.loads(done.stdout.strip().splitlines()[-1]), None


def measure_pages(
    args: argparse.Namespace, shop: Server, urls: dict[str, list[str]], tool: str, scratch: Path
) -> tuple[list[Timing], list[str]]:
    timings, failures = [], []
    for name, paths in urls.items():
        for path in paths:  # the precheck: every URL answers 200 once
            status = _status(shop.base_url + path)
            if status != 200:
                failures.append(f"{name}: {path} answered {status}")
        if args.warmup > 0:
            one_client(shop.base_url, name, paths, args.warmup)
        timing = one_client(shop.base_url, name, paths, args.duration)
        timings.append(timing)
        say(f"{name:<19} p50 {timing.p50_ms or 0:7.1f} ms  p95 {timing.p95_ms or 0:7.1f} ms  "
            f"{timing.requests} requests, {timing.failures} failures")  # fmt: skip
        if timing.p50_by_path:
            slowest = sorted(timing.p50_by_path.items(), key=lambda kv: -kv[1])[:3]
            say("  slowest p50: " + ", ".join(f"{p} {ms:.1f} ms" for p, ms in slowest))
        if name == "search":
            load = many_clients(shop.base_url, paths, args, tool, scratch)
            timings.append(load)
            say(f"search-16           {load.rps:7.1f} req/s  p95 {load.p95_ms or 0:7.1f} ms  "
                f"{load.failures} failures")  # fmt: skip
    return timings, failures


def _status(url: str) -> int | str:
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=REQUEST_TIMEOUT * 3)
    try:
        conn.request("GET", parts.path + (f"?{parts.query}" if parts.query else ""))
        response = conn.getresponse()
        response.read()
        return response.status
    except (OSError, http.client.HTTPException) as error:
        return f"no answer ({error})"
    finally:
        conn.close()


def run_scale(args: argparse.Namespace, scratch: Path, servers: list[Server]) -> int:
    started = datetime.now(UTC)
    tool = "wrk" if args.tool != "python" and wrk_available() else "python"
    url = args.database_url or f"sqlite:///{scratch / 'bench.sqlite3'}"
    backend = make_url(url).get_backend_name()
    shown_url = make_url(url).render_as_string(hide_password=True)
    machine = machine_info()
    try:
        generate_seconds = catalogue(args, url)
    except DatabaseNotEmpty as error:
        say(f"refusing to use {shown_url}: {error} (or --reuse it when it holds that catalogue)")
        return EXIT_SERVER
    except RuntimeError as error:
        say(str(error))
        return EXIT_SERVER
    urls = pages(url)

    env = command_env(url, SHOP_PAGE_CACHE_SECONDS="0", SHOP_ALLOW_PER_PROCESS_LIMITS="1")
    shop = Server("shop", "shop:create_app()", env, scratch / "shop.log", args.workers)
    servers.append(shop)
    try:
        shop.start()
        shop.wait_until_ready("/healthz", timeout=60)
    except ServerError as error:
        say(str(error))
        return EXIT_SERVER
    say(f"shop on {shop.base_url} (gunicorn -w {args.workers} -k sync, page cache off)")
    timings, failures = measure_pages(args, shop, urls, tool, scratch)
    shop.stop()

    say(f"CSV export, then an import of {args.import_rows:,} changed rows (bench.bulk)")
    figures, bulk_error = bulk(url, args.import_rows)
    verdicts: list[Verdict] = [timing_verdict(t) for t in timings]
    verdicts += bulk_verdicts(figures, bulk_error)
    verdicts.append(generate_verdict(generate_seconds, backend, args.products))

    print()
    print(
        f"Remedy Shop at scale, {started:%Y-%m-%d %H:%M} UTC: {args.products:,} products, "
        f"{args.articles:,} articles, {backend}; gunicorn -w {args.workers} -k sync, page "
        f"cache off; {args.duration:g} s per figure; {machine['nproc']} CPUs, load average "
        f"{', '.join(f'{x:.1f}' for x in machine['load_average_at_start'] or [])} at start"
    )
    print()
    print(verdicts_table(verdicts))
    print()
    print(summary_line(verdicts))
    if failures:
        print("\nERRORS:\n  " + "\n  ".join(failures))
        print(shop.log_tail(20))
    payload = {
        "timestamp": started.isoformat(),
        "command": ["python", "-m", "bench", *sys.argv[1:]],
        "mode": "scale",
        "settings": {
            "tool": tool,
            "duration_s": args.duration,
            "warmup_s": args.warmup,
            "gunicorn": f"-w {args.workers} -k sync",
            "page_cache_seconds": 0,
            "search_clients": SEARCH_CLIENTS,
            "import_rows": args.import_rows,
            "seed": args.seed,
            "reused_catalogue": generate_seconds is None,
        },  # fmt: skip
        "machine": machine,
        "database": {"backend": backend, "url": shown_url},
        "catalogue": {
            "products": args.products,
            "articles": args.articles,
            "generate_seconds": generate_seconds,
        },  # fmt: skip
        "timings": [t.as_dict() for t in timings],
        "bulk": figures,
        "verdicts": [v.as_dict() for v in verdicts],
        "all_targets_met": all(v.passed is not False for v in verdicts),
        "errors": failures + ([bulk_error] if bulk_error else []),
    }
    path = write_json(args.results_dir, started, payload)
    print(f"\nFigures written to {path} and {path.parent / 'latest.json'}")
    broken = failures or bulk_error or any(t.failures for t in timings)
    return EXIT_FAILED if broken else EXIT_OK
