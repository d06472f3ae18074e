"""The CSV's prescription and purchase-limit columns (SPEC §15), all optional.

`prescription_required` is `true`/`false`; `limit_quantity` and `limit_days` are whole
numbers given together, or both empty for no limit. A file without these columns leaves
the products' values alone; with them, every row of one product must agree.
"""

from __future__ import annotations

from typing import Any

from shop.catalog.models import Product

COLUMNS = ("prescription_required", "limit_quantity", "limit_days")
BOOLEANS = {"true": True, "false": False}


EXPORTED = (Product.prescription_required, Product.limit_quantity, Product.limit_days)


def export_values(prescription_required: bool, quantity: int | None, days: int | None) -> list:
    return [
        "true" if prescription_required else "false",
        "" if quantity is None else quantity,
        "" if days is None else days,
    ]


def _whole(text: str, name: str, low: int, high: int, problems: list[str]) -> int | None:
    if not text.isdigit() or not low <= int(text) <= high:
        problems.append(f"{name}: write a whole number from {low} to {high}, not {text!r}.")
        return None
    return int(text)


def read_values(cell: dict[str, str]) -> tuple[dict[str, Any], list[str]]:
    """The product values these columns set (only the columns present), and problems."""
    values: dict[str, Any] = {}
    problems: list[str] = []
    if "prescription_required" in cell:
        flag = cell["prescription_required"].lower()
        if flag not in BOOLEANS:
            problems.append(f"prescription_required: write true or false, not {flag!r}.")
        values["prescription_required"] = BOOLEANS.get(flag)
    if "limit_quantity" in cell or "limit_days" in cell:
        quantity, days = cell.get("limit_quantity", ""), cell.get("limit_days", "")
        if bool(quantity) != bool(days):
            problems.append("limit_quantity, limit_days: give both, or leave both empty.")
        values["limit_quantity"] = (
            _whole(quantity, "limit_quantity", 1, 1000, problems) if quantity else None
        )
        values["limit_days"] = _whole(days, "limit_days", 1, 366, problems) if days else None
    return values, problems


def differs(product: Product, values: dict[str, Any]) -> bool:
    return any(getattr(product, name) != value for name, value in values.items())


def apply(product: Product, values: dict[str, Any]) -> None:
    for name, value in values.items():
        setattr(product, name, value)
