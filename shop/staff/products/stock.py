"""Stock edits by staff and CSV files, checked against the value the editor was shown.

Stock is never written blindly from a stale screen or file (README, "Stock edits"): a
new stock value comes with the value its editor was shown (`stock_seen`). An unchanged
value leaves the database alone, so units sold meanwhile stay sold; a changed one is
applied only while the database still holds the value shown, else the save is a 409
naming the current value. Without a `stock_seen` the value is set explicitly.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import select, update

from shop.catalog.models import Variant
from shop.errors import ShopError
from shop.extensions import db

STOCK_RE = re.compile(r"^-?[0-9]{1,12}$")
MAX_STOCK = 1_000_000


def read_stock(text: str | None) -> tuple[int | None, str | None]:
    """A stock count as typed: (units, None) or (None, message)."""
    text = (text or "").strip()
    if not STOCK_RE.match(text):
        return None, "Stock must be a whole number, like 25."
    if int(text) > MAX_STOCK:
        return None, f"Stock can be at most {MAX_STOCK:,}."
    return int(text), None


@dataclass(frozen=True)
class StockConflict:
    """A stock edit made on a value that has changed since (an order took units)."""

    sku: str
    seen: int
    wanted: int
    current: int

    @property
    def message(self) -> str:
        return (
            f"Stock of {self.sku} is now {self.current}, not the {self.seen} you were shown "
            f"(orders or another editor changed it); your {self.wanted} was not saved."
        )


def plan_stock(
    variant: Variant, wanted: int, seen: int | None
) -> tuple[int | None, StockConflict | None]:
    """The stock to write (None: leave it alone), or the conflict that forbids it."""
    if seen is None:  # no value shown: an explicit setting
        return (wanted if wanted != variant.stock else None), None
    if wanted == seen:  # not edited: whatever orders did since stays
        return None, None
    if variant.stock != seen:
        return None, StockConflict(variant.sku, seen, wanted, variant.stock)
    return wanted, None


def write_stock(variant: Variant, wanted: int, seen: int | None) -> None:
    """Set the stock, only while the database still holds `seen` (when given).

    The conditional UPDATE is what makes the check safe against an order committing
    between our read and our write; the ORM assignment then records the change for the
    audit log and the page cache.
    """
    if seen is not None:
        moved = db.session.execute(
            update(Variant)
            .where(Variant.id == variant.id, Variant.stock == seen)
            .values(stock=wanted)
            .execution_options(synchronize_session=False)
        ).rowcount
        if moved != 1:
            current = db.session.scalar(select(Variant.stock).where(Variant.id == variant.id))
            raise ShopError(409, StockConflict(variant.sku, seen, wanted, current).message)
    variant.stock = wanted
