"""Stock holds: the only code that takes units out of `variants.stock` for orders.

A hold is one conditional UPDATE (`stock = stock − n WHERE stock >= n`): the database
decides row by row, so two checkouts racing for the last unit cannot both win.
"""

from __future__ import annotations

from sqlalchemy import select, update

from shop.catalog.models import Variant
from shop.extensions import db


def hold_stock(variant_id: int, quantity: int) -> bool:
    """Take `quantity` units if that many are left; False (nothing taken) otherwise."""
    held = db.session.execute(
        update(Variant)
        .where(Variant.id == variant_id, Variant.stock >= quantity)
        .values(stock=Variant.stock - quantity)
        .execution_options(synchronize_session=False)
    )
    return held.rowcount == 1


def release_stock(variant_id: int, quantity: int) -> None:
    """Give back units held by an order that will not be paid."""
    db.session.execute(
        update(Variant)
        .where(Variant.id == variant_id)
        .values(stock=Variant.stock + quantity)
        .execution_options(synchronize_session=False)
    )


def stock_left(variant_id: int) -> int:
    return db.session.scalar(select(Variant.stock).where(Variant.id == variant_id)) or 0
