"""Every foreign key used to find rows has an index that starts with its columns.

Without one, deleting a parent or filtering by the parent (a condition's products, a
category's products, an order's lines) scans the whole child table: harmless with the
demo catalogue, seconds at 100,000 products.
"""

from __future__ import annotations

from sqlalchemy import ForeignKeyConstraint, Table

import shop.models  # noqa: F401 - every model registered on the metadata
from shop.extensions import db


def _leading_columns(table: Table) -> list[tuple[str, ...]]:
    """Column tuples some index, primary key or unique constraint starts with."""
    found = [tuple(c.name for c in table.primary_key.columns)]
    for index in table.indexes:
        found.append(tuple(c.name for c in index.columns))
    for constraint in table.constraints:
        if constraint.__class__.__name__ == "UniqueConstraint":
            found.append(tuple(c.name for c in constraint.columns))
    return [f for f in found if f]


def foreign_keys_without_index() -> list[str]:
    missing = []
    for table in db.metadata.sorted_tables:
        leading = _leading_columns(table)
        for fk in table.constraints:
            if not isinstance(fk, ForeignKeyConstraint):
                continue
            columns = tuple(c.name for c in fk.columns)
            if not any(lead[: len(columns)] == columns for lead in leading):
                missing.append(f"{table.name}({', '.join(columns)})")
    return sorted(missing)


def test_every_foreign_key_has_an_index():
    assert foreign_keys_without_index() == []
