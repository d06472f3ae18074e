"""Applying a checked CSV file in set-based statements.

A file of any length costs the same handful of statements: one SELECT loads the
variants it names (with their products), one executemany UPDATE per kind of write
(conditional stock, unconditional stock, variant values, product values), one
executemany INSERT of the audit entries, one content-version bump and one refresh of
derived data. Nothing here loads ORM objects, so the session's flush listeners never
see the rows; the caller commits (or rolls back on a ShopError).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ARRAY, String, and_, any_, bindparam, func, literal_column, select, update

from shop.cache import bump_content_version
from shop.catalog.models import Product, Variant
from shop.database import utcnow
from shop.errors import ShopError
from shop.extensions import db
from shop.staff.audit import plain
from shop.staff.products import service
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


def in_list(column, values: list[str]):
    """`column IN values` with the whole list as one parameter, whatever its length.

    PostgreSQL gets an array (`= ANY(:values)`), SQLite a JSON array read by json_each,
    so neither statement size nor SQLite's bound-parameter limit grows with the list.
    """
    if db.session.get_bind().dialect.name == "postgresql":
        return column == any_(bindparam("in_list", list(values), type_=ARRAY(String)))
    each = select(literal_column("value")).select_from(func.json_each(json.dumps(list(values))))
    return column.in_(each.scalar_subquery())


def load_current(skus: list[str]) -> dict[str, Current]:
    """SKU → the variant and its product, in one query."""
    product_columns = [column.label(f"p_{column.key}") for column in PRODUCTS.c]
    stmt = (
        select(*VARIANTS.c, *product_columns)
        .join(PRODUCTS, PRODUCTS.c.id == VARIANTS.c.product_id)
        .where(in_list(VARIANTS.c.sku, skus))
    )
    found: dict[str, Current] = {}
    for row in db.session.execute(stmt).mappings():
        variant = plain({column.key: row[column.key] for column in VARIANTS.c})
        product = plain({column.key: row[f"p_{column.key}"] for column in PRODUCTS.c})
        found[variant["sku"]] = Current(variant, product)
    return found


def _execute_many(stmt, params: list[dict]) -> int:
    """One executemany; the rows it changed (0 when there is nothing to send)."""
    if not params:
        return 0
    return db.session.execute(stmt, params).rowcount


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
    moved = _execute_many(
        update(VARIANTS)
        .where(and_(VARIANTS.c.id == bindparam("b_id"), VARIANTS.c.stock == bindparam("b_seen")))
        .values(stock=bindparam("b_stock")),
        checked,
    )
    if moved != len(checked):
        _raise_lost_races(writes, current)
    _execute_many(
        update(VARIANTS)
        .where(VARIANTS.c.id == bindparam("b_id"))
        .values(stock=bindparam("b_stock")),
        explicit,
    )


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
    """Variant id → label and prices, in one executemany."""
    params = [{"b_id": variant_id} | values for variant_id, values in changes.items()]
    _execute_many(
        update(VARIANTS)
        .where(VARIANTS.c.id == bindparam("b_id"))
        .values(label=bindparam("label"), mrp=bindparam("mrp"), price=bindparam("price")),
        params,
    )


def write_products(changes: dict[int, dict[str, Any]]) -> None:
    """Product id → name, active flag, HSN code and updated_at, in one executemany."""
    params = [{"b_id": product_id} | values for product_id, values in changes.items()]
    _execute_many(
        update(PRODUCTS)
        .where(PRODUCTS.c.id == bindparam("b_id"))
        .values(
            name=bindparam("name"),
            active=bindparam("active"),
            hsn=bindparam("hsn"),
            updated_at=bindparam("updated_at"),
        ),
        params,
    )


def product_values(row, product: dict[str, Any]) -> dict[str, Any] | None:
    """The product's new name/active/HSN from a row, or None when they are unchanged."""
    wanted = service.listing_columns(row.product_name, row.active, row.hsn)
    now = {"name": product["name"].strip(), "active": product["active"], "hsn": product["hsn"]}
    if all(now[column] == value for column, value in wanted.items()):
        return None
    return {"hsn": product["hsn"]} | wanted | {"updated_at": utcnow()}


def variant_values(row, variant: dict[str, Any]) -> dict[str, Any] | None:
    """The variant's new label and prices from a row, or None when they are unchanged."""
    wanted = service.variant_columns({"label": row.variant_label} | row.numbers)
    now = {"label": variant["label"].strip(), "mrp": variant["mrp"], "price": variant["price"]}
    return None if now == wanted else wanted


def refresh_derived(variant_ids: Iterable[int], product_ids: Iterable[int]) -> None:
    """The one place a bulk change refreshes data derived from the catalogue, once per
    import, for the changed rows only: afterwards cached pages are stale."""
    bump_content_version(db.session)
    db.session.info["content_version_bumped"] = True
