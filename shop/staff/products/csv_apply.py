"""Applying a checked CSV file in set-based statements.

A file of any length costs the same handful of statements: two SELECTs load the
variants it names and their products, one UPDATE per kind of write (conditional stock,
unconditional stock, variant values, product values) — `UPDATE … FROM unnest(arrays)` on
PostgreSQL, an executemany on SQLite — one INSERT of the audit entries, one
content-version bump and one refresh of derived data. Nothing here loads ORM objects,
so the session's flush listeners never see the rows; the caller commits (or rolls back
on a ShopError).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    ARRAY,
    Integer,
    String,
    bindparam,
    func,
    literal_column,
    select,
    text,
    update,
)

from shop.cache import bump_content_version
from shop.catalog.models import Product, Variant
from shop.catalog.prices import refresh_effective_prices
from shop.database import utcnow
from shop.errors import ShopError
from shop.extensions import db
from shop.search import index as search_index
from shop.staff.products import csv_rx, service
from shop.staff.products.stock import StockConflict

VARIANTS = Variant.__table__
PRODUCTS = Product.__table__


@dataclass
class Current:
    """A variant as the catalogue holds it, with its product (audit-ready values)."""

    variant: dict[str, Any]
    product: dict[str, Any]

    @property
    def sku(self) -> str:
        return self.variant["sku"]

    @property
    def stock(self) -> int:
        return self.variant["stock"]

    @property
    def slug(self) -> str:
        return self.product["slug"]


def _postgres() -> bool:
    return db.session.get_bind().dialect.name == "postgresql"


def in_list(column, values: list, sql_type=String):
    """`column IN values` with the whole list as one parameter, whatever its length.

    PostgreSQL gets an array (`IN (SELECT unnest(:values))`), SQLite a JSON array read by
    json_each, so neither statement size nor SQLite's bound-parameter limit grows with the
    list. Not `= ANY(:values)` on PostgreSQL: with 10,000 SKUs the planner answered that
    from the SKU's trigram index (every SKU shares "bn0", "000"…): 100 s instead of 45 ms.
    """
    if _postgres():
        array = bindparam(None, list(values), type_=ARRAY(sql_type))
        return column.in_(select(func.unnest(array)).scalar_subquery())
    each = select(literal_column("value")).select_from(func.json_each(json.dumps(list(values))))
    return column.in_(each.scalar_subquery())


def load_current(skus: list[str]) -> dict[str, Current]:
    """SKU → the variant and its product: one query for the variants, one for their
    products (each product read once however many of its variants the file has)."""
    variants = db.session.execute(select(VARIANTS).where(in_list(VARIANTS.c.sku, skus)))
    by_sku = {row.sku: dict(row._mapping) for row in variants}
    ids = sorted({variant["product_id"] for variant in by_sku.values()})
    products = {}
    if ids:
        rows = db.session.execute(select(PRODUCTS).where(in_list(PRODUCTS.c.id, ids, Integer)))
        products = {row.id: dict(row._mapping) for row in rows}
    return {
        sku: Current(variant, products[variant["product_id"]]) for sku, variant in by_sku.items()
    }


def bulk_update(table, rows: list[dict], sets: dict[str, str], seen: str = "") -> int:
    """Update many rows by id in one statement; how many it changed.

    Each row dict has `b_id` and `b_<column>` per column of `sets` (column → PostgreSQL
    type); with `seen`, also `b_seen`, and a row changes only while its `seen` column still
    holds that value. PostgreSQL gets one `UPDATE … FROM unnest(:arrays)` (one statement
    however many rows), SQLite — in process, no round trips — one executemany.
    """
    if not rows:
        return 0
    if _postgres():
        kinds = {"b_id": "integer"} | {f"b_{column}": kind for column, kind in sets.items()}
        if seen:
            kinds["b_seen"] = "integer"
        arrays = ", ".join(f"CAST(:{name} AS {kind}[])" for name, kind in kinds.items())
        sql = (
            f"UPDATE {table.name} SET "
            + ", ".join(f"{column} = d.b_{column}" for column in sets)
            + f" FROM unnest({arrays}) AS d({', '.join(kinds)})"
            + f" WHERE {table.name}.id = d.b_id"
            + (f" AND {table.name}.{seen} = d.b_seen" if seen else "")
        )
        params = {name: [row[name] for row in rows] for name in kinds}
        return db.session.execute(text(sql), params).rowcount
    condition = table.c.id == bindparam("b_id")
    if seen:
        condition &= table.c[seen] == bindparam("b_seen")
    stmt = update(table).where(condition).values({c: bindparam(f"b_{c}") for c in sets})
    return db.session.execute(stmt, rows).rowcount


def write_stock(writes: dict[str, tuple[int, int | None]], current: dict[str, Current]) -> None:
    """SKU → (stock, stock_seen): set stock, where `stock_seen` is given only while the
    catalogue still holds it (409 naming each line that lost the race)."""
    checked = [
        {"b_id": current[sku].variant["id"], "b_stock": stock, "b_seen": seen}
        for sku, (stock, seen) in writes.items()
        if seen is not None
    ]
    explicit = [
        {"b_id": current[sku].variant["id"], "b_stock": stock}
        for sku, (stock, seen) in writes.items()
        if seen is None
    ]
    stock = {"stock": "integer"}
    moved = bulk_update(VARIANTS, checked, stock, seen="stock")
    if moved != len(checked):
        _raise_lost_races(writes, current)
    bulk_update(VARIANTS, explicit, stock)


def _raise_lost_races(writes, current: dict[str, Current]) -> None:
    """An order took units between our read and our conditional UPDATE: name the SKUs."""
    skus = [sku for sku, (_, seen) in writes.items() if seen is not None]
    now = dict(
        db.session.execute(
            select(VARIANTS.c.sku, VARIANTS.c.stock).where(in_list(VARIANTS.c.sku, skus))
        ).all()
    )
    lost = [
        StockConflict(sku, writes[sku][1], writes[sku][0], now[sku]).message
        for sku in skus
        if now.get(sku) != writes[sku][0]
    ]
    raise ShopError(
        409,
        "Nothing was imported: stock changed while importing. "
        + " ".join(lost)
        + " Export a fresh file and try again.",
    )


def write_variants(changes: dict[int, dict[str, Any]]) -> None:
    """Variant id → label and prices, in one statement."""
    rows = [
        {"b_id": variant_id} | {f"b_{column}": value for column, value in values.items()}
        for variant_id, values in changes.items()
    ]
    bulk_update(VARIANTS, rows, {"label": "text", "mrp": "integer", "price": "integer"}, {})


def write_products(changes: dict[int, dict[str, Any]]) -> None:
    """Product id → name, active flag, HSN code and updated_at, in one statement."""
    rows = [
        {"b_id": product_id} | {f"b_{column}": value for column, value in values.items()}
        for product_id, values in changes.items()
    ]
    sets = {"name": "text", "active": "boolean", "hsn": "text", "updated_at": "timestamptz"}
    sets |= {"prescription_required": "boolean", "limit_quantity": "integer"}
    sets |= {"limit_days": "integer"}
    bulk_update(PRODUCTS, rows, sets, {})


def product_values(row, product: dict[str, Any]) -> dict[str, Any] | None:
    """The product's new name/active/HSN and prescription/limit values (`csv_rx`) from a
    row, or None when they are unchanged. Every result has the same columns, as
    `write_products` writes them all in one statement."""
    wanted = service.listing_columns(row.product_name, row.active, row.hsn) | row.rx
    now = {"name": product["name"].strip(), "active": product["active"], "hsn": product["hsn"]}
    now |= {column: product[column] for column in csv_rx.COLUMNS}
    if all(now[column] == value for column, value in wanted.items()):
        return None
    kept = {"hsn": product["hsn"]} | {column: product[column] for column in csv_rx.COLUMNS}
    return kept | wanted | {"updated_at": utcnow()}


def variant_values(row, variant: dict[str, Any]) -> dict[str, Any] | None:
    """The variant's new label and prices from a row, or None when they are unchanged."""
    wanted = service.variant_columns({"label": row.variant_label} | row.numbers)
    now = {"label": variant["label"].strip(), "mrp": variant["mrp"], "price": variant["price"]}
    return None if now == wanted else wanted


def refresh_derived(variant_ids: Iterable[int], product_ids: Iterable[int]) -> None:
    """The one place a bulk change refreshes data derived from the catalogue, once per
    import, for the changed rows only: the stored sort prices and the search index of the
    changed products, then the content version (afterwards cached pages are stale)."""
    product_ids = sorted(set(product_ids))
    refresh_effective_prices(db.session, product_ids)
    search_index.refresh_products(product_ids)
    bump_content_version(db.session)
    db.session.info["content_version_bumped"] = True
