"""Stored sort prices: what the product list orders by, kept right in set-based SQL.

Sorting 100,000 products by "the price the shopper pays" cannot compute every variant's
sale price per request, so each product stores two sort keys (`Product.sort_price`, the
lowest price paid for any of its variants now, and `Product.sort_discount`, the best
discount in hundredths of a percent). They are sort keys only: cards, product pages, the
cart and checkout always price afresh through `shop.pricing.engine`.

Who keeps them right:

- **ORM changes** (staff forms, the demo seed, tests): a flush that adds, deletes or
  re-prices a variant, moves a product to another category, or changes a sale (its
  values, times, switch or targets) refreshes the products concerned in the same
  transaction (`_refresh_after_flush`).
- **Bulk SQL** (CSV import, the benchmark generator) calls
  `refresh_effective_prices(session, product_ids)` after its statements.
- **The clock**: a sale starting or ending changes prices with no write at all. The
  one-row `price_schedule` keeps `refreshed_at` (prices are right as of then) and
  `due_at` (the next start or end of any switched-on sale). When `due_at` has passed,
  `catch_up` refreshes only the products of the sales whose start or end lies in
  (`refreshed_at`, now] and moves the schedule on, claiming it with a conditional UPDATE
  so one process does the work. The list page calls it on read when a price sort is
  asked for and the schedule is due; `flask --app shop refresh-prices` does it from cron
  (and `--all` rebuilds every product).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime

from sqlalchemy import (
    ColumnElement,
    and_,
    case,
    event,
    func,
    literal,
    or_,
    select,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from shop.catalog.models import Category, PriceSchedule, Product, Variant
from shop.database import utcnow
from shop.pricing import engine

CHUNK = 5000  # ids per UPDATE, well inside every driver's parameter limit
_SCHEDULE_ID = 1
# A schedule refreshed before this (the migration's backfill) asks for a full refresh.
FULL_REFRESH_BEFORE = datetime(2000, 1, 2, tzinfo=UTC)


def effective_price_sql(
    sales: Sequence[engine.Sale], now: datetime, dialect: str | None = None
) -> ColumnElement[int]:
    """`Variant.price` after the best sale running at `now`, as SQL (SPEC §6).

    The same rule as `engine.best_sale_price`: each running sale applied alone to the
    list price (percent rounded half up to the paisa, never below 0, then rounded down to
    the sale's step) and the lowest result kept. Correlates with `Product` (for its
    category) and `Variant`.
    """
    price = Variant.price
    candidates: list[ColumnElement[int]] = [price]
    for sale in sales:
        if not (sale.starts_at is None or sale.starts_at <= now):
            continue
        if not (sale.ends_at is None or now < sale.ends_at):
            continue
        targets = []
        if sale.product_ids:
            targets.append(Variant.product_id.in_(sorted(sale.product_ids)))
        if sale.category_ids:
            targets.append(Product.category_id.in_(sorted(sale.category_ids)))
        if not targets:
            continue
        # percent: price × value / 100 rounded half up to the paisa, in integer division
        off = (price * sale.value + 50) // 100 if sale.kind == "percent" else literal(sale.value)
        reduced = case((price - off < 0, 0), else_=price - off)
        if sale.round_to > 1:  # `rounding.round_sale_price`: down to the step, if one
            reduced = case(
                (reduced >= sale.round_to, reduced - reduced % sale.round_to), else_=reduced
            )
        candidates.append(case((or_(*targets), reduced), else_=price))
    if len(candidates) == 1:
        return price
    if dialect is None:
        from shop.extensions import db

        dialect = db.session.get_bind().dialect.name
    if dialect == "postgresql":
        return func.least(*candidates)
    return func.min(*candidates)  # SQLite's scalar min() of several arguments


def list_price_keys(variants: Iterable[tuple[int, int]]) -> tuple[int, int]:
    """The sort keys of a product none of whose variants is on sale: the lowest price and
    the best discount in hundredths of a percent, from its variants' (mrp, price).

    What `refresh_effective_prices` stores when no sale applies, for bulk loaders that
    write products with their keys (so the refresh after them has nothing to rewrite).
    """
    pairs = list(variants)
    if not pairs:
        return 0, 0
    lowest = min(price for _, price in pairs)
    best = max((mrp - price) * 10000 // mrp for mrp, price in pairs)
    return lowest, best


def _sales(now: datetime) -> list[engine.Sale]:
    """Switched-on sales not over at `now` (running ones and those still to start)."""
    from shop.discounts.service import not_ended_sales

    return not_ended_sales(now)


def next_change(sales: Iterable[engine.Sale], now: datetime) -> datetime | None:
    """The first start or end after `now` among `sales`: when stored prices go stale."""
    times = [t for s in sales for t in (s.starts_at, s.ends_at) if t is not None and t > now]
    return min(times, default=None)


def _refresh_where(session: Session, where, sales, now: datetime) -> int:
    dialect = session.get_bind().dialect.name
    paid = effective_price_sql(sales, now, dialect)
    of_product = Variant.product_id == Product.id
    lowest = select(func.min(paid)).where(of_product).scalar_subquery()
    best = select(func.max((Variant.mrp - paid) * 10000 / Variant.mrp)).where(of_product)
    sort_price = func.coalesce(lowest, 0)
    sort_discount = func.coalesce(best.scalar_subquery(), 0)
    stmt = (
        update(Product)
        .values(sort_price=sort_price, sort_discount=sort_discount)
        # Rows already right are not written: no new row version, no index entries
        # (a bulk load that stored the right keys, a sale that changes few prices).
        .where(or_(Product.sort_price != sort_price, Product.sort_discount != sort_discount))
        .execution_options(synchronize_session=False)
    )
    if where is not None:
        stmt = stmt.where(where)
    return session.connection().execute(stmt).rowcount


def refresh_effective_prices(
    session: Session,
    product_ids: Iterable[int] | None = None,
    *,
    category_ids: Iterable[int] = (),
    now: datetime | None = None,
) -> int:
    """Recompute the stored sort price and discount, in set-based UPDATEs.

    `product_ids=None` (and no categories) does every product and brings the schedule up
    to date; otherwise only those products and the products of `category_ids`. Runs in
    the caller's transaction; returns the number of products whose keys changed (only
    those rows are written). Call it after any statement that writes variant prices or
    product categories without the ORM.
    """
    now = now or utcnow()
    sales = _sales(now)
    category_ids = sorted(set(category_ids))
    if product_ids is None and not category_ids:
        count = _refresh_where(session, None, sales, now)
        _save_schedule(session, now, next_change(sales, now))
        return count
    count = 0
    ids = sorted(set(product_ids or ()))
    for start in range(0, len(ids), CHUNK):
        count += _refresh_where(session, Product.id.in_(ids[start : start + CHUNK]), sales, now)
    if category_ids:
        in_categories = Product.category_id.in_(category_ids)
        count += _refresh_where(session, in_categories, sales, now)
    return count


# --- the clock ---------------------------------------------------------------------------


def _save_schedule(session: Session, refreshed_at: datetime, due_at: datetime | None) -> None:
    connection = session.connection()
    values = {"id": _SCHEDULE_ID, "refreshed_at": refreshed_at, "due_at": due_at}
    table = PriceSchedule.__table__
    insert = (postgresql if connection.dialect.name == "postgresql" else sqlite).insert
    stmt = insert(table).values(**values)
    stmt = stmt.on_conflict_do_update(
        index_elements=[table.c.id], set_={"refreshed_at": refreshed_at, "due_at": due_at}
    )
    connection.execute(stmt)


def _crossed(since: datetime, now: datetime):
    """Products of switched-on sales that started or ended in (since, now]."""
    from shop.discounts.models import Sale, sale_categories, sale_products

    sale_ids = select(Sale.id).where(
        Sale.active.is_(True),
        or_(
            and_(Sale.starts_at > since, Sale.starts_at <= now),
            and_(Sale.ends_at > since, Sale.ends_at <= now),
        ),
    )
    return or_(
        Product.id.in_(
            select(sale_products.c.product_id).where(sale_products.c.sale_id.in_(sale_ids))
        ),
        Product.category_id.in_(
            select(sale_categories.c.category_id).where(sale_categories.c.sale_id.in_(sale_ids))
        ),
    )


def catch_up(session: Session, now: datetime | None = None) -> bool:
    """Bring stored prices up to date with the clock; False when nothing was due.

    Claims the schedule with `UPDATE … WHERE refreshed_at = <what we read>`, so of two
    processes racing past the same due time only one refreshes (on PostgreSQL the other
    waits for its commit, then finds nothing to do). Runs in the caller's transaction.
    """
    now = now or utcnow()
    connection = session.connection()
    table = PriceSchedule.__table__
    row = connection.execute(
        select(table.c.refreshed_at, table.c.due_at).where(table.c.id == _SCHEDULE_ID)
    ).first()
    sales = _sales(now)
    if row is None:
        _save_schedule(session, now, next_change(sales, now))
        return False
    since, due = row
    if due is None or due > now:
        return False
    claimed = connection.execute(
        update(table)
        .where(table.c.id == _SCHEDULE_ID, table.c.refreshed_at == since)
        .values(refreshed_at=now, due_at=next_change(sales, now))
    )
    if claimed.rowcount != 1:
        return False
    where = None if since < FULL_REFRESH_BEFORE else _crossed(since, now)
    _refresh_where(session, where, sales, now)
    from shop.cache import bump_content_version

    bump_content_version(session)  # pages showing those prices are re-rendered too
    return True


def due_at(session: Session) -> datetime | None:
    return session.scalar(select(PriceSchedule.due_at).where(PriceSchedule.id == _SCHEDULE_ID))


# --- ORM changes -----------------------------------------------------------------------

_PRICE_FIELDS = ("price", "mrp", "product_id")


def _changed(session: Session, obj, fields: Sequence[str]) -> bool:
    if obj in session.new or obj in session.deleted:
        return True
    state = session.is_modified
    if not state(obj):
        return False
    from sqlalchemy import inspect

    attrs = inspect(obj).attrs
    return any(attrs[name].history.has_changes() for name in fields)


@event.listens_for(Session, "before_flush")
def _note_price_changes(session: Session, flush_context, instances) -> None:
    from shop.discounts.models import Sale

    touched: list = session.info.setdefault("price_objects", [])
    for obj in (*session.new, *session.dirty, *session.deleted):
        if isinstance(obj, Variant) and _changed(session, obj, _PRICE_FIELDS):
            touched.append(obj.product if obj.product is not None else obj)
        elif isinstance(obj, Product) and obj not in session.deleted:
            if _changed(session, obj, ("category_id", "category")):
                touched.append(obj)
        elif isinstance(obj, Sale) and (
            obj in session.new or obj in session.deleted or session.is_modified(obj)
        ):
            with session.no_autoflush:
                touched.extend(_sale_targets(obj))
            session.info["sales_changed"] = True


def _sale_targets(sale) -> list:
    """The products and categories a sale covers, before and after this flush."""
    from sqlalchemy import inspect

    found = []
    for name in ("products", "categories"):
        history = inspect(sale).attrs[name].load_history()
        found.extend((*history.added, *history.unchanged, *history.deleted))
    return found


@event.listens_for(Session, "after_flush_postexec")
def _refresh_after_flush(session: Session, flush_context) -> None:
    touched = session.info.pop("price_objects", None)
    sales_changed = session.info.pop("sales_changed", False)
    if not touched and not sales_changed:
        return
    product_ids: set[int] = set()
    category_ids: set[int] = set()
    for obj in touched or ():
        if isinstance(obj, Category):
            category_ids.add(obj.id)
        elif isinstance(obj, Product):
            if obj.id is not None and obj not in session.deleted:
                product_ids.add(obj.id)
        elif isinstance(obj, Variant) and obj.product_id is not None:
            product_ids.add(obj.product_id)
    now = utcnow()
    with session.no_autoflush:
        if product_ids or category_ids:
            refresh_effective_prices(session, product_ids, category_ids=category_ids, now=now)
        if sales_changed:
            # The changed sales' products are right as of now; let the clock catch up on
            # the others, then aim the schedule at the next start or end.
            catch_up(session, now)
            _save_schedule(session, now, next_change(_sales(now), now))
