"""`python -m bench --scale N`: argument parsing, percentiles and the verdicts it prints.

No servers and no load here: only the pure parts of bench/scale.py and bench/scale_report.py.
"""

from __future__ import annotations

import pytest

from bench.run import parse_args
from bench.scale import SEARCH_QUERIES, deepest_page, describe
from bench.scale_report import (
    Timing,
    bulk_verdicts,
    generate_verdict,
    percentile,
    summary_line,
    timing_verdict,
    verdicts_table,
)

PG = "postgresql+psycopg://postgres@127.0.0.1/x"


# ------------------------------------------------------------------ argument parsing


def test_scale_sets_products_and_articles_default_to_a_twentieth():
    args = parse_args(["--scale", "100000"])
    assert (args.scale, args.products, args.articles) == (100_000, 100_000, 5_000)
    assert args.import_rows == 10_000
    assert args.duration == 10.0 and args.reuse is False


def test_scale_keeps_articles_duration_and_import_rows_given():
    args = parse_args(
        ["--scale", "5000", "--articles", "40", "--duration", "3", "--import-rows", "500"]
    )
    assert (args.products, args.articles, args.duration, args.import_rows) == (5000, 40, 3.0, 500)


def test_small_scale_still_gets_the_minimum_articles():
    assert parse_args(["--scale", "100"]).articles == 5


@pytest.mark.parametrize(
    "argv",
    [
        ["--scale", "5000", "--quick"],
        ["--scale", "5000", "--products", "10"],
        ["--scale", "50"],
        ["--scale", "5000", "--reuse"],  # reuse needs a database that outlives the run
        ["--reuse", "--database-url", PG],  # reuse only means something with --scale
        ["--scale", "5000", "--import-rows", "0"],
        ["--scale", "many"],
    ],
)
def test_bad_scale_arguments_are_refused(argv, capsys):
    with pytest.raises(SystemExit) as stopped:
        parse_args(argv)
    assert stopped.value.code == 2
    assert "error:" in capsys.readouterr().err


def test_reuse_with_a_database_url_is_accepted():
    args = parse_args(["--scale", "5000", "--reuse", "--database-url", PG])
    assert args.reuse and args.database_url == PG


def test_the_normal_bench_is_unchanged_without_scale():
    args = parse_args([])
    assert args.scale is None and (args.products, args.articles) == (10_000, 1_000)


def test_search_queries_include_the_typos_the_issue_names():
    assert {"capsuls", "ashwaganda", "jont pain"} <= set(SEARCH_QUERIES)


def test_the_deep_page_is_the_last_the_list_serves():
    assert deepest_page(97_000, 10_000, 24) == 417  # past the cap nothing is served
    assert deepest_page(4_850, 10_000, 24) == 203
    assert deepest_page(48, 10_000, 24) == 2
    assert deepest_page(0, 10_000, 24) == 1


def test_descriptions_name_the_deep_page_and_the_condition():
    assert describe("list-price-deep", ["/products/?sort=price_asc&page=417"]).endswith("417")
    assert (
        describe("condition", ["/conditions/back-pain"]) == "condition page /conditions/back-pain"
    )
    assert describe("search", ["/search?q=a", "/search?q=b"]).startswith("search, 2 queries")


# ------------------------------------------------------------------------ percentiles


def test_percentile_is_nearest_rank():
    values = list(range(1, 101))  # 1..100
    assert percentile(values, 50) == 50
    assert percentile(values, 95) == 95
    assert percentile(values, 99) == 99
    assert percentile(values, 100) == 100


def test_percentile_of_unsorted_and_small_samples():
    assert percentile([30.0, 10.0, 20.0], 50) == 20.0
    assert percentile([30.0, 10.0, 20.0], 95) == 30.0  # rank ceil(2.85) = 3
    assert percentile([7.5], 99) == 7.5
    assert percentile([1, 2, 3, 4], 25) == 1  # exactly a quarter at or below: rank 1
    assert percentile([], 50) is None


@pytest.mark.parametrize("pct", [0, -5, 101])
def test_percentile_outside_its_range_is_an_error(pct):
    with pytest.raises(ValueError):
        percentile([1, 2, 3], pct)


def test_timing_from_latencies_counts_socket_errors_as_failed_requests():
    timing = Timing.from_latencies(
        "search", "search", [10.0] * 18 + [80.0, 90.0], seconds=2.0, socket_errors=2,
        bad_status=1,
    )  # fmt: skip
    assert timing.requests == 22
    assert timing.rps == 10.0  # the 20 answered requests in 2 s
    assert (timing.p50_ms, timing.p95_ms, timing.p99_ms) == (10.0, 80.0, 90.0)
    assert timing.failures == 3


# --------------------------------------------------------------------------- verdicts


def _timing(name="search", p95=20.0, rps=200.0, clients=1, **failures) -> Timing:
    return Timing(name, "search, 10 queries", clients, requests=int(rps * 10), seconds=10.0,
                  p50_ms=p95 / 2, p95_ms=p95, p99_ms=p95 * 2, **failures)  # fmt: skip


def test_search_at_one_client_is_judged_on_p95_under_50_ms():
    assert timing_verdict(_timing(p95=49.9)).passed is True
    failed = timing_verdict(_timing(p95=50.0))
    assert failed.passed is False and failed.target == "p95 < 50 ms"


def test_search_at_sixteen_clients_is_judged_on_requests_per_second():
    ok = timing_verdict(_timing("search-16", p95=400.0, rps=100.0, clients=16))
    assert ok.passed is True and ok.target == ">= 100 req/s" and "(16 clients)" in ok.what
    assert timing_verdict(_timing("search-16", p95=5.0, rps=99.0, clients=16)).passed is False


def test_pages_are_judged_on_p95_at_most_100_ms():
    assert timing_verdict(_timing("list-price-deep", p95=100.0)).passed is True
    assert timing_verdict(_timing("condition", p95=100.1)).passed is False


def test_socket_errors_and_bad_answers_fail_an_otherwise_fast_figure():
    timed_out = timing_verdict(_timing(p95=5.0, socket_errors=1))
    assert timed_out.passed is False
    assert "1 socket errors/timeouts" in timed_out.value
    assert timing_verdict(_timing("list-price-1", p95=5.0, bad_status=3)).passed is False


def test_no_requests_at_all_is_a_failure():
    nothing = Timing("condition", "condition page", 1)
    assert timing_verdict(nothing).passed is False


BULK = {
    "export_rows": 178_774, "export_seconds": 3.21, "export_bytes": 19_700_000,
    "export_peak_mb": 11.0, "import_rows": 10_000, "import_changed": 9_998,
    "import_seconds": 4.2, "import_statements": 6, "import_peak_mb": 2.0,
}  # fmt: skip


def test_the_import_target_is_five_seconds_and_the_export_is_reported():
    imported, exported = bulk_verdicts(BULK)
    assert imported.passed is True and imported.target == "< 5 s"
    assert "10,000 rows (9,998 changed)" in imported.what and "6 SQL statements" in imported.value
    assert exported.passed is None and "peak +11 MB" in exported.value
    assert bulk_verdicts({**BULK, "import_seconds": 5.0})[0].passed is False


def test_a_bulk_run_that_failed_fails_both_figures():
    verdicts = bulk_verdicts(None, "bench.bulk failed: boom")
    assert [v.passed for v in verdicts] == [False, False]
    assert all("boom" in v.value for v in verdicts)


def test_generation_has_a_target_on_postgresql_only():
    assert generate_verdict(41.0, "postgresql", 100_000).passed is True
    assert generate_verdict(60.0, "postgresql", 100_000).passed is False
    on_sqlite = generate_verdict(75.0, "sqlite", 100_000)
    assert on_sqlite.passed is None and on_sqlite.target == "< 60 s on PostgreSQL"
    reused = generate_verdict(None, "postgresql", 100_000)
    assert reused.passed is None and "reused" in reused.value


def test_the_table_prints_every_figure_with_its_target_and_verdict():
    verdicts = [
        timing_verdict(_timing(p95=20.0)),
        timing_verdict(_timing("search-16", p95=300.0, rps=35.0, clients=16)),
        *bulk_verdicts(BULK),
        generate_verdict(12.0, "sqlite", 5000),
    ]
    lines = verdicts_table(verdicts).splitlines()
    assert lines[0].split() == ["what", "measured", "target"]
    assert set(lines[1]) == {"-", " "}
    assert lines[2].startswith("PASS") and lines[2].endswith("p95 < 50 ms")
    assert lines[3].startswith("FAIL") and lines[3].endswith(">= 100 req/s")
    assert lines[5].startswith("info") and "streamed" in lines[5]
    assert len(lines) == 2 + len(verdicts)
    # every verdict's column starts at the same place
    assert len({line.index(v.target) for line, v in zip(lines[2:], verdicts, strict=True)}) == 1
    summary = summary_line(verdicts)
    assert summary.startswith("2 of 3 targets met; missed: search, 10 queries (16 clients)")


def test_summary_when_every_target_is_met():
    assert summary_line([timing_verdict(_timing(p95=1.0))]) == "All 1 targets met."
