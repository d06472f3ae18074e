"""Figures for the article report: per article, per day and per embed, over a date range.

Views, clicks and adds come from the daily counts (`article_stat_days`). Orders, units
and revenue come from the order lines attributed to an article, for orders paid in the
range (India's days) and still paid: a fully refunded order drops out, a partly refunded
one keeps its lines' revenue less their share of the refund (`net_of_refund`).
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import func, select

from shop.attribution.models import ArticleStatDay
from shop.checkout.models import Order, OrderLine
from shop.checkout.states import REFUNDABLE
from shop.content.models import Article
from shop.errors import ShopError
from shop.extensions import db
from shop.pricing.gst import IST
from shop.pricing.money import net_of_refund

MAX_DAYS = 731  # two years, a leap day included
DEFAULT_DAYS = 30
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def _parse_date(value: str, name: str) -> date:
    if not _DATE.fullmatch(value):
        raise ShopError(422, f"Give “{name}” as YYYY-MM-DD, for example 2026-11-01.")
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ShopError(422, f"“{name}” is not a real date: {value}.") from None


def parse_range(start: str | None, end: str | None, today: date) -> tuple[date, date]:
    """The report's first and last day (inclusive); the last 30 days when none are given.

    Malformed or impossible dates, a start after the end, or more than two years → 422.
    """
    start, end = (start or "").strip(), (end or "").strip()
    last = _parse_date(end, "to") if end else today
    first = _parse_date(start, "from") if start else last - timedelta(days=DEFAULT_DAYS - 1)
    if first > last:
        raise ShopError(422, f"The range starts ({first}) after it ends ({last}).")
    if (last - first).days + 1 > MAX_DAYS:
        raise ShopError(422, "Choose at most two years (731 days) at a time.")
    return first, last


def india_today() -> date:
    return datetime.now(UTC).astimezone(IST).date()


def _bounds(first: date, last: date) -> tuple[datetime, datetime]:
    """The range as UTC instants: from India's midnight of `first` to the one after `last`."""
    start = datetime.combine(first, time(), IST).astimezone(UTC)
    end = datetime.combine(last + timedelta(days=1), time(), IST).astimezone(UTC)
    return start, end


@dataclass
class Figures:
    """One row of the report: an article, a day or an embed."""

    views: int = 0
    clicks: int = 0
    adds: int = 0
    orders: int = 0
    units: int = 0
    revenue: int = 0  # paise, net of refunds
    order_ids: set = field(default_factory=set, repr=False)

    @property
    def click_rate(self) -> float | None:
        return _rate(self.clicks, self.views)

    @property
    def add_rate(self) -> float | None:
        return _rate(self.adds, self.clicks)

    @property
    def conversion(self) -> float | None:
        """Orders per view."""
        return _rate(self.orders, self.views)

    def add_sale(self, order_id: int, units: int, revenue: int) -> None:
        self.order_ids.add(order_id)
        self.orders = len(self.order_ids)
        self.units += units
        self.revenue += revenue


def _rate(part: int, whole: int) -> float | None:
    return None if whole <= 0 else 100.0 * part / whole


@dataclass
class ArticleRow:
    article_id: int
    slug: str
    title: str
    figures: Figures


def _counts(first: date, last: date, article_id: int | None, by):
    stmt = select(
        *by,
        func.sum(ArticleStatDay.views),
        func.sum(ArticleStatDay.clicks),
        func.sum(ArticleStatDay.adds),
    ).where(ArticleStatDay.day >= first, ArticleStatDay.day <= last)
    if article_id is not None:
        stmt = stmt.where(ArticleStatDay.article_id == article_id)
    return db.session.execute(stmt.group_by(*by))


def _sales(first: date, last: date, article_id: int | None):
    """(article id, position, India's day, order id, units, net revenue) per attributed line."""
    start, end = _bounds(first, last)
    stmt = (
        select(
            OrderLine.article_id,
            OrderLine.article_pos,
            Order.paid_at,
            Order.id,
            OrderLine.quantity,
            OrderLine.total,
            Order.total,
            Order.amount_refunded,
        )
        .join(Order, Order.id == OrderLine.order_id)
        .where(
            OrderLine.article_id.is_not(None),
            Order.state.in_([s.value for s in REFUNDABLE]),
            Order.paid_at >= start,
            Order.paid_at < end,
        )
    )
    if article_id is not None:
        stmt = stmt.where(OrderLine.article_id == article_id)
    for art, pos, paid_at, order_id, units, amount, order_total, refunded in db.session.execute(
        stmt
    ):
        day = paid_at.astimezone(IST).date()
        yield art, pos or 0, day, order_id, units, net_of_refund(amount, order_total, refunded)


def article_rows(first: date, last: date) -> list[ArticleRow]:
    """Every article with a view, click, add or sale in the range (three queries)."""
    figures: dict[int, Figures] = defaultdict(Figures)
    for art, views, clicks, adds in _counts(first, last, None, (ArticleStatDay.article_id,)):
        row = figures[art]
        row.views, row.clicks, row.adds = views or 0, clicks or 0, adds or 0
    for art, _pos, _day, order_id, units, revenue in _sales(first, last, None):
        figures[art].add_sale(order_id, units, revenue)
    if not figures:
        return []
    titles = db.session.execute(
        select(Article.id, Article.slug, Article.title).where(Article.id.in_(list(figures)))
    )
    return [ArticleRow(art, slug, title, figures[art]) for art, slug, title in titles]


SORTS = {
    "title": lambda row: row.title.lower(),
    "views": lambda row: row.figures.views,
    "clicks": lambda row: row.figures.clicks,
    "adds": lambda row: row.figures.adds,
    "orders": lambda row: row.figures.orders,
    "units": lambda row: row.figures.units,
    "revenue": lambda row: row.figures.revenue,
    "click_rate": lambda row: row.figures.click_rate or 0.0,
    "add_rate": lambda row: row.figures.add_rate or 0.0,
    "conversion": lambda row: row.figures.conversion or 0.0,
}


def sort_rows(rows: list[ArticleRow], sort: str, direction: str) -> list[ArticleRow]:
    """Sorted by a known column (anything else: revenue), ties by title."""
    key = SORTS.get(sort, SORTS["revenue"])
    rows = sorted(rows, key=lambda row: row.title.lower())
    return sorted(rows, key=key, reverse=direction != "asc")


def totals(rows: list[ArticleRow]) -> Figures:
    total = Figures()
    for row in rows:
        f = row.figures
        total.views += f.views
        total.clicks += f.clicks
        total.adds += f.adds
        total.orders += f.orders
        total.units += f.units
        total.revenue += f.revenue
    return total


@dataclass
class ArticleReport:
    days: list[tuple[date, Figures]]
    embeds: list[tuple[int, Figures]]  # position (0 = the article itself), figures
    total: Figures


def article_report(article_id: int, first: date, last: date) -> ArticleReport:
    """One article's figures per day (every day of the range) and per embed position."""
    per_day: dict[date, Figures] = defaultdict(Figures)
    per_pos: dict[int, Figures] = defaultdict(Figures)
    total = Figures()
    by = (ArticleStatDay.day, ArticleStatDay.position)
    for day, pos, views, clicks, adds in _counts(first, last, article_id, by):
        for bucket in (per_day[day], per_pos[pos], total):
            bucket.views += views or 0
            bucket.clicks += clicks or 0
            bucket.adds += adds or 0
    for _art, pos, day, order_id, units, revenue in _sales(first, last, article_id):
        for bucket in (per_day[day], per_pos[pos], total):
            bucket.add_sale(order_id, units, revenue)
    span = (last - first).days + 1
    days = [(first + timedelta(days=i), per_day[first + timedelta(days=i)]) for i in range(span)]
    return ArticleReport(days, sorted(per_pos.items()), total)
