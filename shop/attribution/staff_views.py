"""Back office: the article report (§13) — table, CSV, one article's chart and embeds.

The routes join the one staff blueprint, so its guard (staff and admins only) covers them.
Before reading, each page writes this process's waiting counts, so what staff just did
shows at once (other processes' counts follow within `SHOP_STATS_FLUSH_SECONDS`).
"""

from __future__ import annotations

import csv
import io

from flask import Response, render_template, request

from shop.attribution import counter, reports
from shop.attribution.charts import daily_chart
from shop.content.body import embed_products
from shop.content.models import Article
from shop.pricing.money import format_money, rupees_text
from shop.staff.base import bp, get_or_404, menu_item

menu_item(65, "staff.article_report", "Article report")

CSV_COLUMNS = [
    "article",
    "title",
    "views",
    "clicks",
    "add_to_carts",
    "orders",
    "units",
    "revenue",
    "click_rate",
    "add_rate",
    "conversion",
]


def _range():
    counter.flush()
    return reports.parse_range(
        request.args.get("from"), request.args.get("to"), reports.india_today()
    )


def _percent(rate: float | None) -> str:
    return "" if rate is None else f"{rate:.1f}"


@bp.get("/reports/articles")
def article_report():
    first, last = _range()
    sort = request.args.get("sort", "revenue")
    sort = sort if sort in reports.SORTS else "revenue"
    direction = "asc" if request.args.get("dir") == "asc" else "desc"
    rows = reports.sort_rows(reports.article_rows(first, last), sort, direction)
    return render_template(
        "staff/reports/articles.html",
        first=first,
        last=last,
        rows=rows,
        total=reports.totals(rows),
        sort=sort,
        direction=direction,
    )


@bp.get("/reports/articles.csv")
def article_report_csv():
    first, last = _range()
    rows = reports.sort_rows(reports.article_rows(first, last), "revenue", "desc")
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for row in rows:
        f = row.figures
        writer.writerow(
            [row.slug, row.title, f.views, f.clicks, f.adds, f.orders, f.units]
            + [rupees_text(f.revenue)]
            + [_percent(f.click_rate), _percent(f.add_rate), _percent(f.conversion)]
        )
    return Response(
        out.getvalue(),
        mimetype="text/csv",
        headers={
            "Content-Disposition": f'attachment; filename="articles-{first}-to-{last}.csv"',
            "Cache-Control": "no-store",
        },
    )


@bp.get("/reports/articles/<int:article_id>")
def article_report_detail(article_id: int):
    article = get_or_404(Article, article_id)
    first, last = _range()
    report = reports.article_report(article.id, first, last)
    days = [day for day, _ in report.days]
    chart = daily_chart(
        f"{article.title}: views, clicks, orders and revenue per day",
        days,
        [
            ("Views", [f.views for _, f in report.days], str),
            ("Product clicks", [f.clicks for _, f in report.days], str),
            ("Orders", [f.orders for _, f in report.days], str),
            ("Revenue", [f.revenue for _, f in report.days], format_money),
        ],
    )
    return render_template(
        "staff/reports/article.html",
        article=article,
        first=first,
        last=last,
        report=report,
        chart=chart,
        products=embed_products(article),
    )
