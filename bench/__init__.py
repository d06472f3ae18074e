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

How
    1. `bench.generate` builds a scratch database with the real migrations and bulk-loads
       a synthetic catalogue (default 10,000 products, 1,000 articles) with SQLAlchemy
       Core, then rebuilds the search index.
    2. `bench.servers` starts `gunicorn -w 2 -k sync 'shop:create_app()'` against that
       database and `gunicorn … bench.bare:app`, each on a free port of 127.0.0.1, and
       waits until they answer.
    3. Every target page is fetched once and must answer 200. Then `bench.load` drives
       each target with `wrk -t2 -c32 --latency` (2 s warm-up run, then 10 s measured),
       one target at a time; targets with several URLs (search) rotate through them
       with a generated Lua script. The bare endpoint is measured first and once more
       at the end; ratios use the mean of the two, and a large gap between them is
       reported, because it means the machine was busy with something else.
       Without wrk, a Python load generator stands in.
    4. `bench.report` prints the table and the PASS/FAIL of SPEC §9's targets and writes
       every figure with the machine's description to `bench/results/`.

The exit status is 0 whatever the figures (this is a measurement, not a test); it is
non-zero only when a server could not start, a page did not answer 200 before the load,
or answered non-2xx/3xx responses under load.
"""

from __future__ import annotations

import sys


def say(message: str) -> None:
    """Progress messages go to stderr, so stdout holds only the report."""
    print(f"bench: {message}", file=sys.stderr, flush=True)
