"""`python -m bench` (`make bench`): how fast the storefront pages are, compared with Flask.

What is measured (SPEC §9)
    Requests per second and the 50th and 99th latency percentiles of the shop's busiest
    pages — an article with three embedded product cards, the 24-product list, a product
    page, site search and the product list filtered by a search word — each set against
    a bare Flask endpoint that returns a line of text. The bare endpoint runs on the same
    machine, under the same gunicorn settings and the same load in the same run, so the
    ratio "page req/s ÷ bare req/s" says how much of Flask's own speed the page keeps,
    more or less independently of the hardware. SPEC §9 asks for at least 0.30 for the
    article page and the product list, with p99 under 100 ms.

    The money paths are measured in the same run: add-to-cart (`POST /cart/add`, the
    HTML form answered with 303 to /cart) and the cart page (`GET /cart` holding 3
    items) must each reach at least 0.20 of the bare endpoint (SPEC §9; no p99 target).
    Checkout placement (`POST /checkout`: an order is created, stock held, and a Checkout
    Session created at the payment sandbox; 303 to its page) is reported only: it waits
    on the payment provider, so no ratio applies.

How
    1. `bench.generate` builds a scratch database with the real migrations and bulk-loads
       a synthetic catalogue (default 10,000 products, 1,000 articles) with SQLAlchemy
       Core, then rebuilds the search index. The checkout target's products get a stock
       of 1,000,000.
    2. `bench.servers` starts the shop's payment sandbox (`python -m
       shop.payments.sandbox`), then `gunicorn -w 2 -k sync 'shop:create_app()'` against
       that database and pointed at the sandbox (`STRIPE_API_BASE`, no secret key), and
       `gunicorn … bench.bare:app`, each on a free port of 127.0.0.1, and waits until
       they answer.
    3. `bench.visitors` prepares the cart targets' shoppers (default 100 per target, each
       with a session cookie, its CSRF token and a cart). Every target then sends its
       first request(s) once and must answer as expected (200, or 303 to the right
       place); a target that does not is skipped and reported, the others still run.
       Then `bench.load` drives each target with `wrk -t2 -c32 --latency` (2 s warm-up
       run, then 10 s measured), one target at a time; targets that vary their requests
       (several URLs, visitors' cookies, variant ids) do so with a generated Lua script.
       The bare endpoint is measured first and once more at the end; ratios use the
       mean of the two, and a large gap between them is reported, because it means the
       machine was busy with something else. Without wrk, a Python load generator
       stands in.
    4. `bench.report` prints the table, the PASS/FAIL of SPEC §9's targets and a
       server-side check (cart units and orders the database gained against the
       successful adds and placements the load tool counted), and writes every figure
       with the machine's description to `bench/results/`.

Scale mode (issue 15): `python -m bench --scale N`, `make bench BENCH_ARGS="--scale 100000"`
    Generates N products (articles default N/20) with the real `flask --app shop
    generate-catalogue`, timed, then serves the shop with gunicorn (page cache off, so
    every figure is an uncached render) and prints each figure with its target: search
    p50/p95/p99 over ten realistic queries with typos ("capsuls", "ashwaganda", "jont
    pain") at 1 client (p95 < 50 ms) and at 16 clients (>= 100 req/s); the product list
    sorted by price and by discount at page 1 and at the deepest page it serves, and the
    condition page with the most products (p95 <= 100 ms); the CSV import of 10,000
    changed rows (< 5 s) and the full streamed export (time and peak memory, measured by
    `python -m bench.bulk` in its own process); generate-catalogue (< 60 s, PostgreSQL).
    Socket errors, timeouts and non-2xx/3xx answers are failures. `--reuse` with
    `--database-url` skips generation when that database already holds the catalogue;
    `--import-rows` changes the import's size. The code is in bench/scale.py and
    bench/scale_report.py; the JSON goes to bench/results/ as for the normal run.

The exit status is 0 whatever the figures (this is a measurement, not a test); it is
non-zero only when a server could not start, a target failed its precheck, or a target
answered non-2xx/3xx responses under load (4xx included: a refused add-to-cart is a
failure).
"""

from __future__ import annotations

import sys


def say(message: str) -> None:
    """Progress messages go to stderr, so stdout holds only the report."""
    print(f"bench: {message}", file=sys.stderr, flush=True)
